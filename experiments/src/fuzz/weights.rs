//! The network checkpoint (`models::load`, `--init`'s `models::load_weights_into`).

use std::path::Path;

use autodiff::Element;
use models::{Arch, Init, Network};

use super::{Input, Outcome, Target};

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
                metadata, which must save and load back the same) and `models::load_weights_into` \
                networks of the seeds' architectures, f64 and f32",
        files: &["net.safetensors"],
        seeds,
        run,
    }
}

/// Checkpoints written by `models::save`, into a scratch folder and read back.
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
        if let Ok(bytes) = saved.and_then(|()| std::fs::read(&path).map_err(|e| e.to_string())) {
            seeds.push(vec![bytes]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    seeds
}

fn run(dir: &Path) -> Outcome {
    let path = dir.join("net.safetensors");
    let mut outcomes = vec![load::<f64>(dir, &path), load::<f32>(dir, &path)];
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

/// `models::load` as `T`; what it accepts must save and load back the same network.
fn load<T: Element>(dir: &Path, path: &Path) -> Outcome {
    let net = match models::load::<T>(path) {
        Ok(net) => net,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let again = dir.join("again.safetensors");
    let reloaded = models::save(&net, &again).and_then(|()| models::load::<T>(&again));
    match reloaded {
        Ok(back) if back.arch() == net.arch() && same_weights(&back, &net) => Outcome::Accepted,
        Ok(back) => Outcome::Wrong(format!(
            "the network `{}` it loaded as {} saves and loads back as `{}` with other weights",
            net.arch(),
            T::NAME,
            back.arch()
        )),
        Err(e) => Outcome::Wrong(format!(
            "the network `{}` it loaded as {} does not save and load back: {e}",
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
