//! The register-tiled microkernels, written once over [`Vector`] and instantiated per instruction
//! set in `kernel_set`.
//!
//! [`tile`] keeps an MR × (NV·LANES) block of C in registers and performs `k` rank-1 updates: per
//! step it loads NV vectors of one row of B and broadcasts MR elements of one column of A. Every C
//! element is the FMA chain `acc = a[i,p]·b[p,j] + acc` over p in increasing order, whatever the
//! tile shape, so which tile computes an element never changes its bits. [`dot_tile`] serves
//! products only a few columns wide and [`dot`] matrix–vector products, where vectorising over k
//! beats broadcasting.

use super::simd::{Vector, prefetch};
use crate::Element;

/// One call of a tile microkernel: where A, B and C are and how many rows/columns of C are real.
///
/// A element (i, p) is at `a + i·rsa + p·csa` (in column mode `rsa` is 1 and ignored); B element
/// (p, j) at `b + p·rsb + j`; C element (i, j) at `c + i·rsc + j`.
pub(crate) struct Tile<E> {
    /// Depth of the product (number of rank-1 updates).
    pub k: usize,
    /// Element (0, 0) of the A micropanel.
    pub a: *const E,
    /// Row stride of A (unused in column mode).
    pub rsa: usize,
    /// Column stride of A.
    pub csa: usize,
    /// Element (0, 0) of the B micropanel; its rows hold NV·LANES readable elements.
    pub b: *const E,
    /// Row stride of B.
    pub rsb: usize,
    /// Element (0, 0) of the C tile.
    pub c: *mut E,
    /// Row stride of C (its columns are contiguous).
    pub rsc: usize,
    /// Rows of C to write (≤ MR); A must still have MR readable rows.
    pub m: usize,
    /// Columns of C to write (≤ NV·LANES).
    pub n: usize,
    /// Scale of the product.
    pub alpha: E,
    /// Scale of the old C; zero means C is not read.
    pub beta: E,
    /// Whether to write ReLU(α·A·B + β·C) instead (the last depth block of a fused layer).
    pub relu: bool,
}

/// A tile microkernel instantiated for one instruction set, tile shape and A access mode.
pub(crate) type TileFn<E> = unsafe fn(&Tile<E>);

/// C(tile) ← α·A·B + β·C(tile) for an MR × (NV·LANES + HALF·H::LANES) tile.
///
/// `ACOL` selects column mode: A's rows are adjacent (`rsa == 1`), as in packed micropanels and
/// column-major A, so the broadcasts use constant offsets instead of MR row pointers.
///
/// `PARTIAL` reads the last vector of each row of B (the half one with `HALF`) only up to
/// column `t.n`, by a masked load: a ragged last panel of B is then read in place, where it
/// would otherwise be copied into a zero-padded panel on every call (B read in place is used by
/// few rows of A, so the copy is most of the cost of the panel).
///
/// With `HALF` each row also keeps one narrower vector `H` (a ymm beside zmm) after its NV full
/// ones: a ragged last panel of at most H::LANES more columns then costs a half-width FMA per row
/// instead of a full one (on cores that split 512-bit FMAs in two, half the time; elsewhere the
/// same). Without `HALF`, `H` is unused.
///
/// # Safety
/// The CPU must support `V`'s and `H`'s instructions. A must be readable at (i, p) for i < MR,
/// p < k; B readable at (p, j) for p < k, j < the tile's width (with PARTIAL, j < `t.n`, and
/// `t.n` past the start of the last vector); C readable (if β ≠ 0) and
/// writable at (i, j) for i < `t.m`, j < `t.n`, with `t.m ≤ MR` and `t.n ≤` the tile's width.
#[inline(always)]
pub(crate) unsafe fn tile<
    V: Vector,
    H: Vector<Elem = V::Elem>,
    const MR: usize,
    const NV: usize,
    const HALF: bool,
    const ACOL: bool,
    const PARTIAL: bool,
>(
    t: &Tile<V::Elem>,
) {
    if t.beta != <V::Elem as Element>::ZERO {
        // The old C is read only after the k loop; fetching it now hides its latency (a later
        // rank-KC update of a C too large for the caches comes from memory).
        for i in 0..t.m {
            for col in (0..t.n).step_by(V::LANES) {
                prefetch(t.c.wrapping_add(i * t.rsc + col));
            }
        }
    }
    // SAFETY: the vector operations run on a CPU that has them (caller's contract).
    let mut acc = [[unsafe { V::zero() }; NV]; MR];
    // SAFETY: as above.
    let mut tail = [unsafe { H::zero() }; MR];
    // In general mode each group of four rows has its own pointer, addressed as base + {0, 1,
    // 2, 3}·rsa, so the loop carries only ⌈MR/4⌉ pointer increments: with one pointer the
    // compiler walked the MR rows by MR dependent adds carried from step to step, which for tall
    // tiles outlasted the step's FMAs.
    let mut groups = [t.a; MR];
    for (g, base) in groups.iter_mut().enumerate() {
        *base = t.a.wrapping_add(if ACOL { 0 } else { 4 * g * t.rsa });
    }
    let r3 = 3 * t.rsa;
    let mut b = t.b;
    for _ in 0..t.k {
        // SAFETY: as above.
        let mut bv = [unsafe { V::zero() }; NV];
        for (v, slot) in bv.iter_mut().enumerate() {
            let at = b.wrapping_add(v * V::LANES);
            // SAFETY: `b` points at row p < k of B, readable across the tile's width, or with
            // PARTIAL up to column t.n, which the last vector (v = NV − 1 without HALF) passes.
            *slot = unsafe {
                if PARTIAL && !HALF && v == NV - 1 {
                    V::load_partial(at, t.n - v * V::LANES)
                } else {
                    V::load(at)
                }
            };
        }
        // SAFETY: with HALF, B is readable for H::LANES elements after the NV full vectors, or
        // with PARTIAL up to column t.n.
        let bh = unsafe {
            let at = b.wrapping_add(NV * V::LANES);
            match (HALF, PARTIAL) {
                (true, true) => H::load_partial(at, t.n - NV * V::LANES),
                (true, false) => H::load(at),
                (false, _) => H::zero(),
            }
        };
        for (i, (row, half)) in acc.iter_mut().zip(&mut tail).enumerate() {
            let (base, offset) = if ACOL {
                (groups[0], i)
            } else {
                let within = [0, t.rsa, 2 * t.rsa, r3][i % 4];
                (groups[i / 4], within)
            };
            // SAFETY: `base + offset` is A(i, p) with i < MR and p < k: readable by contract.
            let ai = unsafe { V::broadcast(base.add(offset)) };
            for (slot, &bj) in row.iter_mut().zip(&bv) {
                // SAFETY: register arithmetic on a CPU that has it.
                *slot = unsafe { V::fma(ai, bj, *slot) };
            }
            if HALF {
                // SAFETY: as for `ai`, and register arithmetic on a CPU that has it.
                *half = unsafe { H::fma(H::broadcast(base.add(offset)), bh, *half) };
            }
        }
        // Wrapping: after the last step the pointers may pass the end; they are not read then.
        for base in groups
            .iter_mut()
            .take(if ACOL { 1 } else { MR.div_ceil(4) })
        {
            *base = base.wrapping_add(t.csa);
        }
        b = b.wrapping_add(t.rsb);
    }
    // SAFETY: C accesses stay inside the t.m × t.n tile the caller guarantees.
    unsafe { write_tile::<V, H, MR, NV, HALF>(&acc, &tail, t) };
}

/// C(tile) ← α·acc + β·C(tile) on the first `t.m` rows and `t.n` columns; C is not read if β = 0.
///
/// Full tiles take a straight-line path with constant indices, so the accumulators stay in
/// registers; only edge tiles copy them out to loop over a ragged shape.
///
/// # Safety
/// As [`tile`] for C.
#[inline(always)]
unsafe fn write_tile<
    V: Vector,
    H: Vector<Elem = V::Elem>,
    const MR: usize,
    const NV: usize,
    const HALF: bool,
>(
    acc: &[[V; NV]; MR],
    tail: &[H; MR],
    t: &Tile<V::Elem>,
) {
    let width = NV * V::LANES + if HALF { H::LANES } else { 0 };
    // SAFETY: every store below writes C(i, j .. j + w) with i < t.m and j + w ≤ t.n, inside
    // the tile the caller guarantees; the vector instructions exist on this CPU.
    unsafe {
        if t.m == MR && t.n == width {
            for (i, (row, &half)) in acc.iter().zip(tail).enumerate() {
                let c_row = t.c.add(i * t.rsc);
                for (v, &value) in row.iter().enumerate() {
                    store_scaled(c_row.add(v * V::LANES), value, V::LANES, t);
                }
                if HALF {
                    store_scaled(c_row.add(NV * V::LANES), half, H::LANES, t);
                }
            }
            return;
        }
        let (edge, edge_tail) = (*acc, *tail);
        for (i, (row, &half)) in edge.iter().zip(&edge_tail).enumerate().take(t.m) {
            let c_row = t.c.add(i * t.rsc);
            for (v, &value) in row.iter().enumerate() {
                let col = v * V::LANES;
                if col >= t.n {
                    break;
                }
                store_scaled(c_row.add(col), value, (t.n - col).min(V::LANES), t);
            }
            let col = NV * V::LANES;
            if HALF && col < t.n {
                store_scaled(c_row.add(col), half, t.n - col, t);
            }
        }
    }
}

/// Writes α·value + β·C to the first `width` elements at `p` (C not read if β = 0), through
/// ReLU when the tile asks for it.
///
/// # Safety
/// The CPU must support `V`'s instructions; `p` must be readable (if β ≠ 0) and writable for
/// `width ≤ V::LANES` elements.
#[inline(always)]
unsafe fn store_scaled<V: Vector>(p: *mut V::Elem, value: V, width: usize, t: &Tile<V::Elem>) {
    // SAFETY: the caller guarantees the instructions and the `width` elements at `p`.
    unsafe {
        let scaled = V::mul(value, V::splat(t.alpha));
        let full = width == V::LANES;
        let result = if t.beta == <V::Elem as Element>::ZERO {
            scaled
        } else if full {
            V::fma(V::load(p), V::splat(t.beta), scaled)
        } else {
            V::fma(V::load_partial(p, width), V::splat(t.beta), scaled)
        };
        let result = if t.relu { V::relu(result) } else { result };
        if full {
            V::store(p, result);
        } else {
            V::store_partial(p, result, width);
        }
    }
}

/// One call of the mask kernel: a block of C, kept where the mask is positive.
pub(crate) struct Keep<E> {
    /// Element (0, 0) of the block of C.
    pub c: *mut E,
    /// Row stride of C (its columns are contiguous).
    pub rsc: usize,
    /// Mask element (0, 0); mask element (i, j) is at `mask + i·rsm + j`.
    pub mask: *const E,
    /// Row stride of the mask.
    pub rsm: usize,
    /// Rows of the block.
    pub m: usize,
    /// Columns of the block.
    pub n: usize,
}

/// The mask kernel instantiated for one instruction set.
pub(crate) type KeepFn<E> = unsafe fn(&Keep<E>);

/// C(block) ← C(block) where the mask is positive, else +0: a masked product's epilogue, run on
/// each tile right after the tile kernel wrote it (so C is still in L1). A kernel of its own
/// rather than a step of the tile kernels' stores: there, the mask's loads made the compiler
/// spill the accumulators of every tile kernel, masked or not (200×100×100 f32 at half speed).
///
/// # Safety
/// The CPU must support `V`'s instructions; C must be readable and writable, and the mask
/// readable, on the block's `m × n` elements.
#[inline(always)]
pub(crate) unsafe fn keep<V: Vector>(k: &Keep<V::Elem>) {
    for i in 0..k.m {
        // Wrapping: past the last row the pointers are not read.
        let (c, mask) = (k.c.wrapping_add(i * k.rsc), k.mask.wrapping_add(i * k.rsm));
        let full = k.n / V::LANES * V::LANES;
        for col in (0..full).step_by(V::LANES) {
            // SAFETY: C(i, col .. col + LANES) and the mask's are inside the block.
            unsafe {
                let kept = V::keep_where_positive(V::load(mask.add(col)), V::load(c.add(col)));
                V::store(c.add(col), kept);
            }
        }
        if full < k.n {
            let width = k.n - full;
            // SAFETY: C(i, full .. n) and the mask's are inside the block.
            unsafe {
                let (c, mask) = (c.add(full), mask.add(full));
                let kept =
                    V::keep_where_positive(V::load_partial(mask, width), V::load_partial(c, width));
                V::store_partial(c, kept, width);
            }
        }
    }
}

/// Rows of A per call of the skinny-product kernel [`dot_tile`].
pub(crate) const DOT_TILE_ROWS: usize = 4;

/// One call of the skinny-product kernel: a [`DOT_TILE_ROWS`] × J block of C.
pub(crate) struct DotTile<E> {
    /// Depth of the product.
    pub k: usize,
    /// The rows of A, each contiguous over k (a row past the matrix repeats a real one).
    pub a: [*const E; DOT_TILE_ROWS],
    /// J columns of B packed by [`pack::b_interleaved`](super::pack::b_interleaved): per step of
    /// LANES along k, the J column segments one after another, zero past k.
    pub bt: *const E,
    /// Element (0, 0) of the C block.
    pub c: *mut E,
    /// Row stride of C (its columns are contiguous).
    pub rsc: usize,
    /// Rows of C to write (≤ DOT_TILE_ROWS).
    pub m: usize,
    /// Columns of C to write (≤ J).
    pub n: usize,
    /// Scale of the product.
    pub alpha: E,
    /// Scale of the old C; zero means C is not read.
    pub beta: E,
}

/// A skinny-product kernel instantiated for one instruction set and column count J.
pub(crate) type DotTileFn<E> = unsafe fn(&DotTile<E>);

/// C(block) ← α·A·B + β·C(block) for R = [`DOT_TILE_ROWS`] rows and J columns, vectorised along k.
///
/// For products only a few columns wide (an output layer) broadcasting A wastes most lanes; here
/// each of the R·J accumulators holds LANES partial sums of one C element (p ≡ lane mod LANES,
/// in increasing p), reduced by a fixed tree at the end, so the bits of an element do not
/// depend on the block it falls in.
///
/// # Safety
/// The CPU must support `V`'s instructions; each row pointer readable for k elements; `bt`
/// readable for ⌈k/LANES⌉·J·LANES elements; C readable (if β ≠ 0) and writable on the first
/// `d.m` rows × `d.n` columns.
#[inline(always)]
pub(crate) unsafe fn dot_tile<V: Vector, const J: usize>(d: &DotTile<V::Elem>) {
    const R: usize = DOT_TILE_ROWS;
    let lanes = V::LANES;
    // SAFETY: A is read at p < k on its R rows (the last step with a masked load of the
    // remaining elements), `bt` within its ⌈k/LANES⌉·J·LANES elements, C inside the d.m × d.n
    // block: all as the caller guarantees.
    unsafe {
        let mut acc = [[V::zero(); J]; R];
        let full = d.k / lanes;
        for step in 0..full {
            dot_step::<V, R, J>(
                &mut acc,
                &d.a,
                step * lanes,
                lanes,
                d.bt.add(step * J * lanes),
            );
        }
        let rest = d.k - full * lanes;
        if rest > 0 {
            dot_step::<V, R, J>(
                &mut acc,
                &d.a,
                full * lanes,
                rest,
                d.bt.add(full * J * lanes),
            );
        }
        // Reduce every accumulator with constant indices first, so they stay in registers;
        // only then loop over the ragged block.
        // Column by column, the R = 4 rows' accumulators reduced together.
        let mut sums = [[<V::Elem as Element>::ZERO; R]; J];
        for (j, out) in sums.iter_mut().enumerate() {
            *out = V::sum4([acc[0][j], acc[1][j], acc[2][j], acc[3][j]]);
        }
        for (j, column) in sums.iter().enumerate().take(d.n) {
            for (r, &sum) in column.iter().enumerate().take(d.m) {
                let c = d.c.add(r * d.rsc + j);
                let s = d.alpha * sum;
                *c = if d.beta == <V::Elem as Element>::ZERO {
                    s
                } else {
                    s + d.beta * *c
                };
            }
        }
    }
}

/// One call of the matrix–vector kernel: R rows of y ← α·A·x + β·y.
pub(crate) struct Dot<E> {
    /// Length of the dot products.
    pub k: usize,
    /// Element (0, 0) of the R rows of A; each row is contiguous.
    pub a: *const E,
    /// Row stride of A.
    pub rsa: usize,
    /// The contiguous vector x of length k.
    pub x: *const E,
    /// Element 0 of the R outputs.
    pub y: *mut E,
    /// Stride between outputs.
    pub rsy: usize,
    /// Scale of the product.
    pub alpha: E,
    /// Scale of the old y; zero means y is not read.
    pub beta: E,
}

/// A matrix–vector kernel instantiated for one instruction set and row count.
pub(crate) type DotFn<E> = unsafe fn(&Dot<E>);

/// y[r] ← α·Σ_p A[r, p]·x[p] + β·y[r] for r < R, vectorised along p.
///
/// Each row's sum is two vector accumulators over the full 2·LANES steps, then one over the
/// rest, reduced in a fixed order: the bits of y[r] do not depend on R.
///
/// # Safety
/// The CPU must support `V`'s instructions; A must be readable at (r, p) for r < R, p < k; x for
/// p < k; y readable (if β ≠ 0) and writable at r < R.
#[inline(always)]
pub(crate) unsafe fn dot<V: Vector, const R: usize>(d: &Dot<V::Elem>) {
    let lanes = V::LANES;
    // SAFETY: every A and x access below is at p < k on rows r < R (caller's contract), the
    // partial loads read exactly the `width` remaining elements, and y is touched at r < R.
    unsafe {
        let mut acc = [[V::zero(); 2]; R];
        let mut p = 0;
        while p + 2 * lanes <= d.k {
            let x0 = V::load(d.x.add(p));
            let x1 = V::load(d.x.add(p + lanes));
            for (r, pair) in acc.iter_mut().enumerate() {
                let row = d.a.add(r * d.rsa + p);
                pair[0] = V::fma(V::load(row), x0, pair[0]);
                pair[1] = V::fma(V::load(row.add(lanes)), x1, pair[1]);
            }
            p += 2 * lanes;
        }
        while p < d.k {
            let width = (d.k - p).min(lanes);
            let x0 = V::load_partial(d.x.add(p), width);
            for (r, pair) in acc.iter_mut().enumerate() {
                let row = d.a.add(r * d.rsa + p);
                pair[0] = V::fma(V::load_partial(row, width), x0, pair[0]);
            }
            p += width;
        }
        for (r, pair) in acc.iter().enumerate() {
            let s = V::sum(pair[0]) + V::sum(pair[1]);
            let y = d.y.add(r * d.rsy);
            *y = if d.beta == <V::Elem as Element>::ZERO {
                d.alpha * s
            } else {
                d.alpha * s + d.beta * *y
            };
        }
    }
}

/// One step of [`dot_tile`]: acc[r][j] += A[r, p .. p + width] · Bᵀ[j, p .. p + width].
///
/// A function rather than a closure: closures do not inherit the caller's target features.
/// Rows are taken one at a time so that J + 1 + R·J registers are live.
///
/// # Safety
/// The CPU must support `V`'s instructions; each row readable at p .. p + width (width ≤
/// LANES), `bt` readable for J·LANES elements.
#[inline(always)]
unsafe fn dot_step<V: Vector, const R: usize, const J: usize>(
    acc: &mut [[V; J]; R],
    rows: &[*const V::Elem; R],
    p: usize,
    width: usize,
    bt: *const V::Elem,
) {
    // SAFETY: the reads stay inside the ranges the caller guarantees; the CPU has the
    // instructions.
    unsafe {
        let mut bv = [V::zero(); J];
        for (j, slot) in bv.iter_mut().enumerate() {
            *slot = V::load(bt.add(j * V::LANES));
        }
        for (row, a) in acc.iter_mut().zip(rows) {
            let ar = if width == V::LANES {
                V::load(a.add(p))
            } else {
                V::load_partial(a.add(p), width)
            };
            for (slot, &bj) in row.iter_mut().zip(&bv) {
                *slot = V::fma(ar, bj, *slot);
            }
        }
    }
}
