//! The report's charts, drawn as SVG with plotters: reliability diagram, score histogram of
//! converters and the others, ROC curves, cumulative gains, conversion per score bucket, and
//! leads per period against sales capacity; and the curves of the numbers that entered the
//! model with a shape.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Report, ScoreKind};
use crate::error::{Error, Result};
use crate::metrics::{GainsRow, ReliabilityBin};

/// Size of every chart, in SVG pixels (scaled to the page by CSS).
const SIZE: (u32, u32) = (560, 360);
const FONT: &str = "sans-serif";
const GRID: RGBColor = RGBColor(229, 231, 235);
const INK: RGBColor = RGBColor(55, 65, 81);
const IDEAL: RGBColor = RGBColor(156, 163, 175);
const CAPACITY: RGBColor = RGBColor(220, 38, 38);
const FITS: RGBColor = RGBColor(248, 113, 113);

/// The colour of a score kind, the same in every chart and table.
pub fn colour(kind: ScoreKind) -> RGBColor {
    match kind {
        ScoreKind::Score => RGBColor(29, 78, 216),
        ScoreKind::Model => RGBColor(234, 88, 12),
        ScoreKind::Rules => RGBColor(21, 128, 61),
        ScoreKind::Compared => RGBColor(126, 34, 206),
    }
}

/// A chart's file name (without `.svg`) and the SVG text.
pub struct Chart {
    /// File name stem, e.g. `reliability`.
    pub name: &'static str,
    /// Title shown above it.
    pub title: &'static str,
    /// The SVG document.
    pub svg: String,
    /// Wider than the others (a row of panels): shown across the page, never beside a table.
    pub wide: bool,
}

/// All the report's charts, in report order.
pub fn all(report: &Report) -> Result<Vec<Chart>> {
    let charts: [(&'static str, &'static str, Draw); 6] = [
        ("reliability", "Does a score of 30 mean 30 %?", reliability),
        ("histogram", "Scores of converters and of the others", histogram),
        ("roc", "ROC curves", roc),
        (
            "gains",
            "Cumulative gains: conversions found by calling the top-scored leads first",
            gains,
        ),
        ("buckets", "Conversion per 10-point score bucket", buckets),
        ("capacity", "Leads per period above each threshold", capacity),
    ];
    let mut drawn = charts
        .into_iter()
        .map(|(name, title, draw)| draw_chart(report, name, title, SIZE, draw))
        .collect::<Result<Vec<_>>>()?;
    if report.segments.is_some() {
        drawn.push(draw_chart(
            report,
            "segment_reliability",
            "Does a score of 30 mean 30 % in each segment?",
            SIZE,
            segment_reliability,
        )?);
        drawn.push(draw_chart(
            report,
            "segment_gains",
            "Conversions found by calling each segment's top-scored leads first",
            SIZE,
            segment_gains,
        )?);
    }
    if !report.factors.shapes.is_empty() {
        let rows = report.factors.shapes.len().div_ceil(SHAPE_COLUMNS) as u32;
        drawn.push(draw_chart(
            report,
            "shapes",
            "What each number adds to the log-odds across its values",
            (840, 260 * rows),
            shapes,
        )?);
    }
    Ok(drawn)
}

fn draw_chart(report: &Report, name: &'static str, title: &'static str, size: (u32, u32), draw: Draw) -> Result<Chart> {
    svg_chart(name, title, size, |area| draw(report, area))
}

/// A chart drawn by `draw` on a white area of `size`.
fn svg_chart(
    name: &'static str,
    title: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Drawn,
) -> Result<Chart> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        area.fill(&WHITE).map_err(chart_error(name))?;
        draw(&area).map_err(chart_error(name))?;
        area.present().map_err(chart_error(name))?;
    }
    Ok(Chart {
        name,
        title,
        svg,
        wide: size.0 > SIZE.0,
    })
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;
/// Draws one chart of a report on an area.
type Draw = fn(&Report, &Area) -> Drawn;

fn chart_error<E: std::fmt::Display>(name: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Runtime(format!("drawing the {name} chart: {e}"))
}

/// A chart with numbers on both axes.
type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn percent(v: &f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// How an axis is labelled: its range, description and tick labels.
struct Axis<'f> {
    range: std::ops::Range<f64>,
    desc: String,
    ticks: usize,
    format: &'f dyn Fn(&f64) -> String,
}

impl<'f> Axis<'f> {
    /// An axis of shares, labelled in percent.
    fn share(max: f64, desc: &str) -> Axis<'f> {
        Axis {
            range: 0.0..max,
            desc: desc.to_string(),
            ticks: 6,
            format: &percent,
        }
    }

    /// The 0–100 score (or threshold) axis.
    fn score(desc: &str) -> Axis<'f> {
        Axis {
            range: 0.0..100.0,
            desc: desc.to_string(),
            ticks: 11,
            format: &whole,
        }
    }
}

fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

/// A chart with a light grid and labelled axes, in the report's style.
fn plot<'a, 'b>(area: &'a Area<'b>, x: Axis, y: Axis) -> std::result::Result<Plot<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x.range, y.range)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(INK)
        .x_labels(x.ticks)
        .y_labels(y.ticks)
        .x_label_formatter(x.format)
        .y_label_formatter(y.format)
        .x_desc(x.desc)
        .y_desc(y.desc)
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 14).into_font().color(&INK))
        .draw()?;
    Ok(chart)
}

fn legend<'a, 'b: 'a>(chart: &mut Plot<'a, 'b>, position: SeriesLabelPosition) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font((FONT, 13).into_font().color(&INK))
        .draw()
        .map_err(|e| e.to_string().into())
}

fn line_legend(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
}

fn reliability(report: &Report, area: &Area) -> Drawn {
    let lines: Vec<(String, RGBColor, &[ReliabilityBin])> = (report.reliability.iter())
        .map(|r| (r.label.clone(), colour(r.kind), r.bins.as_slice()))
        .collect();
    reliability_lines(area, &lines)
}

/// The score's reliability in each segment: one line per segment, through its groups of
/// [`SEGMENT_BIN_LEADS`] leads or more (a small segment's few high scores would draw noise).
fn segment_reliability(report: &Report, area: &Area) -> Drawn {
    let rows = report.segments.as_ref().map_or(&[][..], |s| s.rows.as_slice());
    let bins: Vec<Vec<ReliabilityBin>> = (rows.iter())
        .map(|r| {
            r.reliability
                .iter()
                .filter(|b| b.leads >= SEGMENT_BIN_LEADS)
                .copied()
                .collect()
        })
        .collect();
    let lines: Vec<(String, RGBColor, &[ReliabilityBin])> = (rows.iter().zip(&bins).enumerate())
        .map(|(i, (r, bins))| (r.segment.clone(), model_colour(i), bins.as_slice()))
        .collect();
    reliability_lines(area, &lines)
}

/// Fewest leads of a probability group drawn in the segments' reliability chart.
pub const SEGMENT_BIN_LEADS: usize = 30;

/// Reliability diagrams, one line each (label, colour, bins), the first drawn on top, against
/// the diagonal of a calibrated score; zoomed to where the leads are.
fn reliability_lines(area: &Area, lines: &[(String, RGBColor, &[ReliabilityBin])]) -> Drawn {
    let top = (lines.iter())
        .flat_map(|(_, _, bins)| bins.iter().map(|b| b.predicted.max(b.observed)))
        .fold(0.0f64, f64::max);
    // Most lead scores sit well below 100 %.
    let limit = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let mut chart = plot(
        area,
        Axis::share(limit, "predicted conversion (mean of the bin)"),
        Axis::share(limit, "observed conversion"),
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (limit, limit)], IDEAL.stroke_width(1)))?
        .label("perfectly calibrated")
        .legend(line_legend(IDEAL));
    for (label, c, bins) in lines.iter().rev() {
        let points: Vec<(f64, f64)> = bins.iter().map(|b| (b.predicted, b.observed)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
            .label(label.clone())
            .legend(line_legend(*c));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

fn histogram(report: &Report, area: &Area) -> Drawn {
    let buckets = &report.separation.histogram;
    let converters: usize = buckets.iter().map(|b| b.converters).sum::<usize>().max(1);
    let others: usize = buckets.iter().map(|b| b.non_converters).sum::<usize>().max(1);
    let shares: Vec<(f64, f64, f64)> = buckets
        .iter()
        .map(|b| {
            (
                f64::from(b.from),
                b.converters as f64 / converters as f64,
                b.non_converters as f64 / others as f64,
            )
        })
        .collect();
    let top = shares.iter().map(|s| s.1.max(s.2)).fold(0.0, f64::max);
    let mut chart = plot(
        area,
        Axis::score("score (0–100)"),
        Axis::share((top * 1.15).max(0.01), "share of the group"),
    )?;
    let width = f64::from(super::HISTOGRAM_WIDTH);
    let (hot, cold) = (colour(ScoreKind::Score), IDEAL);
    chart
        .draw_series(shares.iter().map(|&(from, _, other)| {
            Rectangle::new([(from + 0.4, 0.0), (from + width / 2.0, other)], cold.mix(0.8).filled())
        }))?
        .label("did not convert")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], cold.filled()));
    chart
        .draw_series(shares.iter().map(|&(from, conv, _)| {
            Rectangle::new([(from + width / 2.0, 0.0), (from + width - 0.4, conv)], hot.filled())
        }))?
        .label("converted")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], hot.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn roc(report: &Report, area: &Area) -> Drawn {
    let mut chart = plot(
        area,
        Axis::share(1.0, "false positive rate (non-converters called)"),
        Axis::share(1.0, "true positive rate (converters found)"),
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], IDEAL.stroke_width(1)))?
        .label("random order")
        .legend(line_legend(IDEAL));
    for curve in report.separation.roc.iter().rev() {
        let c = colour(curve.kind);
        let auc = report
            .headline
            .iter()
            .find(|h| h.kind == curve.kind)
            .and_then(|h| h.roc_auc)
            .map(|a| format!(" (AUC {a:.3})"))
            .unwrap_or_default();
        chart
            .draw_series(LineSeries::new(curve.points.clone(), c.stroke_width(2)))?
            .label(format!("{}{auc}", curve.label))
            .legend(line_legend(c));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn gains(report: &Report, area: &Area) -> Drawn {
    let lines: Vec<(String, RGBColor, &[GainsRow])> = (report.gains.iter())
        .map(|g| (g.label.clone(), colour(g.kind), g.groups.as_slice()))
        .collect();
    gains_lines(area, &lines)
}

/// Cumulative gains within each segment: one line per segment.
fn segment_gains(report: &Report, area: &Area) -> Drawn {
    let rows = report.segments.as_ref().map_or(&[][..], |s| s.rows.as_slice());
    let lines: Vec<(String, RGBColor, &[GainsRow])> = (rows.iter().enumerate())
        .map(|(i, r)| (r.segment.clone(), model_colour(i), r.gains.as_slice()))
        .collect();
    gains_lines(area, &lines)
}

/// Cumulative gains, one line each (label, colour, deciles), the first drawn on top, against
/// the diagonal of a random order.
fn gains_lines(area: &Area, lines: &[(String, RGBColor, &[GainsRow])]) -> Drawn {
    let mut chart = plot(
        area,
        Axis::share(1.0, "share of leads called, top-scored first"),
        Axis::share(1.0, "share of conversions found"),
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], IDEAL.stroke_width(1)))?
        .label("random order")
        .legend(line_legend(IDEAL));
    for (label, c, groups) in lines.iter().rev() {
        let points: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(groups.iter().map(|r| (r.cumulative_leads, r.cumulative_conversions)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
            .label(label.clone())
            .legend(line_legend(*c));
        chart.draw_series(points.iter().skip(1).map(|&p| Circle::new(p, 3, c.filled())))?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn buckets(report: &Report, area: &Area) -> Drawn {
    let rows = &report.bands.buckets;
    let mut chart = plot(area, Axis::score("score bucket"), Axis::share(1.0, "conversion"))?;
    let c = colour(ScoreKind::Score);
    chart
        .draw_series(rows.iter().filter_map(|r| {
            r.conversion_rate.map(|rate| {
                Rectangle::new(
                    [(f64::from(r.from) + 1.0, 0.0), (f64::from(r.from) + 9.0, rate)],
                    c.mix(0.85).filled(),
                )
            })
        }))?
        .label("observed conversion")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
    chart
        .draw_series(LineSeries::new(
            rows.iter()
                .filter_map(|r| r.mean_probability.map(|p| (f64::from(r.from) + 5.0, p))),
            INK.stroke_width(2),
        ))?
        .label("mean score / 100")
        .legend(line_legend(INK));
    chart.draw_series(rows.iter().filter_map(|r| {
        r.mean_probability
            .map(|p| Circle::new((f64::from(r.from) + 5.0, p), 3, INK.filled()))
    }))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

fn capacity(report: &Report, area: &Area) -> Drawn {
    let c = &report.capacity;
    let top = c
        .thresholds
        .first()
        .map(|t| t.leads_per_period)
        .unwrap_or(1.0)
        .max(c.capacity.unwrap_or(0.0))
        .max(1.0);
    let mut chart = plot(
        area,
        Axis::score("threshold (score at or above)"),
        Axis {
            range: 0.0..top * 1.05,
            desc: format!("leads per {}", c.period),
            ticks: 6,
            format: &whole,
        },
    )?;
    let s = colour(ScoreKind::Score);
    chart
        .draw_series(LineSeries::new(
            c.thresholds
                .iter()
                .map(|t| (f64::from(t.threshold), t.leads_per_period)),
            s.stroke_width(2),
        ))?
        .label(format!("leads per {} at or above", c.period))
        .legend(line_legend(s));
    if let Some(capacity) = c.capacity {
        chart
            .draw_series(LineSeries::new(
                [(0.0, capacity), (100.0, capacity)],
                CAPACITY.stroke_width(2),
            ))?
            .label(format!("capacity: {capacity:.0} per {}", c.period))
            .legend(line_legend(CAPACITY));
    }
    if let Some(t) = c.fitting_threshold {
        let t = f64::from(t);
        chart
            .draw_series(LineSeries::new([(t, 0.0), (t, top)], FITS.stroke_width(2)))?
            .label(format!("threshold that fits: {t:.0}"))
            .legend(line_legend(FITS));
    }
    let mql = report.model.mql_threshold;
    chart
        .draw_series(LineSeries::new([(mql, 0.0), (mql, top)], INK.stroke_width(1)))?
        .label(format!("current MQL threshold: {mql:.0}"))
        .legend(line_legend(INK));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Panels per row of the shapes chart.
const SHAPE_COLUMNS: usize = 3;

/// One small panel per shaped number, all on the same log-odds scale so that their effects
/// compare at a glance; a zero line marks a lead at the number's median.
fn shapes(report: &Report, area: &Area) -> Drawn {
    let curves = &report.factors.shapes;
    let (low, high) = (curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)))
        .fold((0.0f64, 0.0f64), |(l, h), y| (l.min(y), h.max(y)));
    let pad = ((high - low) * 0.08).max(0.05);
    let rows = curves.len().div_ceil(SHAPE_COLUMNS);
    let line = colour(ScoreKind::Model);
    for (curve, panel) in curves.iter().zip(area.split_evenly((rows, SHAPE_COLUMNS))) {
        let (first, last) = (
            curve.points.first().map_or(0.0, |p| p.0),
            curve.points.last().map_or(1.0, |p| p.0),
        );
        let span = if last > first { last - first } else { 1.0 };
        let mut chart = ChartBuilder::on(&panel)
            .caption(&curve.feature, (FONT, 14).into_font().color(&INK))
            .margin(8)
            .x_label_area_size(26)
            .y_label_area_size(40)
            .build_cartesian_2d(first..first + span, (low - pad)..(high + pad))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(INK)
            .x_labels(4)
            .y_labels(5)
            .x_label_formatter(&|v| crate::output::number_text(*v))
            .y_label_formatter(&|v| if v.abs() < 0.05 { "0".into() } else { format!("{v:+.1}") })
            .label_style((FONT, 11).into_font().color(&INK))
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(first, 0.0), (first + span, 0.0)],
            IDEAL.stroke_width(1),
        ))?;
        chart.draw_series(LineSeries::new(curve.points.clone(), line.stroke_width(2)))?;
    }
    Ok(())
}

/// The colour of the `i`-th model compared (the champion first).
pub fn model_colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 6] = [
        RGBColor(234, 88, 12),
        RGBColor(29, 78, 216),
        RGBColor(21, 128, 61),
        RGBColor(126, 34, 206),
        RGBColor(220, 38, 38),
        RGBColor(13, 148, 136),
    ];
    PALETTE[i % PALETTE.len()]
}

/// A line chart of shares on both axes (ROC curves, cumulative gains) with the diagonal of a
/// random order: one labelled line per model, in [`model_colour`]s.
pub fn share_lines(
    name: &'static str,
    title: &'static str,
    axes: (&str, &str),
    lines: &[(String, Vec<(f64, f64)>)],
) -> Result<Chart> {
    svg_chart(name, title, SIZE, |area| {
        let mut chart = plot(area, Axis::share(1.0, axes.0), Axis::share(1.0, axes.1))?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], IDEAL.stroke_width(1)))?
            .label("random order")
            .legend(line_legend(IDEAL));
        for (i, (label, points)) in lines.iter().enumerate().rev() {
            let c = model_colour(i);
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(label.clone())
                .legend(line_legend(c));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Lines over periods (ROC AUC or calibration error per month of a backtest): one labelled line
/// per series (label, [`model_colour`] index, values), the periods named under the axis.
/// `share` labels the values in percent.
pub fn period_lines(
    name: &'static str,
    title: &'static str,
    y_desc: &str,
    periods: &[String],
    lines: &[(String, usize, Vec<f64>)],
    share: bool,
) -> Result<Chart> {
    svg_chart(name, title, SIZE, |area| {
        let values = lines
            .iter()
            .flat_map(|(_, _, v)| v.iter().copied())
            .filter(|v| v.is_finite());
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
        let (low, high) = if low.is_finite() { (low, high) } else { (0.0, 1.0) };
        let pad = ((high - low) * 0.15).max(0.005);
        // Room under the lines for the legend, a row per line.
        let legend_room = (high - low + 2.0 * pad) * 0.12 * lines.len() as f64;
        let y_format = |v: &f64| {
            if share {
                format!("{:.1}%", v * 100.0)
            } else {
                format!("{v:.3}")
            }
        };
        let x_format = |v: &f64| {
            let k = v.round();
            if (v - k).abs() < 1e-9 && k >= 0.0 {
                periods.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let last = periods.len().saturating_sub(1).max(1) as f64;
        let mut chart = plot(
            area,
            Axis {
                range: -0.3..last + 0.3,
                desc: String::new(),
                ticks: periods.len().clamp(2, 12),
                format: &x_format,
            },
            Axis {
                range: (low - pad - legend_room).max(0.0)..high + pad,
                desc: y_desc.to_string(),
                ticks: 6,
                format: &y_format,
            },
        )?;
        for (label, colour, points) in lines.iter().rev() {
            let c = model_colour(*colour);
            let points: Vec<(f64, f64)> = (points.iter().enumerate())
                .filter(|(_, v)| v.is_finite())
                .map(|(k, &v)| (k as f64, v))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(label.clone())
                .legend(line_legend(c));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
}
