//! The architecture grammar: `--arch` values and the `arch` of every checkpoint's metadata.

use std::path::Path;

use models::{Arch, Init, Network};

use super::{Outcome, Target};

/// The architectures the binaries use by default, and one of each kind of layer.
const SEEDS: &[&str] = &[
    "20,relu:40,linear:20,linear:20,1",
    "10,relu:20,linear:10,linear:10,1",
    "64,relu:100,relu:100,1",
    "64,relu:32,resid(relu),res(relu),resz(relu),1",
    "784,relu:512,linear:512,linear:512,1",
    "10,relu:8,linear:8,1",
    "10,linear:8,1",
    "3,leaky(0.1):4+bias,res(leaky(0.2)),2",
];

/// Networks up to this many parameters are built and run by the target: enough for every
/// layer kind, small enough to take microseconds.
const BUILD_LIMIT: usize = 1 << 14;

/// The `arch` target.
pub(super) fn target() -> Target {
    Target {
        name: "arch",
        about: "the architecture grammar (`models::Arch` from text), its round trip through its \
                text form, and a small network built from it",
        files: &["arch.txt"],
        seeds: || SEEDS.iter().map(|s| vec![s.as_bytes().to_vec()]).collect(),
        run,
    }
}

fn run(dir: &Path) -> Outcome {
    let text = match std::fs::read(dir.join("arch.txt")) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let arch: Arch = match text.parse() {
        Ok(arch) => arch,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let shown = arch.to_string();
    match shown.parse::<Arch>() {
        Ok(again) if again == arch && again.to_string() == shown => {}
        Ok(again) => {
            return Outcome::Wrong(format!(
                "`{text}` shows as `{shown}`, which reads back as `{again}`"
            ));
        }
        Err(e) => {
            return Outcome::Wrong(format!(
                "`{text}` shows as `{shown}`, which does not parse: {e}"
            ));
        }
    }
    if let Err(e) = arch.validate() {
        return Outcome::Refused(e.to_string());
    }
    if parameters(&arch).is_some_and(|p| p <= BUILD_LIMIT) {
        let mut net = match Network::<f64>::try_new(&arch, Init::He, 1) {
            Ok(net) => net,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let x = match autodiff::Tensor::from_vec(vec![0.5; 2 * arch.input], &[2, arch.input]) {
            Ok(x) => x,
            Err(e) => return Outcome::Wrong(format!("no input fits `{arch}`: {e}")),
        };
        let out = net.predict(&x);
        if out.shape() != [2, arch.output] {
            return Outcome::Wrong(format!("`{arch}` gives outputs of shape {:?}", out.shape()));
        }
    }
    Outcome::Accepted
}

/// An upper bound on the parameter count of `arch` (None when it overflows): every layer is
/// counted as three square matrices of the widest width (a learned-skip block has three), which is
/// never less than the real count.
fn parameters(arch: &Arch) -> Option<usize> {
    let widths = arch.widths();
    let widest = widths
        .iter()
        .copied()
        .chain([arch.input, arch.output])
        .max()?;
    widest
        .checked_mul(widest)?
        .checked_mul(3)?
        .checked_mul(widths.len() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_is_accepted() {
        let dir = super::super::scratch("arch-seeds");
        for input in (target().seeds)() {
            super::super::write_input(&target(), &input, &dir).unwrap();
            assert_eq!(
                run(&dir),
                Outcome::Accepted,
                "{:?}",
                String::from_utf8_lossy(&input[0])
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_arch_is_refused_with_the_parsers_message() {
        let dir = super::super::scratch("arch-bad");
        let input: super::super::Input = vec![b"10,relu:x,1".to_vec()];
        super::super::write_input(&target(), &input, &dir).unwrap();
        let Outcome::Refused(message) = run(&dir) else {
            panic!("refused expected");
        };
        assert!(message.contains("`x`"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
