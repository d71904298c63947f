//! A model in words: the readable summary `inspect` prints and the demo shows — data, split,
//! validation figures, calibration, bands, the regularisation search, the features by role,
//! the strongest factors, leakage warnings and training's warnings.

use std::fmt::Write;

use crate::artifact::ModelArtifact;
use crate::config::Role;
use crate::features::Encoding;
use crate::output::thousands;

/// The readable summary of a model (`file`, as given), with the `top` factors each way.
pub fn describe(artifact: &ModelArtifact, file: &str, top: usize) -> String {
    let mut out = String::new();
    overview(&mut out, artifact, file);
    features(&mut out, artifact);
    factors(&mut out, artifact, top);
    curves(&mut out, artifact);
    segment_factors(&mut out, artifact, top.min(5));
    notes(&mut out, artifact);
    out
}

/// The segments as a table, one line each: leads, conversions, whether it has a model of its
/// own, its out-of-fold ROC AUC by its own model and by the shared one, and how far it moved.
pub fn segments_table(artifact: &ModelArtifact) -> Vec<String> {
    let Some(segmentation) = &artifact.segments else {
        return Vec::new();
    };
    let auc = |a: Option<f64>| a.map_or("–".to_string(), |a| format!("{a:.4}"));
    // The values' column is as wide as the longest value.
    let names = (segmentation.segments.iter().map(|s| &s.value))
        .chain(segmentation.small.iter().map(|s| &s.value))
        .map(|v| v.chars().count())
        .fold(20, usize::max);
    let mut lines = vec![
        format!(
            "by \"{}\", each pulled toward the shared model {} × its L2 strength (chosen by cross-validation)",
            segmentation.column, segmentation.pull
        ),
        format!(
            "{:<names$} {:>9} {:>11}  {:<7} {:>15}  {:>6}  calibration",
            "segment", "leads", "conversions", "model", "ROC AUC own/shared", "moved"
        ),
    ];
    for (k, s) in segmentation.segments.iter().enumerate() {
        let calibration = match artifact.segment_calibrations.get(k) {
            Some(Some(own)) => format!("own ({} leads)", thousands(own.leads)),
            _ => "shared".to_string(),
        };
        lines.push(format!(
            "{:<names$} {:>9} {:>11}  {:<7} {:>8} / {:<7}  {:>6.2}  {calibration}",
            s.value,
            thousands(s.leads),
            thousands(s.conversions),
            "own",
            auc(s.own_roc_auc),
            auc(s.shared_roc_auc),
            s.moved
        ));
    }
    for s in &segmentation.small {
        lines.push(format!(
            "{:<names$} {:>9} {:>11}  {:<7} ({})",
            s.value,
            thousands(s.leads),
            thousands(s.conversions),
            "shared",
            if s.why.is_empty() {
                "too few leads or conversions"
            } else {
                s.why.as_str()
            }
        ));
    }
    lines.push("leads of other values, or none, are scored by the shared model".into());
    for (value, bands) in artifact.segment_bands() {
        let cuts: Vec<String> = bands.cuts.iter().map(|c| crate::output::number_text(*c)).collect();
        lines.push(format!(
            "{value}: bands of its own, cut at {}, MQL at score ≥ {}",
            cuts.join(" / "),
            crate::output::number_text(bands.mql)
        ));
    }
    lines
}

/// A shaped number's effect at a few of its values: the log-odds it adds at each, against a
/// lead at its median, at the cut points (every few) and the smallest and largest of them.
pub fn curve(artifact: &ModelArtifact, step: usize) -> Option<Vec<(f64, f64)>> {
    let (cuts, at) = shape(artifact, step)?;
    let every = cuts.len().div_ceil(6).max(1);
    let mut xs: Vec<f64> = cuts.iter().step_by(every).copied().collect();
    if xs.last() != cuts.last() {
        xs.extend(cuts.last());
    }
    Some(xs.into_iter().map(|x| (x, at(x))).collect())
}

/// A shaped number's whole curve, to draw: its effect at every cut point, just before each,
/// and at `between` evenly spaced values from the first cut to the last (the straight part
/// bends a log-scaled count between cuts).
pub fn dense_curve(artifact: &ModelArtifact, step: usize, between: usize) -> Option<Vec<(f64, f64)>> {
    let (cuts, at) = shape(artifact, step)?;
    let (first, last) = (*cuts.first()?, *cuts.last()?);
    let mut xs: Vec<f64> = (0..=between)
        .map(|k| first + (last - first) * k as f64 / between.max(1) as f64)
        .chain(cuts.iter().copied())
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut points = Vec::with_capacity(2 * xs.len());
    for (k, &x) in xs.iter().enumerate() {
        // A step rises at its cut: draw the level just before it too.
        if k > 0 && cuts.binary_search_by(|c| c.total_cmp(&x)).is_ok() {
            let before = x - (x - xs[k - 1]) * 1e-6;
            points.push((before, at(before)));
        }
        points.push((x, at(x)));
    }
    Some(points)
}

/// A shaped number's cut points and what it adds to the log-odds at a value, against a lead
/// at its median.
fn shape(artifact: &ModelArtifact, step: usize) -> Option<(&[f64], impl Fn(f64) -> f64 + '_)> {
    let encoding = &artifact.pipeline.steps[step].encoding;
    let Encoding::Shaped { median, cuts, .. } = encoding else {
        return None;
    };
    let first: usize = artifact.pipeline.steps[..step].iter().map(|s| s.width()).sum();
    let w = &artifact.model.coefficients[first..first + artifact.pipeline.steps[step].width()];
    let base = encoding.contribution(w, *median);
    Some((cuts.as_slice(), move |x: f64| encoding.contribution(w, x) - base))
}

/// The curves of the shaped numbers: what each adds to the log-odds at a few of its values.
fn curves(out: &mut String, artifact: &ModelArtifact) {
    let lines: Vec<String> = (0..artifact.pipeline.steps.len())
        .filter_map(|s| {
            let points = curve(artifact, s)?;
            let shown: Vec<String> = points.iter().map(|(x, y)| format!("{x} {y:+.2}")).collect();
            Some(format!(
                "  {}: {}",
                artifact.pipeline.steps[s].feature,
                shown.join(" · ")
            ))
        })
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(
            out,
            "\nshapes (log-odds against a lead at the median, from each value on)"
        );
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// Each segment's own top factors, and where its model differs most from the shared one.
fn segment_factors(out: &mut String, artifact: &ModelArtifact, top: usize) {
    let Some(segmentation) = &artifact.segments else {
        return;
    };
    let _ = writeln!(
        out,
        "
segments"
    );
    for line in segments_table(artifact) {
        let _ = writeln!(out, "  {line}");
    }
    for (s, segment) in segmentation.segments.iter().enumerate() {
        // Its own top factors, three each way.
        let own = segmentation.model_of(&artifact.model, s);
        let mut ranked: Vec<(usize, f64)> = own.coefficients.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let named = |(input, w): &(usize, f64)| format!("{} {w:+.3}", artifact.input_names[*input]);
        let raising: Vec<String> = ranked.iter().filter(|f| f.1 > 0.0).take(3).map(named).collect();
        let lowering: Vec<String> = ranked.iter().rev().filter(|f| f.1 < 0.0).take(3).map(named).collect();
        let _ = writeln!(
            out,
            "  {}: raising most {} · lowering most {}",
            segment.value,
            raising.join(", "),
            lowering.join(", ")
        );
        let shown: Vec<String> = (segmentation.differs_most(&artifact.model, s, top).into_iter())
            .map(|(input, d)| format!("{} {d:+.3}", artifact.input_names[input]))
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(out, "  {}: differs most in {}", segment.value, shown.join(", "));
        }
    }
}

/// The multi-valued columns and the labels that are inputs of the model:
/// `Interests: 4 labels (Ads, Analytics, CRM, SEO)`.
pub fn multi_valued_line(artifact: &ModelArtifact) -> Option<String> {
    let labels = artifact.multi_labels();
    let columns: Vec<String> = (labels.iter())
        .map(|(column, labels)| format!("{column}: {} labels ({})", labels.len(), labels.join(", ")))
        .collect();
    (!columns.is_empty()).then(|| columns.join(" · "))
}

/// Which moment each lead was taken at, when it is its own: its snapshot, or its creation plus
/// `[data] window_days`.
pub fn cutoff_line(artifact: &ModelArtifact) -> Option<String> {
    let data = &artifact.config.data;
    let cutoff = match (&artifact.schema.snapshot_column, data.window_days, &data.time) {
        (Some(snapshot), _, _) => format!("each lead's \"{snapshot}\""),
        (None, Some(days), Some(time)) => format!("each lead {days} days after its \"{time}\""),
        _ => return None,
    };
    Some(format!(
        "{cutoff}: events after it are not counted, dates are measured to it"
    ))
}

/// Where the model comes from, how it was validated, calibrated and regularised.
fn overview(out: &mut String, artifact: &ModelArtifact, file: &str) {
    let t = &artifact.training;
    let d = &artifact.data;
    let _ = writeln!(out, "leadscore model {file}");
    let _ = writeln!(
        out,
        "  trained      {} with leadscore {} (file format {})",
        artifact.trained_at, artifact.leadscore_version, artifact.format_version
    );
    let _ = writeln!(
        out,
        "  data         {}: {} leads, {} columns (fingerprint {})",
        d.file,
        thousands(d.rows),
        d.columns.len(),
        &d.sample_sha256[..12.min(d.sample_sha256.len())]
    );
    let _ = writeln!(
        out,
        "  outcome      \"{}\"; lead id {}",
        artifact.schema.target_column,
        artifact
            .schema
            .id_column
            .as_deref()
            .map_or("row number".to_string(), |c| format!("\"{c}\""))
    );
    let data = &artifact.config.data;
    if !data.converted_values.is_empty() {
        let _ = writeln!(
            out,
            "  converted    when \"{}\" is {}",
            artifact.schema.target_column,
            data.converted_values.join(" or ")
        );
    }
    if let Some(source) = data.source {
        let _ = writeln!(out, "  source       the {source} preset, under the config file");
    }
    if let Some(cutoff) = cutoff_line(artifact) {
        let _ = writeln!(out, "  cutoff       {cutoff}");
    }
    if let Some(multi) = multi_valued_line(artifact) {
        let _ = writeln!(out, "  multi-valued {multi}");
    }
    if !artifact.config.events.files.is_empty() {
        let shapes: Vec<&str> = artifact.config.events.files.iter().map(|f| f.name.as_str()).collect();
        let _ = writeln!(out, "  event files  read by their shapes: {}", shapes.join(", "));
    }
    let v = &t.validation;
    let _ = match &t.split {
        // Earlier leadscore versions held validation and calibration leads out of the fit.
        crate::artifact::ValidationSplit::Random => writeln!(
            out,
            "  split        {}: {} training leads, {} validation leads",
            t.split,
            thousands(t.train.leads),
            thousands(v.leads)
        ),
        _ => writeln!(
            out,
            "  leads        the final model is fitted on all {}; figures {} on {} leads",
            thousands(t.train.leads),
            t.split,
            thousands(v.leads)
        ),
    };
    let _ = writeln!(
        out,
        "  validation   ROC AUC {:.4} · PR AUC {:.4} · log loss {:.4} · Brier {:.4} · ECE {:.4} · KS {:.4}",
        v.roc_auc, v.pr_auc, v.log_loss, v.brier, v.ece, v.ks
    );
    let calibration = match &artifact.scorer.calibration {
        crate::calibration::Calibration::Platt { slope, intercept } => {
            format!("Platt (slope {slope:.3}, intercept {intercept:+.3})")
        }
        crate::calibration::Calibration::Isotonic { x, .. } => format!("isotonic ({} points)", x.len()),
        crate::calibration::Calibration::Identity => "none".to_string(),
    };
    let fitted_on = match &t.split {
        crate::artifact::ValidationSplit::Random => "held-out training leads",
        _ => "out-of-fold predictions",
    };
    let _ = writeln!(
        out,
        "  calibration  {calibration} on {} {fitted_on}; uncalibrated ECE {:.4}",
        thousands(t.calibration_leads),
        t.validation_model.ece
    );
    let bands = &artifact.scorer.bands;
    let _ = writeln!(
        out,
        "  score bands  {} (cuts {:?}); MQL at score ≥ {}",
        bands.names.join(" / "),
        bands.cuts,
        bands.mql
    );
    let _ = writeln!(
        out,
        "  class balance {:.1} % converted in training, {:.1} % in validation",
        pct(t.train.conversions, t.train.leads),
        pct(v.conversions, v.leads)
    );
    let _ = writeln!(
        out,
        "  C            {} chosen by {}-fold cross-validation on {} leads",
        t.grid.best_c,
        t.grid.folds,
        thousands(t.grid.leads_searched)
    );
    for point in &t.grid.points {
        let _ = writeln!(
            out,
            "                 C = {:<8} held-out log loss {:.4}, ROC AUC {:.4}",
            point.c, point.log_loss, point.roc_auc
        );
    }
}

/// Its feature columns by role, and the columns left out.
fn features(out: &mut String, artifact: &ModelArtifact) {
    let t = &artifact.training;
    let _ = writeln!(
        out,
        "\nfeatures: {} columns → {} model inputs",
        artifact.pipeline.steps.len(),
        artifact.input_names.len()
    );
    for role in [Role::Explicit, Role::Implicit] {
        let label = if role == Role::Explicit {
            "explicit (who the lead is)"
        } else {
            "implicit (what the lead does)"
        };
        let steps: Vec<String> = artifact
            .pipeline
            .steps
            .iter()
            .filter(|s| s.role == role)
            .map(|s| match &s.encoding {
                Encoding::Numeric {
                    log1p, missing_flag, ..
                } => {
                    format!(
                        "{}{}{}",
                        s.feature,
                        if *log1p { " [log]" } else { "" },
                        if *missing_flag { " [+missing flag]" } else { "" }
                    )
                }
                Encoding::Shaped {
                    log1p,
                    missing_flag,
                    cuts,
                    ..
                } => {
                    format!(
                        "{} [shaped: {} ranges{}{}]",
                        s.feature,
                        cuts.len() + 1,
                        if *log1p { ", log" } else { "" },
                        if *missing_flag { ", +missing flag" } else { "" }
                    )
                }
                Encoding::Categorical { levels, other, .. } => format!(
                    "{} [{} levels{}]",
                    s.feature,
                    levels.len(),
                    if *other { " + other" } else { "" }
                ),
            })
            .collect();
        if !steps.is_empty() {
            let _ = writeln!(out, "  {label}: {}", steps.join(", "));
        }
    }
    if let Some(formats) = formats_line(artifact) {
        let _ = writeln!(out, "  read with a format: {formats}");
    }
    for (column, reason) in &t.left_out {
        let _ = writeln!(out, "  left out \"{column}\": {reason}");
    }
    for dropped in &t.dropped {
        let _ = writeln!(out, "  dropped \"{}\": {}", dropped.feature, dropped.reason);
    }
}

/// The factors raising and lowering conversion most.
fn factors(out: &mut String, artifact: &ModelArtifact, top: usize) {
    let mut ranked = artifact.factors();
    ranked.sort_by(|a, b| b.coefficient.total_cmp(&a.coefficient));
    let _ = writeln!(
        out,
        "\nfactors raising conversion (log-odds; per standard deviation for numbers)"
    );
    for f in ranked.iter().filter(|f| f.coefficient > 0.0).take(top) {
        let _ = writeln!(out, "  {:+.3}  {}", f.coefficient, f.input);
    }
    let _ = writeln!(out, "factors lowering conversion");
    for f in ranked.iter().rev().filter(|f| f.coefficient < 0.0).take(top) {
        let _ = writeln!(out, "  {:+.3}  {}", f.coefficient, f.input);
    }
}

/// Leakage warnings, what happened to the events, and training's warnings.
fn notes(out: &mut String, artifact: &ModelArtifact) {
    let t = &artifact.training;
    let flagged: Vec<_> = t.leakage.iter().filter(|c| c.flagged.is_some()).collect();
    if !flagged.is_empty() {
        let _ = writeln!(out, "\nleakage warnings");
        for check in flagged {
            let _ = writeln!(
                out,
                "  \"{}\": {}",
                check.feature,
                check.flagged.as_deref().unwrap_or_default()
            );
        }
    }
    if let Some(events) = &t.events {
        let _ = writeln!(
            out,
            "\nevents: {} read, {} used, {} after their lead's cutoff, {} for unknown leads",
            thousands(events.read),
            thousands(events.used),
            thousands(events.after_cutoff),
            thousands(events.unmatched)
        );
    }
    if !t.warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings");
        for warning in &t.warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
}

fn pct(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// The columns whose numbers or dates the model reads in a format, as one line:
/// `Create Date: date, month first · Number of Pageviews: number, written 1,234.5`.
pub fn formats_line(artifact: &ModelArtifact) -> Option<String> {
    let formats = &artifact.schema.formats;
    (!formats.is_empty()).then(|| {
        formats
            .iter()
            .map(|(column, format)| format!("{column}: {format}"))
            .collect::<Vec<_>>()
            .join(" · ")
    })
}
