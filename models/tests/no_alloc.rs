//! After warm-up, a training step (evaluate + update) allocates nothing on the heap, for every
//! step rule, full batch and mini-batch. Counted by `kernels::alloc_counter` on the test's thread
//! and its rayon workers.

use autodiff::{MarginLoss, Tensor};
use kernels::alloc_counter::{CountingAllocator, allocations, watch_threads};
use kernels::rng::Rng;
use models::{Arch, Init, Network, StepRule, TrainConfig, Trainer};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn training_steps_do_not_allocate_after_warm_up() {
    watch_threads();
    let arch: Arch = "4,relu:8+bias,res(relu),resz(leaky(0.1)),linear:4,1"
        .parse()
        .unwrap();
    let mut rng = Rng::new(1);
    let n = 12;
    let x = Tensor::from_vec((0..n * 4).map(|_| rng.normal()).collect(), &[n, 4]).unwrap();
    let y = Tensor::from_vec((0..n).map(|i| [1.0, -1.0][i % 2]).collect(), &[n]).unwrap();
    let rules = [
        "constant",
        "loss-normalized",
        "grad-normalized",
        "adaptive",
        "momentum",
        "adam",
    ];
    for rule in rules {
        for batch_size in [None, Some(5)] {
            let mut net = Network::<f64>::new(&arch, Init::He, 2);
            let cfg = TrainConfig {
                batch_size,
                ..TrainConfig::new(
                    MarginLoss::Logistic,
                    rule.parse::<StepRule>().unwrap(),
                    0.05,
                    0,
                )
            };
            let start = allocations();
            let mut trainer = Trainer::new(&net, &x, &y, &cfg).unwrap();
            assert!(allocations() > start, "the counter counts");
            for _ in 0..3 {
                trainer.evaluate(&mut net).unwrap();
                trainer.update(&mut net).unwrap();
            }
            let before = allocations();
            for _ in 0..10 {
                trainer.evaluate(&mut net).unwrap();
                trainer.update(&mut net).unwrap();
            }
            let count = allocations() - before;
            assert_eq!(
                count, 0,
                "{rule}, batch {batch_size:?}: {count} allocations in 10 steps"
            );
        }
    }
}
