//! Point-spread functions rasterised from a trajectory (Boracchi & Foi 2012;
//! DeblurGAN's `generate_PSF.py`).
//!
//! The camera spends equal time at each trajectory sample; the exposure keeps
//! the first fraction of the path (the last sample with a fractional weight).
//! Each sample is splatted sub-pixel with bilinear (triangle) weights, as in
//! DeblurGAN. Unlike DeblurGAN, the kernel is centred on its centroid (so the
//! blurred image is not shifted relative to the sharp one) and normalised to
//! sum 1.

/// A square, odd-sized, non-negative kernel summing to 1, centred at `(r, r)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Psf {
    radius: usize,
    weights: Vec<f32>,
}

/// A non-zero kernel entry at offset `(dy, dx)` from the centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tap {
    /// Row offset from the centre.
    pub dy: isize,
    /// Column offset from the centre.
    pub dx: isize,
    /// Weight.
    pub weight: f32,
}

impl Psf {
    /// The PSF of the first `exposure ∈ (0, 1]` of the path `points` (pixels).
    /// An empty path gives the identity kernel.
    pub fn from_path(points: &[[f64; 2]], exposure: f64) -> Self {
        let samples = exposed_samples(points, exposure);
        let total: f64 = samples.iter().map(|s| s.2).sum();
        if samples.is_empty() || total <= 0.0 {
            return Self { radius: 0, weights: vec![1.0] };
        }
        let cx = samples.iter().map(|s| s.0 * s.2).sum::<f64>() / total;
        let cy = samples.iter().map(|s| s.1 * s.2).sum::<f64>() / total;
        let reach = samples.iter().map(|s| (s.0 - cx).abs().max((s.1 - cy).abs())).fold(0.0, f64::max);
        let radius = reach.ceil() as usize + 1;
        let size = 2 * radius + 1;
        let mut acc = vec![0.0f64; size * size];
        for &(x, y, w) in &samples {
            let px = radius as f64 + x - cx;
            let py = radius as f64 + y - cy;
            let (x0, y0) = (px.floor(), py.floor());
            let (fx, fy) = (px - x0, py - y0);
            let (x0, y0) = (x0 as usize, y0 as usize);
            for (yy, wy) in [(y0, 1.0 - fy), (y0 + 1, fy)] {
                for (xx, wx) in [(x0, 1.0 - fx), (x0 + 1, fx)] {
                    acc[yy * size + xx] += w * wx * wy;
                }
            }
        }
        let sum: f64 = acc.iter().sum();
        let weights = acc.iter().map(|&v| (v / sum) as f32).collect();
        Self { radius, weights }
    }

    /// The half-size `r`: the kernel is `(2r+1) × (2r+1)`.
    pub fn radius(&self) -> usize {
        self.radius
    }

    /// The side `2r + 1`.
    pub fn size(&self) -> usize {
        2 * self.radius + 1
    }

    /// Row-major weights, `size²` values.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The non-zero entries.
    pub fn taps(&self) -> Vec<Tap> {
        let (size, r) = (self.size(), self.radius as isize);
        self.weights
            .iter()
            .enumerate()
            .filter(|(_, &w)| w > 0.0)
            .map(|(i, &weight)| Tap { dy: (i / size) as isize - r, dx: (i % size) as isize - r, weight })
            .collect()
    }

    /// The centroid `(dx, dy)` relative to the centre (zero up to rounding).
    pub fn centroid(&self) -> (f64, f64) {
        self.taps().iter().fold((0.0, 0.0), |(x, y), t| {
            (x + t.dx as f64 * f64::from(t.weight), y + t.dy as f64 * f64::from(t.weight))
        })
    }
}

/// `(x, y, weight)` of the samples within the exposure.
fn exposed_samples(points: &[[f64; 2]], exposure: f64) -> Vec<(f64, f64, f64)> {
    if points.is_empty() {
        return Vec::new();
    }
    let last = (points.len() - 1) as f64;
    let end = exposure.clamp(0.0, 1.0) * last;
    let whole = end.floor() as usize;
    let mut out: Vec<_> = points[..=whole].iter().map(|p| (p[0], p[1], 1.0)).collect();
    let frac = end - whole as f64;
    if frac > 0.0 && whole + 1 < points.len() {
        let (a, b) = (points[whole], points[whole + 1]);
        out.push((a[0] + (b[0] - a[0]) * frac, a[1] + (b[1] - a[1]) * frac, frac));
    }
    out
}
