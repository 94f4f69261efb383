//! Latency over time, one panel per contender, the migration's steps marked.

use std::path::Path;

use plotters::prelude::*;

use crate::report::{Run, ms};

const BUCKET: f64 = 0.1;
const BEFORE: f64 = 5.0;

type Line = Vec<(f64, f64)>;

/// Max and median latency per 100 ms of schedule, x relative to the migration's start.
fn buckets(r: &Run) -> (Line, Line) {
    let mut max = Vec::new();
    let mut med = Vec::new();
    let mut cur: Vec<f64> = Vec::new();
    let mut cur_b = i64::MIN;
    let mut flush = |b: i64, v: &mut Vec<f64>| {
        if v.is_empty() {
            return;
        }
        v.sort_by(f64::total_cmp);
        let x = b as f64 * BUCKET + BUCKET / 2.0;
        max.push((x, v[v.len() - 1].max(0.01)));
        med.push((x, v[v.len() / 2].max(0.01)));
        v.clear();
    };
    for s in &r.samples {
        let x = s.at - r.mig_start;
        if x < -BEFORE {
            continue;
        }
        let b = (x / BUCKET).floor() as i64;
        if b != cur_b {
            flush(cur_b, &mut cur);
            cur_b = b;
        }
        cur.push(s.ms);
    }
    flush(cur_b, &mut cur);
    (max, med)
}

pub fn draw(path: &Path, title: &str, runs: &[&Run]) -> Result<(), String> {
    let runs: Vec<&&Run> = runs.iter().filter(|r| r.skipped.is_none()).collect();
    if runs.is_empty() {
        return Ok(());
    }
    let x1 = runs
        .iter()
        .map(|r| r.samples.last().map_or(0.0, |s| s.at) - r.mig_start)
        .fold(1.0f64, f64::max)
        + 0.5;
    let ymax = runs
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| s.ms))
        .fold(10.0f64, f64::max)
        * 2.0;
    let panel_h = 330u32;
    let root =
        BitMapBackend::new(path, (1600, 60 + panel_h * runs.len() as u32)).into_drawing_area();
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let root = root.titled(title, ("sans-serif", 24)).map_err(e)?;
    let panels = root.split_evenly((runs.len(), 1));
    let shades = [RGBColor(255, 200, 120), RGBColor(150, 200, 255)];
    for (panel, r) in panels.iter().zip(&runs) {
        let f = r.figures();
        let (left, right) = panel.split_horizontally(1130);
        let caption = format!(
            "{}: max {} / p99 {} during the migration (baseline p99 {}), {} failed",
            r.contender.name(),
            ms(f.during_max),
            ms(f.during_p99),
            ms(f.baseline_p99),
            f.failed
        );
        let mut chart = ChartBuilder::on(&left)
            .caption(caption, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(70)
            .build_cartesian_2d(-BEFORE..x1, (0.05f64..ymax).log_scale())
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the migration started")
            .y_desc("latency, ms (log)")
            .y_label_formatter(&|v| {
                if *v >= 1.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                }
            })
            .draw()
            .map_err(e)?;
        // The steps: shaded spans, numbered at the top.
        for (i, st) in r.steps.iter().enumerate() {
            let (a, b) = (st.start - r.mig_start, st.end - r.mig_start);
            let b = if b - a < 0.05 { a + 0.05 } else { b };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, 0.05), (b, ymax)],
                    shades[i % 2].mix(0.35).filled(),
                )))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{}", i + 1),
                    (a, ymax / 1.6),
                    ("sans-serif", 14).into_font(),
                )))
                .map_err(e)?;
        }
        if let Some((a, b)) = r.blocker {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a - r.mig_start, 0.05), (b - r.mig_start, 0.08)],
                    BLACK.mix(0.5).filled(),
                )))
                .map_err(e)?
                .label("blocker holds ACCESS SHARE")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 14, y + 4)], BLACK.mix(0.5).filled())
                });
        }
        let mut lock_series = chart
            .draw_series(r.holds.iter().map(|h| {
                let a = h.first - r.mig_start;
                let b = a + h.estimate_ms(r.interval) / 1000.0;
                Rectangle::new([(a, 0.09), (b, 0.14)], RED.filled())
            }))
            .map_err(e)?;
        if !r.holds.is_empty() {
            lock_series = lock_series
                .label("strong lock held (pg_locks, 20 ms samples)")
                .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], RED.filled()));
        }
        let _ = lock_series;
        let (max, med) = buckets(r);
        chart
            .draw_series(LineSeries::new(max, RGBColor(200, 30, 30).stroke_width(2)))
            .map_err(e)?
            .label("max latency per 100 ms")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RGBColor(200, 30, 30)));
        chart
            .draw_series(LineSeries::new(med, RGBColor(30, 80, 200)))
            .map_err(e)?
            .label("median per 100 ms")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RGBColor(30, 80, 200)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        // The list of steps beside the panel.
        let font = ("sans-serif", 13).into_font();
        let mut y = 40;
        let mut lines: Vec<String> = r
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let mut label = st.label.clone();
                if label.len() > 52 {
                    label.truncate(50);
                    label.push_str("..");
                }
                format!("{}. {label}: {:.2} s", i + 1, st.end - st.start)
            })
            .collect();
        if let Some(err) = &r.error {
            let mut err = err.clone();
            err.truncate(55);
            lines.push(format!("error: {err}"));
        }
        if !r.events.is_empty() {
            lines.push(format!("{} lock-timeout retries", r.events.len()));
        }
        for line in lines.iter().take(18) {
            right
                .draw(&Text::new(line.as_str(), (4, y), font.clone()))
                .map_err(e)?;
            y += 16;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
