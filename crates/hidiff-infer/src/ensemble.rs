//! Geometric self-ensemble (the "×8" or "+" test of restoration papers): the
//! image is run through the model under the eight flips/rotations of the
//! dihedral group D4, each output is transformed back, and the eight are averaged.

use burn::tensor::{backend::Backend, Tensor};

/// One of the eight symmetries of a rectangle's pixel grid: an optional
/// horizontal flip followed by `rot90` quarter turns counter-clockwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dihedral {
    /// Mirror left-right first.
    pub flip: bool,
    /// Then this many counter-clockwise quarter turns (0..4).
    pub rot90: u8,
}

impl Dihedral {
    /// All eight, the identity first.
    pub const ALL: [Dihedral; 8] = [
        Dihedral { flip: false, rot90: 0 },
        Dihedral { flip: false, rot90: 1 },
        Dihedral { flip: false, rot90: 2 },
        Dihedral { flip: false, rot90: 3 },
        Dihedral { flip: true, rot90: 0 },
        Dihedral { flip: true, rot90: 1 },
        Dihedral { flip: true, rot90: 2 },
        Dihedral { flip: true, rot90: 3 },
    ];

    /// Applies the transform.
    ///
    /// # Shapes
    /// `[B, C, H, W]` → `[B, C, H, W]`, or `[B, C, W, H]` after an odd number of turns.
    pub fn apply<B: Backend>(self, mut x: Tensor<B, 4>) -> Tensor<B, 4> {
        if self.flip {
            x = x.flip([3]);
        }
        for _ in 0..self.rot90 % 4 {
            x = rot90_ccw(x);
        }
        x
    }

    /// Undoes [`Self::apply`].
    pub fn invert<B: Backend>(self, mut x: Tensor<B, 4>) -> Tensor<B, 4> {
        for _ in 0..self.rot90 % 4 {
            x = rot90_cw(x);
        }
        if self.flip {
            x = x.flip([3]);
        }
        x
    }
}

/// `np.rot90(x, 1, axes=(2, 3))`: transpose, then reverse the rows.
fn rot90_ccw<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    x.swap_dims(2, 3).flip([2]) // [b, c, w, h]
}

/// The inverse of [`rot90_ccw`].
fn rot90_cw<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    x.flip([2]).swap_dims(2, 3) // [b, c, w, h]
}

/// The mean of `f` over the eight transforms of `x`, each output transformed
/// back. `f` must map `[B, C, H, W]` to `[B, C', H, W]`.
pub fn self_ensemble<B: Backend>(x: Tensor<B, 4>, mut f: impl FnMut(Tensor<B, 4>) -> Tensor<B, 4>) -> Tensor<B, 4> {
    let mut sum: Option<Tensor<B, 4>> = None;
    for t in Dihedral::ALL {
        let out = t.invert(f(t.apply(x.clone())));
        sum = Some(match sum {
            Some(s) => s + out,
            None => out,
        });
    }
    sum.expect("eight transforms").div_scalar(Dihedral::ALL.len() as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    type B = Flex;

    fn grid(h: usize, w: usize) -> Tensor<B, 4> {
        let v: Vec<f32> = (0..h * w).map(|i| i as f32).collect();
        Tensor::from_data(TensorData::new(v, [1, 1, h, w]), &Default::default())
    }

    #[test]
    fn rot90_matches_numpy_and_every_transform_inverts() {
        // [[0,1,2],[3,4,5]] rotated counter-clockwise = [[2,5],[1,4],[0,3]].
        let r = Dihedral { flip: false, rot90: 1 }.apply(grid(2, 3));
        assert_eq!(r.dims(), [1, 1, 3, 2]);
        assert_eq!(r.into_data().to_vec::<f32>().unwrap(), vec![2., 5., 1., 4., 0., 3.]);
        let x = grid(3, 5);
        let mut seen = Vec::new();
        for t in Dihedral::ALL {
            let y = t.apply(x.clone());
            let v = y.clone().into_data().to_vec::<f32>().unwrap();
            assert!(!seen.contains(&v), "{t:?} repeats another transform");
            seen.push(v);
            assert_eq!(
                t.invert(y).into_data().to_vec::<f32>().unwrap(),
                x.clone().into_data().to_vec::<f32>().unwrap()
            );
        }
    }

    #[test]
    fn ensemble_of_an_equivariant_map_is_the_map() {
        let x = grid(4, 6);
        let out = self_ensemble(x.clone(), |t| t.mul_scalar(2.0));
        let (a, b) = (out.into_data().to_vec::<f32>().unwrap(), x.mul_scalar(2.0).into_data().to_vec::<f32>().unwrap());
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-5));
    }
}
