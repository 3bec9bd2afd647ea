//! Gradients by parameter path, in PyTorch layout: what the parity check and the
//! training crate's global-norm clip need from burn's `Gradients`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{backend::AutodiffBackend, Tensor, TensorData};

/// Collects `(path, gradient)` of every float parameter of a module that has one.
/// `Linear` weights are transposed to PyTorch's `[out, in]`.
struct GradCollector<'a, B: AutodiffBackend> {
    grads: &'a B::Gradients,
    path: Vec<String>,
    containers: Vec<String>,
    out: Vec<(String, TensorData)>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for GradCollector<'_, B> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let Some(grad) = param.val().grad(self.grads) else { return };
        let in_linear = self.containers.last().is_some_and(|c| c.ends_with("Linear"));
        let is_weight = self.path.last().is_some_and(|n| n == "weight");
        let data = if D == 2 && in_linear && is_weight {
            grad.transpose().into_data()
        } else {
            grad.into_data()
        };
        self.out.push((self.path.join("."), data));
    }
}

/// Every parameter gradient of `module` by path (relative to the module), PyTorch layout.
pub fn named_grads<B: AutodiffBackend, M: Module<B>>(module: &M, grads: &B::Gradients) -> Vec<(String, TensorData)> {
    let mut v = GradCollector::<B> { grads, path: Vec::new(), containers: Vec::new(), out: Vec::new() };
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
