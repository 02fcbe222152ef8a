//! The network checkpoint (`models::load`, `--init`'s `models::load_weights_into`).

use std::path::Path;

use autodiff::Element;
use models::{Arch, Init, Network};

use super::{Input, Outcome, Target, layout};

/// The networks whose checkpoints seed the target: every layer kind, a bias, f64 and f32.
const ARCHS: &[&str] = &[
    "10,relu:8,linear:8,1",
    "6,relu:4,resid(relu),res(relu),resz(relu),1",
    "3,leaky(0.1):4+bias,linear:3,1",
];

/// The `weights` target.
pub(super) fn target() -> Target {
    Target {
        name: "weights",
        about: "the safetensors network checkpoint: `models::load` (the network rebuilt from the \
                metadata, whose weights `models::load_weights_into` must read the same) and \
                `models::load_weights_into` networks of the seeds' architectures, f64 and f32",
        files: layout::FILES,
        seeds,
        run,
    }
}

/// Checkpoints written by `models::save`, into a scratch folder and read back, split into
/// their parts.
fn seeds() -> Vec<Input> {
    let dir = super::scratch("weights-seeds");
    let mut seeds = Vec::new();
    for (i, arch) in ARCHS.iter().enumerate() {
        let Ok(arch) = arch.parse::<Arch>() else {
            continue;
        };
        let path = dir.join(format!("{i}.safetensors"));
        let saved = std::fs::create_dir_all(&dir).map_err(|e| e.to_string());
        let saved = saved.and_then(|()| {
            if i % 2 == 0 {
                models::save(&Network::<f64>::new(&arch, Init::He, 1), &path)
            } else {
                models::save(&Network::<f32>::new(&arch, Init::He, 1), &path)
            }
            .map_err(|e| e.to_string())
        });
        let bytes = saved.and_then(|()| std::fs::read(&path).map_err(|e| e.to_string()));
        if let Some(parts) = bytes.ok().and_then(|b| layout::split(&b)) {
            seeds.push(parts);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    seeds
}

fn run(dir: &Path) -> Outcome {
    let path = match layout::assemble(dir, "net.safetensors") {
        Ok(path) => path,
        Err(e) => return Outcome::Refused(format!("cannot assemble the checkpoint: {e}")),
    };
    let mut outcomes = vec![load::<f64>(&path), load::<f32>(&path)];
    for arch in ARCHS.iter().filter_map(|a| a.parse::<Arch>().ok()) {
        let mut net = Network::<f64>::new(&arch, Init::Zeros, 0);
        outcomes.push(match models::load_weights_into(&mut net, &path) {
            Ok(()) => Outcome::Accepted,
            Err(e) => Outcome::Refused(e.to_string()),
        });
    }
    // The worst outcome: something wrong, then an empty message, then an acceptance.
    let rank = |o: &Outcome| match o {
        Outcome::Wrong(_) => 0,
        Outcome::Refused(m) if m.trim().is_empty() => 1,
        Outcome::Accepted => 2,
        Outcome::Refused(_) => 3,
    };
    outcomes
        .into_iter()
        .min_by_key(rank)
        .unwrap_or(Outcome::Accepted)
}

/// `models::load` as `T`; what it accepts, `models::load_weights_into` a network of the same
/// architecture must read the same, bit for bit.
fn load<T: Element>(path: &Path) -> Outcome {
    let net = match models::load::<T>(path) {
        Ok(net) => net,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let mut again = Network::<T>::new(net.arch(), Init::Zeros, 0);
    match models::load_weights_into(&mut again, path) {
        Ok(()) if same_weights(&again, &net) => Outcome::Accepted,
        Ok(()) => Outcome::Wrong(format!(
            "the network `{}` it loaded as {} has other weights than load_weights_into reads",
            net.arch(),
            T::NAME
        )),
        Err(e) => Outcome::Wrong(format!(
            "the network `{}` it loaded as {} cannot be loaded into: {e}",
            net.arch(),
            T::NAME
        )),
    }
}

/// Bit-for-bit equal parameters (NaN included).
fn same_weights<T: Element>(a: &Network<T>, b: &Network<T>) -> bool {
    let bits = |n: &Network<T>| -> Vec<(String, Vec<u64>)> {
        n.named_params()
            .into_iter()
            .map(|(name, t)| {
                (
                    name,
                    t.data().iter().map(|v| v.to_f64().to_bits()).collect(),
                )
            })
            .collect()
    };
    bits(a) == bits(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{scratch, write_input};

    #[test]
    fn every_seed_is_written_and_accepted() {
        let seeds = seeds();
        assert_eq!(seeds.len(), ARCHS.len());
        let dir = scratch("weights-accept");
        for input in seeds {
            write_input(&target(), &input, &dir).unwrap();
            assert_eq!(run(&dir), Outcome::Accepted);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
