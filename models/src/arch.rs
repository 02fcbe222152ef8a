//! The architecture of a network and its one-line grammar.
//!
//! The grammar is what users type on the command line and what checkpoints record in their
//! metadata, so `Display` and `FromStr` are exact inverses:
//!
//! ```text
//! ARCH  := IN ( ',' LAYER )+ ',' OUT          e.g.  20,relu:100,relu:100,linear:50,1
//! LAYER := BODY MARKS
//! BODY  := ACT ':' WIDTH [ '+bias' ]          fully-connected layer then activation
//!        | 'res(' ACT ')'                     pre-activation residual block: h ↦ h + U·σ(Y·h)
//!        | 'resid(' ACT ')'                   the paper's ResNetIdentity:    h ↦ σ(U·σ(Y·h) + h)
//!        | 'resz(' ACT ')'                    residual block, learned skip:  h ↦ σ(U·σ(Y·h) + Z·h)
//! ACT   := 'relu' | 'linear' | 'leaky(' SLOPE ')'
//! OUT   := integer MARKS: the output layer (linear, no activation)
//! MARKS := [ '!signs' ] [ '!fixed' ]
//! ```
//!
//! The markers ([`Marks`]) act on every matrix of their entry (and on the first layer's bias):
//! `!signs` starts it at ±1/√fan_in, half of each sign ([`crate::Init::Signs`]), whatever the
//! network's initializer; `!fixed` keeps it at its initial value, never trained. So
//! `100,leaky(0.1):50,1!signs!fixed` is a two-layer net whose output weights are fixed at ±1/√50.

use std::fmt;
use std::str::FromStr;

/// A positively 1-homogeneous activation: the networks of the theory use only these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// x for x ≥ 0, slope·x otherwise.
    LeakyRelu(f64),
    /// The identity: a linear layer.
    Linear,
}

/// How a residual block carries its input past its two matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// h ↦ h + U·σ(Y·h): an identity skip around the block, no σ after the sum (the
    /// "pre-activation" style of He et al. 2016, *Identity mappings in deep residual networks*).
    PreActivation,
    /// h ↦ σ(U·σ(Y·h) + h): an identity skip with σ after the sum, the ResNetIdentity block of
    /// Le & Jegelka 2022.
    ResNetIdentity,
    /// h ↦ σ(U·σ(Y·h) + Z·h) with a learned square matrix Z.
    Learned,
}

/// One entry of the layer list between the input and the output layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerSpec {
    /// A fully-connected layer of `width` units followed by `activation`.
    Dense {
        /// Number of output units.
        width: usize,
        /// Applied to the layer's product.
        activation: Activation,
        /// Adds a learned bias to the product; allowed on the first layer only.
        bias: bool,
    },
    /// A residual block keeping the width of whatever comes before it.
    Block {
        /// σ inside the block (and after the sum for a learned skip).
        activation: Activation,
        /// Identity or learned skip.
        skip: Skip,
    },
}

/// The `!` markers of one entry of an architecture (a layer, a block or the output layer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// `!signs`: the entry's matrices start at ±1/√fan_in, half of each sign.
    pub signs: bool,
    /// `!fixed`: the entry's matrices (and bias) are never trained.
    pub fixed: bool,
}

impl Marks {
    /// True when the entry has no marker.
    pub fn is_empty(&self) -> bool {
        *self == Marks::default()
    }
}

impl fmt::Display for Marks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.signs {
            f.write_str("!signs")?;
        }
        if self.fixed {
            f.write_str("!fixed")?;
        }
        Ok(())
    }
}

/// A whole network: input size, the hidden layers in forward order, and the output size.
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    /// Number of input features.
    pub input: usize,
    /// Hidden layers and blocks, in forward order.
    pub layers: Vec<LayerSpec>,
    /// Number of outputs of the final linear layer; 1 is a scalar-output network.
    pub output: usize,
    /// The markers of each entry of `layers` and then of the output layer (`layers.len() + 1`
    /// of them), or empty when no entry has one: see [`Arch::marks_of`] and [`Arch::with_marks`].
    pub marks: Vec<Marks>,
}

/// What is wrong with an architecture string or value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchError {
    /// Fewer than three comma-separated parts.
    #[error(
        "architecture `{text}` has {parts} comma-separated part(s); it needs an input size, at least one layer and an output size, e.g. `20,relu:100,1`"
    )]
    TooShort {
        /// The whole string.
        text: String,
        /// How many parts it had.
        parts: usize,
    },
    /// The markers do not come one per entry (a hand-built architecture).
    #[error(
        "architecture `{text}` has markers for {marks} entries but {entries} entries (its layers and the output layer)"
    )]
    Marks {
        /// The whole architecture.
        text: String,
        /// How many markers it has.
        marks: usize,
        /// How many entries it has.
        entries: usize,
    },
    /// The weights cannot even be counted: their number exceeds `usize::MAX`.
    #[error(
        "architecture `{text}` has more than {} weights, more than any machine can hold",
        usize::MAX
    )]
    TooLarge {
        /// The whole architecture.
        text: String,
    },
    /// One token (a size, layer or block) could not be understood.
    #[error("architecture part {position} `{token}`: {problem}")]
    Token {
        /// 1-based position among the comma-separated parts.
        position: usize,
        /// The offending text.
        token: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Relu => f.write_str("relu"),
            Activation::Linear => f.write_str("linear"),
            Activation::LeakyRelu(slope) => write!(f, "leaky({slope})"),
        }
    }
}

impl FromStr for Activation {
    type Err = String;

    /// Parses `relu`, `linear` or `leaky(SLOPE)`; the error says what was expected.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "relu" => Ok(Activation::Relu),
            "linear" => Ok(Activation::Linear),
            _ => {
                let Some(slope) = s.strip_prefix("leaky(").and_then(|r| r.strip_suffix(')')) else {
                    return Err(format!(
                        "unknown activation `{s}` (expected relu, linear or leaky(SLOPE))"
                    ));
                };
                match slope.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Activation::LeakyRelu(v)),
                    _ => Err(format!("leaky relu slope `{slope}` is not a finite number")),
                }
            }
        }
    }
}

impl Activation {
    /// True for the identity activation.
    pub fn is_linear(&self) -> bool {
        matches!(self, Activation::Linear)
    }
}

impl fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSpec::Dense {
                width,
                activation,
                bias,
            } => {
                write!(f, "{activation}:{width}")?;
                if *bias {
                    f.write_str("+bias")?;
                }
                Ok(())
            }
            LayerSpec::Block { activation, skip } => match skip {
                Skip::PreActivation => write!(f, "res({activation})"),
                Skip::ResNetIdentity => write!(f, "resid({activation})"),
                Skip::Learned => write!(f, "resz({activation})"),
            },
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.input)?;
        for (k, layer) in self.layers.iter().enumerate() {
            write!(f, ",{layer}{}", self.marks_of(k))?;
        }
        write!(f, ",{}{}", self.output, self.marks_of(self.layers.len()))
    }
}

fn token_error(position: usize, token: &str, problem: impl Into<String>) -> ArchError {
    ArchError::Token {
        position,
        token: token.to_string(),
        problem: problem.into(),
    }
}

fn parse_size(position: usize, token: &str, what: &str) -> Result<usize, ArchError> {
    match token.parse::<usize>() {
        Ok(0) => Err(token_error(
            position,
            token,
            format!("the {what} must be positive"),
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(token_error(
            position,
            token,
            format!("the {what} must be a positive integer"),
        )),
    }
}

/// Splits the `!signs` / `!fixed` markers off the end of a token (in that order, each once).
fn split_marks(position: usize, token: &str) -> Result<(&str, Marks), ArchError> {
    let mut marks = Marks::default();
    let mut body = token;
    if let Some(rest) = body.strip_suffix("!fixed") {
        marks.fixed = true;
        body = rest;
    }
    if let Some(rest) = body.strip_suffix("!signs") {
        marks.signs = true;
        body = rest;
    }
    if let Some((_, unknown)) = body.split_once('!') {
        return Err(token_error(
            position,
            token,
            format!(
                "unknown marker `!{unknown}` (expected `!signs`, `!fixed` or `!signs!fixed`, in that order)"
            ),
        ));
    }
    Ok((body, marks))
}

fn parse_layer(position: usize, token: &str) -> Result<LayerSpec, ArchError> {
    let block = |skip, inner: &str| {
        let activation = inner
            .parse::<Activation>()
            .map_err(|p| token_error(position, token, p))?;
        Ok(LayerSpec::Block { activation, skip })
    };
    if let Some(inner) = token
        .strip_prefix("resz(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return block(Skip::Learned, inner);
    }
    if let Some(inner) = token
        .strip_prefix("resid(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return block(Skip::ResNetIdentity, inner);
    }
    if let Some(inner) = token.strip_prefix("res(").and_then(|r| r.strip_suffix(')')) {
        return block(Skip::PreActivation, inner);
    }
    let (body, bias) = match token.strip_suffix("+bias") {
        Some(body) => (body, true),
        None => (token, false),
    };
    let Some((act, width)) = body.rsplit_once(':') else {
        return Err(token_error(
            position,
            token,
            "expected ACT:WIDTH (e.g. relu:100), res(ACT), resid(ACT) or resz(ACT)",
        ));
    };
    let activation = act
        .parse::<Activation>()
        .map_err(|p| token_error(position, token, p))?;
    let width = match width.parse::<usize>() {
        Ok(0) | Err(_) => {
            return Err(token_error(
                position,
                token,
                format!("the width `{width}` must be a positive integer"),
            ));
        }
        Ok(w) => w,
    };
    Ok(LayerSpec::Dense {
        width,
        activation,
        bias,
    })
}

impl FromStr for Arch {
    type Err = ArchError;

    fn from_str(s: &str) -> Result<Self, ArchError> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() < 3 {
            return Err(ArchError::TooShort {
                text: s.to_string(),
                parts: if s.trim().is_empty() { 0 } else { parts.len() },
            });
        }
        let last = parts.len() - 1;
        let input = parse_size(1, parts[0], "input size")?;
        let (out, output_marks) = split_marks(last + 1, parts[last])?;
        let output = parse_size(last + 1, out, "output size")?;
        let mut marks = Vec::with_capacity(last);
        let layers = parts[1..last]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (body, m) = split_marks(i + 2, t)?;
                marks.push(m);
                parse_layer(i + 2, body)
            })
            .collect::<Result<Vec<_>, _>>()?;
        marks.push(output_marks);
        let mut arch = Arch {
            input,
            layers,
            output,
            marks: Vec::new(),
        };
        for (entry, m) in marks.into_iter().enumerate() {
            arch = arch.with_marks(entry, m);
        }
        arch.validate()?;
        Ok(arch)
    }
}

impl LayerSpec {
    /// A bias-free fully-connected layer of `width` units followed by `activation`.
    ///
    /// ```
    /// use models::{Activation, Arch, LayerSpec};
    /// let arch = Arch {
    ///     input: 10,
    ///     layers: vec![LayerSpec::dense(20, Activation::Relu), LayerSpec::dense(5, Activation::Linear)],
    ///     output: 1,
    ///     marks: Vec::new(),
    /// };
    /// assert_eq!(arch.to_string(), "10,relu:20,linear:5,1");
    /// ```
    pub fn dense(width: usize, activation: Activation) -> Self {
        LayerSpec::Dense {
            width,
            activation,
            bias: false,
        }
    }

    /// A residual block with `skip`, σ = `activation`.
    pub fn block(activation: Activation, skip: Skip) -> Self {
        LayerSpec::Block { activation, skip }
    }
}

impl Arch {
    /// Checks what the grammar alone cannot: positive sizes, finite slopes, a bias only on the
    /// first layer. `FromStr` already calls it; it is public for architectures built in code.
    pub fn validate(&self) -> Result<(), ArchError> {
        let render = self.to_string();
        if self.input == 0 {
            return Err(token_error(1, "0", "the input size must be positive"));
        }
        if self.layers.is_empty() {
            return Err(ArchError::TooShort {
                text: render,
                parts: 2,
            });
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let position = i + 2;
            let token = layer.to_string();
            let activation = match *layer {
                LayerSpec::Dense {
                    width,
                    activation,
                    bias,
                } => {
                    if width == 0 {
                        return Err(token_error(position, &token, "the width must be positive"));
                    }
                    if bias && i != 0 {
                        return Err(token_error(
                            position,
                            &token,
                            "+bias is only allowed on the first layer (a bias further in breaks the network's homogeneity)",
                        ));
                    }
                    activation
                }
                LayerSpec::Block { activation, .. } => activation,
            };
            if let Activation::LeakyRelu(slope) = activation
                && !slope.is_finite()
            {
                return Err(token_error(
                    position,
                    &token,
                    "the leaky relu slope must be finite",
                ));
            }
        }
        if self.output == 0 {
            let position = self.layers.len() + 2;
            return Err(token_error(
                position,
                "0",
                "the output size must be positive",
            ));
        }
        if !self.marks.is_empty() && self.marks.len() != self.layers.len() + 1 {
            return Err(ArchError::Marks {
                text: render,
                marks: self.marks.len(),
                entries: self.layers.len() + 1,
            });
        }
        if self.parameter_count().is_none() {
            return Err(ArchError::TooLarge { text: render });
        }
        Ok(())
    }

    /// The markers of entry `entry`: `layers[entry]`, or the output layer for
    /// `entry == layers.len()` (none for an entry past it).
    pub fn marks_of(&self, entry: usize) -> Marks {
        self.marks.get(entry).copied().unwrap_or_default()
    }

    /// The architecture with the markers of entry `entry` (as in [`Arch::marks_of`]) set to
    /// `marks` (an entry past the output layer has none to set); `marks` stays empty while no
    /// entry has a marker, so that an architecture parsed from a string without markers equals
    /// the one built in code.
    ///
    /// ```
    /// use models::{Activation, Arch, LayerSpec, Marks};
    /// let arch = Arch {
    ///     input: 100,
    ///     layers: vec![LayerSpec::dense(50, Activation::LeakyRelu(0.1))],
    ///     output: 1,
    ///     marks: Vec::new(),
    /// }
    /// .with_marks(1, Marks { signs: true, fixed: true });
    /// assert_eq!(arch.to_string(), "100,leaky(0.1):50,1!signs!fixed");
    /// ```
    pub fn with_marks(mut self, entry: usize, marks: Marks) -> Self {
        let entries = self.layers.len() + 1;
        if self.marks.len() != entries {
            self.marks = vec![Marks::default(); entries];
        }
        if let Some(m) = self.marks.get_mut(entry) {
            *m = marks;
        }
        if self.marks.iter().all(Marks::is_empty) {
            self.marks.clear();
        }
        self
    }

    /// The number of weights (every matrix and the first layer's bias), or None when it exceeds
    /// `usize::MAX`. Counted with checked arithmetic from the shapes alone, so a caller can size
    /// a network (or a checkpoint claiming to hold one) before allocating it: an unchecked
    /// product of two huge widths wraps around to a small number, or overflows a capacity.
    pub fn parameter_count(&self) -> Option<usize> {
        let (layers, _) = crate::layers::layer_list(self);
        let bias = match (self.has_bias(), layers.first()) {
            (true, Some(first)) => first.shape[0],
            _ => 0,
        };
        layers.iter().try_fold(bias, |total, layer| {
            let [rows, cols] = layer.shape;
            rows.checked_mul(cols)?.checked_add(total)
        })
    }

    /// The width of the hidden state after each entry of `layers` (blocks keep the width before them).
    pub fn widths(&self) -> Vec<usize> {
        let mut width = self.input;
        self.layers
            .iter()
            .map(|layer| {
                if let LayerSpec::Dense { width: w, .. } = layer {
                    width = *w;
                }
                width
            })
            .collect()
    }

    /// True if the first layer carries a bias.
    pub fn has_bias(&self) -> bool {
        matches!(
            self.layers.first(),
            Some(LayerSpec::Dense { bias: true, .. })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) -> Arch {
        let arch: Arch = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(arch.to_string(), s);
        assert_eq!(arch.to_string().parse::<Arch>().unwrap(), arch);
        arch
    }

    #[test]
    fn grammar_round_trips() {
        let a = roundtrip("20,relu:100,relu:100,linear:50,1");
        assert_eq!(a.input, 20);
        assert_eq!(a.output, 1);
        assert_eq!(a.widths(), vec![100, 100, 50]);
        roundtrip("10,linear:20,linear:20,linear:20,1");
        let r = roundtrip("20,relu:100,res(relu),res(relu),resz(relu),linear:20,1");
        assert_eq!(
            r.layers[3],
            LayerSpec::Block {
                activation: Activation::Relu,
                skip: Skip::Learned
            }
        );
        assert_eq!(r.widths(), vec![100, 100, 100, 100, 20]);
        let l = roundtrip("3,leaky(0.01):4+bias,res(leaky(-0.5)),resz(linear),2");
        assert!(l.has_bias());
        assert_eq!(
            l.layers[0],
            LayerSpec::Dense {
                width: 4,
                activation: Activation::LeakyRelu(0.01),
                bias: true
            }
        );
        roundtrip("5,res(relu),1");
        let i = roundtrip("5,relu:4,resid(leaky(0.2)),res(relu),1");
        assert_eq!(
            i.layers[1],
            LayerSpec::Block {
                activation: Activation::LeakyRelu(0.2),
                skip: Skip::ResNetIdentity
            }
        );
        assert_eq!(
            i.layers[2],
            LayerSpec::Block {
                activation: Activation::Relu,
                skip: Skip::PreActivation
            }
        );
    }

    #[test]
    fn whitespace_is_tolerated() {
        let a: Arch = " 4, relu:3 ,linear:2, 1 ".parse().unwrap();
        assert_eq!(a.to_string(), "4,relu:3,linear:2,1");
    }

    fn error(s: &str) -> String {
        s.parse::<Arch>().unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_token_and_the_problem() {
        assert!(error("").contains("0 comma-separated"), "{}", error(""));
        assert!(error("20,1").contains("2 comma-separated"));
        let e = error("x,relu:3,1");
        assert!(e.contains("part 1 `x`") && e.contains("input size"), "{e}");
        let e = error("4,relu:3,0");
        assert!(e.contains("part 3 `0`") && e.contains("output size"), "{e}");
        let e = error("4,tanh:3,1");
        assert!(
            e.contains("`tanh:3`") && e.contains("unknown activation `tanh`"),
            "{e}"
        );
        let e = error("4,relu:0,1");
        assert!(e.contains("width `0`"), "{e}");
        let e = error("4,relu:abc,1");
        assert!(e.contains("width `abc`"), "{e}");
        let e = error("4,relu,1");
        assert!(e.contains("expected ACT:WIDTH"), "{e}");
        let e = error("4,relu:3,relu:3+bias,1");
        assert!(e.contains("part 3") && e.contains("first layer"), "{e}");
        let e = error("4,leaky(x):3,1");
        assert!(e.contains("slope `x`"), "{e}");
        let e = error("4,leaky(inf):3,1");
        assert!(e.contains("finite"), "{e}");
        let e = error("4,res(sigmoid),1");
        assert!(e.contains("`res(sigmoid)`"), "{e}");
    }

    #[test]
    fn validate_catches_hand_built_mistakes() {
        let arch = Arch {
            input: 3,
            layers: vec![
                LayerSpec::Dense {
                    width: 2,
                    activation: Activation::Relu,
                    bias: false,
                },
                LayerSpec::Dense {
                    width: 2,
                    activation: Activation::Relu,
                    bias: true,
                },
            ],
            output: 1,
            marks: Vec::new(),
        };
        assert!(
            arch.validate()
                .unwrap_err()
                .to_string()
                .contains("first layer")
        );
        let empty = Arch {
            input: 3,
            layers: vec![],
            output: 1,
            marks: Vec::new(),
        };
        assert!(matches!(empty.validate(), Err(ArchError::TooShort { .. })));
    }

    #[test]
    fn parameter_count_counts_matrices_blocks_and_bias() {
        let count = |s: &str| s.parse::<Arch>().unwrap().parameter_count();
        assert_eq!(
            count("20,relu:40,linear:20,1"),
            Some(20 * 40 + 40 * 20 + 20)
        );
        assert_eq!(count("3,relu:4+bias,1"), Some(3 * 4 + 4 + 4));
        // A residual block keeps the width: Y and U are 5×5, a learned skip adds Z.
        assert_eq!(count("5,res(relu),1"), Some(2 * 25 + 5));
        assert_eq!(count("5,resz(relu),1"), Some(3 * 25 + 5));
        assert_eq!(
            count("20,relu:100000000000,1"),
            Some(20 * 100_000_000_000 + 100_000_000_000)
        );
    }

    /// Regression: `20,relu:18446744073709551615,1` parsed, and building the network panicked
    /// with a capacity overflow (20 × usize::MAX wrapped around).
    #[test]
    fn weights_beyond_usize_are_an_error_naming_the_architecture() {
        for s in [
            "20,relu:18446744073709551615,1",
            "2,linear:18446744073709551615,1",
            "1,linear:4294967296,linear:4294967296,1",
        ] {
            let e = error(s);
            assert_eq!(
                e,
                format!(
                    "architecture `{s}` has more than 18446744073709551615 weights, more than any machine can hold"
                )
            );
        }
        let huge = Arch {
            input: usize::MAX,
            layers: vec![LayerSpec::dense(2, Activation::Relu)],
            output: 1,
            marks: Vec::new(),
        };
        assert!(matches!(huge.validate(), Err(ArchError::TooLarge { .. })));
    }

    #[test]
    fn markers_round_trip_and_sit_on_their_entry() {
        let a = roundtrip("100,leaky(0.1):50,1!signs!fixed");
        assert_eq!(a.marks_of(0), Marks::default());
        assert_eq!(
            a.marks_of(1),
            Marks {
                signs: true,
                fixed: true
            }
        );
        let b = roundtrip("3,relu:4+bias!fixed,res(relu)!signs,linear:2!signs!fixed,1!fixed");
        assert!(b.marks_of(0).fixed && !b.marks_of(0).signs);
        assert!(b.marks_of(1).signs && !b.marks_of(1).fixed);
        assert_eq!(b.marks.len(), 4);
        // No marker anywhere: the same value as an architecture built in code.
        let plain = roundtrip("3,relu:4,1");
        assert!(plain.marks.is_empty());
        assert_eq!(
            plain.clone().with_marks(1, Marks::default()),
            plain,
            "clearing a marker that is not there changes nothing"
        );
        let marked = plain.clone().with_marks(
            1,
            Marks {
                signs: false,
                fixed: true,
            },
        );
        assert_eq!(marked.to_string(), "3,relu:4,1!fixed");
        assert_eq!(marked.with_marks(1, Marks::default()), plain);
    }

    #[test]
    fn bad_markers_name_the_token() {
        let e = error("4,relu:3!frozen,1");
        assert!(
            e.contains("part 2 `relu:3!frozen`") && e.contains("unknown marker `!frozen`"),
            "{e}"
        );
        let e = error("4,relu:3,1!fixed!signs");
        assert!(e.contains("part 3") && e.contains("in that order"), "{e}");
        let e = error("4,relu:3,x!fixed");
        assert!(e.contains("output size"), "{e}");
        let arch = Arch {
            marks: vec![Marks::default(); 5],
            ..roundtrip("4,relu:3,1")
        };
        assert!(matches!(arch.validate(), Err(ArchError::Marks { .. })));
    }
}
