//! Figures with plotters, text rendered from an embedded font (DejaVu Sans,
//! `assets/`), so no system font library is needed. Both figures are log2-x
//! charts drawn by the same helpers ([`log2_chart`], [`draw_line`],
//! [`finish`]), once as PNG and once as SVG.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The name "sans-serif" is what plotters' default text styles ask for.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, FONT);
    });
}

/// Series colours, in order (matplotlib's first four).
const COLORS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];

type Log2Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plotting failed: {e:?}")
}

/// The text of a chart.
struct Labels<'a> {
    title: &'a str,
    title_size: u32,
    x: &'a str,
    y: &'a str,
}

/// `(min, max)` of `values`.
fn range(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// The y range for data spanning `y0..=y1`: widened by `pad` of the span (at
/// least 0.05), and lowered so that the bottom `band` (a fraction of the height)
/// holds no data: the legend's place, whatever the data.
fn y_range_with_legend_band(y0: f64, y1: f64, pad: f64, band: f64) -> std::ops::Range<f64> {
    let pad = ((y1 - y0) * pad).max(0.05);
    let (lo, hi) = (y0 - pad, y1 + pad);
    let band = band.clamp(0.0, 0.6);
    (lo - band * (hi - lo) / (1.0 - band))..hi
}

/// A white chart with its caption and mesh over `log2_xs` (labelled with the
/// powers of two) and `ys` (widened by `pad` of their span, at least 0.05, with
/// room below the data for a legend of `legend_rows` at `legend_size`); returns
/// it with its x range.
fn log2_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    labels: &Labels,
    log2_xs: &[f64],
    ys: &[f64],
    pad: f64,
    (legend_rows, legend_size): (usize, u32),
) -> Result<(Log2Chart<'a, DB>, std::ops::Range<f64>)>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let ((x0, x1), (y0, y1)) = (range(log2_xs), range(ys));
    let x_range = (x0 - 0.3)..(x1 + 0.3);
    // The plotting area is the drawing's height less the caption, the x labels and
    // the margins; a legend row takes about its font size plus spacing.
    let plot_px = f64::from(root.dim_in_pixel().1.saturating_sub(labels.title_size + 130).max(100));
    let band = (legend_rows as f64 * f64::from(legend_size + 8) + 30.0) / plot_px;
    let mut chart = ChartBuilder::on(root)
        .caption(labels.title, ("sans-serif", labels.title_size))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range.clone(), y_range_with_legend_band(y0, y1, pad, band))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_labels(((x1 - x0) as usize + 1).max(2))
        .x_label_formatter(&|v| format!("{}", 2f64.powf(v.round()) as u64))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 20))
        .draw()
        .map_err(plot_error)?;
    Ok((chart, x_range))
}

/// A labelled line through `points` (x already log2) with a dot at each point.
fn draw_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Log2Chart<'a, DB>,
    label: &str,
    points: Vec<(f64, f64)>,
    c: RGBColor,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(LineSeries::new(points.clone(), c.stroke_width(3)))
        .map_err(plot_error)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, c.filled()))).map_err(plot_error)?;
    Ok(())
}

/// The legend (lower right, in the band [`log2_chart`] keeps free) and the finished drawing.
fn finish<'a, DB: DrawingBackend + 'a>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Log2Chart<'a, DB>,
    legend_size: u32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", legend_size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)
}

/// A named series of (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A line plot with a log2 x axis (x values are powers of two, e.g. diffusion steps T).
pub fn log2_line_plot(
    series: &[Series],
    title: &str,
    x_label: &str,
    y_label: &str,
    png: &Path,
    svg: &Path,
) -> Result<()> {
    register_font();
    let labels = Labels { title, title_size: 26, x: x_label, y: y_label };
    draw(&BitMapBackend::new(png, (900, 600)).into_drawing_area(), series, &labels)?;
    draw(&SVGBackend::new(svg, (900, 600)).into_drawing_area(), series, &labels)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, series: &[Series], labels: &Labels) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0.log2())).collect();
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    if xs.is_empty() {
        return Err(anyhow!("nothing to plot"));
    }
    let (mut chart, _) = log2_chart(root, labels, &xs, &ys, 0.15, (series.len(), 18))?;
    for (s, c) in series.iter().zip(COLORS.iter().cycle()) {
        draw_line(&mut chart, &s.label, s.points.iter().map(|p| (p.0.log2(), p.1)).collect(), *c)?;
    }
    finish(root, &mut chart, 18)
}

/// A series of means with a ± spread per point (e.g. over seeds).
#[derive(Debug, Clone)]
pub struct ErrorSeries {
    pub label: String,
    /// `(x, mean, spread)`.
    pub points: Vec<(f64, f64, f64)>,
}

/// A horizontal reference line (e.g. the blurry input), drawn dashed in the colour
/// of the series with the same `color` index.
#[derive(Debug, Clone)]
pub struct RefLine {
    pub label: String,
    pub y: f64,
    pub color: usize,
}

/// A log2-x plot of means with error bars (± spread) and dashed horizontal reference lines.
pub fn log2_errorbar_plot(
    series: &[ErrorSeries],
    refs: &[RefLine],
    title: &str,
    x_label: &str,
    y_label: &str,
    png: &Path,
    svg: &Path,
) -> Result<()> {
    register_font();
    let labels = Labels { title, title_size: 24, x: x_label, y: y_label };
    draw_errorbars(&BitMapBackend::new(png, (1000, 650)).into_drawing_area(), series, refs, &labels)?;
    draw_errorbars(&SVGBackend::new(svg, (1000, 650)).into_drawing_area(), series, refs, &labels)
}

fn draw_errorbars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[ErrorSeries],
    refs: &[RefLine],
    labels: &Labels,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0.log2())).collect();
    let mut ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2])).collect();
    ys.extend(refs.iter().map(|r| r.y));
    if xs.is_empty() || ys.iter().any(|y| !y.is_finite()) {
        return Err(anyhow!("nothing to plot, or a value that is not finite"));
    }
    let (mut chart, x_range) = log2_chart(root, labels, &xs, &ys, 0.12, (series.len() + refs.len(), 16))?;
    for r in refs {
        let c = COLORS[r.color % COLORS.len()];
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_range.start, r.y), (x_range.end, r.y)],
                8,
                6,
                c.mix(0.8).stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(r.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 8, y), (x + 14, y), (x + 24, y)], c.mix(0.5).stroke_width(2))
            });
    }
    for (s, &c) in series.iter().zip(COLORS.iter().cycle()) {
        draw_line(&mut chart, &s.label, s.points.iter().map(|p| (p.0.log2(), p.1)).collect(), c)?;
        let cap = 0.06;
        chart
            .draw_series(s.points.iter().flat_map(|&(x, m, sd)| {
                let x = x.log2();
                [
                    PathElement::new(vec![(x, m - sd), (x, m + sd)], c.stroke_width(2)),
                    PathElement::new(vec![(x - cap, m - sd), (x + cap, m - sd)], c.stroke_width(2)),
                    PathElement::new(vec![(x - cap, m + sd), (x + cap, m + sd)], c.stroke_width(2)),
                ]
            }))
            .map_err(plot_error)?;
    }
    finish(root, &mut chart, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_band_below_the_data_is_kept_free() {
        let r = y_range_with_legend_band(28.0, 34.0, 0.1, 0.3);
        assert!((r.end - 34.6).abs() < 1e-9, "{r:?}");
        // The data's lowest point (27.4 with the pad) sits 30 % of the height above the bottom.
        assert!(((27.4 - r.start) / (r.end - r.start) - 0.3).abs() < 1e-9, "{r:?}");
        // No band, and a band that would leave no room for data, are bounded.
        assert!((y_range_with_legend_band(1.0, 2.0, 0.0, 0.0).start - 0.95).abs() < 1e-9);
        let r = y_range_with_legend_band(1.0, 2.0, 0.0, 5.0);
        assert!(((0.95 - r.start) / (r.end - r.start) - 0.6).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn writes_png_and_svg_with_text() {
        let dir = std::env::temp_dir().join(format!("xtask-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = Series { label: "ours".into(), points: vec![(1.0, 20.0), (2.0, 21.0), (4.0, 21.5), (8.0, 21.7)] };
        let (png, svg) = (dir.join("f.png"), dir.join("f.svg"));
        log2_line_plot(&[s], "PSNR vs T", "T", "PSNR (dB)", &png, &svg).unwrap();
        assert!(std::fs::metadata(&png).unwrap().len() > 5_000);
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(svg_text.contains("PSNR vs T") && svg_text.contains("ours"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn error_bars_and_reference_lines_are_drawn_and_labelled() {
        let dir = std::env::temp_dir().join(format!("xtask-plot-eb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = ErrorSeries {
            label: "in-distribution".into(),
            points: vec![(1.0, 25.0, 0.3), (2.0, 25.5, 0.2), (4.0, 25.4, 0.0)],
        };
        let refs = [
            RefLine { label: "blurry input".into(), y: 24.0, color: 0 },
            RefLine { label: "no prior".into(), y: 25.1, color: 1 },
        ];
        let (png, svg) = (dir.join("e.png"), dir.join("e.svg"));
        log2_errorbar_plot(std::slice::from_ref(&s), &refs, "PSNR vs T", "T", "PSNR (dB)", &png, &svg).unwrap();
        assert!(std::fs::metadata(&png).unwrap().len() > 5_000);
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        for label in ["in-distribution", "blurry input", "no prior"] {
            assert!(svg_text.contains(label), "{label}");
        }
        let bad = ErrorSeries { label: "x".into(), points: vec![(1.0, f64::NAN, 0.0)] };
        assert!(log2_errorbar_plot(&[bad], &[], "t", "x", "y", &png, &svg).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
