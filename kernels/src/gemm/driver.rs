//! The five loops around the microkernel (Goto/BLIS), the small-product shortcuts, and the split
//! of the work across a team's threads.
//!
//! Loop order and what each keeps in cache (blocksizes in `blocking`):
//! - loop 5: blocks of MC rows of A and C (the A block lives in L3);
//! - loop 4: rank-KC updates over the depth; the A block is packed here when it must be;
//! - loop 3: blocks of NC columns of B and C; the KC × NC block of B is packed here (L2);
//! - loop 2: micropanels of MR rows of A (one stays in L1 across loop 1);
//! - loop 1: micropanels of NR columns of B, streamed from L2;
//! - the microkernel: KC rank-1 updates of an MR × NR tile of C held in registers.
//!
//! Small and skinny products skip packing where it does not pay (BLIS "sup" style): A is read in
//! place whenever one of its strides is 1 (the kernels broadcast its elements, so any row stride
//! works), and B is read in place when its rows are contiguous and few rows of A reuse it, its
//! ragged last panel too (by an edge kernel whose last vector is a masked load). Products
//! a few columns wide with contiguous rows of A (an output layer) vectorise along k instead
//! (`run_dot_tiles`), and matrix–vector products use dot products (`run_dot`).
//!
//! Threads split C into disjoint bands of whole tiles — rows when there are at least as many row
//! tiles as column tiles, else columns; how many bands, [`part_count`] alone decides — and each band
//! runs the serial loops with its part's packing buffers (`Parallelism::for_each_part`). The
//! depth blocking (KC) is the same for every band, so each C element is summed by the same kernel
//! in the same order whatever the thread count.

use super::kernel_set::{DOT_ROWS, KernelSet, Shape};
use super::microkernel::{DOT_TILE_ROWS, Dot, DotTile, Keep, Tile};
use super::pack;
use crate::Element;
use crate::parallel::Parallelism;
use crate::scratch::Scratch;

/// A read-only operand: element (i, j) is at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub(crate) struct Operand<E> {
    /// Element (0, 0).
    pub ptr: *const E,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

/// A product C ← α·A·B + β·C on raw strided operands, C's columns contiguous (or n = 1).
#[derive(Clone, Copy)]
pub(crate) struct Problem<E> {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Scale of the product.
    pub alpha: E,
    /// Scale of the old C; zero means C is not read.
    pub beta: E,
    /// The m × k left factor.
    pub a: Operand<E>,
    /// The k × n right factor.
    pub b: Operand<E>,
    /// Element (0, 0) of the m × n output.
    pub c: *mut E,
    /// Row stride of C.
    pub rsc: usize,
    /// What C gets instead of α·A·B + β·C, if anything (honoured by [`run_tiles`] only, and a
    /// mask only with unit column stride; see `gemm_relu` and `gemm_relu_backward`).
    pub epilogue: Epilogue<E>,
}

/// What a product does to each element of α·A·B + β·C as it writes it back.
#[derive(Clone, Copy)]
pub(crate) enum Epilogue<E> {
    /// Writes it.
    Plain,
    /// Writes its ReLU (`gemm_relu`: the forward pass of a fused layer).
    Relu,
    /// Writes it where the mask is positive, else +0 (`gemm_relu_backward`: the gradient of a
    /// ReLU's output taken through its backward rule). Mask element (i, j) is at
    /// `mask + i·rs + j·cs`; the tiles need `cs == 1`.
    KeepWherePositive {
        /// Mask element (0, 0).
        mask: *const E,
        /// Row stride of the mask.
        rs: usize,
        /// Column stride of the mask.
        cs: usize,
    },
}

impl<E: Copy> Epilogue<E> {
    /// The same epilogue for the block of C starting at element (i, j).
    pub(crate) fn offset(self, i: usize, j: usize) -> Self {
        match self {
            Self::KeepWherePositive { mask, rs, cs } => Self::KeepWherePositive {
                mask: mask.wrapping_add(i * rs + j * cs),
                rs,
                cs,
            },
            other => other,
        }
    }

    /// The same epilogue for Cᵀ.
    pub(crate) fn transposed(self) -> Self {
        match self {
            Self::KeepWherePositive { mask, rs, cs } => Self::KeepWherePositive {
                mask,
                rs: cs,
                cs: rs,
            },
            other => other,
        }
    }
}

// SAFETY: a `Problem` is a description of memory the caller lent for the duration of one
// `gemm` call; the threads that share it read A and B only and write disjoint parts of C.
unsafe impl<E: Send> Send for Problem<E> {}
// SAFETY: as above: shared references only read the description.
unsafe impl<E: Sync> Sync for Problem<E> {}

/// Up to this many rows of A, B is read in place when its rows are contiguous (measured faster
/// on the MLP shapes: the copy costs more than it saves); above it, a B panel is reused often
/// enough that packing it buys unit-stride, TLB-friendly loads for a negligible copy.
const DIRECT_B_MAX_ROWS: usize = 256;

/// Whether rows `rs` elements apart start a whole number of 4 KiB pages apart: their lines then
/// fall into the same few cache sets, and a panel read in place evicts itself from L2 (measured:
/// f64 256×512×512 at 0.97× the gemm crate in place, B's rows 4 KiB apart).
fn aliasing_stride<E>(rs: usize) -> bool {
    (rs * size_of::<E>()).is_multiple_of(4096)
}

/// Vector FMAs (multiply–adds ÷ lanes) per part below which a product is not split: about
/// 1.5 µs of work on one core at two FMAs per cycle. Handing a part to a team's polling helper
/// costs well under a microsecond (measured on the `train-step` workloads: mlp20 f64 on two
/// threads 415 → 375 µs per step against a minimum of 50 000, the break-even of rayon's
/// hand-off to a sleeping worker). Counted in vectors so that f64, half as fast per element,
/// qualifies at half the size.
const MIN_VECTOR_FMAS_PER_PART: usize = 12_000;

/// How many parts a product of `fmas` multiply–adds on vectors of `lanes`, with `tiles` tiles
/// along the dimension it would be cut, runs as on `threads` threads: at most one per thread and
/// per tile, each worth [`MIN_VECTOR_FMAS_PER_PART`]. The one place that decides how a product
/// is split.
pub(crate) fn part_count(threads: usize, fmas: usize, lanes: usize, tiles: usize) -> usize {
    threads
        .min(fmas / lanes / MIN_VECTOR_FMAS_PER_PART)
        .min(tiles)
        .max(1)
}

/// Runs a product with the tile kernels, split across the threads of `par` when it is big.
///
/// # Safety
/// `p` must describe valid memory: A readable on m × k, B on k × n, C readable and writable on
/// m × n with contiguous columns (or n = 1), C not overlapping A or B; m, n, k > 0.
pub(crate) unsafe fn run_tiles<E: Element>(set: &KernelSet<E>, p: &Problem<E>, par: &Parallelism) {
    let shape = set.shape_for(p.m, p.n);
    let fmas = p.m.saturating_mul(p.n).saturating_mul(p.k);
    let row_tiles = p.m.div_ceil(shape.mr);
    let col_tiles = p.n.div_ceil(shape.nr);
    let split_rows = row_tiles >= col_tiles;
    let tiles = if split_rows { row_tiles } else { col_tiles };
    let parts = part_count(par.threads(), fmas, set.lanes, tiles);
    if parts == 1 {
        // SAFETY: forwarded contract.
        par.with_scratch(|scratch| unsafe { serial(set, shape, p, scratch) });
        return;
    }
    let per_part = tiles.div_ceil(parts);
    par.for_each_part(parts, |part, in_part| {
        let first = part * per_part;
        let last = ((part + 1) * per_part).min(tiles);
        if first >= last {
            return;
        }
        let sub = if split_rows {
            let (r0, r1) = (first * shape.mr, (last * shape.mr).min(p.m));
            Problem {
                m: r1 - r0,
                // SAFETY: row r0 < m of A and C exists (k, n > 0), so the offsets stay inside.
                a: unsafe { p.a.offset(r0, 0) },
                // SAFETY: as above.
                c: unsafe { p.c.add(r0 * p.rsc) },
                epilogue: p.epilogue.offset(r0, 0),
                ..*p
            }
        } else {
            let (c0, c1) = (first * shape.nr, (last * shape.nr).min(p.n));
            Problem {
                n: c1 - c0,
                // SAFETY: column c0 < n of B and C exists (k, m > 0) and C's columns are
                // contiguous (n > 1 here since there are several column tiles).
                b: unsafe { p.b.offset(0, c0) },
                // SAFETY: as above.
                c: unsafe { p.c.add(c0) },
                epilogue: p.epilogue.offset(0, c0),
                ..*p
            }
        };
        // SAFETY: the parts cover disjoint rows (or columns) of C; A and B are only read.
        in_part.with_scratch(|scratch| unsafe { serial(set, shape, &sub, scratch) });
    });
}

impl<E> Operand<E> {
    /// The operand starting at element (i, j).
    ///
    /// # Safety
    /// (i, j) must be an element of the operand.
    unsafe fn offset(&self, i: usize, j: usize) -> Self {
        Self {
            // SAFETY: (i, j) is an element, so its offset is inside the operand's slice.
            ptr: unsafe { self.ptr.add(i * self.rs + j * self.cs) },
            ..*self
        }
    }
}

/// The five loops on one thread.
///
/// # Safety
/// As [`run_tiles`].
unsafe fn serial<E: Element>(
    set: &KernelSet<E>,
    shape: Shape<E>,
    p: &Problem<E>,
    scratch: &mut Scratch,
) {
    let blocks = set.blocks;
    let (mr, nr) = (shape.mr, shape.nr);
    let shortest = mr - shape.shorter.len();
    let kc_max = blocks.kc.min(p.k);
    // As many MC blocks as MC requires, of equal height: 2048 rows run as 2 × 1024, not as
    // 2046 + a 2-row sliver that would pack all of B again for a third of a tile's rows.
    let mc = p.m.div_ceil(p.m.div_ceil(blocks.mc)).next_multiple_of(mr);
    // A is read in place when a stride is 1; any other layout is packed so loop 2 streams it.
    let pack_a = p.a.rs != 1 && p.a.cs != 1;
    let pack_b = p.b.cs != 1 || p.m > DIRECT_B_MAX_ROWS || aliasing_stride::<E>(p.b.rs);
    let a_len = if pack_a {
        mc.min(p.m).next_multiple_of(mr) * kc_max
    } else {
        mr * kc_max
    };
    let b_len = if pack_b {
        blocks.nc.min(p.n).next_multiple_of(nr) * kc_max
    } else {
        0
    };
    let (a_buf, b_buf) = scratch.buffers::<E>(a_len, b_len);

    // Loop 5: blocks of MC rows.
    for ic in (0..p.m).step_by(mc) {
        let mcb = (p.m - ic).min(mc);
        // Loop 4: rank-KC updates; later blocks accumulate onto the first one's result.
        for pc in (0..p.k).step_by(blocks.kc) {
            let kcb = (p.k - pc).min(blocks.kc);
            let beta = if pc == 0 { p.beta } else { E::ONE };
            let epilogue = if pc + kcb == p.k {
                p.epilogue
            } else {
                Epilogue::Plain
            };
            if pack_a {
                // SAFETY: rows ic .. ic + mcb, columns pc .. pc + kcb are inside A.
                unsafe { pack::a_panels(&p.a, (ic, pc), (mcb, kcb), mr, a_buf) };
            }
            // Loop 3: blocks of NC columns.
            for jc in (0..p.n).step_by(blocks.nc) {
                let ncb = (p.n - jc).min(blocks.nc);
                if pack_b {
                    // SAFETY: rows pc .. pc + kcb, columns jc .. jc + ncb are inside B.
                    unsafe { pack::b_panels(&p.b, (pc, jc), (kcb, ncb), nr, set.transpose, b_buf) };
                }
                // Loop 2: micropanels of A, MR rows or, in place, a few rows fewer.
                for (ir, mrb) in row_tiles(mcb, mr, if pack_a { mr } else { shortest }) {
                    // The tile of exactly mrb rows, or the full one on a zero-padded panel.
                    let rows_shape = match mr - mrb {
                        0 => Some(&shape),
                        d => shape.shorter.get(d - 1).filter(|_| !pack_a),
                    };
                    let (a, rsa, csa, column_mode) = if pack_a {
                        (a_buf[ir * kcb..].as_ptr(), 1, mr, true)
                    } else if rows_shape.is_none() {
                        // SAFETY: the ragged last rows ic + ir .. + mrb are inside A.
                        unsafe { pack::a_panels(&p.a, (ic + ir, pc), (mrb, kcb), mr, a_buf) };
                        (a_buf.as_ptr(), 1, mr, true)
                    } else {
                        // SAFETY: (ic + ir, pc) is an element of A.
                        let a = unsafe { p.a.offset(ic + ir, pc) };
                        (a.ptr, p.a.rs, p.a.cs, p.a.rs == 1)
                    };
                    let rows_shape = rows_shape.unwrap_or(&shape);
                    let kernel = rows_shape.kernel(nr, set.lanes, column_mode);
                    // SAFETY: (ic + ir, jc) is an element of C.
                    let c_row = unsafe { p.c.add((ic + ir) * p.rsc + jc) };
                    let row_epilogue = epilogue.offset(ic + ir, jc);
                    // The call's fields loop 1 does not change are written once (with a shallow
                    // depth the tiles are short and their setup shows); B, C and the width are
                    // set per panel.
                    let mut tile = Tile {
                        k: kcb,
                        a,
                        rsa,
                        csa,
                        b: std::ptr::null(),
                        rsb: 0,
                        c: c_row,
                        rsc: p.rsc,
                        m: mrb,
                        n: 0,
                        alpha: p.alpha,
                        beta,
                        relu: matches!(epilogue, Epilogue::Relu),
                    };
                    // Loop 1: micropanels of NR columns of B.
                    for jr in (0..ncb).step_by(nr) {
                        let nrb = (ncb - jr).min(nr);
                        // A ragged last panel of B read in place is read by its edge kernel:
                        // whole when that reads exactly its columns, else with the last vector
                        // of each row loaded only up to them. Its copy and zero fill took a tenth
                        // of a small product (measured f64 48³ 0.92× → 1.03× the gemm crate,
                        // 40³ 1.00× → 1.09×) and most of a row-vector one (f32 1×200·200×100
                        // 2.26 → 0.50 µs).
                        let kernel = match (nrb < nr, pack_b) {
                            (false, _) => kernel,
                            (true, true) => rows_shape.kernel(nrb, set.lanes, column_mode),
                            (true, false) => {
                                rows_shape.in_place_kernel(nrb, set.lanes, column_mode)
                            }
                        };
                        (tile.b, tile.rsb) = if pack_b {
                            (b_buf[jr * kcb..].as_ptr(), nr)
                        } else {
                            // SAFETY: (pc, jc + jr) is an element of B.
                            (unsafe { p.b.offset(pc, jc + jr) }.ptr, p.b.rs)
                        };
                        // SAFETY: (ic + ir, jc + jr) is an element of C.
                        tile.c = unsafe { c_row.add(jr) };
                        tile.n = nrb;
                        // SAFETY: A has as many readable rows × kcb columns as the kernel's
                        // tile has rows (in place when a tile of mrb rows exists, else the
                        // zero-padded MR-row panel), B has as many readable columns as the
                        // kernel reads (packed and zero-padded to NR columns, or in place: all
                        // NR columns, or the edge kernel's exact width, or up to nrb in its
                        // last vector, which starts inside them), and the tile
                        // writes only its mrb × nrb elements of C. The set's ISA was checked.
                        unsafe { kernel(&tile) };
                        if let Epilogue::KeepWherePositive { mask, rs, .. } = row_epilogue {
                            let keep = Keep {
                                c: tile.c,
                                rsc: p.rsc,
                                mask: mask.wrapping_add(jr),
                                rsm: rs,
                                m: mrb,
                                n: nrb,
                            };
                            // SAFETY: the tile's mrb × nrb block of C was just written, and the
                            // mask (unit column stride here, by `product`) covers C.
                            unsafe { (set.keep)(&keep) };
                        }
                    }
                }
            }
        }
    }
}

/// The row tiles `(first row, rows)` of loop 2 over `rows > 0` rows: as many tiles as MR-row
/// tiles would take, of nearly equal heights when each can be at least `shortest` rows (64 rows
/// run as 9 × 6 + 2 × 5 instead of 10 × 6 and a 4-row remainder computed as 6 rows, 3% of the
/// product), else MR-row tiles and a ragged last one.
fn row_tiles(rows: usize, mr: usize, shortest: usize) -> impl Iterator<Item = (usize, usize)> {
    let tiles = rows.div_ceil(mr);
    let even = rows >= tiles * shortest;
    let (base, taller) = (rows / tiles, rows % tiles);
    (0..tiles).map(move |tile| {
        if even {
            // The `taller` first tiles take one row more than the rest.
            (
                tile * base + tile.min(taller),
                base + usize::from(tile < taller),
            )
        } else {
            (tile * mr, (rows - tile * mr).min(mr))
        }
    })
}

/// A product a few columns wide with A's rows contiguous: B packed column-interleaved once,
/// then blocks of 4 rows × J columns by the `dot_tile` kernels, rows split across threads.
///
/// # Safety
/// As [`run_tiles`], with `p.a.cs == 1`.
pub(crate) unsafe fn run_dot_tiles<E: Element>(
    set: &KernelSet<E>,
    p: &Problem<E>,
    par: &Parallelism,
) {
    let (j_block, kernel) = set.dot_tile_for(p.n);
    let group_len = p.k.div_ceil(set.lanes) * j_block * set.lanes;
    let groups = p.n.div_ceil(j_block);
    par.with_scratch(|scratch| {
        let (packed, _) = scratch.buffers::<E>(group_len * groups, 0);
        for (g, dst) in packed.chunks_exact_mut(group_len).enumerate() {
            let cols = (p.n - g * j_block).min(j_block);
            // SAFETY: columns g·J .. g·J + cols of the k × n B are readable.
            unsafe {
                pack::b_interleaved(
                    &p.b,
                    (p.k, g * j_block, cols),
                    (j_block, set.lanes),
                    set.transpose,
                    dst,
                )
            };
        }
        let packed: &[E] = packed;
        let blocks = p.m.div_ceil(DOT_TILE_ROWS);
        let fmas = p.m.saturating_mul(p.n).saturating_mul(p.k);
        let parts = part_count(par.threads(), fmas, set.lanes, blocks);
        let per_part = blocks.div_ceil(parts);
        let run_blocks = |first: usize, last: usize| {
            for block in first..last {
                let r0 = block * DOT_TILE_ROWS;
                let rows = (p.m - r0).min(DOT_TILE_ROWS);
                // Rows past the matrix repeat its last row; their results are not stored.
                let a = std::array::from_fn(|r| {
                    // SAFETY: row min(r0 + r, m - 1) of A exists.
                    unsafe { p.a.ptr.add((r0 + r).min(p.m - 1) * p.a.rs) }
                });
                for (g, bt) in packed.chunks_exact(group_len).enumerate() {
                    let call = DotTile {
                        k: p.k,
                        a,
                        bt: bt.as_ptr(),
                        // SAFETY: (r0, g·J) is an element of C.
                        c: unsafe { p.c.add(r0 * p.rsc + g * j_block) },
                        rsc: p.rsc,
                        m: rows,
                        n: (p.n - g * j_block).min(j_block),
                        alpha: p.alpha,
                        beta: p.beta,
                    };
                    // SAFETY: the rows of A hold k contiguous elements, `bt` one packed group,
                    // and the block writes its rows × n elements of C, disjoint from every
                    // other block's. The set's ISA was checked.
                    unsafe { kernel(&call) };
                }
            }
        };
        if parts == 1 {
            run_blocks(0, blocks);
        } else {
            par.for_each_part(parts, |part, _| {
                run_blocks(part * per_part, ((part + 1) * per_part).min(blocks))
            });
        }
    });
}

/// y ← α·A·x + β·y for n = 1 with A's rows contiguous: dot products along k.
///
/// # Safety
/// As [`run_tiles`], with n = 1 and `p.a.cs == 1`.
pub(crate) unsafe fn run_dot<E: Element>(set: &KernelSet<E>, p: &Problem<E>, par: &Parallelism) {
    par.with_scratch(|scratch| {
        let (x_buf, _) = scratch.buffers::<E>(if p.b.rs == 1 { 0 } else { p.k }, 0);
        let x = if p.b.rs == 1 {
            p.b.ptr
        } else {
            for (i, slot) in x_buf.iter_mut().enumerate() {
                // SAFETY: B is k × 1, so (i, 0) for i < k is readable.
                *slot = unsafe { *p.b.ptr.add(i * p.b.rs) };
            }
            x_buf.as_ptr()
        };
        let mut row = 0;
        while row < p.m {
            let rows = if p.m - row >= DOT_ROWS { DOT_ROWS } else { 1 };
            let kernel = if rows == DOT_ROWS {
                set.dot_rows
            } else {
                set.dot_row
            };
            let call = Dot {
                k: p.k,
                // SAFETY: row < m is a row of A and of C.
                a: unsafe { p.a.ptr.add(row * p.a.rs) },
                rsa: p.a.rs,
                x,
                // SAFETY: as above.
                y: unsafe { p.c.add(row * p.rsc) },
                rsy: p.rsc,
                alpha: p.alpha,
                beta: p.beta,
            };
            // SAFETY: rows row .. row + rows of A (contiguous, k long) and of C exist, x holds
            // k elements, and the set's ISA was checked.
            unsafe { kernel(&call) };
            row += rows;
        }
    });
}
