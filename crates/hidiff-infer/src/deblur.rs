//! Deblurring one image of any size: the model's padded inference, tiling for
//! large images, and the self-ensemble.
//!
//! # Tiling and the global prior
//!
//! Two parts of HI-Diff see the whole image at once, so restoring tiles
//! separately changes the result:
//!
//! * the prior: LE_DM pools the whole (padded) image to `4 × 4` tokens, and the
//!   diffusion refines them, so each tile would get its own prior;
//! * MDTA, the Transformer's attention, forms a `C × C` channel-attention matrix
//!   from sums over all pixels, so its statistics differ from tile to tile.
//!
//! The tiled path therefore computes **one prior from the whole image**
//! ([`TilePrior::Shared`], the default; from a box-downscaled copy when the
//! image exceeds [`DeblurOptions::prior_max_pixels`]) and gives that same prior to
//! every tile, so only MDTA's statistics and the convolutions' borders differ.
//! Tiles start at multiples of the window, overlap, and are blended with
//! complementary `cos²`/`sin²` ramps ([`crate::tiling`]), so no seam shows.
//!
//! Measured PSNR of the tiled against the untiled output (`tests/tiling.rs`,
//! `examples/measure.rs`; details in `docs/deblur.md`):
//!
//! | model, image, tiles | prior per tile | shared prior (default) |
//! | --- | --- | --- |
//! | golden small (official `.pth`), 150×176 pattern, 64 px, overlap 16 | 52.6 dB | 57.2 dB |
//! | same, overlap 32 | 53.5 dB | 58.6 dB |
//! | same, overlap 32, prior from a 2× downscaled copy | | 56.6 dB |
//! | golden small, astronaut 512×512, 256 px, overlap 32 | 45.1 dB | 49.7 dB |
//! | golden small, astronaut 512×512, 128 px, overlap 32 | 43.5 dB | 46.4 dB |
//! | paper (`gopro`, random weights), chelsea 451×300, 256 px, overlap 32 | 42.5 dB | 56.7 dB |
//!
//! An untiled image (the default below [`AUTO_TILE_PIXELS`]) is exactly the
//! model's [`HiDiff::infer`] for the same seed.

use burn::tensor::module::avg_pool2d;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use hidiff_model::noise::noise_tensor;
use hidiff_model::ops::pad_to_multiple;
use hidiff_model::HiDiff;

use crate::ensemble::self_ensemble;
use crate::error::{InferError, Result};
use crate::image_io::{InputImage, PixelBudget};
use crate::tiling::{Blender, TileGrid, TileSpec};

/// The diffusion's default seed: every run without `--seed` starts the reverse
/// process from the same noise, so results are reproducible.
pub const DEFAULT_SEED: u64 = 0;

/// Images with more pixels than this (1024×1024) are tiled automatically. The
/// 1280×720 benchmark frames run whole, as in the paper. Untiled, the paper model
/// needs about 4.2 GB of CPU memory per megapixel (measured peak 0.50 GB at
/// 256×256 and 1.32 GB at 512×512); a 512-pixel tile needs about 1.3 GB.
pub const AUTO_TILE_PIXELS: usize = 1 << 20;

/// Above this many pixels the shared prior is computed from a box-downscaled copy
/// of the image (LE_DM then runs on at most this many pixels).
pub const PRIOR_MAX_PIXELS: usize = 16_000_000;

/// When to tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tiling {
    /// Never: the whole image in one pass, however large.
    Off,
    /// With `spec` when the image has more than `max_pixels` pixels.
    Auto {
        /// The pixel budget of one pass.
        max_pixels: usize,
        /// The tiles used above it.
        spec: TileSpec,
    },
    /// Always with these tiles (an image that fits in one tile runs whole).
    Always(TileSpec),
}

/// Where the prior of a tile comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TilePrior {
    /// One prior from the whole image, shared by all tiles (default).
    #[default]
    Shared,
    /// Each tile computes its own prior (the plain model on each tile; kept to
    /// measure what sharing gains).
    PerTile,
}

/// How to deblur.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeblurOptions {
    /// Seed of the diffusion's initial noise.
    pub seed: u64,
    /// Tiling.
    pub tiling: Tiling,
    /// The prior of tiles.
    pub tile_prior: TilePrior,
    /// Pixel budget of the shared prior's LE_DM pass.
    pub prior_max_pixels: usize,
    /// Average over the eight flips/rotations.
    pub self_ensemble: bool,
    /// The largest image decoded (header checked first).
    pub pixel_budget: PixelBudget,
    /// Bytes the work on one image may take ([`Deblurrer::memory_estimate`]);
    /// `None` checks nothing.
    pub memory_budget: Option<u64>,
}

impl Default for DeblurOptions {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            tiling: Tiling::Auto { max_pixels: AUTO_TILE_PIXELS, spec: TileSpec::AUTO },
            tile_prior: TilePrior::Shared,
            prior_max_pixels: PRIOR_MAX_PIXELS,
            self_ensemble: false,
            pixel_budget: PixelBudget::DEFAULT,
            memory_budget: None,
        }
    }
}

/// A loaded model and the way to run it.
#[derive(Debug)]
pub struct Deblurrer<B: Backend> {
    model: HiDiff<B>,
    device: B::Device,
    options: DeblurOptions,
}

impl<B: Backend> Deblurrer<B> {
    /// Wraps `model` (built on `device`).
    ///
    /// # Errors
    /// [`InferError::InvalidOption`] if the tile spec does not suit the model.
    pub fn new(model: HiDiff<B>, device: B::Device, options: DeblurOptions) -> Result<Self> {
        match options.tiling {
            Tiling::Auto { spec, .. } | Tiling::Always(spec) => spec.validate(model.window)?,
            Tiling::Off => {}
        }
        if options.prior_max_pixels < 64 * 64 {
            return Err(InferError::InvalidOption(format!(
                "the prior's pixel budget {} is below 64×64",
                options.prior_max_pixels
            )));
        }
        Ok(Self { model, device, options })
    }

    /// The model.
    pub fn model(&self) -> &HiDiff<B> {
        &self.model
    }

    /// The device.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// The options.
    pub fn options(&self) -> &DeblurOptions {
        &self.options
    }

    /// The smallest image side the model accepts: its padding window (reflect
    /// padding up to a multiple of 8 needs more pixels than it adds).
    pub fn min_side(&self) -> u32 {
        self.model.window as u32
    }

    /// Checks that a `width × height` image (from `path`) is large enough.
    ///
    /// # Errors
    /// [`InferError::TooSmall`] naming the minimum.
    pub fn check_size(&self, path: &std::path::Path, width: u32, height: u32) -> Result<()> {
        let min = self.min_side();
        if width < min || height < min {
            return Err(InferError::TooSmall { path: path.to_path_buf(), width, height, min, needed_by: "the model" });
        }
        Ok(())
    }

    /// The estimated memory of deblurring one `width × height` image (see
    /// [`MemoryEstimate`]): host buffers of the whole image, plus the model's
    /// activations in its largest pass (one tile when tiled, else the padded image).
    pub fn memory_estimate(&self, height: u32, width: u32) -> MemoryEstimate {
        let (h, w) = (height as usize, width as usize);
        let window = self.model.window.max(1);
        let padded = |n: usize| n.div_ceil(window).saturating_mul(window) as u64;
        let pass_pixels = match self.grid(h, w) {
            Some(grid) => {
                let rows = grid.rows.iter().map(|&(a, b)| padded(b - a)).max().unwrap_or(0);
                let cols = grid.cols.iter().map(|&(a, b)| padded(b - a)).max().unwrap_or(0);
                rows.saturating_mul(cols)
            }
            None => padded(h).saturating_mul(padded(w)),
        };
        let pixels = u64::from(height) * u64::from(width);
        let per_pixel = BUFFER_BYTES_PER_PIXEL + if self.options.self_ensemble { ENSEMBLE_BYTES_PER_PIXEL } else { 0 };
        // The widest full-resolution layers (decoder level 1, refinement) run at the
        // output convolution's input width, 2C.
        let width_2c = self.model.net_g.output.weight.dims()[1] as u64;
        let activations = pass_pixels.saturating_mul(width_2c).saturating_mul(ACTIVATION_FLOATS_PER_CHANNEL * 4);
        let buffers = pixels.saturating_mul(per_pixel);
        MemoryEstimate { pass_pixels, buffers, activations, total: buffers.saturating_add(activations) }
    }

    /// Checks [`Self::memory_estimate`] against the memory budget, if there is one.
    ///
    /// # Errors
    /// [`InferError::OverMemoryBudget`] with the numbers and what to do.
    pub fn check_memory(&self, path: &std::path::Path, width: u32, height: u32) -> Result<()> {
        let Some(budget) = self.options.memory_budget else { return Ok(()) };
        let e = self.memory_estimate(height, width);
        if e.total <= budget {
            return Ok(());
        }
        let hint = if e.buffers > budget {
            "the image itself does not fit: raise --max-memory-gb on a machine with more memory, or use a smaller image"
        } else if self.grid(height as usize, width as usize).is_some() {
            "use a smaller --tile, or raise --max-memory-gb"
        } else {
            "tile it (--tile 512), or raise --max-memory-gb"
        };
        Err(InferError::OverMemoryBudget {
            path: path.to_path_buf(),
            width,
            height,
            pass_pixels: e.pass_pixels,
            buffers: e.buffers,
            activations: e.activations,
            total: e.total,
            budget,
            hint,
        })
    }

    /// The tiles of an `height × width` image, or `None` when it runs whole.
    pub fn grid(&self, height: usize, width: usize) -> Option<TileGrid> {
        let spec = match self.options.tiling {
            Tiling::Off => return None,
            Tiling::Auto { max_pixels, spec } if height * width > max_pixels => spec,
            Tiling::Auto { .. } => return None,
            Tiling::Always(spec) => spec,
        };
        let grid = TileGrid::new(height, width, spec, self.model.window);
        (!grid.is_single()).then_some(grid)
    }

    /// Model passes needed for an `height × width` image (for progress bars).
    pub fn passes(&self, height: usize, width: usize) -> usize {
        let tiles = self.grid(height, width).map_or(1, |g| g.len());
        if self.options.self_ensemble {
            // Rotated copies are `width × height`; their grid has the same count.
            8 * tiles
        } else {
            tiles
        }
    }

    /// Deblurs a batch, calling `on_pass` after every model pass.
    ///
    /// # Shapes
    /// `lq: [B, 3, H, W]` in `[0, 1]`, H and W at least [`Self::min_side`] → `[B, 3, H, W]`.
    pub fn deblur_tensor(&self, lq: Tensor<B, 4>, on_pass: &mut dyn FnMut()) -> Tensor<B, 4> {
        if self.options.self_ensemble {
            self_ensemble(lq, |x| self.deblur_once(x, on_pass))
        } else {
            self.deblur_once(lq, on_pass)
        }
    }

    /// One pass over the image: whole, or tiled.
    fn deblur_once(&self, lq: Tensor<B, 4>, on_pass: &mut dyn FnMut()) -> Tensor<B, 4> {
        let [_, _, h, w] = lq.dims();
        match self.grid(h, w) {
            None => {
                let out = self.model.infer(lq, None, self.options.seed);
                on_pass();
                out
            }
            Some(grid) => self.deblur_tiled(lq, grid, on_pass),
        }
    }

    /// The shared prior of an image: LE_DM on the padded image (or on a
    /// box-downscaled copy above the pixel budget), then the reverse diffusion from
    /// the seeded noise, exactly as [`HiDiff::infer`] does. `None` for a model
    /// without prior.
    ///
    /// # Shapes
    /// `lq: [B, 3, H, W]` → `[B, N, C']`.
    pub fn prior(&self, lq: Tensor<B, 4>) -> Option<Tensor<B, 3>> {
        let [b, _, h, w] = lq.dims();
        let factor = downscale_factor(h * w, self.options.prior_max_pixels);
        let lq = if factor > 1 { avg_pool2d(lq, [factor, factor], [factor, factor], [0, 0], true, false) } else { lq };
        let padded = pad_to_multiple(lq, self.model.window);
        let noise = self.model.net_d.as_ref().map(|_| {
            let (n, c) = self.model.net_g_tokens();
            noise_tensor::<B>(self.options.seed, [b, n, c], &self.device)
        });
        self.model.stage2_prior(padded, noise).map(|(_, prior)| prior)
    }

    fn deblur_tiled(&self, lq: Tensor<B, 4>, grid: TileGrid, on_pass: &mut dyn FnMut()) -> Tensor<B, 4> {
        let [b, c, h, w] = lq.dims();
        let shared = match self.options.tile_prior {
            TilePrior::Shared => self.prior(lq.clone()),
            TilePrior::PerTile => None,
        };
        let mut blender = Blender::new(grid.clone(), b * c);
        for tile in grid.tiles() {
            let (th, tw) = tile.size();
            let part = lq.clone().slice([0..b, 0..c, tile.y0..tile.y1, tile.x0..tile.x1]);
            let out = match self.options.tile_prior {
                TilePrior::Shared => {
                    let padded = pad_to_multiple(part, self.model.window);
                    self.model.net_g.forward(padded, shared.clone()).slice([0..b, 0..c, 0..th, 0..tw])
                }
                TilePrior::PerTile => self.model.infer(part, None, self.options.seed),
            };
            blender.add(&tile, &to_host(out));
            on_pass();
        }
        Tensor::from_data(TensorData::new(blender.finish(), [b, c, h, w]), &self.device)
    }

    /// Deblurs planar `[3, height, width]` floats.
    pub fn deblur_planar(&self, rgb: &[f32], height: usize, width: usize, on_pass: &mut dyn FnMut()) -> Vec<f32> {
        let lq = Tensor::<B, 4>::from_data(TensorData::new(rgb.to_vec(), [1, 3, height, width]), &self.device);
        to_host(self.deblur_tensor(lq, on_pass))
    }

    /// Restores planar `[3, height, width]` floats with the *oracle* prior: the
    /// stage-1 latent encoder `net_le` sees the blurry and the sharp image (as in
    /// stage-1 training) and its prior feeds `net_g`. An upper bound of what a prior
    /// can carry, not a deblurring method; no tiling, no self-ensemble.
    ///
    /// # Errors
    /// [`InferError::InvalidOption`] when the model has no `net_le` (a model without
    /// prior, or one loaded for inference only: see [`crate::weights::load_with_stage1_encoder`]).
    pub fn restore_with_oracle_prior(&self, lq: &[f32], gt: &[f32], height: usize, width: usize) -> Result<Vec<f32>> {
        if self.model.net_le.is_none() {
            return Err(InferError::InvalidOption(
                "the oracle prior needs the stage-1 latent encoder net_le: a checkpoint of a model with a prior, \
                 loaded with all its networks"
                    .into(),
            ));
        }
        let t = |v: &[f32]| Tensor::<B, 4>::from_data(TensorData::new(v.to_vec(), [1, 3, height, width]), &self.device);
        Ok(to_host(self.model.stage1_test(t(lq), t(gt))))
    }

    /// Deblurs a decoded image into an image of the same layout (see
    /// [`InputImage::compose`]).
    ///
    /// # Errors
    /// [`InferError::TooSmall`].
    pub fn deblur_image(&self, img: &InputImage, on_pass: &mut dyn FnMut()) -> Result<image::DynamicImage> {
        self.check_size(&img.path, img.width, img.height)?;
        let out = self.deblur_planar(&img.rgb, img.height as usize, img.width as usize, on_pass);
        Ok(img.compose(&out))
    }
}

/// The integer factor that brings `pixels` within `budget`.
/// Bytes per image pixel of the host buffers of one image: the decoded image
/// (≤ 8), its planar f32 copy (12), the input tensor (12), the blend sums and
/// weights of tiling (16), the blended result and its tensor (24), the host copy
/// of the output (12) and the composed output image (≤ 12), rounded up.
pub const BUFFER_BYTES_PER_PIXEL: u64 = 100;

/// Extra bytes per pixel under the self-ensemble (a transformed input and the
/// running sum of outputs).
pub const ENSEMBLE_BYTES_PER_PIXEL: u64 = 24;

/// Live f32 activations per pixel of a pass, per channel of the widest
/// full-resolution width 2C: q/k/v and their depth-wise convolution (6 × 2C),
/// GDFN's 2·2.66·2C hidden features before and after its depth-wise convolution,
/// the skip connections, rounded up. A rough upper estimate, not a measurement.
pub const ACTIVATION_FLOATS_PER_CHANNEL: u64 = 16;

/// The estimated memory of deblurring one image, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Pixels of the largest model pass.
    pub pass_pixels: u64,
    /// Host buffers of the whole image ([`BUFFER_BYTES_PER_PIXEL`]).
    pub buffers: u64,
    /// Model activations of the largest pass ([`ACTIVATION_FLOATS_PER_CHANNEL`]).
    pub activations: u64,
    /// The sum.
    pub total: u64,
}

fn downscale_factor(pixels: usize, budget: usize) -> usize {
    let mut f = 1;
    while pixels / (f * f) > budget {
        f += 1;
    }
    f
}

/// A tensor's values as f32 on the host, row-major.
pub fn to_host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec::<f32>().expect("converted to f32 just before")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn downscale_factor_meets_the_budget() {
        assert_eq!(downscale_factor(100, 100), 1);
        assert_eq!(downscale_factor(101, 100), 2);
        assert_eq!(downscale_factor(40_000_000, PRIOR_MAX_PIXELS), 2);
        assert_eq!(downscale_factor(100_000_000, PRIOR_MAX_PIXELS), 3);
    }
}
