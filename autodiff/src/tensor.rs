//! The tensor: a row-major buffer and its shape. It owns its data and knows nothing of gradients.

use kernels::{Element, MatMut, MatRef};

use crate::shape::{MAX_RANK, Shape};

/// Errors from constructors fed user data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TensorError {
    /// The data does not have one element per slot of the shape.
    #[error("a tensor of shape {shape:?} holds {expected} elements but {len} were given")]
    LengthMismatch {
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements given.
        len: usize,
    },
    /// The shape has more axes than a tensor may have.
    #[error("shape {shape:?} has {} axes but tensors have at most {MAX_RANK}", shape.len())]
    RankTooLarge {
        /// The requested shape.
        shape: Vec<usize>,
    },
    /// The number of elements overflows `usize`.
    #[error("shape {shape:?} has more elements than memory can address")]
    TooLarge {
        /// The requested shape.
        shape: Vec<usize>,
    },
}

/// A dense row-major tensor of `f32` or `f64` of rank 0 to [`MAX_RANK`].
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T> {
    shape: Shape,
    data: Vec<T>,
}

impl<T: Element> Tensor<T> {
    /// A tensor holding `data` in row-major order; fails if the length does not match the shape.
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, TensorError> {
        let s = Shape::new(shape).ok_or_else(|| TensorError::RankTooLarge {
            shape: shape.to_vec(),
        })?;
        let expected = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| TensorError::TooLarge {
                shape: shape.to_vec(),
            })?;
        if data.len() != expected {
            return Err(TensorError::LengthMismatch {
                shape: shape.to_vec(),
                expected,
                len: data.len(),
            });
        }
        Ok(Self { shape: s, data })
    }

    /// A tensor of zeros; panics beyond [`MAX_RANK`] axes.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// A tensor with every element equal to `value`; panics beyond [`MAX_RANK`] axes.
    pub fn full(shape: &[usize], value: T) -> Self {
        let s = Shape::of("Tensor::full", shape);
        Self {
            data: vec![value; s.numel()],
            shape: s,
        }
    }

    /// A rank-0 tensor (shape `[]`) holding one value.
    pub fn scalar(value: T) -> Self {
        Self {
            shape: Shape::scalar(),
            data: vec![value],
        }
    }

    /// Wraps a buffer whose length the caller guarantees matches the shape.
    pub(crate) fn from_parts(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), shape.numel());
        Self { shape, data }
    }

    /// The extents of the axes.
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The shape as the crate's inline value type.
    pub(crate) fn dims(&self) -> Shape {
        self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when some axis has extent 0.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, writable.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The row-major buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    fn matrix_dims(&self, what: &str) -> (usize, usize) {
        match *self.shape() {
            [r, c] => (r, c),
            _ => panic!(
                "{what}: the tensor has shape {:?}, not a matrix shape [rows, cols]",
                self.shape
            ),
        }
    }

    /// Rows of a rank-2 tensor; panics, naming the shape, for other ranks.
    pub fn rows(&self) -> usize {
        self.matrix_dims("Tensor::rows").0
    }

    /// Columns of a rank-2 tensor; panics, naming the shape, for other ranks.
    pub fn cols(&self) -> usize {
        self.matrix_dims("Tensor::cols").1
    }

    /// A rank-2 tensor as a row-major matrix view; panics for other ranks.
    pub fn as_mat(&self) -> MatRef<'_, T> {
        let (r, c) = self.matrix_dims("Tensor::as_mat");
        MatRef::from_row_major(&self.data, r, c).expect("a tensor's buffer matches its shape")
    }

    /// A rank-2 tensor as a writable row-major matrix view; panics for other ranks.
    pub fn as_mat_mut(&mut self) -> MatMut<'_, T> {
        let (r, c) = self.matrix_dims("Tensor::as_mat_mut");
        MatMut::from_row_major(&mut self.data, r, c).expect("a tensor's buffer matches its shape")
    }

    /// The value of a one-element tensor; panics, naming the shape, otherwise.
    pub fn item(&self) -> T {
        assert!(
            self.data.len() == 1,
            "Tensor::item: the tensor has shape {:?}, not exactly one element",
            self.shape
        );
        self.data[0]
    }

    /// The same tensor in another element type (rounding to nearest).
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        Tensor {
            shape: self.shape,
            data: self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_the_length() {
        let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        assert_eq!((t.rows(), t.cols(), t.len()), (2, 3, 6));
        assert_eq!(t.as_mat().get(1, 0), 4.0);
        let err = Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a tensor of shape [2, 3] holds 6 elements but 5 were given"
        );
        assert!(matches!(
            Tensor::from_vec(vec![0.0f64], &[1; MAX_RANK + 1]),
            Err(TensorError::RankTooLarge { .. })
        ));
        assert!(matches!(
            Tensor::<f64>::from_vec(vec![], &[usize::MAX, 3]),
            Err(TensorError::TooLarge { .. })
        ));
    }

    #[test]
    fn scalars_casts_and_fills() {
        assert_eq!(Tensor::scalar(2.5f64).item(), 2.5);
        assert_eq!(Tensor::scalar(2.5f64).shape(), &[] as &[usize]);
        let t = Tensor::full(&[2, 2], 0.1f64);
        let c: Tensor<f32> = t.cast();
        assert_eq!(c.data(), &[0.1f32; 4]);
        assert!(Tensor::<f32>::zeros(&[0, 3]).is_empty());
    }

    #[test]
    #[should_panic(expected = "Tensor::rows: the tensor has shape [4], not a matrix")]
    fn rows_of_a_vector_panics_naming_the_shape() {
        Tensor::<f64>::zeros(&[4]).rows();
    }
}
