//! `leadscore score`: a new batch of leads in, one calibrated 0–100 score per lead out, with
//! percentile, band, MQL flag, fit and engagement, and the reasons; rows that cannot be scored
//! go to a rejects file with their line and reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{thousands, Steps};
use crate::blend::final_log_odds;
use crate::cli::ScoreArgs;
use crate::config::ColumnType;
use crate::data::events::EventLog;
use crate::data::infer::MissingTokens;
use crate::data::values::Values;
use crate::data::{load_leads, parse_as_of, ColumnChoice, FeatureColumn, LeadTable};
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::model::artifact::ModelArtifact;
use crate::rules::{self, engine::Points, RuleSet};
use crate::scoring::{describe, LeadScore};

/// What `score` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSummary {
    /// Leads scored.
    pub scored: usize,
    /// Leads rejected.
    pub rejected: usize,
}

/// Leads read for a model: typed as in training, with the model's inputs and rule points.
pub struct Batch {
    /// The leads as read.
    pub table: LeadTable,
    /// Rows that could be read (the others are in `table.bad_cells`).
    pub rows: Vec<usize>,
    /// Model inputs of `rows`.
    pub encoded: EncodedLeads,
    /// Rule points of every lead of `table`, when there are rules.
    pub points: Option<Points>,
    /// The model's own log-odds of `rows`.
    pub model_z: Vec<f64>,
}

/// What a batch is read with.
pub struct BatchInputs<'a> {
    /// The model file (for messages).
    pub model_path: &'a Path,
    /// The leads.
    pub data: &'a Path,
    /// Their events.
    pub events: Option<&'a Path>,
    /// `--as-of`.
    pub as_of: Option<&'a str>,
    /// Rules whose points are needed.
    pub rules: Option<&'a RuleSet>,
    /// Whether the outcome column must be there (recalibration).
    pub with_outcome: bool,
}

/// Reads leads for `artifact`: exactly the columns the model (and the rules) read, typed as in
/// training; unreadable rows are set aside; events aggregated with the model's spec.
pub fn read_batch(artifact: &ModelArtifact, inputs: &BatchInputs, steps: &Steps) -> Result<Batch> {
    super::require_files(&[(Some(inputs.data), "--data"), (inputs.events, "--events")])?;
    let needs_events = artifact.events.is_some() || inputs.rules.is_some_and(RuleSet::needs_events);
    if needs_events && inputs.events.is_none() {
        return Err(Error::Usage(format!(
            "{} (or its rules) uses events: pass the events of these leads with --events",
            inputs.model_path.display()
        )));
    }
    let as_of = inputs
        .as_of
        .or(artifact.config.data.as_of.as_deref())
        .map(parse_as_of)
        .transpose()?;
    let mut config = artifact.config.clone();
    config.features.include.clear();
    config.features.exclude.clear();
    for (column, kind) in &artifact.schema.columns {
        let kind: ColumnType = serde_json::from_value(serde_json::Value::String(kind.clone()))
            .map_err(|e| Error::Runtime(format!("model file: unknown column type {kind}: {e}")))?;
        config.features.types.insert(column.clone(), kind);
    }
    let mut required: Vec<String> = artifact.schema.columns.iter().map(|(c, _)| c.clone()).collect();
    for column in inputs.rules.iter().flat_map(|r| r.columns()) {
        if !required.iter().any(|r| r == column) {
            required.push(column.to_string());
        }
    }
    required.extend(artifact.schema.id_column.iter().cloned());
    required.extend(artifact.schema.snapshot_column.iter().cloned());
    if inputs.with_outcome {
        required.push(artifact.schema.target_column.clone());
    }
    let choice = ColumnChoice {
        target: inputs.with_outcome.then(|| artifact.schema.target_column.clone()),
        id: artifact.schema.id_column.clone(),
        exclude: Vec::new(),
        required,
        lenient: true,
    };
    let mut table = steps.step("reading leads", || {
        load_leads(inputs.data, &choice, &config, inputs.with_outcome, as_of)
    })?;
    let missing = MissingTokens::new(&config.data.missing_values);
    if let (Some(spec), Some(path)) = (&artifact.events, inputs.events) {
        let log = steps.step("reading events", || EventLog::load(path, &missing))?;
        let (columns, _) = steps.step("aggregating events per lead", || {
            log.aggregate(spec, &table.ids, &table.cutoff)
        })?;
        table.features.extend(columns);
    }
    let rejected: BTreeSet<usize> = table.bad_cells.iter().map(|b| b.row).collect();
    let rows: Vec<usize> = (0..table.n_rows).filter(|r| !rejected.contains(r)).collect();
    let encoded = artifact.pipeline.transform(&table.features, &rows).map_err(|feature| {
        Error::rejected(
            Location::file(inputs.data).column(feature),
            "the model needs this feature",
            "score leads with the columns the model was trained on",
        )
    })?;
    let points = match inputs.rules {
        Some(rules) => Some(steps.step("computing rule points", || {
            rules::engine::score(rules, &table, inputs.events, &missing)
        })?),
        None => None,
    };
    let model_z = artifact.model.log_odds(&encoded);
    Ok(Batch {
        table,
        rows,
        encoded,
        points,
        model_z,
    })
}

/// Runs `score`.
pub fn run(args: &ScoreArgs) -> Result<ScoreSummary> {
    let steps = Steps::new(false);
    let artifact = ModelArtifact::load(&args.model)?;
    let rejects_path = args.rejects.clone().unwrap_or_else(|| default_rejects_path(&args.out));
    let rules = match &artifact.blend {
        Some(blend) => Some(RuleSet::from_file(blend.rules.clone(), &args.model, &[])?),
        None => None,
    };
    let inputs = BatchInputs {
        model_path: &args.model,
        data: &args.data,
        events: args.events.as_deref(),
        as_of: args.as_of.as_deref(),
        rules: rules.as_ref(),
        with_outcome: false,
    };
    let Batch {
        table,
        rows,
        encoded,
        points,
        model_z,
    } = read_batch(&artifact, &inputs, &steps)?;
    let rejected = table.bad_cells.iter().map(|b| b.row).collect::<BTreeSet<usize>>();
    let final_z = final_log_odds(artifact.blend.as_ref(), &model_z, |k| {
        points.as_ref().map(|p| p.total[rows[k]])
    });
    let (scores, drift) = steps.step("scoring", || {
        Ok(artifact
            .scorer
            .score(&artifact.pipeline, &artifact.model, &encoded, &final_z))
    })?;
    eprintln!("{}", drift.describe());
    if args.fail_on_drift && drift.worst() >= crate::drift::ACT {
        return Err(Error::rejected(
            Location::file(&args.data),
            format!(
                "the leads drifted from the training leads (PSI {:.3} ≥ {})",
                drift.worst(),
                crate::drift::ACT
            ),
            "retrain or recalibrate the model on recent leads, or score without --fail-on-drift",
        ));
    }
    let blended = points.as_ref().zip(rules.as_ref());
    steps.step("writing scores", || {
        write_scores(&args.out, &artifact, &table, &rows, &scores, blended)
    })?;
    if !rejected.is_empty() {
        write_rejects(&rejects_path, &table)?;
    }
    let mqls = scores.iter().filter(|s| s.mql).count();
    println!(
        "scored {} leads ({} MQLs at score ≥ {}) → {}",
        thousands(rows.len()),
        thousands(mqls),
        artifact.scorer.bands.mql,
        args.out.display()
    );
    if !rejected.is_empty() {
        eprintln!(
            "warning: {} leads could not be scored and were written to {} with the reason",
            thousands(rejected.len()),
            rejects_path.display()
        );
    }
    Ok(ScoreSummary {
        scored: rows.len(),
        rejected: rejected.len(),
    })
}

/// `scored.csv` → `scored.rejects.csv` beside it.
fn default_rejects_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("scores");
    out.with_file_name(format!("{stem}.rejects.csv"))
}

/// A feature's value for a lead, as a person would write it.
fn shown_value(column: &FeatureColumn, row: usize) -> Option<String> {
    match &column.values {
        Values::Numeric(v) => (!v[row].is_nan()).then(|| {
            let x = v[row];
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{}", x as i64)
            } else {
                format!("{x:.2}")
            }
        }),
        Values::Boolean(v) => (!v[row].is_nan()).then(|| if v[row] == 1.0 { "yes" } else { "no" }.to_string()),
        Values::Categorical(c) => c.get(row).map(str::to_string),
        Values::Datetime(t) => t[row].map(|t| t.to_string()),
    }
}

fn write_scores(
    path: &Path,
    artifact: &ModelArtifact,
    table: &LeadTable,
    rows: &[usize],
    scores: &[LeadScore],
    blended: Option<(&Points, &RuleSet)>,
) -> Result<()> {
    let id_header = table.id_column.clone().unwrap_or_else(|| "row".to_string());
    let columns: Vec<Option<&FeatureColumn>> = artifact
        .pipeline
        .steps
        .iter()
        .map(|s| table.features.iter().find(|f| f.name == s.feature))
        .collect();
    crate::output::write_with(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec![
            id_header.as_str(),
            "score",
            "probability",
            "percentile",
            "band",
            "mql",
            "model_probability",
        ];
        if blended.is_some() {
            header.push("rule_points");
        }
        header.extend(["fit", "engagement", "reasons"]);
        writer.write_record(&header)?;
        for (&row, score) in rows.iter().zip(scores) {
            let mut reasons: Vec<String> = score
                .top_moves
                .iter()
                .map(|&(step, shift)| {
                    let value = columns[step].and_then(|c| shown_value(c, row));
                    describe(&artifact.pipeline.steps[step].feature, shift, value.as_deref())
                })
                .collect();
            let mut record = vec![
                table.ids[row].clone(),
                format!("{}", score.score),
                format!("{:.6}", score.probability),
                format!("{:.1}", score.percentile),
                score.band.clone(),
                score.mql.to_string(),
                format!("{:.6}", score.model_probability),
            ];
            if let Some((points, rules)) = blended {
                record.push(format!("{}", points.total[row]));
                // The two rules that gave the most points, by size.
                let mut fired = points.fired[row].clone();
                fired.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                for (rule, given) in fired.into_iter().take(2) {
                    let sign = if given >= 0.0 { "+" } else { "−" };
                    reasons.push(format!("{sign} rule {} ({given:+})", rules.rules[rule].rule.name));
                }
            }
            record.extend([
                score.fit.to_string(),
                format!("{}", score.engagement),
                reasons.join("; "),
            ]);
            writer.write_record(&record)?;
        }
        writer.flush()?;
        Ok(())
    })
}

fn write_rejects(path: &Path, table: &LeadTable) -> Result<()> {
    let id_header = table.id_column.clone().unwrap_or_else(|| "row".to_string());
    let csv_file = !table
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    crate::output::write_with(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["row", "line", id_header.as_str(), "column", "value", "reason"])?;
        for bad in &table.bad_cells {
            let line = if csv_file {
                (bad.row + 2).to_string()
            } else {
                String::new()
            };
            writer.write_record([
                (bad.row + 1).to_string().as_str(),
                &line,
                table.ids[bad.row].as_str(),
                &bad.column,
                &bad.value,
                &bad.problem,
            ])?;
        }
        writer.flush()?;
        Ok(())
    })
}
