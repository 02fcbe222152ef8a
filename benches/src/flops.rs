//! Flop counts and rates.

/// Floating-point operations of an m×k by k×n product: one multiply and one add per term.
pub fn gemm_flops(m: usize, k: usize, n: usize) -> u64 {
    2 * (m as u64) * (k as u64) * (n as u64)
}

/// GFLOP/s of `flops` operations done in `seconds` (0 when no time was measured).
pub fn gflops(flops: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        flops as f64 / seconds / 1e9
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_two_flops_per_multiply_add() {
        assert_eq!(gemm_flops(2, 3, 4), 48);
        assert_eq!(gemm_flops(256, 784, 512), 205_520_896);
        assert_eq!(gemm_flops(0, 100, 100), 0);
        assert_eq!(gemm_flops(2048, 2048, 2048), 17_179_869_184);
    }

    #[test]
    fn rates_are_in_gflops() {
        assert_eq!(gflops(2_000_000_000, 0.5), 4.0);
        assert_eq!(gflops(1000, 0.0), 0.0);
    }
}
