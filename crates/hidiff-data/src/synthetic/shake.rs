//! Non-uniform, GoPro-like blur: the average of many sub-pixel-warped frames of
//! the sharp image along a camera path, in linear light.
//!
//! GoPro (Nah et al. 2017) averages 7–13 consecutive 240 fps frames after
//! undoing the camera response and takes the middle frame as the sharp image.
//! Here each frame is the sharp image under a small similarity warp: the
//! trajectory's translation plus an in-plane rotation about a random centre
//! and a zoom, both growing linearly through the exposure. Rotation and zoom
//! make the blur vary across the image. The middle frame is the identity, so
//! the sharp image is the middle of the exposure, as in GoPro. Frames are
//! spaced at most half a pixel apart, so the average shows no ghosting.

use rand::Rng;

use super::canvas::Canvas;
use super::trajectory::Trajectory;

/// Fewest and most frames averaged.
const FRAMES: (usize, usize) = (9, 129);

/// A camera motion over the exposure, for an output of `width × height`.
#[derive(Clone, Debug, PartialEq)]
pub struct CameraMotion {
    /// Translation `(x, y)` at each frame time, relative to the middle frame.
    translations: Vec<[f64; 2]>,
    /// Frame times in `[0, 1]`.
    times: Vec<f64>,
    /// Total rotation over the exposure (radians).
    rotation: f64,
    /// Total relative zoom over the exposure.
    zoom: f64,
    /// Rotation and zoom centre `(x, y)` in output pixels.
    centre: [f64; 2],
    width: usize,
    height: usize,
}

impl CameraMotion {
    /// A motion following the first `exposure` of `trajectory`, with a total
    /// rotation uniform in `±max_rotation_deg` and zoom in `±max_zoom`, about a
    /// centre uniform over the image extended by a quarter on each side.
    pub fn random<R: Rng + ?Sized>(
        trajectory: &Trajectory,
        exposure: f64,
        max_rotation_deg: f64,
        max_zoom: f64,
        width: usize,
        height: usize,
        rng: &mut R,
    ) -> Self {
        let exposure = exposure.clamp(0.0, 1.0);
        let rotation = max_rotation_deg.to_radians() * (2.0 * rng.gen::<f64>() - 1.0);
        let zoom = max_zoom * (2.0 * rng.gen::<f64>() - 1.0);
        let (w, h) = (width as f64, height as f64);
        let centre = [w * (1.5 * rng.gen::<f64>() - 0.25), h * (1.5 * rng.gen::<f64>() - 0.25)];
        let mut motion = Self { translations: Vec::new(), times: Vec::new(), rotation, zoom, centre, width, height };
        let path = |tau: f64| trajectory.position_at(tau * exposure);
        let middle = path(0.5);
        let at = |tau: f64| {
            let p = path(tau);
            [p[0] - middle[0], p[1] - middle[1]]
        };
        // Length of the motion of the fastest-moving image point, on a fine grid.
        let fine = 256;
        let mut travel = 0.0;
        for i in 0..fine {
            let (a, b) = (i as f64 / fine as f64, (i + 1) as f64 / fine as f64);
            travel += motion.corner_distance(a, at(a), b, at(b));
        }
        let n = ((2.0 * travel).ceil() as usize + 1).clamp(FRAMES.0, FRAMES.1) | 1;
        motion.times = (0..n).map(|k| k as f64 / (n - 1) as f64).collect();
        motion.translations = motion.times.iter().map(|&t| at(t)).collect();
        motion
    }

    /// The number of frames averaged.
    pub fn frames(&self) -> usize {
        self.times.len()
    }

    /// Where output pixel `(x, y)` of frame time `tau` with translation `t` looks in the sharp image.
    fn source(&self, tau: f64, t: [f64; 2], x: f64, y: f64) -> [f64; 2] {
        let angle = self.rotation * (tau - 0.5);
        let scale = 1.0 + self.zoom * (tau - 0.5);
        let (s, c) = angle.sin_cos();
        let (dx, dy) = (x - self.centre[0], y - self.centre[1]);
        [self.centre[0] + scale * (c * dx - s * dy) + t[0], self.centre[1] + scale * (s * dx + c * dy) + t[1]]
    }

    /// The largest displacement between two frame times over the image corners.
    fn corner_distance(&self, ta: f64, a: [f64; 2], tb: f64, b: [f64; 2]) -> f64 {
        let (w, h) = ((self.width - 1) as f64, (self.height - 1) as f64);
        [[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]]
            .iter()
            .map(|&[x, y]| {
                let (p, q) = (self.source(ta, a, x, y), self.source(tb, b, x, y));
                (p[0] - q[0]).hypot(p[1] - q[1])
            })
            .fold(0.0, f64::max)
    }

    /// The margin the sharp image needs around the output so that no frame
    /// samples outside it: the largest displacement from the identity, plus 2.
    pub fn margin(&self) -> usize {
        let reach = self
            .times
            .iter()
            .zip(&self.translations)
            .map(|(&t, &tr)| self.corner_distance(t, tr, 0.5, [0.0, 0.0]))
            .fold(0.0, f64::max);
        reach.ceil() as usize + 2
    }

    /// Averages the warped frames of the linear-light `src`, which has `margin`
    /// extra pixels on every side of the `width × height` output.
    pub fn render(&self, src: &Canvas, margin: usize) -> Canvas {
        let mut out = Canvas::new(self.width, self.height);
        let m = margin as f64;
        for (&tau, &t) in self.times.iter().zip(&self.translations) {
            // The warp is affine: step along a row by a constant increment.
            let origin = self.source(tau, t, 0.0, 0.0);
            let along_x = self.source(tau, t, 1.0, 0.0);
            let along_y = self.source(tau, t, 0.0, 1.0);
            let ex = [along_x[0] - origin[0], along_x[1] - origin[1]];
            let ey = [along_y[0] - origin[0], along_y[1] - origin[1]];
            for y in 0..self.height {
                let row = [origin[0] + ey[0] * y as f64 + m, origin[1] + ey[1] * y as f64 + m];
                for x in 0..self.width {
                    let sx = row[0] + ex[0] * x as f64;
                    let sy = row[1] + ex[1] * x as f64;
                    let v = src.sample(sx as f32, sy as f32);
                    let at = (y * self.width + x) * 3;
                    for (o, s) in out.data[at..at + 3].iter_mut().zip(v) {
                        *o += s;
                    }
                }
            }
        }
        let inv = 1.0 / self.frames() as f32;
        out.data.iter_mut().for_each(|v| *v *= inv);
        out
    }
}
