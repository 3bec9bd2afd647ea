//! Parameters and gradients by module path, in burn or PyTorch layout: what the
//! parity check and the training crate (global-norm clip, golden step test) need.

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};

/// Collects `(path, value)` of parameters, or of their gradients when `grads` is given.
struct Named<'a> {
    grads: Option<&'a GradientsParams>,
    pytorch_layout: bool,
    path: Vec<String>,
    containers: Vec<String>,
    out: Vec<(String, TensorData)>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Named<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value: Tensor<B::InnerBackend, D> = match self.grads {
            Some(g) => match g.get::<B::InnerBackend, D>(param.id) {
                Some(v) => v,
                None => return,
            },
            None => param.val().inner(),
        };
        let linear_weight = D == 2
            && self.containers.last().is_some_and(|c| c.ends_with("Linear"))
            && self.path.last().is_some_and(|n| n == "weight");
        let data = if self.pytorch_layout && linear_weight { value.transpose().into_data() } else { value.into_data() };
        self.out.push((self.path.join("."), data));
    }
}

/// Every gradient in `grads` of `module`'s parameters by module path; with
/// `pytorch_layout`, `Linear` weights are transposed to PyTorch's `[out, in]`.
pub fn named_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &GradientsParams,
    pytorch_layout: bool,
) -> Vec<(String, TensorData)> {
    let mut v = Named { grads: Some(grads), pytorch_layout, path: vec![], containers: vec![], out: vec![] };
    module.visit(&mut v);
    v.out
}

/// Every float parameter of `module` by path (burn layout unless `pytorch_layout`).
pub fn named_parameters<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    pytorch_layout: bool,
) -> Vec<(String, TensorData)> {
    let mut v = Named { grads: None, pytorch_layout, path: vec![], containers: vec![], out: vec![] };
    module.visit(&mut v);
    v.out
}

/// The 2-norm over all the given gradients, accumulated in f64.
pub fn total_norm<'a>(grads: impl IntoIterator<Item = &'a TensorData>) -> f64 {
    grads
        .into_iter()
        .map(|g| g.to_vec::<f32>().expect("float gradient").iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>())
        .sum::<f64>()
        .sqrt()
}
