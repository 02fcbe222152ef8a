//! The microkernels of each instruction set and element type, with their tile shapes.
//!
//! Tile shapes (rows × columns of C held in registers; LANES = 16 f32 or 8 f64 in a zmm):
//! - AVX-512 (32 zmm): the main tile is 6 × 4 vectors = 24 accumulators (6×64 f32, 6×32 f64),
//!   leaving 8 registers for the 4 B loads and the A broadcasts. Narrow products use as many rows
//!   as keep ≥ 16 accumulators busy: 8 × 3, 12 × 2, 16 × 1 vectors. FMA latency 4 × 2 pipes needs
//!   at least 8 independent chains, which all of these give.
//! - AVX2 + FMA (16 ymm): 6 × 2 vectors = 12 accumulators (6×16 f32, 6×8 f64), narrow 12 × 1.
//! - portable (`wide`, 16 xmm on a baseline x86-64 build, where an f32x8 is two registers):
//!   4 × 2 vectors, narrow 8 × 1.
//!
//! The main tile also comes with fewer vectors per row for the ragged last panel of B. On AVX-512
//! every tile also comes with a half-width (ymm) vector after v full ones, for a last panel that
//! ends in the first half of a vector: Zen 4 splits a 512-bit FMA into two 256-bit halves, so a
//! zmm FMA on 4 real lanes costs as much as on 16 while a ymm one costs half. A width-100 f32
//! product of the small MLPs takes 6 zmm + 1 ymm FMAs per row and step instead of 7 zmm
//! (measured 1.06–1.10× the gemm crate, against 1.00–1.04× with 7 zmm); on cores with full-width
//! units a ymm FMA costs what a zmm one does, so nothing is lost there.
//! The main tile also comes on every height down to half its own, with the same edges and
//! halves, so that loop 2 cuts m rows into tiles of nearly equal height instead of computing a
//! ragged remainder as a full tile on zero rows: 64 rows as 9 × 6 + 2 × 5, not 11 × 6 (measured
//! f32 64³ 0.99× → 1.04× the gemm crate, 200×100×100 1.09× → 1.11×), and 7 rows as 4 + 3, not
//! 6 + a padded 6 (7×64×64 0.67× → 1.17× in f32, 0.65× → 1.14× in f64).
//! The narrow tiles come on every height down to half their own, which is the shortest an even
//! cut into more than one tile needs: without them a 32-row f32 product 32 wide ran as 12 + 12
//! rows and a last 8 rows packed and padded to 12, the copy alone a fifth of the call
//! (measured f32 32³ 0.76× → 1.16× the gemm crate, f64 16³ 0.81× → 1.40×).
//! Every tile also comes in a partial form, whose last vector (or half) is loaded only up to the
//! panel's columns, so that a ragged last panel of B read in place needs no zero-padded copy.
//! Every set also has a one-row tile 1 × 8 vectors for row-vector products (m = 1), with the
//! main tile's edges and halves (a row result 100 wide is 6 vectors and a partial half), the
//! matrix–vector kernels for 4 rows and 1 row, and skinny-product kernels (`dot_tile`) over
//! 4 rows × J columns: J ∈ {4, 5, 6} on AVX-512 (16–24 accumulators), {2, 3} on 16-register sets.

use super::blocking::Blocks;
use super::microkernel::{
    Dot, DotFn, DotTile, DotTileFn, Keep, KeepFn, Tile, TileFn, dot, dot_tile, keep, tile,
};
#[cfg(target_arch = "x86_64")]
use super::simd::{Avx2F32, Avx2F64, Avx512F32, Avx512F64};
use super::simd::{PortableF32, PortableF64};
use super::transpose::{self, Transpose};

/// One tile shape with its two A access modes.
pub(crate) struct Shape<E: 'static> {
    /// Rows of the tile.
    pub mr: usize,
    /// Columns of the tile (vectors × lanes).
    pub nr: usize,
    /// The kernel for A with adjacent rows (`rsa == 1`): packed panels, column-major A.
    pub col: TileFn<E>,
    /// The kernel for any A strides (row-major A in particular).
    pub general: TileFn<E>,
    /// `col` reading the last vector of each row of B only up to the tile's columns, for a
    /// ragged last panel of B read in place.
    pub col_partial: TileFn<E>,
    /// `general` reading B as `col_partial` does.
    pub general_partial: TileFn<E>,
    /// `edges[v - 1]`: the same rows with v vectors, for a ragged last panel of ≤ v vectors.
    pub edges: &'static [Shape<E>],
    /// `halves[v]`: the same rows with v vectors and one half-width vector, for a ragged last
    /// panel that ends in the first half of a vector (empty where half vectors gain nothing).
    pub halves: &'static [Shape<E>],
    /// `shorter[d - 1]`: the same columns (with their edges and halves) on MR − d rows, so that
    /// loop 2 can cut m rows into tiles of nearly equal height instead of padding the last one.
    pub shorter: &'static [Shape<E>],
}

impl<E> Shape<E> {
    /// The kernel for a panel `cols` wide in the given A mode: the narrowest edge tile that
    /// covers it (one ending in a half vector when that suffices), or the full tile.
    pub(crate) fn kernel(&self, cols: usize, lanes: usize, column_mode: bool) -> TileFn<E> {
        self.covering(cols, lanes).tile_fn(column_mode, false)
    }

    /// This tile's kernel in the given A mode, whole or reading its last vector only up to the
    /// columns it writes.
    fn tile_fn(&self, column_mode: bool, partial: bool) -> TileFn<E> {
        match (column_mode, partial) {
            (true, false) => self.col,
            (false, false) => self.general,
            (true, true) => self.col_partial,
            (false, true) => self.general_partial,
        }
    }

    /// The kernel for a ragged panel `cols` wide read in place, in the given A mode: the
    /// covering tile, reading its last vector only up to `cols` unless it is exactly as wide.
    /// Every set's shapes have the edges and halves for this on every width they are handed
    /// (tested), so that the last vector always starts inside `cols`; the assertion guards that
    /// a kernel never reads B past the panel.
    pub(crate) fn in_place_kernel(
        &self,
        cols: usize,
        lanes: usize,
        column_mode: bool,
    ) -> TileFn<E> {
        let shape = self.covering(cols, lanes);
        let last = if shape.nr.is_multiple_of(lanes) {
            lanes
        } else {
            lanes / 2
        };
        assert!(
            shape.nr - last < cols && cols <= shape.nr,
            "no {}-row kernel reads a panel {cols} columns wide in place",
            self.mr
        );
        shape.tile_fn(column_mode, shape.nr != cols)
    }

    /// The narrowest of this tile and its edges and halves that covers `cols ≤ nr` columns: its
    /// `nr` is how many columns of B the kernel reads.
    pub(crate) fn covering(&self, cols: usize, lanes: usize) -> &Self {
        if cols == self.nr {
            // The common case, without the divisions below: loop 2 asks once per row tile.
            return self;
        }
        let rest = cols % lanes;
        let half = (rest != 0 && rest <= lanes / 2)
            .then(|| self.halves.get(cols / lanes))
            .flatten();
        half.or_else(|| self.edges.get(cols.div_ceil(lanes).wrapping_sub(1)))
            .unwrap_or(self)
    }
}

// Manual impls: a derive would demand `E: Copy`, but only function pointers are copied.
impl<E> Clone for Shape<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Shape<E> {}

/// Everything the drivers need for one instruction set and element type.
pub(crate) struct KernelSet<E: 'static> {
    /// Elements per vector.
    pub lanes: usize,
    /// The tile of large products.
    pub main: Shape<E>,
    /// `narrow[v - 1]`: the tile for products fewer than `main.nr` columns wide that fit in v
    /// vectors, with its shorter variants.
    pub narrow: &'static [Shape<E>],
    /// The one-row tile of row-vector products.
    pub row: Shape<E>,
    /// The mask kernel of `gemm_relu_backward`'s tiles.
    pub keep: KeepFn<E>,
    /// The matrix–vector kernel over [`DOT_ROWS`] rows.
    pub dot_rows: DotFn<E>,
    /// The matrix–vector kernel over one row.
    pub dot_row: DotFn<E>,
    /// The skinny-product kernels `(J, kernel)` for blocks of J columns.
    pub dot_tiles: &'static [(usize, DotTileFn<E>)],
    /// The block transpose that packs a column-major B, where the instruction set has one.
    pub transpose: Option<Transpose<E>>,
    /// Cache blocksizes for the main tile.
    pub blocks: Blocks,
}

/// Rows per call of the multi-row matrix–vector kernel.
pub(crate) const DOT_ROWS: usize = 4;

impl<E> KernelSet<E> {
    /// The tile for an m × n product: one row, narrow, or the main tile.
    pub(crate) fn shape_for(&self, m: usize, n: usize) -> Shape<E> {
        if m == 1 {
            return self.row;
        }
        let vectors = n.div_ceil(self.lanes);
        match self.narrow.get(vectors.wrapping_sub(1)) {
            Some(shape) if n < self.main.nr => *shape,
            _ => self.main,
        }
    }

    /// The skinny-product kernel for n columns: the J that pads n least (the widest on ties).
    pub(crate) fn dot_tile_for(&self, n: usize) -> (usize, DotTileFn<E>) {
        let mut best = self.dot_tiles[0];
        for &(j, kernel) in self.dot_tiles {
            if n.div_ceil(j) * j <= n.div_ceil(best.0) * best.0 {
                best = (j, kernel);
            }
        }
        best
    }
}

/// Builds a `KernelSet` static: the generic kernels are instantiated inside functions carrying
/// the set's attributes (the `#[target_feature]` that makes the intrinsics compile to its ISA).
macro_rules! kernel_set {
    ($(#[$attr:meta])* $name:ident: $vector:ty, $half:ty, $elem:ty, lanes = $lanes:literal,
     main = ($mr:literal, $nv:literal), edges = [$($env:literal),*], halves = [$($hv:literal),*],
     shorter = [$($short:literal),*],
     narrow = [$(($nmr:literal, $nnv:literal, [$($nhv:literal),*], [$($nshort:literal),*])),*],
     row = ($rnv:literal, edges = [$($renv:literal),*], halves = [$($rhv:literal),*]), dot = [$($dj:literal),*], transpose = $transpose:expr) => {
        /// The kernel set of one instruction set and element type (see the module docs).
        pub(crate) static $name: KernelSet<$elem> = {
            $(#[$attr])*
            /// The tile kernel compiled for this set's instruction set.
            unsafe fn tile_fn<
                const MR: usize,
                const NV: usize,
                const HALF: bool,
                const ACOL: bool,
                const PARTIAL: bool,
            >(
                t: &Tile<$elem>,
            ) {
                // SAFETY: the caller upholds `tile`'s contract; the set is only used when the
                // CPU has its instruction set (checked by the kernel selection), which includes
                // the half vector's.
                unsafe { tile::<$vector, $half, MR, NV, HALF, ACOL, PARTIAL>(t) }
            }
            $(#[$attr])*
            /// The mask kernel compiled for this set's instruction set.
            unsafe fn keep_fn(k: &Keep<$elem>) {
                // SAFETY: as for `tile_fn`, with `keep`'s contract.
                unsafe { keep::<$vector>(k) }
            }
            $(#[$attr])*
            /// The matrix–vector kernel compiled for this set's instruction set.
            unsafe fn dot_fn<const R: usize>(d: &Dot<$elem>) {
                // SAFETY: as for `tile_fn`, with `dot`'s contract.
                unsafe { dot::<$vector, R>(d) }
            }
            $(#[$attr])*
            /// The skinny-product kernel compiled for this set's instruction set.
            unsafe fn dot_tile_fn<const J: usize>(d: &DotTile<$elem>) {
                // SAFETY: as for `tile_fn`, with `dot_tile`'s contract.
                unsafe { dot_tile::<$vector, J>(d) }
            }
            /// The MR × (NV full vectors, plus a half one with HALF) tile in both A modes, whole
            /// and partial, without edge variants.
            const fn leaf<const MR: usize, const NV: usize, const HALF: bool>() -> Shape<$elem> {
                Shape {
                    mr: MR,
                    nr: NV * $lanes + if HALF { $lanes / 2 } else { 0 },
                    col: tile_fn::<MR, NV, HALF, true, false>,
                    general: tile_fn::<MR, NV, HALF, false, false>,
                    col_partial: tile_fn::<MR, NV, HALF, true, true>,
                    general_partial: tile_fn::<MR, NV, HALF, false, true>,
                    edges: &[],
                    halves: &[],
                    shorter: &[],
                }
            }
            /// The main tile's columns, edges and halves on ROWS rows.
            struct Rows<const ROWS: usize>;
            impl<const ROWS: usize> Rows<ROWS> {
                const SHAPE: Shape<$elem> = Shape {
                    edges: &[$(leaf::<ROWS, $env, false>()),*],
                    halves: &[$(leaf::<ROWS, $hv, true>()),*],
                    ..leaf::<ROWS, $nv, false>()
                };
            }
            KernelSet {
                lanes: $lanes,
                main: Shape {
                    shorter: &[$(Rows::<{ $mr - $short }>::SHAPE),*],
                    ..Rows::<$mr>::SHAPE
                },
                narrow: &[$({
                    /// This narrow tile's columns and halves on ROWS rows.
                    struct NarrowRows<const ROWS: usize>;
                    impl<const ROWS: usize> NarrowRows<ROWS> {
                        const SHAPE: Shape<$elem> = Shape {
                            halves: &[$(leaf::<ROWS, $nhv, true>()),*],
                            ..leaf::<ROWS, $nnv, false>()
                        };
                    }
                    Shape {
                        shorter: &[$(NarrowRows::<{ $nmr - $nshort }>::SHAPE),*],
                        ..NarrowRows::<$nmr>::SHAPE
                    }
                }),*],
                row: Shape {
                    edges: &[$(leaf::<1, $renv, false>()),*],
                    halves: &[$(leaf::<1, $rhv, true>()),*],
                    ..leaf::<1, $rnv, false>()
                },
                keep: keep_fn,
                dot_rows: dot_fn::<DOT_ROWS>,
                dot_row: dot_fn::<1>,
                dot_tiles: &[$(($dj, dot_tile_fn::<$dj>)),*],
                transpose: $transpose,
                blocks: Blocks::for_tile($mr, $nv * $lanes, size_of::<$elem>()),
            }
        };
    };
}

#[cfg(target_arch = "x86_64")]
kernel_set!(#[target_feature(enable = "avx512f,avx512vl")] AVX512_F32: Avx512F32, Avx2F32, f32,
    lanes = 16, main = (6, 4), edges = [1, 2, 3], halves = [0, 1, 2, 3], shorter = [1, 2, 3],
    narrow = [
        (16, 1, [0], [1, 2, 3, 4, 5, 6, 7, 8]),
        (12, 2, [0, 1], [1, 2, 3, 4, 5, 6]),
        (8, 3, [0, 1, 2], [1, 2, 3, 4])
    ], row = (8, edges = [1, 2, 3, 4, 5, 6, 7], halves = [0, 1, 2, 3, 4, 5, 6, 7]),
    dot = [4, 5, 6], transpose = Some(transpose::AVX512_F32));
#[cfg(target_arch = "x86_64")]
kernel_set!(#[target_feature(enable = "avx512f,avx512vl")] AVX512_F64: Avx512F64, Avx2F64, f64,
    lanes = 8, main = (6, 4), edges = [1, 2, 3], halves = [0, 1, 2, 3], shorter = [1, 2, 3],
    narrow = [
        (16, 1, [0], [1, 2, 3, 4, 5, 6, 7, 8]),
        (12, 2, [0, 1], [1, 2, 3, 4, 5, 6]),
        (8, 3, [0, 1, 2], [1, 2, 3, 4])
    ], row = (8, edges = [1, 2, 3, 4, 5, 6, 7], halves = [0, 1, 2, 3, 4, 5, 6, 7]),
    dot = [4, 5, 6], transpose = Some(transpose::AVX512_F64));
#[cfg(target_arch = "x86_64")]
kernel_set!(#[target_feature(enable = "avx2,fma")] AVX2_F32: Avx2F32, Avx2F32, f32, lanes = 8,
    main = (6, 2), edges = [1], halves = [], shorter = [1, 2, 3], narrow = [(12, 1, [], [1, 2, 3, 4, 5, 6])],
    row = (8, edges = [1, 2, 3, 4, 5, 6, 7], halves = []), dot = [2, 3], transpose = None);
#[cfg(target_arch = "x86_64")]
kernel_set!(#[target_feature(enable = "avx2,fma")] AVX2_F64: Avx2F64, Avx2F64, f64, lanes = 4,
    main = (6, 2), edges = [1], halves = [], shorter = [1, 2, 3], narrow = [(12, 1, [], [1, 2, 3, 4, 5, 6])],
    row = (8, edges = [1, 2, 3, 4, 5, 6, 7], halves = []), dot = [2, 3], transpose = None);
kernel_set!(#[inline(never)] PORTABLE_F32: PortableF32, PortableF32, f32, lanes = 8,
    main = (4, 2), edges = [1], halves = [], shorter = [1, 2], narrow = [(8, 1, [], [1, 2, 3, 4])], row = (4, edges = [1, 2, 3], halves = []),
    dot = [2, 3], transpose = None);
kernel_set!(#[inline(never)] PORTABLE_F64: PortableF64, PortableF64, f64, lanes = 4,
    main = (4, 2), edges = [1], halves = [], shorter = [1, 2], narrow = [(8, 1, [], [1, 2, 3, 4])], row = (4, edges = [1, 2, 3], halves = []),
    dot = [2, 3], transpose = None);
