//! The machine's fused multiply-add peak, measured: the ceiling the GEMM report compares against.
//!
//! Each measurement runs a loop of independent FMA chains (more chains than latency × pipes, so
//! the FMA units never wait) on one thread for a requested time and reports the best rate of its
//! batches. The instructions need run-time feature detection, so they sit in `#[target_feature]`
//! functions behind a safe, detecting entry point.

use std::time::{Duration, Instant};

use crate::Dtype;

/// The vector instruction set whose FMA peak is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512F: 512-bit `zmm` registers.
    Avx512,
    /// AVX2 with FMA3: 256-bit `ymm` registers.
    Avx2,
}

impl Isa {
    /// The name used in reports: `"avx512"` or `"avx2"`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
        }
    }

    /// True if this machine runs the instruction set.
    pub fn is_available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Isa::Avx512 => std::is_x86_feature_detected!("avx512f"),
                Isa::Avx2 => {
                    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// Independent accumulator chains: above the 8 that FMA latency (4 cycles) × 2 pipes needs, and
/// with the two constants still within the 16 `ymm` registers of AVX2.
const CHAINS: usize = 12;

/// Loop trips per timed batch: about a millisecond, long against the timer's resolution.
const BATCH: u64 = 400_000;

/// The single-thread FMA peak in GFLOP/s (an FMA counts as two flops) of `isa` on `dtype`,
/// measured for about `seconds`; `None` if this machine lacks the instruction set.
///
/// Run it on several threads at once to measure the multi-core peak.
pub fn fma_peak_gflops(isa: Isa, dtype: Dtype, seconds: f64) -> Option<f64> {
    if !isa.is_available() {
        return None;
    }
    let lanes = match (isa, dtype) {
        (Isa::Avx512, Dtype::F32) => 16,
        (Isa::Avx512, Dtype::F64) | (Isa::Avx2, Dtype::F32) => 8,
        (Isa::Avx2, Dtype::F64) => 4,
    };
    let flops_per_batch = (BATCH * (CHAINS * lanes * 2) as u64) as f64;
    let budget = Duration::from_secs_f64(seconds.max(0.0));
    let start = Instant::now();
    let mut best = 0.0f64;
    loop {
        let t = Instant::now();
        let sink = run_batch(isa, dtype);
        let elapsed = t.elapsed().as_secs_f64();
        std::hint::black_box(sink);
        best = best.max(flops_per_batch / elapsed / 1e9);
        if start.elapsed() >= budget {
            return Some(best);
        }
    }
}

/// One batch of the FMA loop; the caller has checked that `isa` is available.
#[cfg(target_arch = "x86_64")]
fn run_batch(isa: Isa, dtype: Dtype) -> f64 {
    // SAFETY: `fma_peak_gflops` only calls this after `Isa::is_available` confirmed the CPU
    // features each of these functions is compiled for.
    unsafe {
        match (isa, dtype) {
            (Isa::Avx512, Dtype::F32) => x86::avx512_f32(BATCH),
            (Isa::Avx512, Dtype::F64) => x86::avx512_f64(BATCH),
            (Isa::Avx2, Dtype::F32) => x86::avx2_f32(BATCH),
            (Isa::Avx2, Dtype::F64) => x86::avx2_f64(BATCH),
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn run_batch(_isa: Isa, _dtype: Dtype) -> f64 {
    unreachable!("no x86 instruction set is available off x86-64")
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::CHAINS;
    use std::arch::x86_64::*;

    /// `CHAINS` chains of acc ← acc·a + b, `trips` times; returns a lane sum so the work is kept.
    /// a < 1 makes every chain converge to b / (1 − a): no overflow, no subnormals.
    macro_rules! fma_loop {
        ($name:ident, $feature:literal, $set1:ident, $fma:ident, $store:ident, $ty:ty, $lanes:literal) => {
            #[target_feature(enable = $feature)]
            pub(super) fn $name(trips: u64) -> f64 {
                let a = $set1(0.999_9 as $ty);
                let b = $set1(1e-4 as $ty);
                let mut acc = [$set1(0.0 as $ty); CHAINS];
                for _ in 0..trips {
                    for x in acc.iter_mut() {
                        *x = $fma(*x, a, b);
                    }
                }
                let mut total = 0.0f64;
                for x in acc {
                    let mut lanes = [0.0 as $ty; $lanes];
                    // SAFETY: `lanes` holds exactly one vector; the store is unaligned.
                    unsafe { $store(lanes.as_mut_ptr(), x) };
                    total += lanes.iter().map(|&v| f64::from(v)).sum::<f64>();
                }
                total
            }
        };
    }

    fma_loop!(
        avx512_f32,
        "avx512f",
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_storeu_ps,
        f32,
        16
    );
    fma_loop!(
        avx512_f64,
        "avx512f",
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_storeu_pd,
        f64,
        8
    );
    fma_loop!(
        avx2_f32,
        "avx2,fma",
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_storeu_ps,
        f32,
        8
    );
    fma_loop!(
        avx2_f64,
        "avx2,fma",
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_storeu_pd,
        f64,
        4
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_positive_where_the_isa_exists_and_none_elsewhere() {
        for isa in [Isa::Avx512, Isa::Avx2] {
            for dtype in [Dtype::F32, Dtype::F64] {
                let peak = fma_peak_gflops(isa, dtype, 0.0);
                assert_eq!(peak.is_some(), isa.is_available(), "{}", isa.name());
                if let Some(g) = peak {
                    assert!(
                        g.is_finite() && g > 0.0,
                        "{} {}: {g}",
                        isa.name(),
                        dtype.name()
                    );
                }
            }
        }
    }
}
