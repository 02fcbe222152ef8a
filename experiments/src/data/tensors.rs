//! Conversion of a data set into the tensors the networks train on.

use autodiff::Tensor;
use kernels::Element;

use super::Dataset;

impl Dataset {
    /// The inputs as an \[n, dim\] tensor and the labels as an \[n\] tensor, in element type `T`.
    pub fn to_tensors<T: Element>(&self) -> (Tensor<T>, Tensor<T>) {
        let x = self.x.iter().map(|&v| T::from_f64(v)).collect();
        let y = self.y.iter().map(|&v| T::from_f64(v)).collect();
        (
            Tensor::from_vec(x, &[self.n, self.dim]).expect("a Dataset holds exactly n·dim inputs"),
            Tensor::from_vec(y, &[self.n]).expect("a Dataset holds exactly n labels"),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::data::two_point;

    #[test]
    fn tensors_have_the_data_shapes_and_values() {
        let (x, y) = two_point().to_tensors::<f32>();
        assert_eq!((x.shape(), y.shape()), (&[2, 2][..], &[2][..]));
        assert_eq!(x.data(), &[1.0, 0.0, 0.0, 1.0]);
        assert_eq!(y.data(), &[1.0, -1.0]);
    }
}
