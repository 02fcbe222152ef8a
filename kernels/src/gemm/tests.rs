//! GEMM against the scalar reference and the portable kernel: every kernel family, f32 and f64,
//! random shapes, strides and transposes, α/β combinations, NaN in C with β = 0, one and two
//! threads, and bitwise equality across thread counts.

use super::kernel_set::{self, KernelSet};
use super::{Finish, KernelKind, gemm_with, product, reference};
use crate::parallel::{Parallelism, Team};
use crate::rng::Rng;
use crate::{Element, MatMut, MatRef};

/// How a test matrix is laid out in its buffer.
#[derive(Clone, Copy, Debug)]
enum Layout {
    RowMajor,
    ColMajor,
    /// Row-major with padding after every row.
    Padded,
    /// Neither stride is 1.
    Strided,
}

impl Layout {
    fn random(rng: &mut Rng) -> Self {
        [
            Layout::RowMajor,
            Layout::ColMajor,
            Layout::Padded,
            Layout::Strided,
        ][rng.below(4)]
    }

    /// (row stride, column stride, buffer length) for a rows × cols matrix.
    fn strides(self, rows: usize, cols: usize) -> (usize, usize, usize) {
        let (rs, cs) = match self {
            Layout::RowMajor => (cols, 1),
            Layout::ColMajor => (1, rows),
            Layout::Padded => (cols + 3, 1),
            Layout::Strided => (2 * cols + 1, 2),
        };
        let len = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        };
        (rs.max(1), cs.max(1), len)
    }
}

/// A stored test matrix: its buffer and strides.
struct Stored<E> {
    data: Vec<E>,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<E: Element> Stored<E> {
    /// A rows × cols matrix of standard normal draws in `layout`; the slots between elements
    /// hold NaN so that reading one would show.
    fn random(rng: &mut Rng, rows: usize, cols: usize, layout: Layout) -> Self {
        let (rs, cs, len) = layout.strides(rows, cols);
        let mut data = vec![E::from_f64(f64::NAN); len];
        for i in 0..rows {
            for j in 0..cols {
                data[i * rs + j * cs] = E::from_f64(rng.normal());
            }
        }
        Self {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// A factor of the product: stored as given, or stored transposed and viewed through `.t()`.
    fn factor(rng: &mut Rng, rows: usize, cols: usize) -> (Self, bool) {
        let layout = Layout::random(rng);
        if rng.below(3) == 0 {
            (Self::random(rng, cols, rows, layout), true)
        } else {
            (Self::random(rng, rows, cols, layout), false)
        }
    }

    fn view(&self, transposed: bool) -> MatRef<'_, E> {
        let v = MatRef::new(&self.data, self.rows, self.cols, self.rs, self.cs).unwrap();
        if transposed { v.t() } else { v }
    }

    fn view_mut(&mut self) -> MatMut<'_, E> {
        MatMut::new(&mut self.data, self.rows, self.cols, self.rs, self.cs).unwrap()
    }

    fn get(&self, i: usize, j: usize) -> E {
        self.data[i * self.rs + j * self.cs]
    }
}

/// One random product and its inputs.
struct Case<E> {
    a: (Stored<E>, bool),
    b: (Stored<E>, bool),
    c: Stored<E>,
    alpha: E,
    beta: E,
}

impl<E: Element> Case<E> {
    fn random(rng: &mut Rng, m: usize, k: usize, n: usize) -> Self {
        let a = Stored::factor(rng, m, k);
        let b = Stored::factor(rng, k, n);
        let c_layout = Layout::random(rng);
        let mut c = Stored::random(rng, m, n, c_layout);
        let pick = |rng: &mut Rng| match rng.below(5) {
            0 => E::ZERO,
            1 => E::ONE,
            2 => -E::ONE,
            3 => E::from_f64(0.5),
            _ => E::from_f64(rng.normal()),
        };
        let alpha = if rng.below(10) == 0 {
            E::ZERO
        } else {
            pick(rng)
        };
        let beta = pick(rng);
        if beta == E::ZERO {
            // β = 0 must not read C: poison it.
            for i in 0..m {
                for j in 0..n {
                    c.data[i * c.rs + j * c.cs] = E::from_f64(f64::NAN);
                }
            }
        }
        Self {
            a,
            b,
            c,
            alpha,
            beta,
        }
    }

    fn a(&self) -> MatRef<'_, E> {
        self.a.0.view(self.a.1)
    }

    fn b(&self) -> MatRef<'_, E> {
        self.b.0.view(self.b.1)
    }

    /// C after the product computed by `kind` on the calling thread.
    fn run(&self, kind: KernelKind) -> Stored<E> {
        self.run_in(kind, &Parallelism::NONE)
    }

    /// C after the product computed by `kind` with `par`.
    fn run_in(&self, kind: KernelKind, par: &Parallelism) -> Stored<E> {
        let mut c = Stored {
            data: self.c.data.clone(),
            ..self.c
        };
        gemm_with(
            kind,
            self.alpha,
            self.a(),
            self.b(),
            self.beta,
            c.view_mut(),
            par,
        );
        c
    }

    /// C after the scalar reference (β = 0 handled as "C is not read").
    fn reference(&self) -> Stored<E> {
        let mut c = Stored {
            data: self.c.data.clone(),
            ..self.c
        };
        reference::gemm(self.alpha, self.a(), self.b(), self.beta, c.view_mut());
        c
    }

    /// The error bound of each C element: (k + 4)·ε·(|α|·Σ_p |a_ip·b_pj| + |β·c_ij|), the
    /// first-order bound of an FMA or multiply–add chain of length k plus the final scaling.
    fn bounds(&self) -> Vec<f64> {
        let (a, b) = (self.a(), self.b());
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        let eps = E::EPSILON.to_f64();
        let mut bounds = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                let magnitude: f64 = (0..k)
                    .map(|p| (a.get(i, p).to_f64() * b.get(p, j).to_f64()).abs())
                    .sum();
                let old = if self.beta == E::ZERO {
                    0.0
                } else {
                    self.c.get(i, j).to_f64()
                };
                bounds.push(
                    (k as f64 + 4.0)
                        * eps
                        * (self.alpha.to_f64().abs() * magnitude
                            + (self.beta.to_f64() * old).abs()),
                );
            }
        }
        bounds
    }

    /// Asserts that `got` and `want`, each within its bound of the exact product, differ by at
    /// most twice the bound element by element, and that no slot between C's elements changed.
    /// Runs the product with every kernel this machine supports and checks each against the
    /// scalar reference.
    fn check_every_kernel(&self, what: &str) {
        let (want, bounds) = (self.reference(), self.bounds());
        for kind in supported() {
            let got = self.run(kind);
            self.check(&bounds, &got, &want, &format!("{what}, {kind} {}", E::NAME));
        }
    }

    fn check(&self, bounds: &[f64], got: &Stored<E>, want: &Stored<E>, what: &str) {
        let (m, n) = (self.c.rows, self.c.cols);
        let mut in_view = vec![false; got.data.len()];
        for i in 0..m {
            for j in 0..n {
                in_view[i * self.c.rs + j * self.c.cs] = true;
                let bound = 2.0 * bounds[i * n + j];
                let (x, y) = (got.get(i, j).to_f64(), want.get(i, j).to_f64());
                assert!(
                    x.is_finite() && (x - y).abs() <= bound,
                    "{what}: {m}×{}·{}×{n}, α={} β={}: C[{i},{j}] = {x} vs {y} (bound {bound:e}); \
                     A strides {:?}{}, B strides {:?}{}, C strides {:?}",
                    self.a().cols(),
                    self.a().cols(),
                    self.alpha,
                    self.beta,
                    strides(&self.a.0),
                    if self.a.1 { "ᵀ" } else { "" },
                    strides(&self.b.0),
                    if self.b.1 { "ᵀ" } else { "" },
                    strides(&self.c),
                );
            }
        }
        for (idx, x) in got.data.iter().enumerate() {
            assert!(
                in_view[idx] || x.to_f64().is_nan(),
                "{what}: slot {idx} outside C written"
            );
        }
    }
}

fn strides<E>(s: &Stored<E>) -> (usize, usize) {
    (s.rs, s.cs)
}

/// Whether two results are the same number to the bit.
fn same_bits<E: Element>(x: E, y: E) -> bool {
    x.to_f64().to_bits() == y.to_f64().to_bits()
}

fn supported() -> Vec<KernelKind> {
    KernelKind::ALL
        .into_iter()
        .filter(|kind| kind.is_supported())
        .collect()
}

/// Sizes around every tile edge: 0, 1, primes, and just past the widest tiles.
const DIMS: [usize; 16] = [0, 1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 37, 64, 65, 97, 131];

fn random_shapes<E: Element>(seed: u64, cases: usize) {
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        let m = DIMS[rng.below(DIMS.len())];
        let k = DIMS[rng.below(DIMS.len())];
        let n = DIMS[rng.below(DIMS.len())];
        Case::<E>::random(&mut rng, m, k, n).check_every_kernel(&format!("case {case}"));
    }
}

#[test]
fn every_kernel_matches_the_reference_f32() {
    random_shapes::<f32>(1, 300);
}

#[test]
fn every_kernel_matches_the_reference_f64() {
    random_shapes::<f64>(2, 300);
}

/// Every height up to three tiles of the tallest narrow tile, on widths that take each narrow
/// tile and its half-vector ends: loop 2 cuts the rows into tiles of every height from half the
/// tallest up, in place by rows and by columns (the random layouts) or packed; the widths that
/// end a whole or half vector past the last full panel read that edge panel of B in place.
fn narrow_products_of_every_height<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    for m in 1..=49 {
        for n in [4, 8, 12, 16, 20, 24, 28, 32, 40, 48] {
            Case::<E>::random(&mut rng, m, 7, n).check_every_kernel(&format!("{m} rows"));
        }
    }
}

#[test]
fn narrow_products_of_every_height_match_the_reference() {
    narrow_products_of_every_height::<f32>(13);
    narrow_products_of_every_height::<f64>(14);
}

/// Every width up to past two main panels, on heights that take the one-row, narrow and main
/// tiles, with B row-major (its buffer ending at its last element) and padded: B is read in
/// place, its ragged last panel by a kernel whose last vector is loaded only up to the panel's
/// width wherever no kernel is exactly as wide.
fn ragged_panels_in_place<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    for m in [1, 2, 5, 13] {
        for n in 1..=140 {
            for layout in [Layout::RowMajor, Layout::Padded] {
                let k = [1, 7, 33][rng.below(3)];
                let case = Case {
                    a: Stored::factor(&mut rng, m, k),
                    b: (Stored::random(&mut rng, k, n, layout), false),
                    c: Stored::random(&mut rng, m, n, Layout::RowMajor),
                    alpha: E::from_f64(1.25),
                    beta: E::from_f64([0.0, -0.5][rng.below(2)]),
                };
                case.check_every_kernel(&format!("{m} rows, {n} columns, {layout:?} B"));
            }
        }
    }
}

#[test]
fn ragged_panels_read_in_place_match_the_reference() {
    ragged_panels_in_place::<f32>(15);
    ragged_panels_in_place::<f64>(16);
}

/// Every ragged panel a shape can be handed (any width up to the main and one-row tiles', the
/// widths `shape_for` gives a narrow tile) has a kernel that reads it in place, so B read in
/// place is never copied; and that kernel never reads B past the panel: it covers the panel's
/// columns and its last vector, the only one loaded partially, starts inside them. On every
/// shape of every set, at every height.
fn in_place_kernels_stay_inside<E: Element>() {
    for kind in supported() {
        let set = super::kernel_set::<E>(kind);
        let lanes = set.lanes;
        let narrow = set.narrow.iter().enumerate();
        let families = [(set.main, 1), (set.row, 1)]
            .into_iter()
            .chain(narrow.map(|(v, &shape)| (shape, v * lanes + 1)));
        for (family, narrowest) in families {
            for shape in std::iter::once(&family).chain(family.shorter) {
                for cols in narrowest..=shape.nr {
                    let what = format!(
                        "{kind} {} {}×{}: {cols} columns",
                        E::NAME,
                        shape.mr,
                        shape.nr
                    );
                    let covering = shape.covering(cols, lanes);
                    let last = if covering.nr.is_multiple_of(lanes) {
                        lanes
                    } else {
                        lanes / 2
                    };
                    assert!(covering.nr >= cols && covering.nr - last < cols, "{what}");
                }
            }
        }
    }
}

#[test]
fn in_place_kernels_read_nothing_past_the_panel() {
    in_place_kernels_stay_inside::<f32>();
    in_place_kernels_stay_inside::<f64>();
}

/// Matrix–vector and vector–matrix products in every layout (the dot and one-row kernels).
fn vector_products<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    for case in 0..120 {
        let long = [1, 7, 33, 100, 257][rng.below(5)];
        let k = [1, 3, 16, 31, 100, 300][rng.below(6)];
        let (m, n) = if rng.below(2) == 0 {
            (long, 1)
        } else {
            (1, long)
        };
        Case::<E>::random(&mut rng, m, k, n).check_every_kernel(&format!("vector case {case}"));
    }
}

#[test]
fn vector_products_match_the_reference() {
    vector_products::<f32>(3);
    vector_products::<f64>(4);
}

/// The largest blocksizes of every kernel set of `E`: a product past them runs all five loops.
fn largest_blocks<E: Element>(sets: &[&KernelSet<E>]) -> (usize, usize, usize) {
    sets.iter().fold((0, 0, 0), |(mc, kc, nc), set| {
        let b = set.blocks;
        (mc.max(b.mc), kc.max(b.kc), nc.max(b.nc))
    })
}

/// One product larger than every blocksize, in each kernel, on two threads: the portable kernel
/// against the reference, the others against the portable kernel.
fn larger_than_every_block<E: Element>(sets: &[&KernelSet<E>], layout: [Layout; 2], seed: u64) {
    let (mc, kc, nc) = largest_blocks(sets);
    let (m, k, n) = (mc + 3, kc + 7, nc + 22);
    let mut rng = Rng::new(seed);
    let problem = Case {
        a: (Stored::random(&mut rng, m, k, layout[0]), false),
        b: (Stored::random(&mut rng, n, k, layout[1]), true),
        c: Stored::random(&mut rng, m, n, Layout::RowMajor),
        alpha: E::from_f64(0.75),
        beta: E::from_f64(-1.5),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let bounds = problem.bounds();
    let team = pool.install(Team::new);
    let par = team.parallelism();
    let portable = pool.install(|| problem.run_in(KernelKind::Portable, &par));
    problem.check(&bounds, &portable, &problem.reference(), "large, portable");
    for kind in supported() {
        let got = pool.install(|| problem.run_in(kind, &par));
        let what = format!("large, {kind} {}", E::NAME);
        // Both results carry at most one error bound each.
        problem.check(&bounds, &got, &portable, &what);
    }
}

#[test]
fn products_larger_than_every_blocksize() {
    #[cfg(target_arch = "x86_64")]
    let (f32_sets, f64_sets) = (
        [
            &kernel_set::AVX512_F32,
            &kernel_set::AVX2_F32,
            &kernel_set::PORTABLE_F32,
        ],
        [
            &kernel_set::AVX512_F64,
            &kernel_set::AVX2_F64,
            &kernel_set::PORTABLE_F64,
        ],
    );
    #[cfg(not(target_arch = "x86_64"))]
    let (f32_sets, f64_sets) = ([&kernel_set::PORTABLE_F32], [&kernel_set::PORTABLE_F64]);
    larger_than_every_block::<f32>(&f32_sets, [Layout::RowMajor, Layout::ColMajor], 5);
    larger_than_every_block::<f64>(&f64_sets, [Layout::Strided, Layout::RowMajor], 6);
}

/// Products big enough to be split: one thread and teams of 2 and 3 give the same bits, and
/// match the reference.
fn thread_count_independence<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    let teams: Vec<(rayon::ThreadPool, usize)> = [2, 3]
        .into_iter()
        .map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            (pool, threads)
        })
        .collect();
    // Tall (split by rows), wide (split by columns), and skinny with row-major A (the skinny
    // kernels, split by rows).
    for (m, k, n) in [(301, 170, 190), (13, 700, 950), (2003, 401, 10)] {
        let mut problem = Case::<E>::random(&mut rng, m, k, n);
        if n == 10 {
            problem.a = (Stored::random(&mut rng, m, k, Layout::Padded), false);
        }
        let want = problem.reference();
        for kind in supported() {
            let serial = problem.run(kind);
            let what = format!("{m}×{k}×{n}, {kind} {}", E::NAME);
            problem.check(&problem.bounds(), &serial, &want, &what);
            for (pool, threads) in &teams {
                let teamed = pool.install(|| problem.run_in(kind, &Team::new().parallelism()));
                let same = serial
                    .data
                    .iter()
                    .zip(&teamed.data)
                    .all(|(&x, &y)| same_bits(x, y));
                assert!(same, "{what}: 1 thread and a team of {threads} differ");
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    thread_count_independence::<f32>(7);
    thread_count_independence::<f64>(8);
}

/// The columns of a product 100 wide, against the same columns computed as narrower products:
/// the full tiles, the edge tiles ending in a half vector and the narrow tiles each compute an
/// element by the same FMA chain, so the bits agree whichever tile holds the column.
fn tile_width_independence<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    let (m, k, n) = (13, 37, 100);
    let a = Stored::<E>::random(&mut rng, m, k, Layout::ColMajor);
    let b = Stored::<E>::random(&mut rng, k, n, Layout::RowMajor);
    for kind in supported() {
        let product = |c0: usize| {
            let mut c = vec![E::ZERO; m * (n - c0)];
            let cv = MatMut::from_row_major(&mut c, m, n - c0).unwrap();
            let bv = b.view(false).submatrix(0, c0, k, n - c0);
            gemm_with(
                kind,
                E::ONE,
                a.view(false),
                bv,
                E::ZERO,
                cv,
                &Parallelism::NONE,
            );
            c
        };
        let whole = product(0);
        for c0 in [4, 36, 64, 90, 96] {
            let part = product(c0);
            for i in 0..m {
                for j in c0..n {
                    let (x, y) = (whole[i * n + j], part[i * (n - c0) + j - c0]);
                    assert!(
                        same_bits(x, y),
                        "{kind} {}: C[{i},{j}] is {x} in the 100-column product but {y} in \
                         columns {c0}..{n} alone",
                        E::NAME
                    );
                }
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_the_tile_width() {
    tile_width_independence::<f32>(9);
    tile_width_independence::<f64>(10);
}

/// The rows of a 64-row product `n` columns wide (100: main tiles of 6 and 5 rows on AVX-512 and
/// AVX2; 24 and 12: narrow tiles of 4 to 16 rows), against the same rows computed as products of
/// fewer rows, cut into other heights (6 and 4, a lone 4, 4 + 3): the bits agree
/// whichever tile height holds the row, with A in place by rows and by columns.
fn tile_height_independence<E: Element>(seed: u64, n: usize) {
    let mut rng = Rng::new(seed);
    let (m, k) = (64, 29);
    let b = Stored::<E>::random(&mut rng, k, n, Layout::RowMajor);
    for a_layout in [Layout::RowMajor, Layout::ColMajor] {
        let a = Stored::<E>::random(&mut rng, m, k, a_layout);
        for kind in supported() {
            let product = |r0: usize| {
                let mut c = vec![E::ZERO; (m - r0) * n];
                let cv = MatMut::from_row_major(&mut c, m - r0, n).unwrap();
                let av = a.view(false).submatrix(r0, 0, m - r0, k);
                gemm_with(
                    kind,
                    E::ONE,
                    av,
                    b.view(false),
                    E::ZERO,
                    cv,
                    &Parallelism::NONE,
                );
                c
            };
            let whole = product(0);
            for r0 in [1, 4, 20, 56, 57, 60] {
                let part = product(r0);
                for i in r0..m {
                    for j in 0..n {
                        let (x, y) = (whole[i * n + j], part[(i - r0) * n + j]);
                        assert!(
                            same_bits(x, y),
                            "{kind} {} {a_layout:?} A: C[{i},{j}] is {x} in the 64×{n} \
                             product but {y} in rows {r0}..{m} alone",
                            E::NAME
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_the_tile_height() {
    for n in [100, 24, 12] {
        tile_height_independence::<f32>(11, n);
        tile_height_independence::<f64>(12, n);
    }
}

/// `gemm_relu` against `gemm` followed by the elementwise ReLU, and `gemm_relu_backward`
/// against `gemm` followed by the ReLU's backward rule, bit for bit, on every kernel and path:
/// random shapes and layouts (tiles, skinny and matrix–vector kernels, C without a unit stride,
/// k = 0 and α = 0, masks in every layout, holding zeros of both signs and NaN), on one thread
/// and on a team of two, and a depth past every KC, where only the last depth block may apply
/// the epilogue.
fn epilogues<E: Element>(seed: u64) {
    let mut rng = Rng::new(seed);
    let deep = supported()
        .into_iter()
        .map(|kind| super::kernel_set::<E>(kind).blocks.kc)
        .max()
        .unwrap_or(0)
        + 7;
    let mut shapes: Vec<_> = (0..120)
        .map(|_| {
            let mut dim = || DIMS[rng.below(DIMS.len())];
            (dim(), dim(), dim())
        })
        .collect();
    shapes.extend([(13, deep, 70), (1, deep, 40), (9, deep, 1), (200, 100, 100)]);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let team = pool.install(Team::new);
    let two = team.parallelism();
    for (case, &(m, k, n)) in shapes.iter().enumerate() {
        let case_data = Case::<E>::random(&mut rng, m, k, n);
        let mask_layout = Layout::random(&mut rng);
        let mut mask = Stored::<E>::random(&mut rng, m, n, mask_layout);
        for i in 0..m {
            for j in 0..n {
                let special = [0.0, -0.0, f64::NAN, 1e-30][rng.below(4)];
                if rng.below(4) == 0 {
                    mask.data[i * mask.rs + j * mask.cs] = E::from_f64(special);
                }
            }
        }
        for kind in supported() {
            let plain = case_data.run(kind);
            for par in [&Parallelism::NONE, &two] {
                for masked in [false, true] {
                    let mut got = Stored {
                        data: case_data.c.data.clone(),
                        ..case_data.c
                    };
                    let finish = if masked {
                        Finish::KeepWherePositive(mask.view(false))
                    } else {
                        Finish::Relu
                    };
                    let (a, b) = (case_data.a(), case_data.b());
                    let (alpha, beta) = (case_data.alpha, case_data.beta);
                    pool.install(|| product(kind, alpha, a, b, beta, got.view_mut(), finish, par));
                    for i in 0..m {
                        for j in 0..n {
                            let x = got.get(i, j);
                            let y = plain.get(i, j);
                            let by = if masked { mask.get(i, j) } else { y };
                            let y = if by > E::ZERO { y } else { E::ZERO };
                            assert!(
                                same_bits(x, y),
                                "case {case} {kind} {} on {} thread(s), {}: {m}×{k}·{k}×{n}: \
                                 C[{i},{j}] is {x} fused but {y} after the product",
                                E::NAME,
                                par.threads(),
                                if masked { "mask" } else { "ReLU" },
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn fused_epilogues_equal_the_product_then_the_elementwise_rule() {
    epilogues::<f32>(13);
    epilogues::<f64>(14);
}

#[test]
#[should_panic(expected = "gemm_relu_backward: the mask is 2×3 but C is 2×2")]
fn a_mask_of_another_shape_is_refused() {
    let a = [1.0f32; 4];
    let mask = [1.0f32; 6];
    let mut c = [0.0f32; 4];
    super::gemm_relu_backward(
        1.0,
        MatRef::from_row_major(&a, 2, 2).unwrap(),
        MatRef::from_row_major(&a, 2, 2).unwrap(),
        0.0,
        MatMut::from_row_major(&mut c, 2, 2).unwrap(),
        MatRef::from_row_major(&mask, 2, 3).unwrap(),
        &Parallelism::NONE,
    );
}

#[test]
fn a_team_pays_only_for_products_it_splits_or_joins() {
    // The deep linear nets of the experiments: 100 × 20 × 20 in f64, nothing to share.
    assert!(!super::team_pays::<f64>(2, 100 * 20 * 20));
    // The width-100 layers of the small MLPs: 200 × 100 × 100, split on two threads.
    assert!(super::team_pays::<f32>(2, 200 * 100 * 100));
    assert!(super::team_pays::<f64>(2, 200 * 100 * 100));
    // A single thread has no team to pay for.
    assert!(!super::team_pays::<f32>(1, 1 << 30));
}

/// The one split rule: one part per thread at most, one per tile at most, each of at least
/// 12 000 vector FMAs, and never fewer than one.
#[test]
fn products_split_by_threads_tiles_and_work() {
    use super::driver::part_count;
    let per_part = 12_000 * 16;
    assert_eq!(part_count(1, 1 << 30, 16, 1000), 1, "one thread");
    assert_eq!(part_count(4, 0, 16, 1000), 1, "no work");
    assert_eq!(
        part_count(2, 2 * per_part - 1, 16, 1000),
        1,
        "just short of two parts"
    );
    assert_eq!(part_count(2, 2 * per_part, 16, 1000), 2, "two parts' worth");
    assert_eq!(
        part_count(8, 3 * per_part, 16, 1000),
        3,
        "three parts' worth on 8 threads"
    );
    assert_eq!(part_count(8, 1 << 30, 16, 5), 5, "five tiles");
    // f64 vectors hold half as many lanes: the same product is worth twice the parts.
    assert_eq!(part_count(8, 2 * per_part, 8, 1000), 4);
}

#[test]
fn empty_and_trivial_products() {
    for kind in supported() {
        // k = 0: C ← β·C, and β = 0 writes zeros over NaN.
        let (a, b) = (vec![0.0f64; 0], vec![0.0f64; 0]);
        let mut c = vec![f64::NAN; 6];
        let av = MatRef::new(&a, 2, 0, 0, 1).unwrap();
        let bv = MatRef::new(&b, 0, 3, 3, 1).unwrap();
        gemm_with(
            kind,
            1.0,
            av,
            bv,
            0.0,
            MatMut::from_row_major(&mut c, 2, 3).unwrap(),
            &Parallelism::NONE,
        );
        assert_eq!(c, vec![0.0; 6]);
        let mut c = vec![2.0f64; 6];
        gemm_with(
            kind,
            1.0,
            av,
            bv,
            0.5,
            MatMut::from_row_major(&mut c, 2, 3).unwrap(),
            &Parallelism::NONE,
        );
        assert_eq!(c, vec![1.0; 6]);
        // m = 0 and n = 0 touch nothing.
        let mut none: Vec<f32> = Vec::new();
        let a = vec![1.0f32; 4];
        gemm_with(
            kind,
            1.0,
            MatRef::from_row_major(&a, 0, 4).unwrap(),
            MatRef::from_row_major(&a, 4, 1).unwrap(),
            0.0,
            MatMut::from_row_major(&mut none, 0, 1).unwrap(),
            &Parallelism::NONE,
        );
        // α = 0 only scales C, even with NaN in A.
        let nan = vec![f32::NAN; 4];
        let mut c = vec![4.0f32; 4];
        gemm_with(
            kind,
            0.0,
            MatRef::from_row_major(&nan, 2, 2).unwrap(),
            MatRef::from_row_major(&nan, 2, 2).unwrap(),
            0.25,
            MatMut::from_row_major(&mut c, 2, 2).unwrap(),
            &Parallelism::NONE,
        );
        assert_eq!(c, vec![1.0; 4]);
        // 1×1×1.
        let mut c = vec![f32::NAN];
        gemm_with(
            kind,
            2.0,
            MatRef::from_row_major(&[3.0f32], 1, 1).unwrap(),
            MatRef::from_row_major(&[5.0f32], 1, 1).unwrap(),
            0.0,
            MatMut::from_row_major(&mut c, 1, 1).unwrap(),
            &Parallelism::NONE,
        );
        assert_eq!(c, vec![30.0]);
    }
}

#[test]
#[should_panic(expected = "gemm: A is 2×3 but B is 2×2: the inner dimensions differ")]
fn mismatched_shapes_are_named() {
    let x = vec![0.0f32; 6];
    let mut c = vec![0.0f32; 4];
    super::gemm(
        1.0,
        MatRef::from_row_major(&x, 2, 3).unwrap(),
        MatRef::from_row_major(&x[..4], 2, 2).unwrap(),
        0.0,
        MatMut::from_row_major(&mut c, 2, 2).unwrap(),
        &Parallelism::NONE,
    );
}

#[test]
fn kernel_names_parse_and_the_selection_is_supported() {
    for kind in KernelKind::ALL {
        assert_eq!(kind.name().parse::<KernelKind>(), Ok(kind));
    }
    assert_eq!(" AVX2 ".parse::<KernelKind>(), Ok(KernelKind::Avx2));
    let err = "sse9".parse::<KernelKind>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown GEMM kernel \"sse9\": expected avx512, avx2 or portable"
    );
    assert!(super::selected_kernel().is_supported());
    assert!(KernelKind::Portable.is_supported());
}
