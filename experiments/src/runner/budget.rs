//! One size check before anything big is allocated: what a run will hold in memory, estimated
//! from its settings alone (architecture, data size, dtype, step rule, log schedule, metric
//! families) and compared with the memory this machine has.
//!
//! Without it a mistyped number gets as far as the allocator, which aborts the process (no
//! message worth the name, and an empty run folder left behind), or a size computation wraps
//! around. Every product here is checked: a part too large for a u64 count of bytes is simply
//! "more than this machine has". The estimates are upper bounds of the real footprint, within a
//! small factor, so a run that fits is never refused and one that cannot fit is refused early.

use std::fmt;
use std::mem::size_of;

use kernels::Dtype;
use models::{Arch, StepRule};

use crate::metrics::log::Row;
use crate::metrics::{BLOCK_ENTRIES, Family, Metric, MetricSet, joint_states};

/// Where [`Memory::of_this_machine`] reads the memory.
const MEMINFO: &str = "/proc/meminfo";

/// The memory a run may use: how many bytes, and where that number comes from (said in errors,
/// so a refusal can be checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Bytes available.
    pub bytes: u64,
    /// Where the number comes from, e.g. `MemAvailable in /proc/meminfo`.
    pub source: String,
}

impl Memory {
    /// The memory available now: `MemAvailable` of /proc/meminfo, else its `MemTotal` (kernels
    /// before 3.14). Where neither can be read (not Linux), only what no allocation could ever
    /// hold is refused (`isize::MAX` bytes): a guess of the memory would refuse runs that fit.
    pub fn of_this_machine() -> Self {
        match std::fs::read_to_string(MEMINFO) {
            Ok(text) => Self::from_meminfo(&text).unwrap_or_else(|| {
                Self::unknown(format!("{MEMINFO} has neither MemAvailable nor MemTotal"))
            }),
            Err(e) => Self::unknown(format!("{MEMINFO}: {e}")),
        }
    }

    /// The memory /proc/meminfo's text gives, None when it has neither field.
    fn from_meminfo(text: &str) -> Option<Self> {
        let field = |name: &str| {
            text.lines().find_map(|line| {
                let value = line.strip_prefix(name)?.strip_prefix(':')?;
                let kib = value
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse::<u64>()
                    .ok()?;
                Some(Memory {
                    bytes: kib.saturating_mul(1024),
                    source: format!("{name} in {MEMINFO}"),
                })
            })
        };
        field("MemAvailable").or_else(|| field("MemTotal"))
    }

    fn unknown(why: String) -> Self {
        Memory {
            bytes: isize::MAX as u64,
            source: format!("the most one allocation can hold; the memory is unknown: {why}"),
        }
    }
}

/// One part of what a run will hold, and the setting that asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// What the bytes are for, e.g. `weights`.
    pub what: String,
    /// The setting asking for them as the user gave it, e.g. `--arch 20,relu:100,1`.
    pub asker: String,
    /// The bytes; None when their number exceeds u64 (more than any machine has).
    pub bytes: Option<u64>,
}

impl Need {
    /// `bytes` of `what`, asked for by `asker`.
    pub fn new(what: impl Into<String>, asker: impl Into<String>, bytes: Option<u64>) -> Self {
        Self {
            what: what.into(),
            asker: asker.into(),
            bytes,
        }
    }
}

/// A run too big for the memory: every part of it, and the memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooBig {
    /// The parts, largest first.
    pub needs: Vec<Need>,
    /// What the machine has.
    pub memory: Memory,
}

impl fmt::Display for TooBig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let largest = &self.needs[0];
        write!(
            f,
            "{} asks for {} of {}",
            largest.asker,
            show(largest.bytes),
            largest.what
        )?;
        if self.needs.len() > 1 {
            let parts: Vec<String> = self
                .needs
                .iter()
                .map(|n| format!("{} of {}", show(n.bytes), n.what))
                .collect();
            write!(
                f,
                " (in all {}: {})",
                show(total(&self.needs)),
                parts.join(", ")
            )?;
        }
        write!(
            f,
            "; this machine has {} ({})",
            show(Some(self.memory.bytes)),
            self.memory.source
        )
    }
}

/// Checks that `needs` fit together in `memory`.
pub fn check(needs: &[Need], memory: &Memory) -> Result<(), TooBig> {
    match total(needs) {
        Some(bytes) if bytes <= memory.bytes => Ok(()),
        _ => {
            let mut needs = needs.to_vec();
            // None (beyond u64) sorts as the largest.
            needs.sort_by_key(|n| std::cmp::Reverse(n.bytes.map_or(u128::MAX, u128::from)));
            Err(TooBig {
                needs,
                memory: memory.clone(),
            })
        }
    }
}

/// The sum of the parts, None beyond u64.
fn total(needs: &[Need]) -> Option<u64> {
    needs
        .iter()
        .try_fold(0u64, |sum, n| sum.checked_add(n.bytes?))
}

/// Bytes in decimal units with one decimal (`8.0 TB`), `more than 18.4 EB` beyond u64.
pub fn show(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return format!("more than {}", show(Some(u64::MAX)));
    };
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The settings of a run that decide its size.
#[derive(Clone, Copy, Debug)]
pub struct RunSize<'a> {
    /// The network.
    pub arch: &'a Arch,
    /// Training examples (the batch: training is full-batch).
    pub examples: usize,
    /// Features per example.
    pub features: usize,
    /// The dtype trained in.
    pub dtype: Dtype,
    /// The step rule (its optimizer state).
    pub rule: StepRule,
    /// Logged steps.
    pub logs: usize,
    /// The metric families computed at each log.
    pub metrics: &'a MetricSet,
}

/// The settings that ask for each part of a run, as the user gave them (flags, or the values
/// an experiment derived from its flags), named in a refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Askers {
    /// The network (weights and activations), e.g. `--arch 20,relu:100,1`.
    pub network: String,
    /// The data, e.g. `--data gaussian:n=100`.
    pub data: String,
    /// The log schedule, e.g. `--steps 1000 with --log-every 1`.
    pub logs: String,
    /// The metric families, e.g. `--metrics all`.
    pub metrics: String,
}

/// Bytes a metrics row takes in the log: the row and its entity's name (`layers.12.weight`,
/// `layers.0.weight>layers.1.weight` for a pair, a short string on the heap).
const ROW_BYTES: u64 = size_of::<Row>() as u64 + 40;

/// What a run of `size` will hold at its peak, part by part. An architecture whose weights
/// cannot be counted (see [`Arch::parameter_count`]) gives parts beyond u64.
pub fn run_needs(size: &RunSize<'_>, askers: &Askers) -> Vec<Need> {
    let element = match size.dtype {
        Dtype::F32 => 4u64,
        Dtype::F64 => 8,
    };
    let (layers, pairs) = models::layers::layer_list(size.arch);
    let parameters = size.arch.parameter_count().map(|p| p as u64);
    let examples = size.examples as u64;
    let features = size.features as u64;
    // Per weight: itself, its gradient, the last good copy kept against divergence and the
    // checkpoint's encoding (4 in the training dtype), the optimizer's buffers, and the f64
    // copy the metrics read.
    let states = match size.rule {
        StepRule::Momentum { .. } => 1,
        StepRule::Adam { .. } | StepRule::Adaptive { .. } => 2,
        _ => 0,
    };
    let per_weight = element * (4 + states) + 8;
    let weights = parameters.and_then(|p| p.checked_mul(per_weight));
    // Per example and unit (the input and every matrix's outputs): the product and its
    // activation forward, their gradients backward (4 in the training dtype), and the f64
    // outputs the metrics read.
    let units = layers
        .iter()
        .try_fold(features, |sum, l| sum.checked_add(l.shape[0] as u64));
    let activations = units
        .and_then(|u| u.checked_mul(examples))
        .and_then(|entries| entries.checked_mul(4 * element + 8));
    // The inputs in f64, in the training dtype and in the SVM's copy, and the labels.
    let data = examples
        .checked_mul(features)
        .and_then(|entries| entries.checked_mul(16 + element))
        .and_then(|bytes| bytes.checked_add(examples.checked_mul(8 + element)?));
    // Spectra and alignments decompose f64 copies of the matrices (the copy and its workspace);
    // the invariance drifts keep the step-0 weights and four factors of each pair, plus one
    // block of Δ.
    let has = |f| size.metrics.has(f);
    let mut per_metric_weight: u64 = 0;
    if has(Family::Spectral) || has(Family::Alignment) {
        per_metric_weight += 2 * 8;
    }
    if has(Family::FullSpectrum) {
        // The Jacobi SVD's f64 copy of a layer, its columns, their normalized copy and the
        // rotation: at most four f64 per weight.
        per_metric_weight += 4 * 8;
    }
    let mut fixed = 0;
    if has(Family::Direction) {
        // The n × parameters Jacobian of the margins, the copy the least squares reads and its
        // QR workspace, and the previous log's parameters.
        per_metric_weight = per_metric_weight
            .saturating_add(examples.saturating_mul(3 * 8))
            .saturating_add(8);
    }
    if has(Family::Invariance) {
        per_metric_weight += 5 * 8;
        fixed += BLOCK_ENTRIES as u64 * 8;
    }
    let metrics = parameters
        .and_then(|p| p.checked_mul(per_metric_weight))
        .and_then(|b| b.checked_add(fixed));
    // Each log records at most every metric of a network run (not a completion's, and the
    // direction family's only when it is computed), of each matrix, of each pair and of each
    // state written by a learned-skip block.
    let kinds: Vec<_> = layers.iter().map(|l| l.kind).collect();
    let states = joint_states(&kinds, &pairs).len();
    let direction = if has(Family::Direction) {
        0
    } else {
        Metric::DIRECTION.len()
    };
    let network_metrics = Metric::ALL.len() - Metric::COMPLETION.len() - direction;
    let rows_per_log = (network_metrics * (1 + layers.len() + pairs.len() + states)) as u64;
    // The full spectra: min(out, in) values per matrix, kept and copied into checkpoints.
    let spectra_per_log: u64 = if has(Family::FullSpectrum) {
        layers
            .iter()
            .map(|l| 2 * 8 * l.shape[0].min(l.shape[1]) as u64)
            .sum()
    } else {
        0
    };
    let log = (size.logs as u64)
        .checked_mul(rows_per_log * ROW_BYTES + size_of::<usize>() as u64 + spectra_per_log);
    vec![
        Need::new("weights", &askers.network, weights),
        Need::new(
            format!("activations for {} examples", size.examples),
            &askers.network,
            activations,
        ),
        Need::new(
            format!(
                "data for {} examples × {} features",
                size.examples, size.features
            ),
            &askers.data,
            data,
        ),
        Need::new("metrics workspace", &askers.metrics, metrics),
        Need::new(
            format!("metrics log for {} logs", size.logs),
            &askers.logs,
            log,
        ),
    ]
}

/// Checks that a run of `size` fits in this machine's memory, naming the setting that asks
/// for the most in a refusal.
pub fn check_run(size: &RunSize<'_>, askers: &Askers) -> Result<(), TooBig> {
    check(&run_needs(size, askers), &Memory::of_this_machine())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(bytes: u64) -> Memory {
        Memory {
            bytes,
            source: "test".to_string(),
        }
    }

    fn askers() -> Askers {
        Askers {
            network: "--arch A".to_string(),
            data: "--data D".to_string(),
            logs: "--steps S".to_string(),
            metrics: "--metrics M".to_string(),
        }
    }

    #[test]
    fn meminfo_prefers_available_then_total() {
        let text = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n";
        let m = Memory::from_meminfo(text).unwrap();
        assert_eq!(m.bytes, 20_000_000 * 1024);
        assert_eq!(m.source, "MemAvailable in /proc/meminfo");
        let old = Memory::from_meminfo("MemTotal: 1000 kB\n").unwrap();
        assert_eq!(
            (old.bytes, old.source.as_str()),
            (1_024_000, "MemTotal in /proc/meminfo")
        );
        assert_eq!(Memory::from_meminfo("MemFree: 3 kB\n"), None);
        assert_eq!(Memory::from_meminfo("MemAvailable: lots kB\n"), None);
        assert!(Memory::of_this_machine().bytes > 0);
    }

    #[test]
    fn bytes_are_shown_in_decimal_units() {
        assert_eq!(show(Some(0)), "0 B");
        assert_eq!(show(Some(999)), "999 B");
        assert_eq!(show(Some(1000)), "1.0 kB");
        assert_eq!(show(Some(8_000_000_000_000)), "8.0 TB");
        assert_eq!(show(Some(999_960_000)), "1.0 GB");
        assert_eq!(show(Some(u64::MAX)), "18.4 EB");
        assert_eq!(show(None), "more than 18.4 EB");
    }

    #[test]
    fn a_refusal_names_the_largest_part_its_asker_and_the_memory() {
        let needs = [
            Need::new("weights", "--arch A", Some(8_000_000_000_000)),
            Need::new("data", "--data D", Some(2_000)),
        ];
        assert_eq!(check(&needs, &memory(8_000_000_002_000)), Ok(()));
        let e = check(&needs, &memory(24 << 30)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--arch A asks for 8.0 TB of weights (in all 8.0 TB: 8.0 TB of weights, 2.0 kB of \
             data); this machine has 25.8 GB (test)"
        );
        let overflow = [
            Need::new("data", "--data D", Some(5)),
            Need::new("weights", "--arch A", None),
        ];
        let e = check(&overflow, &memory(u64::MAX)).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "--arch A asks for more than 18.4 EB of weights (in all more than 18.4 EB:"
            ),
            "{e}"
        );
        let one = [Need::new("data", "--data D", Some(3_000))];
        assert_eq!(
            check(&one, &memory(2_000)).unwrap_err().to_string(),
            "--data D asks for 3.0 kB of data; this machine has 2.0 kB (test)"
        );
    }

    fn size<'a>(arch: &'a Arch, metrics: &'a MetricSet, logs: usize) -> RunSize<'a> {
        RunSize {
            arch,
            examples: 200,
            features: 20,
            dtype: Dtype::F64,
            rule: StepRule::GradNormalized,
            logs,
            metrics,
        }
    }

    #[test]
    fn run_needs_follow_the_formulas() {
        let arch: Arch = "20,relu:40,linear:20,1".parse().unwrap();
        let none: MetricSet = "none".parse().unwrap();
        let needs = run_needs(&size(&arch, &none, 10), &askers());
        let bytes: Vec<Option<u64>> = needs.iter().map(|n| n.bytes).collect();
        let parameters = 20 * 40 + 40 * 20 + 20;
        let units = 20 + 40 + 20 + 1;
        let rows = 27 * (1 + 3 + 2);
        assert_eq!(
            bytes,
            vec![
                Some(parameters * (8 * 4 + 8)),
                Some(200 * units * (4 * 8 + 8)),
                Some(200 * 20 * 24 + 200 * 16),
                Some(0),
                Some(10 * (rows * ROW_BYTES + 8)),
            ]
        );
        assert_eq!(needs[1].what, "activations for 200 examples");
        assert_eq!(needs[2].asker, "--data D");
        let all = MetricSet::all();
        let with_all = run_needs(&size(&arch, &all, 10), &askers());
        assert_eq!(
            with_all[3].bytes,
            Some(parameters * 7 * 8 + BLOCK_ENTRIES as u64 * 8)
        );
        let adam = RunSize {
            rule: StepRule::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            dtype: Dtype::F32,
            ..size(&arch, &none, 10)
        };
        assert_eq!(
            run_needs(&adam, &askers())[0].bytes,
            Some(parameters * (4 * 6 + 8))
        );
    }

    /// Regression: `--arch 20,relu:100000000000,1` aborted allocating its weights, and the
    /// default run fits with room to spare.
    #[test]
    fn the_default_run_fits_and_a_huge_width_does_not() {
        let cheap = MetricSet::cheap();
        let default: Arch = "20,relu:40,linear:20,linear:20,1".parse().unwrap();
        let needs = run_needs(&size(&default, &cheap, 200), &askers());
        assert!(total(&needs).unwrap() < 50_000_000, "{needs:?}");
        let huge: Arch = "20,relu:100000000000,1".parse().unwrap();
        let e = check_run(&size(&huge, &cheap, 200), &askers()).unwrap_err();
        assert_eq!(e.needs[0].what, "activations for 200 examples");
        assert_eq!(e.needs[0].bytes, Some(200 * (20 + 100_000_000_001) * 40));
        assert!(
            e.to_string().starts_with("--arch A asks for 800.0 TB"),
            "{e}"
        );
    }
}
