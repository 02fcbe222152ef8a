//! Measuring one workload at the current rayon pool's thread count: ours, the floor and the
//! trainer interleaved, then the GEMM bound; and the per-op profile.

use std::hint::black_box;

use autodiff::Element;
use kernels::parallel::{Parallelism, Team};
use models::train::team_for;

use super::floor::Floor;
use super::gemms::GemmBound;
use super::ours::{TapeStep, TrainerStep};
use super::probe::Profile;
use super::report::Row;
use super::sample::{Plan, interleaved};
use super::workload::{Dtype, LEARNING_RATE, Workload};
use crate::timing::Settings;

/// Measures `workload` in element type `T` on the current rayon pool.
pub fn measure<T: Element>(workload: &Workload, dtype: Dtype, plan: Plan, gemm: Settings) -> Row {
    let (x, y) = workload.data::<T>();
    let net = workload.network::<T>();
    let mut floor = Floor::new(&net, &x, &y, LEARNING_RATE)
        .unwrap_or_else(|e| panic!("workload {}: {e}", workload.name));
    let calls = floor.gemm_calls();
    let mut ours = TapeStep::new(net, x.clone(), y.clone(), LEARNING_RATE);
    // The three contenders share the trainer's team (if the workload is worth one).
    let mut trainer = TrainerStep::new(workload.network::<T>(), &x, &y, LEARNING_RATE);
    ours.set_parallelism(trainer.parallelism().clone());
    floor.set_parallelism(trainer.parallelism().clone());
    let stats = interleaved(
        &mut [
            &mut || {
                black_box(ours.step());
            },
            &mut || {
                black_box(floor.step());
            },
            &mut || {
                black_box(trainer.step());
            },
        ],
        plan,
    );
    let bound = GemmBound::measure::<T>(&calls, gemm, trainer.parallelism());
    let us = |s: f64| s * 1e6;
    Row {
        workload: workload.name.to_string(),
        dtype: dtype.name().to_string(),
        threads: rayon::current_num_threads(),
        ours_us: us(stats[0].median),
        ours_steps_per_s: 1.0 / stats[0].median,
        ours_spread: stats[0].spread(),
        floor_us: us(stats[1].median),
        floor_spread: stats[1].spread(),
        ours_cpu_us: stats[0].cpu_median.map(us),
        floor_cpu_us: stats[1].cpu_median.map(us),
        trainer_us: us(stats[2].median),
        gemm_bound_us: us(bound.seconds()),
        gemm_flops: bound.flops(),
        gemm_gflops: bound.gflops(),
        peers: Vec::new(),
    }
}

/// Mean µs per step of each piece of work, for ours and for the floor, over `steps` steps after
/// a warm-up; plus the GEMM bound's products. As text.
pub fn profile<T: Element>(workload: &Workload, steps: usize, gemm: Settings) -> String {
    use std::fmt::Write as _;
    let (x, y) = workload.data::<T>();
    let net = workload.network::<T>();
    let mut floor = Floor::new(&net, &x, &y, LEARNING_RATE)
        .unwrap_or_else(|e| panic!("workload {}: {e}", workload.name));
    let team = team_for(&net, x.shape()[0]);
    let par = team.as_ref().map_or(Parallelism::NONE, Team::parallelism);
    floor.set_parallelism(par.clone());
    let mut ours = TapeStep::new(net, x, y, LEARNING_RATE);
    ours.set_parallelism(par.clone());
    let (mut po, mut pf) = (Profile::new(), Profile::new());
    for i in 0..steps + 3 {
        if i == 3 {
            (po, pf) = (Profile::new(), Profile::new());
        }
        po.begin_step();
        ours.step_probed(&mut po);
        pf.begin_step();
        floor.step_probed(&mut pf);
    }
    let mut s = String::new();
    let mut section = |title: &str, parts: Vec<(&'static str, f64)>| {
        let total: f64 = parts.iter().map(|p| p.1).sum();
        let _ = writeln!(s, "  {title}: {:.1} µs/step", total * 1e6);
        for (what, t) in parts {
            let _ = writeln!(
                s,
                "    {what:<16} {:>10.1} µs {:>5.1}%",
                t * 1e6,
                100.0 * t / total
            );
        }
    };
    section("ours (Network on its tape)", po.per_step());
    section("floor (hand-written)", pf.per_step());
    let bound = GemmBound::measure::<T>(&floor.gemm_calls(), gemm, &par);
    let _ = writeln!(
        s,
        "  GEMM bound: {:.1} µs/step, {:.1} MFLOP at {:.1} GFLOP/s",
        bound.seconds() * 1e6,
        bound.flops() as f64 / 1e6,
        bound.gflops()
    );
    for (call, secs) in &bound.calls {
        let _ = writeln!(
            s,
            "    {:<22} {:>9.1} µs {:>7.1} GFLOP/s",
            call.label(),
            secs * 1e6,
            crate::flops::gflops(call.flops(), *secs)
        );
    }
    s
}
