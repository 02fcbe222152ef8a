//! Seeded operands of a benchmark product, stored as its layout says.

use kernels::rng::Rng;
use kernels::{Element, MatMut, MatRef};

use crate::shapes::{GemmShape, Layout};

/// A, B and C of one product, filled with seeded Gaussian values.
#[derive(Clone, Debug)]
pub struct Operands<T> {
    shape: GemmShape,
    a: Vec<T>,
    b: Vec<T>,
    c: Vec<T>,
}

impl<T: Element> Operands<T> {
    /// Operands for `shape`, the same for the same `seed`.
    pub fn new(shape: GemmShape, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut fill =
            |len: usize| -> Vec<T> { (0..len).map(|_| T::from_f64(rng.normal())).collect() };
        let a = fill(shape.m * shape.k);
        let b = fill(shape.k * shape.n);
        let c = fill(shape.m * shape.n);
        Self { shape, a, b, c }
    }

    /// The product these operands are for.
    pub fn shape(&self) -> GemmShape {
        self.shape
    }

    /// Views of A (m×k), B (k×n) and C (m×n), the first two transposed views where the layout
    /// stores them transposed.
    pub fn views(&mut self) -> (MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>) {
        let GemmShape { m, k, n, layout } = self.shape;
        let built = "operands are sized for their shape";
        let a = match layout {
            Layout::AtB => MatRef::from_row_major(&self.a, k, m).expect(built).t(),
            Layout::Ab | Layout::ABt => MatRef::from_row_major(&self.a, m, k).expect(built),
        };
        let b = match layout {
            Layout::ABt => MatRef::from_row_major(&self.b, n, k).expect(built).t(),
            Layout::Ab | Layout::AtB => MatRef::from_row_major(&self.b, k, n).expect(built),
        };
        let c = MatMut::from_row_major(&mut self.c, m, n).expect(built);
        (a, b, c)
    }

    /// The current contents of C, row-major.
    pub fn c(&self) -> &[T] {
        &self.c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::layer_products;

    #[test]
    fn views_have_the_product_shape_for_every_layout() {
        for shape in layer_products(5, 3, 2) {
            let mut ops = Operands::<f32>::new(shape, 1);
            let (a, b, c) = ops.views();
            assert_eq!((a.rows(), a.cols()), (shape.m, shape.k), "{shape}");
            assert_eq!((b.rows(), b.cols()), (shape.k, shape.n), "{shape}");
            assert_eq!((c.rows(), c.cols()), (shape.m, shape.n), "{shape}");
        }
    }

    #[test]
    fn same_seed_same_operands() {
        let shape = GemmShape::ab(4, 4, 4);
        let x = Operands::<f64>::new(shape, 9);
        let y = Operands::<f64>::new(shape, 9);
        assert_eq!(x.c(), y.c());
        assert_ne!(x.c(), Operands::<f64>::new(shape, 10).c());
    }
}
