//! `leadscore evaluate`: scores labelled leads with a model and writes the report reviewers read
//! in the sales and marketing meeting — report.html, report.md with its charts, report.json with
//! its schema, scores.csv, and rejects.csv when some leads could not be scored.

use std::path::Path;

use super::score::{csv_line, read_batch, reject_lines, BatchInputs};
use super::Steps;
use crate::artifact::{fingerprint, ModelArtifact};
use crate::blend::final_log_odds;
use crate::calibration::Calibration;
use crate::cli::EvaluateArgs;
use crate::data::infer::MissingTokens;
use crate::drift::DriftCounts;
use crate::error::{Error, Location, Result};
use crate::model::sigmoid;
use crate::output::thousands;
use crate::report::{self, audit, charts, document, Report, ScoreKind, Series};
use crate::rules::RuleSet;

const DAY: f64 = 86_400.0;
/// Fewer conversions than this make every figure noisy.
const FEW_CONVERSIONS: usize = 100;

/// Runs `evaluate` and returns the report.
pub fn run(args: &EvaluateArgs) -> Result<Report> {
    let steps = Steps::new(false);
    if let Some(capacity) = args.capacity {
        if !(capacity > 0.0 && capacity.is_finite()) {
            return Err(Error::Usage(format!(
                "--capacity {capacity}: give the number of leads sales can work per period, e.g. --capacity 200"
            )));
        }
    }
    if let Some(periods) = args.periods {
        if !(periods > 0.0 && periods.is_finite()) {
            return Err(Error::Usage(format!(
                "--periods {periods}: give how many periods the leads cover, e.g. --periods 4.3"
            )));
        }
    }
    let artifact = ModelArtifact::load(&args.model)?;
    let blended_rules = artifact.blended_rules(&args.model)?;
    let audited_rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => None,
    };
    let inputs = BatchInputs {
        model_path: &args.model,
        data: &args.data,
        events: args.events.as_deref(),
        as_of: args.as_of.as_deref(),
        rules: blended_rules.as_ref(),
        with_outcome: true,
        keep: &[],
    };
    if audited_rules.as_ref().is_some_and(RuleSet::needs_events) && args.events.is_none() {
        return Err(Error::Usage(format!(
            "the rules of {} count events: pass the events of these leads with --events",
            args.rules.as_deref().unwrap_or(Path::new("--rules")).display()
        )));
    }
    let batch = read_batch(&artifact, &inputs, &steps)?;
    let outcome_all = batch.table.outcome.clone().unwrap_or_default();
    let outcome: Vec<bool> = batch.rows.iter().map(|&r| outcome_all[r]).collect();
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(&args.data).column(&artifact.schema.target_column),
            format!("all {} scored leads have the same outcome", thousands(outcome.len())),
            "evaluate on leads of which some converted and some did not",
        ));
    }

    let final_z = final_log_odds(artifact.blend.as_ref(), &batch.model_z, |k| {
        batch.points.as_ref().map(|p| p.total[batch.rows[k]])
    });
    let (scores, drift_counts): (Vec<_>, DriftCounts) = steps.step("scoring", || {
        Ok(artifact.scorer.score(
            &artifact.pipeline,
            &artifact.model,
            &batch.encoded,
            &batch.model_z,
            &final_z,
        ))
    })?;
    let probability: Vec<f64> = scores.iter().map(|s| s.probability).collect();
    let score: Vec<f64> = scores.iter().map(|s| s.score).collect();
    let model_probability: Vec<f64> = batch.model_z.iter().map(|&z| sigmoid(z)).collect();

    // The rules audited: --rules, or the model's own.
    let audited = match (&audited_rules, &blended_rules) {
        (Some(rules), _) => {
            let missing = MissingTokens::new(&artifact.config.data.missing_values);
            let points = steps.step("rule points", || {
                crate::rules::engine::score(
                    rules,
                    &batch.table,
                    args.events.as_deref().map(crate::data::events::EventSource::File),
                    &missing,
                )
            })?;
            Some((rules, points))
        }
        (None, Some(rules)) => batch.points.clone().map(|p| (rules, p)),
        (None, None) => None,
    };
    let rule_points: Option<Vec<f64>> = audited
        .as_ref()
        .map(|(_, points)| batch.rows.iter().map(|&r| points.total[r]).collect());

    let blended = artifact.blend.is_some();
    let mut series = vec![
        Series {
            kind: ScoreKind::Score,
            values: &probability,
        },
        Series {
            kind: ScoreKind::Model,
            values: &model_probability,
        },
    ];
    if let Some(points) = &rule_points {
        series.push(Series {
            kind: ScoreKind::Rules,
            values: points,
        });
    }

    let created: Vec<i64> = match &batch.table.created {
        Some(created) => batch.rows.iter().filter_map(|&r| created[r]).collect(),
        None => Vec::new(),
    };
    let period = match (created.iter().min(), created.iter().max()) {
        (Some(&from), Some(&to)) => Some(report::Period {
            from: date(from),
            to: date(to),
            days: ((to - from) as f64 / DAY).max(1.0),
        }),
        _ => None,
    };
    let period_days = report::period_days(args.period.name()).unwrap_or(7.0);
    let periods = match (args.periods, &period) {
        (Some(n), _) => (n, "as given with --periods".to_string()),
        (None, Some(p)) => (
            (p.days / period_days).max(1.0),
            format!("from the leads' creation dates, {} to {}", p.from, p.to),
        ),
        (None, None) => (
            1.0,
            "the leads have no creation dates, so the file counts as one period; set --periods".to_string(),
        ),
    };

    let rejected = batch.table.n_rows - batch.rows.len();
    let rejects_path = args.out.join("rejects.csv");
    let mut warnings = Vec::new();
    if conversions < FEW_CONVERSIONS {
        warnings.push(format!(
            "Only {conversions} conversions: every figure below is noisy; evaluate on more leads before changing rules or thresholds."
        ));
    }
    if rejected > 0 {
        warnings.push(format!(
            "{} leads could not be scored and are left out of every figure (see rejects.csv).",
            thousands(rejected)
        ));
    }
    let evaluated = fingerprint(&args.data, batch.table.n_rows, Vec::new())?;
    if evaluated.sample_sha256 == artifact.data.sample_sha256 && evaluated.bytes == artifact.data.bytes {
        warnings.push(
            "These are the leads the model was trained on: its figures here are optimistic. Evaluate on leads it has not seen."
                .into(),
        );
    }
    let names: Vec<String> = artifact.pipeline.steps.iter().map(|s| s.feature.clone()).collect();
    let drift_report = drift_counts.report(&artifact.scorer.drift, &names);
    if drift_report.worst() >= crate::drift::ACT {
        warnings.push(format!(
            "These leads drifted from the training leads (PSI {:.2}): retrain or recalibrate (section 8).",
            drift_report.worst()
        ));
    }

    let report = Report {
        schema: "leadscore-evaluation".into(),
        schema_version: report::SCHEMA_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model: report::ModelInfo {
            file: args.model.display().to_string(),
            trained_at: artifact.trained_at.clone(),
            trained_on: artifact.data.file.clone(),
            training_leads: artifact.data.rows,
            calibration: match artifact.scorer.calibration {
                Calibration::Platt { .. } => "platt",
                Calibration::Isotonic { .. } => "isotonic",
                Calibration::Identity => "none",
            }
            .into(),
            blended_with_rules: blended,
            points_weight: artifact.blend.as_ref().map(|b| b.points_weight),
            mql_threshold: artifact.scorer.bands.mql,
        },
        data: report::DataInfo {
            file: args.data.display().to_string(),
            leads: outcome.len(),
            conversions,
            base_rate: conversions as f64 / outcome.len() as f64,
            rejected,
            rejects_file: (rejected > 0).then(|| rejects_path.display().to_string()),
            period,
        },
        headline: report::headline(&outcome, &series, blended),
        reliability: report::reliability(&outcome, &series, blended),
        separation: report::separation(&outcome, &score, &series, blended),
        gains: report::gains(&outcome, &series, blended),
        bands: report::bands(&outcome, &score, &probability, &artifact.scorer.bands),
        capacity: report::capacity(&outcome, &score, args.period.name(), periods, args.capacity),
        rule_audit: audited
            .as_ref()
            .map(|(rules, points)| audit::audit(rules, points, &batch.rows, &outcome)),
        factors: report::factors(&artifact.factors(), 8, artifact.training.warnings.clone()),
        drift: report::drift(&drift_report),
        warnings,
    };

    steps.step("writing the report", || {
        let charts = charts::all(&report)?;
        let blocks = document::build(&report);
        let json =
            serde_json::to_string_pretty(&report).map_err(|e| Error::Runtime(format!("writing report.json: {e}")))?;
        let write = |name: &str, text: &[u8]| crate::output::write_atomically(&args.out.join(name), text);
        for chart in &charts {
            write(&format!("charts/{}.svg", chart.name), chart.svg.as_bytes())?;
        }
        write("report.json", json.as_bytes())?;
        write("report.schema.json", report::SCHEMA.as_bytes())?;
        write(
            "report.md",
            report::markdown::render(&report, &blocks, &charts).as_bytes(),
        )?;
        write(
            "scores.csv",
            &scores_csv(&batch, &outcome, &scores, rule_points.as_deref(), &model_probability)?,
        )?;
        if rejected > 0 {
            let mut bytes = csv_line(&["row", "line", "id", "column", "value", "reason"])?;
            bytes.extend(reject_lines(&batch)?);
            write("rejects.csv", &bytes)?;
        }
        // The page last: when it is there, everything it points to is too.
        write(
            "report.html",
            report::html::render(&report, &blocks, &charts).as_bytes(),
        )
    })?;

    let score_metrics = report.headline.iter().find(|h| h.kind == ScoreKind::Score);
    println!(
        "evaluated {} leads ({} conversions, base rate {}): ROC AUC {}, calibration error {}",
        thousands(outcome.len()),
        thousands(conversions),
        document::pct(report.data.base_rate),
        score_metrics
            .and_then(|m| m.roc_auc)
            .map_or("–".into(), |a| format!("{a:.4}")),
        score_metrics.and_then(|m| m.ece).map_or("–".into(), document::pct),
    );
    if let Some(audit) = &report.rule_audit {
        let flagged: Vec<&str> = audit
            .rules
            .iter()
            .filter(|r| r.flagged())
            .map(|r| r.name.as_str())
            .collect();
        if !flagged.is_empty() {
            println!("rules the data disagrees with: {}", flagged.join(", "));
        }
    }
    if rejected > 0 {
        eprintln!(
            "warning: {} leads could not be scored and were written to {} with the reason",
            thousands(rejected),
            rejects_path.display()
        );
    }
    println!("report: {}", args.out.join("report.html").display());
    Ok(report)
}

/// YYYY-MM-DD of a moment.
fn date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Each evaluated lead: id, outcome, score, probability, the model's own probability and the rule
/// points, at full precision (so the figures can be recomputed from it exactly).
fn scores_csv(
    batch: &super::score::Batch,
    outcome: &[bool],
    scores: &[crate::scorer::LeadScore],
    points: Option<&[f64]>,
    model_probability: &[f64],
) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["lead_id", "converted", "score", "probability", "model_probability"];
    if points.is_some() {
        header.push("rule_points");
    }
    let error = |e: csv::Error| Error::Runtime(format!("formatting scores.csv: {e}"));
    writer.write_record(&header).map_err(error)?;
    for (k, &row) in batch.rows.iter().enumerate() {
        let mut record = vec![
            batch.table.ids[row].clone(),
            u8::from(outcome[k]).to_string(),
            format!("{}", scores[k].score),
            format!("{}", scores[k].probability),
            format!("{}", model_probability[k]),
        ];
        if let Some(points) = points {
            record.push(format!("{}", points[k]));
        }
        writer.write_record(&record).map_err(error)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Runtime(format!("formatting scores.csv: {e}")))
}
