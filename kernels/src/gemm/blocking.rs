//! Cache blocksizes of the five-loop GEMM, derived from this machine's caches.
//!
//! The machine (AMD Zen 5 by `KERNELS.md`): L1d 48 KiB and L2 1 MiB per core, L3 32 MiB shared.
//! (The machine the benchmarks ran on reports itself as Zen 4, with a 32 KiB L1d; blocksizes
//! derived from 32 KiB, and KC halved, measured within noise of these, so the sizes stay.) The
//! loops keep one operand per cache level (see `driver`):
//! - **KC** (depth of a rank-KC update): the MR × KC micropanel of A, reused across every B
//!   micropanel of loop 1, fills half of L1d; the other half takes the B micropanel lines streaming
//!   through and the C tile.
//! - **NC** (columns of the packed B block): the KC × NC block of B, reused by every A micropanel of
//!   loop 2, fills half of L2, leaving room for the A micropanels and C passing through.
//! - **MC** (rows of the A block): the MC × KC block of A, reused across every NC block of loop 3,
//!   takes a quarter of the shared L3, so both cores' blocks and B's traffic fit together.
//!
//! KC depends only on the kernel's tile and the element size, never on the thread count: the
//! k-order of every sum is the same however the work is split.

/// L1 data cache per core, bytes.
pub(crate) const L1D_BYTES: usize = 48 * 1024;
/// L2 cache per core, bytes.
pub(crate) const L2_BYTES: usize = 1024 * 1024;
/// L3 cache shared by the cores, bytes.
pub(crate) const L3_BYTES: usize = 32 * 1024 * 1024;

/// The three cache blocksizes of one kernel set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocks {
    /// Depth of one packed rank-KC update.
    pub kc: usize,
    /// Rows of A per block (a multiple of MR).
    pub mc: usize,
    /// Columns of B per block (a multiple of NR).
    pub nc: usize,
}

impl Blocks {
    /// Blocksizes for an MR × NR tile of elements `elem_bytes` wide, by the rules above.
    pub(crate) const fn for_tile(mr: usize, nr: usize, elem_bytes: usize) -> Self {
        // Round KC down to a multiple of 16 so the packed panels stay cache-line aligned.
        let kc = (L1D_BYTES / 2 / (mr * elem_bytes)) / 16 * 16;
        let nc = max(L2_BYTES / 2 / (kc * elem_bytes) / nr, 1) * nr;
        let mc = max(L3_BYTES / 4 / (kc * elem_bytes) / mr, 1) * mr;
        Self { kc, mc, nc }
    }
}

/// `max` usable in constants.
const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}
