//! The GEMM shapes the benches and the roofline report measure.
//!
//! Besides square products, the shapes of a small MLP's layers: a layer of batch M, K inputs and
//! N outputs computes Y = X·W (M×K by K×N); backpropagation then computes the weight gradient
//! Xᵀ·dY (K×M by M×N, A read transposed) and the input gradient dY·Wᵀ (M×N by N×K, B read
//! transposed).

use std::fmt;

/// How the operands are stored: all row-major, one of them read through a transposed view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// C = A·B.
    Ab,
    /// C = Aᵀ·B, A stored k×m.
    AtB,
    /// C = A·Bᵀ, B stored n×k.
    ABt,
}

impl Layout {
    /// The label used in tables and bench names: `AB`, `AtB` or `ABt`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Ab => "AB",
            Layout::AtB => "AtB",
            Layout::ABt => "ABt",
        }
    }
}

/// One product to measure: C (m×n) = A (m×k) · B (k×n), with operands stored as `layout` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GemmShape {
    /// Rows of C and of the (possibly transposed) A.
    pub m: usize,
    /// The inner dimension.
    pub k: usize,
    /// Columns of C and of the (possibly transposed) B.
    pub n: usize,
    /// How A and B are stored.
    pub layout: Layout,
}

impl GemmShape {
    /// A plain row-major product.
    pub const fn ab(m: usize, k: usize, n: usize) -> Self {
        Self {
            m,
            k,
            n,
            layout: Layout::Ab,
        }
    }

    /// Floating-point operations of the product.
    pub fn flops(&self) -> u64 {
        crate::flops::gemm_flops(self.m, self.k, self.n)
    }
}

impl fmt::Display for GemmShape {
    /// `m×k×n` followed by the layout unless it is the plain `AB`, e.g. `256x784x512 AtB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.m, self.k, self.n)?;
        if self.layout != Layout::Ab {
            write!(f, " {}", self.layout.name())?;
        }
        Ok(())
    }
}

/// Square sizes measured.
pub const SQUARE_SIZES: [usize; 6] = [64, 128, 256, 512, 1024, 2048];

/// The (M, K, N) of the MLP layers measured: batch, inputs, outputs.
pub const MLP_SHAPES: [(usize, usize, usize); 5] = [
    (256, 784, 512),
    (256, 512, 512),
    (256, 512, 10),
    (200, 100, 100),
    (100, 100, 100),
];

/// The forward product of a layer and its two backward products.
pub fn layer_products(batch: usize, inputs: usize, outputs: usize) -> [GemmShape; 3] {
    [
        GemmShape::ab(batch, inputs, outputs),
        GemmShape {
            m: inputs,
            k: batch,
            n: outputs,
            layout: Layout::AtB,
        },
        GemmShape {
            m: batch,
            k: outputs,
            n: inputs,
            layout: Layout::ABt,
        },
    ]
}

/// Every shape measured: the squares, then each MLP layer's forward and backward products.
/// `quick` keeps the squares from 256 to 1024 and the MLP products of [`mlp_products`].
pub fn all_shapes(quick: bool) -> Vec<GemmShape> {
    let mut shapes: Vec<GemmShape> = SQUARE_SIZES
        .iter()
        .filter(|&&s| !quick || (256..=1024).contains(&s))
        .map(|&s| GemmShape::ab(s, s, s))
        .collect();
    shapes.extend(mlp_products(quick));
    shapes
}

/// Each MLP layer's forward product followed by its two backward products; `quick` keeps the
/// backward products of the first and fourth layers only.
pub fn mlp_products(quick: bool) -> Vec<GemmShape> {
    let mut shapes = Vec::new();
    for (i, &(m, k, n)) in MLP_SHAPES.iter().enumerate() {
        let [forward, weight_grad, input_grad] = layer_products(m, k, n);
        shapes.push(forward);
        if !quick || i == 0 || i == 3 {
            shapes.push(weight_grad);
            shapes.push(input_grad);
        }
    }
    shapes
}

/// The sizes m = n = k of the throughput-against-size plot, from the smallest products, where
/// packing and call overhead dominate, to sizes that stream from memory.
pub const PLOT_SIZES: [usize; 14] = [
    16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
];

/// The square sizes of the plot: [`PLOT_SIZES`], or every other one up to 1024 when `quick`.
pub fn plot_sizes(quick: bool) -> Vec<usize> {
    if quick {
        vec![16, 32, 64, 128, 256, 512, 1024]
    } else {
        PLOT_SIZES.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_products_have_the_layer_dimensions() {
        let [f, w, x] = layer_products(256, 784, 512);
        assert_eq!((f.m, f.k, f.n), (256, 784, 512));
        assert_eq!((w.m, w.k, w.n, w.layout), (784, 256, 512, Layout::AtB));
        assert_eq!((x.m, x.k, x.n, x.layout), (256, 512, 784, Layout::ABt));
        assert_eq!(f.flops(), w.flops());
        assert_eq!(f.flops(), x.flops());
    }

    #[test]
    fn labels_name_the_layout() {
        assert_eq!(GemmShape::ab(64, 64, 64).to_string(), "64x64x64");
        assert_eq!(
            layer_products(200, 100, 10)[1].to_string(),
            "100x200x10 AtB"
        );
        assert_eq!(
            layer_products(200, 100, 10)[2].to_string(),
            "200x10x100 ABt"
        );
    }

    #[test]
    fn full_and_quick_lists() {
        let full = all_shapes(false);
        assert_eq!(full.len(), 6 + 5 * 3);
        assert_eq!(full[0], GemmShape::ab(64, 64, 64));
        assert!(full.contains(&GemmShape::ab(2048, 2048, 2048)));
        let quick = all_shapes(true);
        assert_eq!(quick.len(), 3 + 5 + 2 * 2);
        assert!(quick.iter().all(|s| full.contains(s)));
        assert!(quick.contains(&GemmShape::ab(256, 512, 10)));
        assert_eq!(mlp_products(false), full[6..].to_vec());
        assert_eq!(mlp_products(true), quick[3..].to_vec());
    }

    #[test]
    fn plot_sizes_span_16_to_2048_and_quick_is_a_subset() {
        let full = plot_sizes(false);
        assert_eq!((full[0], full[full.len() - 1], full.len()), (16, 2048, 14));
        assert!(full.windows(2).all(|w| w[0] < w[1]));
        let quick = plot_sizes(true);
        assert_eq!(quick.len(), 7);
        assert!(quick.iter().all(|s| full.contains(s)));
    }
}
