//! Packing A and B into the contiguous micropanels the microkernels stream through.
//!
//! A packed A panel of MR rows stores column p's MR elements together (`dst[p·MR + i]`), a
//! packed B panel of NR columns stores row p's NR elements together (`dst[p·NR + j]`), so the
//! kernel reads both with unit stride. Rows or columns past the edge of the matrix are zero, so
//! an edge tile runs the full-size kernel and its padding adds nothing.

use super::driver::Operand;
use super::simd::prefetch;
use super::transpose::Transpose;
use crate::Element;

/// Packs rows `i0..i0 + rows` × columns `p0..p0 + depth` of A into ⌈rows/MR⌉ panels of MR rows.
///
/// # Safety
/// A must be readable at every (i, p) of that range.
pub(crate) unsafe fn a_panels<E: Element>(
    a: &Operand<E>,
    (i0, p0): (usize, usize),
    (rows, depth): (usize, usize),
    mr: usize,
    dst: &mut [E],
) {
    for (q, panel) in dst
        .chunks_exact_mut(mr * depth)
        .take(rows.div_ceil(mr))
        .enumerate()
    {
        let height = (rows - q * mr).min(mr);
        // SAFETY: rows i0 + q·MR .. + height and columns p0 .. p0 + depth are inside the range
        // the caller guarantees readable.
        unsafe { pack_transposed(a, (i0 + q * mr, p0), (height, depth), mr, None, panel) };
    }
}

/// Packs rows `p0..p0 + depth` × columns `j0..j0 + cols` of B into ⌈cols/NR⌉ panels of NR
/// columns; a B stored column by column goes through `transpose` block by block when the
/// instruction set has one.
///
/// # Safety
/// B must be readable at every (p, j) of that range; `transpose` must run on this CPU.
pub(crate) unsafe fn b_panels<E: Element>(
    b: &Operand<E>,
    (p0, j0): (usize, usize),
    (depth, cols): (usize, usize),
    nr: usize,
    transpose: Option<Transpose<E>>,
    dst: &mut [E],
) {
    // B(p, j) is A-like with the roles of rows and columns exchanged: B's transpose, packed as
    // rows, gives exactly the panel layout `dst[p·NR + j]`.
    let bt = Operand {
        ptr: b.ptr,
        rs: b.cs,
        cs: b.rs,
    };
    for (q, panel) in dst
        .chunks_exact_mut(nr * depth)
        .take(cols.div_ceil(nr))
        .enumerate()
    {
        let width = (cols - q * nr).min(nr);
        // SAFETY: Bᵀ(j, p) = B(p, j) for j0 + q·NR ≤ j < .. + width, p0 ≤ p < p0 + depth: inside
        // the range the caller guarantees readable.
        unsafe { pack_transposed(&bt, (j0 + q * nr, p0), (width, depth), nr, transpose, panel) };
    }
}

/// How many source columns ahead of the one being copied the packing prefetches. The columns
/// are often a page or more apart (a row-major B of 512 f64 rows), where the hardware's stream
/// prefetchers, which stop at page boundaries, do not follow (measured on f64 256×784×512: the
/// copy's share of the product's samples 7.7–10.4% without, 5.9–6.5% with).
const PACK_AHEAD: usize = 8;

/// `dst[p·len + i] = src(r0 + i, c0 + p)` for i < height, p < depth, zero for height ≤ i < len.
///
/// # Safety
/// `src` must be readable at (r0 + i, c0 + p) for i < height and p < depth; `transpose` must
/// run on this CPU.
unsafe fn pack_transposed<E: Element>(
    src: &Operand<E>,
    (r0, c0): (usize, usize),
    (height, depth): (usize, usize),
    len: usize,
    transpose: Option<Transpose<E>>,
    dst: &mut [E],
) {
    let dst = &mut dst[..len * depth];
    if height < len {
        dst.fill(E::ZERO);
    }
    // SAFETY: (r0, c0) is inside the readable range, so the offset is inside the source slice.
    let origin = unsafe { src.ptr.add(r0 * src.rs + c0 * src.cs) };
    if src.rs == 1 {
        // Each source column is contiguous: copy it whole.
        for (p, out) in dst.chunks_exact_mut(len).enumerate() {
            let ahead = origin.wrapping_add((p + PACK_AHEAD) * src.cs);
            for line in (0..height).step_by(64 / size_of::<E>()) {
                prefetch(ahead.wrapping_add(line));
            }
            // SAFETY: elements (r0 .. r0 + height, c0 + p) are readable and, with unit row
            // stride, contiguous.
            let column = unsafe { std::slice::from_raw_parts(origin.add(p * src.cs), height) };
            out[..height].copy_from_slice(column);
        }
    } else {
        // Blocks of `side` contiguous source rows by the vector transpose (the last block of
        // columns narrower: the transpose reads and writes only `width` of them); the rows past
        // the last whole block of rows go element by element below.
        let rows_done = match transpose {
            Some(t) if src.cs == 1 => {
                let rows = height / t.side * t.side;
                for i in (0..rows).step_by(t.side) {
                    for p in (0..depth).step_by(t.side) {
                        let width = (depth - p).min(t.side);
                        // SAFETY: the block's rows r0 + i .. + side, columns c0 + p .. + width
                        // are readable and contiguous along p (unit column stride); its
                        // destination rows p .. p + width, elements i .. i + side lie inside
                        // the len × depth panel; the caller vouches for the CPU.
                        unsafe {
                            (t.block)(
                                origin.add(i * src.rs + p),
                                src.rs,
                                dst.as_mut_ptr().add(p * len + i),
                                len,
                                width,
                            )
                        };
                    }
                }
                rows
            }
            _ => 0,
        };
        // Walk each source row contiguously (unit column stride is the common case) and
        // scatter it down the panel.
        for i in rows_done..height {
            // SAFETY: (r0 + i, c0) is readable.
            let row = unsafe { origin.add(i * src.rs) };
            for (p, out) in dst.chunks_exact_mut(len).enumerate() {
                // SAFETY: (r0 + i, c0 + p) with i < height, p < depth is readable.
                out[i] = unsafe { *row.add(p * src.cs) };
            }
        }
    }
}

/// Packs columns `j0..j0 + cols` (cols ≤ J) of the k-row B for [`dot_tile`]: per step of
/// `lanes` along k, the J column segments one after another (`dst[(s·J + j)·lanes + l] =
/// B(s·lanes + l, j0 + j)`), zero past k and past `cols`. A step is the transpose of a
/// `lanes` × cols block of B, done by `transpose` when B's rows are contiguous.
///
/// [`dot_tile`]: super::microkernel::dot_tile
///
/// # Safety
/// B must be readable at (p, j0 + j) for p < k, j < cols; `transpose` must run on this CPU.
pub(crate) unsafe fn b_interleaved<E: Element>(
    b: &Operand<E>,
    (k, j0, cols): (usize, usize, usize),
    (j_block, lanes): (usize, usize),
    transpose: Option<Transpose<E>>,
    dst: &mut [E],
) {
    let transpose = transpose.filter(|t| t.side == lanes && b.cs == 1 && cols <= t.side);
    let dst = &mut dst[..k.div_ceil(lanes) * j_block * lanes];
    if cols < j_block || !k.is_multiple_of(lanes) {
        dst.fill(E::ZERO);
    }
    for (step, block) in dst.chunks_exact_mut(j_block * lanes).enumerate() {
        let p0 = step * lanes;
        let depth = (k - p0).min(lanes);
        if let Some(t) = transpose.filter(|_| depth == lanes) {
            // SAFETY: rows p0 .. p0 + lanes of B are readable at columns j0 .. j0 + cols and
            // contiguous along them (unit column stride); the step's block holds J ≥ cols
            // segments of `lanes` elements. The caller vouches for the CPU.
            unsafe {
                (t.block)(
                    b.ptr.add(p0 * b.rs + j0),
                    b.rs,
                    block.as_mut_ptr(),
                    lanes,
                    cols,
                )
            };
            continue;
        }
        for j in 0..cols {
            let segment = &mut block[j * lanes..j * lanes + depth];
            // SAFETY: (p0, j0 + j) is readable.
            let column = unsafe { b.ptr.add(p0 * b.rs + (j0 + j) * b.cs) };
            for (p, slot) in segment.iter_mut().enumerate() {
                // SAFETY: (p0 + p, j0 + j) with p < depth ≤ k - p0 and j < cols is readable.
                *slot = unsafe { *column.add(p * b.rs) };
            }
        }
    }
}
