//! A small deterministic random number generator (xoshiro256++ seeded through SplitMix64).
//!
//! Every crate draws its random numbers from here, so a seed means the same numbers on every
//! machine, every thread count and every version of the dependencies.

/// A seeded pseudo-random generator: xoshiro256++, with Gaussian draws by the Box–Muller method.
#[derive(Clone, Debug)]
pub struct Rng {
    state: [u64; 4],
    spare_normal: Option<f64>,
}

/// The state of an [`Rng`], to store in a checkpoint and continue from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RngState {
    /// The xoshiro256++ words.
    pub words: [u64; 4],
    /// The second value of the last Box–Muller pair, not yet drawn.
    pub spare_normal: Option<f64>,
}

/// One SplitMix64 step: expands a seed into well-mixed state words.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        let state = [
            splitmix64(&mut s),
            splitmix64(&mut s),
            splitmix64(&mut s),
            splitmix64(&mut s),
        ];
        Self {
            state,
            spare_normal: None,
        }
    }

    /// The generator's whole state: the four xoshiro words and the spare Gaussian draw, if any
    /// (for checkpoints: [`Rng::from_state`] continues the stream exactly).
    pub fn state(&self) -> RngState {
        RngState {
            words: self.state,
            spare_normal: self.spare_normal,
        }
    }

    /// The generator whose state [`Rng::state`] returned: it continues that stream exactly.
    pub fn from_state(state: RngState) -> Self {
        Self {
            state: state.words,
            spare_normal: state.spare_normal,
        }
    }

    /// An independent generator for sub-stream `stream` of this seed, leaving `self` untouched
    /// (so adding a consumer of randomness does not shift the numbers another consumer sees).
    pub fn fork(&self, stream: u64) -> Self {
        let mut s = self.state[0] ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self::new(splitmix64(&mut s) ^ self.state[3])
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.state;
        let result = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let mut s = [s0, s1, s2 ^ s0, s3 ^ s1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        self.state = s;
        result
    }

    /// A uniform draw from [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: the range 0..0 is empty");
        // Lemire's multiply-shift; the bias is below 2^-64 * n and irrelevant here.
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A standard normal draw (mean 0, variance 1).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // Box–Muller: 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        self.spare_normal = Some(radius * angle.sin());
        radius * angle.cos()
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_stream_and_forks_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut f1 = a.fork(1);
        let mut f2 = a.fork(2);
        assert_ne!(f1.next_u64(), f2.next_u64());
    }

    #[test]
    fn a_generator_rebuilt_from_its_state_continues_the_stream() {
        let mut a = Rng::new(3);
        a.next_u64();
        a.normal();
        let mut b = Rng::from_state(a.state());
        let xs: Vec<f64> = (0..5).map(|_| a.normal()).collect();
        let ys: Vec<f64> = (0..5).map(|_| b.normal()).collect();
        assert_eq!(xs, ys);
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut rng = Rng::new(42);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn uniform_and_below_stay_in_range() {
        let mut rng = Rng::new(3);
        for _ in 0..10_000 {
            let u = rng.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(rng.below(7) < 7);
        }
        let mut items: Vec<usize> = (0..50).collect();
        rng.shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(items, sorted);
    }
}
