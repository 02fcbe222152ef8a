//! The mutation engine: a seeded generator and the edits it makes to the project's own files.

/// Inputs never grow past this many bytes per file, so that no mutant is itself a huge
/// allocation: a loader that allocates much more than its input asked for it from the content.
pub const MAX_LEN: usize = 1 << 16;

/// Numbers that break loaders: the edges of the integer types, sizes that overflow when
/// multiplied, the float specials and the values near the float limits.
const TOKENS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "255",
    "256",
    "65536",
    "4294967295",
    "4294967296",
    "100000000000",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "1e309",
    "1e154",
    "1e-320",
    "5e-324",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "infinity",
    "0x10",
    "1_000",
    "+1",
    ".5",
    "1.",
    "\u{feff}",
    "\0",
    ",",
    ",,",
    ":",
    "(",
    ")",
    "\"",
    "\n",
    "\r\n",
    " ",
    "relu:",
    "linear:",
    "leaky(0.1):",
    "res(relu)",
    "resid(linear)",
    "resz(relu)",
    "+bias",
    "f32",
    "f64",
    "null",
    "{}",
    "[]",
];

/// Raw words that break binary headers: zero, one, the signed and unsigned limits, in both byte
/// orders.
const WORDS: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// A small, fast, seeded generator (xorshift64*): the same seed gives the same mutants on every
/// machine, which is what makes a finding reproducible from its seed alone.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`; every seed, 0 included, gives a usable, distinct stream.
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed: xorshift must not start at zero, and nearby seeds must not
        // give nearby streams.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A mutant of one of `corpus`'s inputs (each a list of files): one file of it is edited one to
/// four times; splices take their material from the same file of another input.
pub fn mutate(corpus: &[Vec<Vec<u8>>], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut input = rng.pick(corpus).clone();
    let file = rng.below(input.len());
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        let donor = &rng.pick(corpus)[file];
        edit(&mut input[file], donor, rng);
    }
    input[file].truncate(MAX_LEN);
    input
}

/// One edit of `bytes`, possibly with material from `donor`.
fn edit(bytes: &mut Vec<u8>, donor: &[u8], rng: &mut Rng) {
    let at = |rng: &mut Rng, len: usize| rng.below(len + 1);
    match rng.below(10) {
        0 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
        }
        1 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] = rng.next_u64() as u8;
        }
        2 => {
            let i = at(rng, bytes.len());
            let n = 1 + rng.below(8);
            let fresh: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            bytes.splice(i..i, fresh);
        }
        3 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            let n = 1 + rng.below((bytes.len() - i).min(64));
            bytes.drain(i..i + n);
        }
        4 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            let n = 1 + rng.below((bytes.len() - i).min(64));
            let chunk = bytes[i..i + n].to_vec();
            let times = 1 + rng.below(16);
            bytes.splice(i..i, chunk.repeat(times));
        }
        5 if !donor.is_empty() => {
            let from = rng.below(donor.len());
            let n = 1 + rng.below(donor.len() - from);
            let i = at(rng, bytes.len());
            let end = (i + rng.below(n + 1)).min(bytes.len());
            bytes.splice(i..end, donor[from..from + n].iter().copied());
        }
        6 => {
            let token = rng.pick(TOKENS).as_bytes();
            let i = at(rng, bytes.len());
            bytes.splice(i..i, token.iter().copied());
        }
        7 if !bytes.is_empty() => {
            // A number in the text replaced by a token: "relu:40" becomes "relu:1e308".
            let digits: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i].is_ascii_digit())
                .collect();
            if let Some(&start) = digits.get(rng.below(digits.len().max(1))) {
                let end = (start..bytes.len())
                    .find(|&i| !bytes[i].is_ascii_digit() && bytes[i] != b'.')
                    .unwrap_or(bytes.len());
                let token = rng.pick(TOKENS).as_bytes();
                bytes.splice(start..end, token.iter().copied());
            }
        }
        8 if bytes.len() >= 4 => {
            let word = *rng.pick(WORDS);
            let width = if rng.below(2) == 0 { 4 } else { 8 }.min(bytes.len());
            let raw = if rng.below(2) == 0 {
                word.to_be_bytes()
            } else {
                word.to_le_bytes()
            };
            let i = rng.below(bytes.len() - width + 1);
            let value = if width == 4 && raw[..4] == [0; 4] {
                &raw[4..]
            } else {
                &raw[..width]
            };
            bytes[i..i + width].copy_from_slice(value);
        }
        _ if !bytes.is_empty() => {
            let n = rng.below(bytes.len());
            bytes.truncate(n);
        }
        _ => bytes.push(rng.next_u64() as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutants() {
        let corpus = vec![
            vec![b"10,relu:40,1".to_vec()],
            vec![b"3,linear:2,1".to_vec()],
        ];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutate(&corpus, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn mutants_stay_small() {
        let corpus = vec![vec![vec![b'7'; MAX_LEN]]];
        let mut rng = Rng::new(1);
        let longest = (0..500).map(|_| mutate(&corpus, &mut rng)[0].len()).max();
        assert_eq!(longest, Some(MAX_LEN));
    }

    #[test]
    fn almost_every_mutant_is_new() {
        let corpus = vec![vec![b"20,relu:40,linear:20,linear:20,1".to_vec()]];
        let mut rng = Rng::new(1);
        let same = (0..1000)
            .filter(|_| mutate(&corpus, &mut rng) == corpus[0])
            .count();
        assert!(same <= 10, "{same} of 1000 mutants are the seed itself");
    }

    #[test]
    fn below_covers_its_range() {
        let mut rng = Rng::new(0);
        let mut seen = [false; 5];
        (0..100).for_each(|_| seen[rng.below(5)] = true);
        assert_eq!(seen, [true; 5]);
    }
}
