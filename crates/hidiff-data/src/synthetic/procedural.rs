//! Procedurally drawn sharp images: a gradient, grating or noise-texture
//! background, anti-aliased shapes (discs, rings, rotated rectangles, convex
//! polygons) with flat, striped or textured fills, and blocks of text-like
//! strokes. Edges are anti-aliased from signed distances (coverage
//! `clamp(0.5 − d, 0, 1)`), so the images are sharp but free of aliasing.

use rand::Rng;

use super::canvas::Canvas;

type P = [f32; 2];

fn random_color<R: Rng + ?Sized>(rng: &mut R) -> [f32; 3] {
    std::array::from_fn(|_| rng.gen_range(0.03..0.97))
}

fn luminance(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    std::array::from_fn(|k| a[k] + (b[k] - a[k]) * t)
}

/// Smooth random values on a lattice of `cell` pixels, summed over octaves.
#[derive(Clone, Debug)]
struct ValueNoise {
    octaves: Vec<(f32, usize, usize, Vec<f32>, f32)>, // (cell, cols, rows, values, amplitude)
}

impl ValueNoise {
    fn random<R: Rng + ?Sized>(rng: &mut R, width: usize, height: usize) -> Self {
        let mut cell = rng.gen_range(6.0..40.0f32);
        let count = rng.gen_range(1..=4);
        let mut amplitude = 1.0;
        let mut octaves = Vec::new();
        for _ in 0..count {
            let cols = (width as f32 / cell).ceil() as usize + 2;
            let rows = (height as f32 / cell).ceil() as usize + 2;
            let values = (0..cols * rows).map(|_| rng.gen::<f32>()).collect();
            octaves.push((cell, cols, rows, values, amplitude));
            cell = (cell * 0.5).max(2.0);
            amplitude *= 0.5;
        }
        Self { octaves }
    }

    /// A value in `[0, 1]`.
    fn at(&self, x: f32, y: f32) -> f32 {
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (mut sum, mut norm) = (0.0, 0.0);
        for (cell, cols, rows, values, amp) in &self.octaves {
            let (gx, gy) = ((x / cell).max(0.0), (y / cell).max(0.0));
            let (ix, iy) = ((gx as usize).min(cols - 2), (gy as usize).min(rows - 2));
            let (fx, fy) = (smooth((gx - ix as f32).min(1.0)), smooth((gy - iy as f32).min(1.0)));
            let v = |c: usize, r: usize| values[r * cols + c];
            let top = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * fx;
            let bottom = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * fx;
            sum += amp * (top + (bottom - top) * fy);
            norm += amp;
        }
        sum / norm
    }
}

/// How a region is coloured.
#[derive(Clone, Debug)]
enum Fill {
    Flat([f32; 3]),
    Linear { a: [f32; 3], b: [f32; 3], origin: P, dir: P },
    Radial { a: [f32; 3], b: [f32; 3], centre: P, radius: f32 },
    Stripes { a: [f32; 3], b: [f32; 3], dir: P, period: f32, square: bool },
    Texture { a: [f32; 3], b: [f32; 3], noise: ValueNoise, contrast: f32 },
}

impl Fill {
    fn random<R: Rng + ?Sized>(rng: &mut R, width: usize, height: usize, flat_weight: f64) -> Self {
        let (w, h) = (width as f32, height as f32);
        let (a, b) = (random_color(rng), random_color(rng));
        if rng.gen_bool(flat_weight.clamp(0.0, 1.0)) {
            return Self::Flat(a);
        }
        match rng.gen_range(0..4) {
            0 => {
                let angle = rng.gen_range(0.0..std::f32::consts::TAU);
                let len = rng.gen_range(0.3..1.5) * w.max(h);
                let dir = [angle.cos() / len, angle.sin() / len];
                Self::Linear { a, b, origin: [rng.gen_range(0.0..w), rng.gen_range(0.0..h)], dir }
            }
            1 => Self::Radial {
                a,
                b,
                centre: [rng.gen_range(0.0..w), rng.gen_range(0.0..h)],
                radius: rng.gen_range(0.2..1.0) * w.max(h),
            },
            2 => {
                let angle = rng.gen_range(0.0..std::f32::consts::PI);
                Self::Stripes {
                    a,
                    b,
                    dir: [angle.cos(), angle.sin()],
                    period: rng.gen_range(3.0..16.0),
                    square: rng.gen_bool(0.4),
                }
            }
            _ => {
                Self::Texture { a, b, noise: ValueNoise::random(rng, width, height), contrast: rng.gen_range(1.0..3.0) }
            }
        }
    }

    fn at(&self, x: f32, y: f32) -> [f32; 3] {
        match self {
            Self::Flat(c) => *c,
            Self::Linear { a, b, origin, dir } => {
                let t = ((x - origin[0]) * dir[0] + (y - origin[1]) * dir[1]).clamp(-1.0, 1.0) * 0.5 + 0.5;
                mix(*a, *b, t)
            }
            Self::Radial { a, b, centre, radius } => {
                mix(*a, *b, ((x - centre[0]).hypot(y - centre[1]) / radius).min(1.0))
            }
            Self::Stripes { a, b, dir, period, square } => {
                let phase = (x * dir[0] + y * dir[1]) / period * std::f32::consts::TAU;
                let s = phase.sin();
                // Square stripes: anti-aliased edges about one pixel wide.
                let t =
                    if *square { (s * period / std::f32::consts::TAU + 0.5).clamp(0.0, 1.0) } else { 0.5 + 0.5 * s };
                mix(*a, *b, t)
            }
            Self::Texture { a, b, noise, contrast } => {
                let t = ((noise.at(x, y) - 0.5) * contrast + 0.5).clamp(0.0, 1.0);
                mix(*a, *b, t)
            }
        }
    }
}

/// A region given by a signed distance (negative inside).
#[derive(Clone, Debug)]
enum Shape {
    Disc { c: P, r: f32 },
    Ring { c: P, r: f32, half: f32 },
    Rect { c: P, half: P, cos: f32, sin: f32 },
    Polygon { vertices: Vec<P>, normals: Vec<P> },
    Segment { a: P, b: P, half: f32 },
}

impl Shape {
    fn distance(&self, p: P) -> f32 {
        match self {
            Self::Disc { c, r } => (p[0] - c[0]).hypot(p[1] - c[1]) - r,
            Self::Ring { c, r, half } => ((p[0] - c[0]).hypot(p[1] - c[1]) - r).abs() - half,
            Self::Rect { c, half, cos, sin } => {
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let (u, v) = ((cos * dx + sin * dy).abs() - half[0], (-sin * dx + cos * dy).abs() - half[1]);
                u.max(0.0).hypot(v.max(0.0)) + u.max(v).min(0.0)
            }
            Self::Polygon { vertices, normals } => vertices
                .iter()
                .zip(normals)
                .map(|(a, n)| (p[0] - a[0]) * n[0] + (p[1] - a[1]) * n[1])
                .fold(f32::NEG_INFINITY, f32::max),
            Self::Segment { a, b, half } => {
                let (ab, ap) = ([b[0] - a[0], b[1] - a[1]], [p[0] - a[0], p[1] - a[1]]);
                let len2 = (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-12);
                let t = ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0);
                (ap[0] - t * ab[0]).hypot(ap[1] - t * ab[1]) - half
            }
        }
    }

    /// An enclosing box `(x0, y0, x1, y1)`.
    fn bounds(&self) -> [f32; 4] {
        match self {
            Self::Disc { c, r } => [c[0] - r, c[1] - r, c[0] + r, c[1] + r],
            Self::Ring { c, r, half } => [c[0] - r - half, c[1] - r - half, c[0] + r + half, c[1] + r + half],
            Self::Rect { c, half, .. } => {
                let e = half[0].hypot(half[1]);
                [c[0] - e, c[1] - e, c[0] + e, c[1] + e]
            }
            Self::Polygon { vertices, .. } => {
                vertices.iter().fold([f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY], |b, v| {
                    [b[0].min(v[0]), b[1].min(v[1]), b[2].max(v[0]), b[3].max(v[1])]
                })
            }
            Self::Segment { a, b, half } => {
                [a[0].min(b[0]) - half, a[1].min(b[1]) - half, a[0].max(b[0]) + half, a[1].max(b[1]) + half]
            }
        }
    }

    fn convex_polygon(vertices: Vec<P>) -> Self {
        let n = vertices.len() as f32;
        let centroid = vertices.iter().fold([0.0, 0.0], |s, v| [s[0] + v[0] / n, s[1] + v[1] / n]);
        let normals = (0..vertices.len())
            .map(|i| {
                let (a, b) = (vertices[i], vertices[(i + 1) % vertices.len()]);
                let len = (b[0] - a[0]).hypot(b[1] - a[1]).max(1e-6);
                let mut normal = [(b[1] - a[1]) / len, -(b[0] - a[0]) / len];
                if normal[0] * (centroid[0] - a[0]) + normal[1] * (centroid[1] - a[1]) > 0.0 {
                    normal = [-normal[0], -normal[1]];
                }
                normal
            })
            .collect();
        Self::Polygon { vertices, normals }
    }

    fn random<R: Rng + ?Sized>(rng: &mut R, width: usize, height: usize) -> Self {
        let (w, h) = (width as f32, height as f32);
        let c = [rng.gen_range(-0.1..1.1) * w, rng.gen_range(-0.1..1.1) * h];
        let size = w.min(h) * rng.gen_range(0.03..0.35f32);
        match rng.gen_range(0..5) {
            0 => Self::Disc { c, r: size.max(1.5) },
            1 => Self::Ring { c, r: size.max(3.0), half: rng.gen_range(0.6..3.0) },
            2 | 3 => {
                let angle = rng.gen_range(0.0..std::f32::consts::PI);
                let half = [size.max(1.0), (size * rng.gen_range(0.15..1.0f32)).max(1.0)];
                Self::Rect { c, half, cos: angle.cos(), sin: angle.sin() }
            }
            _ => {
                let count = rng.gen_range(3..=6);
                let mut angles: Vec<f32> = (0..count).map(|_| rng.gen_range(0.0..std::f32::consts::TAU)).collect();
                angles.sort_by(f32::total_cmp);
                let radius = size.max(3.0);
                let vertices = angles.iter().map(|a| [c[0] + radius * a.cos(), c[1] + radius * a.sin()]).collect();
                Self::convex_polygon(vertices)
            }
        }
    }
}

/// Blends `fill` into `img` wherever `shape` covers it.
fn paint(img: &mut Canvas, shape: &Shape, fill: &Fill) {
    let b = shape.bounds();
    let x0 = (b[0] - 1.0).floor().max(0.0) as usize;
    let y0 = (b[1] - 1.0).floor().max(0.0) as usize;
    let x1 = ((b[2] + 2.0).ceil().max(0.0) as usize).min(img.width);
    let y1 = ((b[3] + 2.0).ceil().max(0.0) as usize).min(img.height);
    for y in y0..y1 {
        for x in x0..x1 {
            let p = [x as f32, y as f32];
            let coverage = (0.5 - shape.distance(p)).clamp(0.0, 1.0);
            if coverage > 0.0 {
                img.blend(x, y, fill.at(p[0], p[1]), coverage);
            }
        }
    }
}

/// A block of text-like strokes on a plain label: rows of "words" of glyphs made
/// of one to three strokes between points of a 3×3 grid in the glyph's cell.
fn paint_text<R: Rng + ?Sized>(img: &mut Canvas, rng: &mut R) {
    let (w, h) = (img.width as f32, img.height as f32);
    let glyph = rng.gen_range(5.0..14.0f32);
    let block_w = rng.gen_range(0.3..0.9) * w;
    let block_h = (rng.gen_range(0.15..0.5) * h).max(glyph * 1.6);
    let left = rng.gen_range(-0.1..0.9) * w;
    let top = rng.gen_range(-0.1..0.9) * h;
    let paper = random_color(rng);
    let ink: [f32; 3] = if luminance(paper) > 0.5 {
        std::array::from_fn(|_| rng.gen_range(0.0..0.25))
    } else {
        std::array::from_fn(|_| rng.gen_range(0.75..1.0))
    };
    let label = Shape::Rect {
        c: [left + block_w / 2.0, top + block_h / 2.0],
        half: [block_w / 2.0 + glyph * 0.4, block_h / 2.0 + glyph * 0.4],
        cos: 1.0,
        sin: 0.0,
    };
    paint(img, &label, &Fill::Flat(paper));
    let thickness = rng.gen_range(0.8..(0.16 * glyph).max(1.2));
    let (cell_w, line_h) = (glyph * 0.62, glyph * 1.45);
    let ink = Fill::Flat(ink);
    let mut y = top;
    while y + glyph <= top + block_h {
        let mut x = left;
        while x + cell_w <= left + block_w {
            if rng.gen_bool(0.15) {
                x += cell_w; // a space between words
                continue;
            }
            let grid = |i: usize| [x + (i % 3) as f32 * cell_w * 0.4, y + (i / 3) as f32 * glyph * 0.5];
            for _ in 0..rng.gen_range(1..=3) {
                let a = rng.gen_range(0..9);
                let b = (a + rng.gen_range(1..9)) % 9;
                paint(img, &Shape::Segment { a: grid(a), b: grid(b), half: thickness / 2.0 }, &ink);
            }
            x += cell_w;
        }
        y += line_h;
    }
}

/// A random sharp `width × height` image, gamma-encoded, values in `[0, 1]`.
pub fn procedural<R: Rng + ?Sized>(rng: &mut R, width: usize, height: usize) -> Canvas {
    let mut img = Canvas::new(width, height);
    let background = Fill::random(rng, width, height, 0.0);
    for y in 0..height {
        for x in 0..width {
            let at = (y * width + x) * 3;
            img.data[at..at + 3].copy_from_slice(&background.at(x as f32, y as f32));
        }
    }
    let scale = ((width * height) as f64 / (128.0 * 128.0)).sqrt();
    let shapes = (rng.gen_range(5.0..16.0) * scale).round() as usize;
    for _ in 0..shapes {
        let shape = Shape::random(rng, width, height);
        let fill = Fill::random(rng, width, height, 0.55);
        paint(&mut img, &shape, &fill);
    }
    for _ in 0..rng.gen_range(0..=2) {
        paint_text(&mut img, rng);
    }
    img
}
