//! The GEMM bound of a training step of a case: every product of its forward and backward pass
//! (as the `train-step` benchmark lists them, [`crate::train::floor::gemm_calls_for`]) timed
//! alone with `kernels::gemm` on the team a trainer would lead on the current pool, summed.

use std::time::Instant;

use kernels::parallel::{Parallelism, Team};
use models::train::team_for;
use models::{Init, Network};

use super::case::Case;
use crate::timing::Settings;
use crate::train::floor::gemm_calls_for;
use crate::train::gemms::GemmBound;

/// The bound of one case, and what building its network costs.
#[derive(Clone, Debug, PartialEq)]
pub struct StepBound {
    /// Floating-point operations of the products of one step (forward and backward).
    pub flops: u64,
    /// Their summed median seconds: the GEMM bound of one step.
    pub seconds: f64,
    /// Seconds to build the network at the runs' initialization (the runner counts it in the
    /// training phase).
    pub build_seconds: f64,
}

/// Measures the bound of a step of `case` in f32 on the current rayon pool.
pub fn measure(case: Case, init: Init, seed: u64, settings: Settings) -> Result<StepBound, String> {
    let arch = case.arch();
    let started = Instant::now();
    let net = Network::<f32>::new(&arch, init, seed);
    let build_seconds = started.elapsed().as_secs_f64();
    let calls = gemm_calls_for(&net, case.n)?;
    // The team a trainer of this network would lead (see `models::train::team_for`).
    let team = team_for(&net, case.n);
    drop(net);
    let par = team.as_ref().map_or(Parallelism::NONE, Team::parallelism);
    let bound = GemmBound::measure::<f32>(&calls, settings, &par);
    Ok(StepBound {
        flops: bound.flops(),
        seconds: bound.seconds(),
        build_seconds,
    })
}

/// The flops of one step of `case`, without timing anything.
pub fn step_flops(case: Case) -> Result<u64, String> {
    let arch = case.arch();
    let net = Network::<f32>::new(&arch, Init::Zeros, 0);
    Ok(gemm_calls_for(&net, case.n)?
        .iter()
        .map(|c| c.flops())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_at_width_512_on_the_whole_pair_is_57_gflop() {
        // Forward 2n(784·512 + 2·512² + 512); backward the weight gradients of every layer and
        // the input gradients of all but the first: about 3× the forward less 2n·784·512.
        let n = 12_000u64;
        let forward = 2 * n * (784 * 512 + 2 * 512 * 512 + 512);
        let first_input_grad = 2 * n * 784 * 512;
        let want = 3 * forward - first_input_grad;
        assert_eq!(
            step_flops(Case {
                width: 512,
                n: 12_000
            })
            .unwrap(),
            want
        );
        assert!((want as f64 / 1e9 - 57.0).abs() < 1.0, "{want}");
    }

    #[test]
    fn the_bound_is_timed() {
        let b = measure(Case { width: 8, n: 16 }, Init::He, 0, Settings::QUICK).unwrap();
        assert!(b.seconds > 0.0 && b.build_seconds >= 0.0);
        assert_eq!(b.flops, step_flops(Case { width: 8, n: 16 }).unwrap());
    }
}
