//! The HTML report: the text summary, then one SVG chart per series, drawn with `plotters` and inlined
//! so the page is a single file.

use plotters::prelude::*;

use crate::latency::TARGET_P99_US;
use crate::report::Report;

type Series = (String, Vec<(f64, f64)>);
type DrawResult = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (760, 300);

pub fn page(report: &Report) -> String {
    let mut charts = Vec::new();
    let events: Vec<(f64, f64, f64)> = bars_from_points(&report.event_timeline);
    charts.push(("Events per second", bar_chart("events over time", "seconds", "events/s", &events)));
    let hist: Vec<(f64, f64, f64)> = {
        let mut lower = 0.0;
        report
            .latency
            .histogram
            .iter()
            .map(|&(upper, n)| {
                let bar = (lower, upper, n as f64);
                lower = upper;
                bar
            })
            .collect()
    };
    charts.push(("Read latency histogram", bar_chart("read latency", "microseconds", "reads", &hist)));
    let over = &report.latency.over_time;
    let pick = |f: fn(&crate::latency::Percentiles) -> f64| over.iter().map(|(t, p)| (*t, f(p))).collect();
    // p50 and p99 only: the rarer tail (in the summary) is scheduler noise that would flatten them.
    let mut percentiles: Vec<Series> = vec![("p50".into(), pick(|p| p.p50_us)), ("p99".into(), pick(|p| p.p99_us))];
    if let (Some(first), Some(last)) = (over.first(), over.last()) {
        percentiles.push(("5 µs p99 target".into(), vec![(first.0, TARGET_P99_US), (last.0, TARGET_P99_US)]));
    }
    charts.push(("Read latency percentiles over time", line_chart("percentiles over time", "µs", &percentiles, false)));
    let mut by_consumer: Vec<Series> = Vec::new();
    for r in &report.refreshes {
        match by_consumer.iter_mut().find(|(name, _)| *name == r.consumer) {
            Some((_, points)) => points.push((r.t_s, r.duration_ms)),
            None => by_consumer.push((r.consumer.clone(), vec![(r.t_s, r.duration_ms)])),
        }
    }
    charts.push(("Refresh durations", line_chart("refresh durations", "ms", &by_consumer, true)));
    let records: Vec<Series> =
        vec![("records".into(), report.versions.iter().map(|v| (v.t_s, v.records as f64)).collect())];
    charts.push(("Announced versions (records in each)", line_chart("versions", "records", &records, true)));

    let mut html = String::from("<!doctype html>\n<html><head><meta charset=\"utf-8\">");
    html += &format!("<title>hollow-rs {} report</title>", escape(&report.example));
    html += "<style>body{font-family:sans-serif;max-width:800px;margin:auto}pre{background:#f4f4f4;padding:8px;\
             overflow-x:auto}figure{margin:16px 0}</style></head><body>\n";
    html +=
        &format!("<h1>hollow-rs example: {}</h1>\n<pre>{}</pre>\n", escape(&report.example), escape(&report.text()));
    for (caption, svg) in charts {
        html += &format!("<figure><figcaption>{}</figcaption>\n{svg}\n</figure>\n", escape(caption));
    }
    if !report.details.is_empty() {
        let details = serde_json::to_string_pretty(&report.details).unwrap_or_default();
        html += &format!("<details><summary>details</summary><pre>{}</pre></details>\n", escape(&details));
    }
    html + "</body></html>\n"
}

/// Bars of width one bucket from evenly spaced points.
fn bars_from_points(points: &[crate::report::Point]) -> Vec<(f64, f64, f64)> {
    let width = match points {
        [a, b, ..] => b.t_s - a.t_s,
        _ => 1.0,
    };
    points.iter().map(|p| (p.t_s, p.t_s + width, p.value / width)).collect()
}

fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    lo..hi + (hi - lo) * 0.05
}

fn svg(draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> DrawResult) -> String {
    let mut out = String::new();
    let result = draw(SVGBackend::with_string(&mut out, SIZE).into_drawing_area());
    match result {
        Ok(()) => out,
        Err(e) => format!("<p>chart not drawn: {}</p>", escape(&e.to_string())),
    }
}

fn bar_chart(title: &str, x_desc: &str, y_desc: &str, bars: &[(f64, f64, f64)]) -> String {
    svg(|root| {
        root.fill(&WHITE)?;
        let x = range(bars.iter().flat_map(|b| [b.0, b.1]));
        let y = range(bars.iter().map(|b| b.2).chain([0.0]));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(x, 0.0..y.end)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
        chart.draw_series(
            bars.iter().map(|&(x0, x1, h)| Rectangle::new([(x0, 0.0), (x1, h)], BLUE.mix(0.6).filled())),
        )?;
        root.present()?;
        Ok(())
    })
}

fn line_chart(title: &str, y_desc: &str, series: &[Series], points: bool) -> String {
    svg(|root| {
        root.fill(&WHITE)?;
        let x = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)));
        let y = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).chain([0.0]));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(x, y)?;
        chart.configure_mesh().x_desc("seconds").y_desc(y_desc).draw()?;
        for (i, (name, data)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let drawn = if points {
                chart.draw_series(data.iter().map(|&p| Circle::new(p, 3, color.filled())))?
            } else {
                chart.draw_series(LineSeries::new(data.iter().copied(), color.stroke_width(2)))?
            };
            drawn
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], color.filled()));
        }
        if !series.is_empty() {
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
        }
        root.present()?;
        Ok(())
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
