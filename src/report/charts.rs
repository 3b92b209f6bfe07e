//! The report's charts, drawn by plotters into SVG text (its SVG backend only: no
//! fonts are loaded, text is left to the browser). Each function returns the `<svg>`
//! element, or why the chart could not be drawn.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::lttb;
use crate::measure::{Hist, SecondStats};

/// Okabe–Ito: told apart by people with any common colour-vision deficiency.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
pub const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

const WIDTH: u32 = 860;
const FONT: &str = "sans-serif";
/// Over-time series are cut to this many points for drawing.
pub const MAX_POINTS: usize = 600;

type Drawn = Result<(), Box<dyn std::error::Error>>;
/// A named, coloured series of points.
type Line<'a> = (&'a str, Vec<(f64, f64)>, RGBColor);
/// A stacked layer: its name, colour and count per second.
type Layer = (&'static str, RGBColor, fn(&SecondStats) -> u64);

/// An `<svg>` element, or why the chart could not be drawn.
pub type Svg = Result<String, String>;

/// Runs `draw` on an SVG canvas of `height` and returns the SVG text.
fn svg(
    height: u32,
    draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn,
) -> Svg {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string().into())
            .and_then(|_| draw(root))
    };
    match drawn {
        // Inline SVG in HTML needs no namespace; dropping it leaves the page with no
        // URL but the run's own.
        Ok(()) => Ok(out.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)),
        Err(e) => Err(e.to_string()),
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// `90%`, `99.9%`, … for x = 1 / (1 − q) on the spectrum's log axis.
fn percentile_label(x: &f64) -> String {
    let nines = x.log10().round() as i32;
    match nines {
        0 => "0%".into(),
        1 => "90%".into(),
        2 => "99%".into(),
        n => format!("99.{}%", "9".repeat((n - 2) as usize)),
    }
}

/// The latency percentile spectrum, as HdrHistogram's plotter draws it: x is
/// 1 / (1 − percentile) on a log scale from 0 to 99.999%, y is latency in ms.
pub fn spectrum(lines: &[(&str, &Hist, RGBColor)]) -> Svg {
    spectrum_with(lines, &Requirement::default())
}

/// What a spectrum is held to: percentile requirements drawn as `(percent, ms)`
/// points the curves must pass below, and the latency axis on a log scale (so that a
/// failing step's curve does not flatten the passing ones).
#[derive(Clone, Debug, Default)]
pub struct Requirement {
    pub points: Vec<(f64, f64)>,
    pub log_latency: bool,
}

pub fn spectrum_with(lines: &[(&str, &Hist, RGBColor)], req: &Requirement) -> Svg {
    const TOP: f64 = 100_000.0;
    let x_of = |q: f64| {
        if q >= 1.0 - 1.0 / TOP {
            TOP
        } else {
            1.0 / (1.0 - q)
        }
    };
    // On a log latency axis, y is drawn as log10(ms) and labelled back in ms.
    let y_of = |ms: f64| {
        if req.log_latency {
            ms.max(0.001).log10()
        } else {
            ms
        }
    };
    let series: Vec<Line> = lines
        .iter()
        .filter(|(_, h, _)| !h.is_empty())
        .map(|(name, h, color)| {
            let points = h
                .iter_quantiles(5)
                .map(|v| {
                    (
                        x_of(v.quantile_iterated_to()),
                        y_of(ms(v.value_iterated_to())),
                    )
                })
                .collect();
            (*name, points, *color)
        })
        .collect();
    let marks: Vec<(f64, f64)> = req
        .points
        .iter()
        .map(|&(pct, t)| (x_of(pct / 100.0), y_of(t)))
        .collect();
    let ys = || {
        series
            .iter()
            .flat_map(|(_, p, _)| p.iter().map(|&(_, y)| y))
            .chain(marks.iter().map(|&(_, y)| y))
    };
    let (y_min, y_max) = if req.log_latency {
        (
            ys().fold(f64::MAX, f64::min).floor(),
            ys().fold(f64::MIN, f64::max).ceil().max(0.0),
        )
    } else {
        (0.0, ys().fold(0.0, f64::max).max(0.001) * 1.08)
    };
    // Labelled back in ms (on a log axis only).
    let y_label = |v: &f64| {
        let ms = 10f64.powf(*v);
        if ms >= 1.0 {
            format!("{ms:.0}")
        } else {
            format!("{ms}")
        }
    };
    svg(340, |root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((1f64..TOP).log_scale(), y_min..y_max.max(y_min + 0.001))?;
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(6)
            .x_label_formatter(&percentile_label)
            .x_desc("percentile")
            .y_desc(if req.log_latency {
                "latency (ms, log scale)"
            } else {
                "latency (ms)"
            })
            .label_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0));
        if req.log_latency {
            mesh.y_label_formatter(&y_label);
        }
        mesh.draw()?;
        for (name, points, color) in series {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        // Each requirement: a dashed level up to its percentile, ending in a cross.
        for &(x, y) in &marks {
            chart.draw_series(DashedLineSeries::new(
                [(1.0, y), (x, y)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?;
            chart.draw_series([Cross::new((x, y), 6, BLACK.stroke_width(2))])?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
        root.present()?;
        Ok(())
    })
}

/// Downsampled `(second, value)` points of one series, chosen by LTTB on `key`.
fn thin(
    seconds: &[SecondStats],
    key: impl Fn(&SecondStats) -> f64,
) -> impl Iterator<Item = &SecondStats> {
    let ys: Vec<f64> = seconds.iter().map(key).collect();
    lttb::indices(&ys, MAX_POINTS)
        .into_iter()
        .map(move |i| &seconds[i])
}

fn finished(s: &SecondStats) -> f64 {
    (s.responses + s.errors) as f64
}

/// How long the last second lasted, when the run ended part way through it (its
/// counts are then scaled to per-second rates, so that the end of a run is not drawn
/// as a collapse). `None` when it was whole, or too short to scale (under 0.1 s).
pub fn partial_last_second(seconds: &[SecondStats], wall_s: f64) -> Option<f64> {
    let last = seconds.last()?;
    let span = wall_s - f64::from(last.second);
    (0.1..0.999).contains(&span).then_some(span)
}

/// Over time, one panel each: throughput; p50 and p99 latency; status classes and
/// errors stacked; and the non-2xx alone on their own scale, so that 1% of 5xx is as
/// visible as 50%. Seconds in `marked` (stalls, bursts) are shaded in every panel. A
/// partial last second (see [`partial_last_second`]) is drawn as a rate.
pub fn over_time(
    seconds: &[SecondStats],
    marked: &[u32],
    wall_s: f64,
    planned: Option<&[f64]>,
) -> Svg {
    let last = seconds.last().map_or(1, |s| s.second + 1).max(1);
    let x_range = 0f64..f64::from(last);
    let marked = &spans(marked, last);
    let tail = partial_last_second(seconds, wall_s);
    let per_second = |s: &SecondStats, n: f64| match tail {
        Some(span) if s.second + 1 == last => n / span,
        _ => n,
    };
    let finished = |s: &SecondStats| per_second(s, finished(s));
    svg(720, |root| {
        let panels = root.split_evenly((4, 1));
        // Throughput and the stacked statuses share one scale and one downsampling.
        let busiest = seconds
            .iter()
            .map(finished)
            .chain(planned.into_iter().flatten().copied())
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let by_finished: Vec<&SecondStats> = thin(seconds, finished).collect();
        let mut chart = panel(&panels[0], &x_range, busiest, "req/s", "", marked)?;
        chart
            .draw_series(LineSeries::new(
                by_finished
                    .iter()
                    .map(|s| (f64::from(s.second) + 0.5, finished(s))),
                BLUE.stroke_width(2),
            ))?
            .label("finished per second")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        if let Some(planned) = planned {
            chart
                .draw_series(LineSeries::new(
                    planned
                        .iter()
                        .enumerate()
                        .map(|(s, n)| (s as f64 + 0.5, *n)),
                    GREY.stroke_width(2),
                ))?
                .label("planned (--stages)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2)));
        }
        legend(&mut chart)?;

        let p99 = |s: &SecondStats| s.p99_ms.unwrap_or(0.0);
        let top = seconds.iter().map(p99).fold(0.0, f64::max).max(0.001) * 1.1;
        let mut chart = panel(&panels[1], &x_range, top, "latency (ms)", "", marked)?;
        let kept: Vec<&SecondStats> = thin(seconds, p99).filter(|s| s.p99_ms.is_some()).collect();
        for (name, color, pick) in [
            ("p99", VERMILLION, &p99 as &dyn Fn(&SecondStats) -> f64),
            ("p50", BLUE, &|s: &SecondStats| s.p50_ms.unwrap_or(0.0)),
        ] {
            chart
                .draw_series(LineSeries::new(
                    kept.iter().map(|s| (f64::from(s.second) + 0.5, pick(s))),
                    color.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        legend(&mut chart)?;

        // Stacked: each layer is drawn to its cumulative height, tallest first.
        let layers: [Layer; 5] = [
            ("errors", PURPLE, |s| s.errors),
            ("5xx", VERMILLION, |s| s.status_5xx),
            ("4xx", ORANGE, |s| s.status_4xx),
            ("3xx", SKY, |s| s.status_3xx),
            ("2xx", GREEN, |s| s.status_2xx),
        ];
        let mut chart = panel(&panels[2], &x_range, busiest, "responses/s", "", marked)?;
        stack(&mut chart, &layers, &by_finished, &per_second)?;
        legend(&mut chart)?;
        // The non-2xx alone, on their own scale.
        let failing = &layers[..4];
        let worst = seconds
            .iter()
            .map(|s| per_second(s, failing.iter().map(|(_, _, f)| f(s)).sum::<u64>() as f64))
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let by_failing: Vec<&SecondStats> = thin(seconds, |s| {
            failing.iter().map(|(_, _, f)| f(s)).sum::<u64>() as f64
        })
        .collect();
        let mut chart = panel(
            &panels[3],
            &x_range,
            worst,
            "not 2xx/s",
            "seconds since start",
            marked,
        )?;
        stack(&mut chart, failing, &by_failing, &per_second)?;
        legend(&mut chart)?;
        root.present()?;
        Ok(())
    })
}

/// Stacked areas: each layer drawn to its cumulative height, the first on top.
fn stack(
    chart: &mut Chart<'_, '_>,
    layers: &[Layer],
    seconds: &[&SecondStats],
    per_second: &dyn Fn(&SecondStats, f64) -> f64,
) -> Drawn {
    for depth in 0..layers.len() {
        let (name, color, _) = layers[depth];
        let points: Vec<(f64, f64)> = seconds
            .iter()
            .map(|s| {
                let height: u64 = layers[depth..].iter().map(|(_, _, f)| f(s)).sum();
                (f64::from(s.second) + 0.5, per_second(s, height as f64))
            })
            .collect();
        chart
            .draw_series(AreaSeries::new(points, 0.0, color.mix(0.85)))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    Ok(())
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Most shaded bands a chart draws: closer marks merge, so a noisy eight-hour run
/// does not become thousands of rectangles.
const MAX_BANDS: u32 = 300;

/// Sorted seconds as `[from, to)` bands, merging those closer than the run's length
/// over [`MAX_BANDS`].
fn spans(marked: &[u32], length: u32) -> Vec<(u32, u32)> {
    let gap = (length / MAX_BANDS).max(1);
    let mut bands: Vec<(u32, u32)> = Vec::new();
    for &s in marked {
        match bands.last_mut() {
            Some(band) if s < band.1 + gap => band.1 = band.1.max(s + 1),
            _ => bands.push((s, s + 1)),
        }
    }
    bands
}

/// One over-time panel: axes, and the marked seconds shaded.
fn panel<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    x_range: &std::ops::Range<f64>,
    y_max: f64,
    desc: &str,
    x_desc: &str,
    marked: &[(u32, u32)],
) -> Result<Chart<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(if x_desc.is_empty() { 18 } else { 34 })
        .y_label_area_size(60)
        .build_cartesian_2d(x_range.clone(), 0f64..y_max)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(desc)
        .label_style((FONT, 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(marked.iter().map(|&(from, to)| {
        Rectangle::new(
            [(f64::from(from), 0.0), (f64::from(to), y_max)],
            VERMILLION.mix(0.15).filled(),
        )
    }))?;
    Ok(chart)
}

/// A plain chart: the mesh, its two axis names, no marks.
fn plain<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    x_range: std::ops::Range<f64>,
    y_range: std::ops::Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(chart)
}

/// Throughput against connections: the measured steps as dots `(n, measured, _)`, the
/// USL model X(N) = λN / (1 + σ(N−1) + κN(N−1)) as a line (`(σ, κ, λ)`), and its
/// peak `(n, rps)` dashed.
pub fn usl(
    points: &[(u32, f64, f64)],
    (s, k, l): (f64, f64, f64),
    peak: Option<(u32, f64)>,
) -> Svg {
    let model = |n: f64| l * n / (1.0 + s * (n - 1.0) + k * n * (n - 1.0));
    let right = points
        .iter()
        .map(|p| f64::from(p.0))
        .chain(peak.map(|p| f64::from(p.0)))
        .fold(1.0, f64::max)
        * 1.1;
    let curve: Vec<(f64, f64)> = (0..=120)
        .map(|i| 1.0 + (right - 1.0) * f64::from(i) / 120.0)
        .map(|n| (n, model(n)))
        .collect();
    let top = points
        .iter()
        .map(|p| p.1)
        .chain(curve.iter().map(|c| c.1))
        .fold(0.001, f64::max)
        * 1.15;
    svg(300, |root| {
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = plain(&plot, 0.0..right, 0.0..top, "connections", "req/s")?;
        chart.draw_series(LineSeries::new(curve, BLUE.stroke_width(2)))?;
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((f64::from(p.0), p.1), 4, ORANGE.filled())),
        )?;
        if let Some((n, _)) = peak {
            chart.draw_series(dashed_vertical(f64::from(n), top, 20, GREY))?;
        }
        side_legend(
            &side,
            &[
                ("measured", ORANGE, Swatch::Dot),
                ("USL model", BLUE, Swatch::Line),
                ("predicted peak", GREY, Swatch::Dashed),
            ],
        )?;
        root.present()?;
        Ok(())
    })
}

/// A dashed vertical line at `x` from 0 to `top`: `n` dashes, each half its step.
fn dashed_vertical(
    x: f64,
    top: f64,
    n: u32,
    color: RGBColor,
) -> impl Iterator<Item = PathElement<(f64, f64)>> {
    let step = top / f64::from(n);
    (0..n).map(move |i| {
        let y = f64::from(i) * step;
        PathElement::new(vec![(x, y), (x, y + step / 2.0)], color.stroke_width(2))
    })
}

fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .draw()?;
    Ok(())
}

/// A canary's samples in order: latency, green when ok, vermillion when not (a
/// sample with no response sits at the bottom).
pub fn samples(points: &[(Option<f64>, bool)]) -> Svg {
    let n = points.len().max(1) as f64;
    let top = points
        .iter()
        .filter_map(|p| p.0)
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.15;
    svg(280, |root| {
        let mut chart = plain(&root, 0.5..n + 0.5, 0.0..top, "sample", "latency (ms)")?;
        chart.draw_series(LineSeries::new(
            points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.0.map(|l| (i as f64 + 1.0, l))),
            GREY.stroke_width(1),
        ))?;
        chart.draw_series(points.iter().enumerate().map(|(i, &(l, ok))| {
            let color = if ok { GREEN } else { VERMILLION };
            Circle::new((i as f64 + 1.0, l.unwrap_or(0.0)), 4, color.filled())
        }))?;
        root.present()?;
        Ok(())
    })
}

/// One point of a ramp's picture: seconds since it started and what happened.
pub enum RampMark {
    /// The weight from here on.
    Weight(f64, u32),
    /// A window's end: its weight and whether it passed (`None`: inconclusive or error).
    Window(f64, u32, Option<bool>),
    RolledBack(f64),
    /// The ramp was interrupted here (Ctrl-C, a kill)…
    Interrupted(f64),
    /// …and resumed here.
    Resumed(f64),
}

/// Width of the legend drawn beside a chart, outside its data.
const LEGEND_WIDTH: u32 = 150;

/// A legend in its own area: each entry a swatch (a line, a dot, a dashed line) and
/// its name, one under the other.
fn side_legend(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    entries: &[(&str, RGBColor, Swatch)],
) -> Drawn {
    for (i, (name, color, swatch)) in entries.iter().enumerate() {
        let y = 24 + 20 * i as i32;
        match swatch {
            Swatch::Line => area.draw(&PathElement::new(
                vec![(8, y), (28, y)],
                color.stroke_width(2),
            ))?,
            Swatch::Dot => area.draw(&Circle::new((18, y), 5, color.filled()))?,
            Swatch::Dashed => {
                for x in [8, 16, 24] {
                    area.draw(&PathElement::new(
                        vec![(x, y), (x + 4, y)],
                        color.stroke_width(2),
                    ))?
                }
            }
        }
        area.draw(&Text::new(
            name.to_string(),
            (36, y - 7),
            (FONT, 12).into_font(),
        ))?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Swatch {
    Line,
    Dot,
    Dashed,
}

/// The traffic weight over time as steps, each window a dot on its step (green pass,
/// vermillion fail, grey neither), a rollback as a vertical line, an interruption and
/// a resume as dashed ones; the legend beside the chart, never over its last windows.
pub fn ramp(marks: &[RampMark], end_s: f64) -> Svg {
    let end = end_s.max(1.0);
    svg(300, |root| {
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = plain(
            &plot,
            0.0..end * 1.02,
            0.0..105.0,
            "seconds since start",
            "traffic weight (%)",
        )?;
        let mut steps: Vec<(f64, f64)> = Vec::new();
        let mut weight = 0.0;
        for m in marks {
            let next = match m {
                RampMark::Weight(t, w) => Some((*t, f64::from(*w))),
                RampMark::RolledBack(t) => Some((*t, 0.0)),
                _ => None,
            };
            if let Some((t, w)) = next {
                steps.push((t, weight));
                steps.push((t, w));
                weight = w;
            }
        }
        steps.push((end, weight));
        chart.draw_series(LineSeries::new(steps, BLUE.stroke_width(2)))?;
        chart.draw_series(marks.iter().filter_map(|m| match m {
            RampMark::Window(t, w, verdict) => {
                let color = match verdict {
                    Some(true) => GREEN,
                    Some(false) => VERMILLION,
                    None => GREY,
                };
                Some(Circle::new((*t, f64::from(*w)), 5, color.filled()))
            }
            _ => None,
        }))?;
        let mut entries = vec![
            ("weight", BLUE, Swatch::Line),
            ("window passed", GREEN, Swatch::Dot),
            ("window failed", VERMILLION, Swatch::Dot),
            ("not judged", GREY, Swatch::Dot),
        ];
        let mut seen = (false, false);
        for m in marks {
            let (t, color, dashed) = match m {
                RampMark::RolledBack(t) => (*t, VERMILLION, false),
                RampMark::Interrupted(t) | RampMark::Resumed(t) => (*t, GREY, true),
                _ => continue,
            };
            if dashed {
                // A dashed vertical line: short segments up the chart.
                chart.draw_series(dashed_vertical(t, 105.0, 21, color))?;
                seen.1 = true;
            } else {
                chart.draw_series(LineSeries::new(
                    vec![(t, 0.0), (t, 105.0)],
                    color.stroke_width(2),
                ))?;
                seen.0 = true;
            }
        }
        if seen.0 {
            entries.push(("rolled back", VERMILLION, Swatch::Line));
        }
        if seen.1 {
            entries.push(("interrupted, resumed", GREY, Swatch::Dashed));
        }
        side_legend(&side, &entries)?;
        root.present()?;
        Ok(())
    })
}

/// One judged window's canary against its baseline: a percentile of each over the
/// step's windows so far, where the interval of their difference puts the canary
/// given the baseline, and the most the band allows.
pub struct Versus {
    pub baseline_ms: f64,
    pub canary_ms: f64,
    /// The interval of the canary's value given the baseline's (ms).
    pub low_ms: f64,
    pub high_ms: f64,
    /// The baseline's value moved by the band: the worst still "the same".
    pub allowed_ms: f64,
    /// A step starts here (its weight): a separating line and a label.
    pub step: Option<u32>,
}

/// Per window, the baseline's and the canary's percentile as dots, the interval of the
/// difference as a bar on the canary's side and the band's limit as a dash; steps
/// separated by grey lines with their weight.
pub fn versus(points: &[Versus], what: &str) -> Svg {
    let n = points.len().max(1) as f64;
    let top = points
        .iter()
        .map(|p| p.high_ms.max(p.canary_ms).max(p.allowed_ms))
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.15;
    svg(300, |root| {
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0.5f64..n + 0.5, 0f64..top)?;
        chart
            .configure_mesh()
            .x_desc("judged window")
            .y_desc(format!("{what} (ms)"))
            .x_labels(points.len() + 2)
            .x_label_formatter(&|x| {
                // Windows are whole numbers: ticks between them stay unlabelled.
                if (x - x.round()).abs() < 1e-6 && *x >= 1.0 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 12))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, p) in points.iter().enumerate() {
            let x = i as f64 + 1.0;
            if let Some(w) = p.step {
                let edge = x - 0.5;
                chart.draw_series(LineSeries::new(
                    vec![(edge, 0.0), (edge, top)],
                    GREY.mix(0.5).stroke_width(1),
                ))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{w}%"),
                    (edge + 0.05, top * 0.97),
                    (FONT, 12).into_font(),
                )))?;
            }
            let c = x + 0.12;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(c, p.low_ms), (c, p.high_ms)],
                ORANGE.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(c - 0.12, p.allowed_ms), (c + 0.12, p.allowed_ms)],
                VERMILLION.stroke_width(2),
            )))?;
            chart.draw_series([
                Circle::new((x - 0.12, p.baseline_ms), 5, BLUE.filled()),
                Circle::new((c, p.canary_ms), 5, ORANGE.filled()),
            ])?;
        }
        side_legend(
            &side,
            &[
                ("baseline", BLUE, Swatch::Dot),
                ("canary", ORANGE, Swatch::Dot),
                ("canary's interval", ORANGE, Swatch::Line),
                ("most allowed", VERMILLION, Swatch::Line),
            ],
        )?;
        root.present()?;
        Ok(())
    })
}

/// The knee: p50 and p99 against the throughput each step achieved (green passed,
/// vermillion failed), the maximum found as a dashed vertical line.
pub fn knee(points: &[(f64, Option<f64>, Option<f64>, bool)], max: Option<f64>) -> Svg {
    let right = points.iter().map(|p| p.0).fold(0.0, f64::max).max(1.0) * 1.1;
    let top = points
        .iter()
        .filter_map(|p| p.2.or(p.1))
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.15;
    svg(300, |root| {
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = plain(
            &plot,
            0.0..right,
            0.0..top,
            "achieved req/s",
            "latency (ms)",
        )?;
        let mut sorted = points.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (pick, color) in [
            (
                &(|p: &(f64, Option<f64>, Option<f64>, bool)| p.1) as &dyn Fn(&_) -> Option<f64>,
                BLUE,
            ),
            (&|p: &(f64, Option<f64>, Option<f64>, bool)| p.2, ORANGE),
        ] {
            chart.draw_series(LineSeries::new(
                sorted.iter().filter_map(|p| pick(p).map(|y| (p.0, y))),
                color.stroke_width(2),
            ))?;
            chart.draw_series(sorted.iter().filter_map(|p| {
                let dot = if p.3 { GREEN } else { VERMILLION };
                pick(p).map(|y| Circle::new((p.0, y), 4, dot.filled()))
            }))?;
        }
        if let Some(m) = max {
            chart.draw_series(dashed_vertical(m, top, 20, GREY))?;
        }
        side_legend(
            &side,
            &[
                ("p50", BLUE, Swatch::Line),
                ("p99", ORANGE, Swatch::Line),
                ("step passed", GREEN, Swatch::Dot),
                ("step failed", VERMILLION, Swatch::Dot),
                ("maximum", GREY, Swatch::Dashed),
            ],
        )?;
        root.present()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_seconds_become_few_bands() {
        assert_eq!(spans(&[2, 3, 7], 60), vec![(2, 4), (7, 8)]);
        let every_other: Vec<u32> = (0..28_800).step_by(2).collect();
        let bands = spans(&every_other, 28_800);
        assert!(bands.len() <= MAX_BANDS as usize, "{}", bands.len());
        assert_eq!(bands.first().map(|b| b.0), Some(0));
    }
}
