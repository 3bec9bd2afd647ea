//! The floating-point precision a model runs in (`--precision f32|f16|bf16`).
//!
//! burn 0.21 picks the float type of new tensors per device at run time (the
//! device's default float dtype, `set_default_float_dtype`), and burn's CUDA
//! kernels dispatch on each tensor's dtype. So half precision needs no second
//! backend type: [`crate::device::dispatch_with`] sets the device's default float
//! dtype before the first tensor, and [`to_device_float`] casts the weights, which
//! checkpoint loading keeps in the file's dtype (f32), to it.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::backend::{get_device_settings, Backend};
use burn::tensor::{FloatDType, Tensor};

/// Floating-point precision of the model.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 32-bit float (the reference).
    #[default]
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
}

impl Precision {
    /// The name as `--precision` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Bf16 => "bf16",
        }
    }

    /// burn's float dtype of this precision.
    pub fn float_dtype(self) -> FloatDType {
        match self {
            Self::F32 => FloatDType::F32,
            Self::F16 => FloatDType::F16,
            Self::Bf16 => FloatDType::BF16,
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

struct CastFloats(FloatDType);

impl<B: Backend> ModuleMapper<B> for CastFloats {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        Param::from_mapped_value(id, tensor.cast(self.0), mapper)
    }
}

/// Casts every float parameter of `module` to `device`'s default float dtype (a
/// no-op for parameters already in it). Call it after loading weights.
pub fn to_device_float<B: Backend, M: Module<B>>(module: M, device: &B::Device) -> M {
    let dtype = get_device_settings::<B>(device).float_dtype;
    module.map(&mut CastFloats(dtype))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::DType;

    #[test]
    fn names_and_dtypes() {
        assert_eq!(Precision::default(), Precision::F32);
        assert_eq!(Precision::Bf16.name(), "bf16");
        assert_eq!(DType::from(Precision::F16.float_dtype()), DType::F16);
        assert_eq!(DType::from(Precision::Bf16.float_dtype()), DType::BF16);
    }

    #[test]
    fn casting_to_the_default_f32_keeps_values() {
        // The CPU device keeps its default (f32) in this test binary: the cast is the identity.
        type B = burn::backend::Flex;
        let device = Default::default();
        let m = burn::nn::LinearConfig::new(3, 2).init::<B>(&device);
        let before = m.weight.val().into_data();
        let m = to_device_float::<B, _>(m, &device);
        assert_eq!(m.weight.val().dtype(), DType::F32);
        assert_eq!(m.weight.val().into_data(), before);
    }
}
