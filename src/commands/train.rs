//! `leadscore train`: from a lead export to one self-contained model file.
//!
//! Order of work: settings are resolved and every input is checked first; then leads are read
//! and typed, events aggregated as of each lead's cutoff, validation leads held out, the leakage
//! audit run, the feature pipeline fitted on the training split, the L2 strength chosen by
//! cross-validation, the final model fitted (warm-started) and measured on the held-out leads.

use std::collections::BTreeMap;
use std::path::Path;

use super::{events_and_points, Steps};
use crate::artifact::{fingerprint, InputSchema, ModelArtifact, TrainingReport, ValidationSplit, FORMAT_VERSION};
use crate::blend::{final_log_odds, Blend};
use crate::calibration::{Calibration, Method};
use crate::cli::TrainArgs;
use crate::config::{ColumnType, Config, LeakagePolicy, SplitKind};
use crate::data::events::{learn_spec_from_file, EventSource};
use crate::data::infer::MissingTokens;
use crate::data::values::Values;
use crate::data::{load_leads, parse_as_of, ColumnChoice, Derivation, FeatureColumn, LeadTable};
use crate::error::{Error, Location, Result};
use crate::features::leakage::{audit, LeakageCheck};
use crate::features::FeaturePipeline;
use crate::metrics;
use crate::metrics::Summary;
use crate::model::cv::{search, SearchSettings};
use crate::model::logistic::{labelled, FitError};
use crate::model::params::LogisticParams;
use crate::model::sigmoid;
use crate::model::split::{stratified_holdout, stratified_split, time_split};
use crate::output::thousands;
use crate::rules::RuleSet;
use crate::scorer::Scorer;
use linfa::traits::Fit;

/// Leads below which a warning says the model will be noisy.
const FEW_LEADS: usize = 1_000;
/// Conversions below which a warning says the model will be noisy.
const FEW_CONVERSIONS: usize = 100;

/// Runs `train` and returns the saved model.
pub fn run(args: &TrainArgs) -> Result<ModelArtifact> {
    let steps = Steps::new(false);
    // Config and rules validate before any lead is read.
    let (config, rules) = resolve_config(args)?;
    super::require_files(&[
        (Some(&args.data), "--data"),
        (args.events.as_deref(), "--events"),
        (args.validation_data.as_deref(), "--validation-data"),
    ])?;
    if config.model.split == SplitKind::Time && config.data.time.is_none() && args.validation_data.is_none() {
        return Err(Error::Usage(
            "--split time needs the leads' creation time: set [data] time = \"COLUMN\" in the config".into(),
        ));
    }
    let as_of = config.data.as_of.as_deref().map(parse_as_of).transpose()?;
    let choice = ColumnChoice {
        target: config.data.target.clone(),
        id: config.data.id.clone(),
        exclude: config.features.exclude.clone(),
        ..Default::default()
    };
    let missing = MissingTokens::new(&config.data.missing_values);
    let mut warnings = Vec::new();
    if rules.is_some() && config.blend.calibration == Method::None {
        return Err(Error::Usage(
            "blending rules needs held-out calibration leads: set [blend] calibration to platt or isotonic".into(),
        ));
    }

    eprintln!("training on {}", args.data.display());
    let mut table = steps.step("reading and typing leads", || {
        load_leads(&args.data, &choice, &config, true, as_of)
    })?;
    // Without events the rules' points come straight from the lead columns; with events, a
    // first streamed pass learns which event types and forms the file holds, a second gives the
    // sums per lead and the rules' counts together: the events are never held in memory.
    let (events, points) = match &args.events {
        None => {
            let (_, points) = steps.step("computing rule points", || {
                events_and_points(&mut table, None, None, rules.as_ref(), &missing)
            })?;
            (None, points)
        }
        Some(path) => {
            if table.id_column.is_none() {
                return Err(Error::Usage(
                    "--events needs lead ids to join on: name the lead id column with --id".into(),
                ));
            }
            let spec = steps.step("reading event types and forms", || {
                learn_spec_from_file(path, &missing, &config.events)
            })?;
            let what = if rules.is_some() {
                "aggregating events per lead, with the rules' counts"
            } else {
                "aggregating events per lead"
            };
            let (counts, points) = steps.step(what, || {
                events_and_points(
                    &mut table,
                    Some(EventSource::File(path)),
                    Some(&spec),
                    rules.as_ref(),
                    &missing,
                )
            })?;
            let counts = counts.unwrap_or_default();
            if counts.unmatched > 0 {
                warnings.push(format!(
                    "{} events belong to no lead in {} and were ignored",
                    thousands(counts.unmatched),
                    args.data.display()
                ));
            }
            (Some((path.clone(), spec, counts)), points)
        }
    };
    let points = points.map(|p| p.total).unwrap_or_default();
    let outcome = table.outcome.clone().unwrap_or_default();
    let target = table.target_column.clone().unwrap_or_default();
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(&args.data).column(&target),
            format!(
                "every lead has the same outcome ({})",
                if conversions == 0 {
                    "none converted"
                } else {
                    "all converted"
                }
            ),
            "training needs both converted and non-converted leads; check the outcome column and the export's filters",
        ));
    }
    if outcome.len() < FEW_LEADS || conversions < FEW_CONVERSIONS {
        warnings.push(format!(
            "only {} leads and {} conversions: figures will be noisy (aim for 1,000+ leads and 100+ conversions)",
            thousands(outcome.len()),
            thousands(conversions)
        ));
    }

    // Hold out validation leads.
    let source_types = source_types(&table);
    let (train_rows, validation) = match &args.validation_data {
        Some(path) => {
            let mut forced = config.clone();
            forced.features.types.extend(source_types.clone());
            forced.features.include.clear();
            let mut held_out = steps.step("reading validation leads", || {
                load_leads(path, &choice, &forced, true, as_of)
            })?;
            let (_, held_out_points) = events_and_points(
                &mut held_out,
                events.as_ref().map(|(path, _, _)| EventSource::File(path)),
                events.as_ref().map(|(_, spec, _)| spec),
                rules.as_ref(),
                &missing,
            )?;
            let held_out_points = held_out_points.map(|p| p.total).unwrap_or_default();
            let rows = (0..held_out.n_rows).collect();
            (
                (0..table.n_rows).collect::<Vec<_>>(),
                Holdout {
                    outcome: held_out.outcome.clone().unwrap_or_default(),
                    points: held_out_points,
                    columns: held_out.features,
                    rows,
                },
            )
        }
        None => {
            let split = match config.model.split {
                SplitKind::Random => stratified_split(&outcome, config.model.validation_fraction, config.model.seed),
                SplitKind::Time => {
                    let created = table.created.as_deref().unwrap_or_default();
                    let column = config.data.time.clone().unwrap_or_default();
                    time_split(created, config.model.validation_fraction).map_err(|row| {
                        Error::rejected(
                            Location::file(&args.data).column(column).row(row + 1),
                            "the lead has no creation time",
                            "fill the time column or use --split random",
                        )
                    })?
                }
            };
            let held_out_outcome = split.validation.iter().map(|&i| outcome[i]).collect();
            (
                split.train,
                Holdout {
                    outcome: held_out_outcome,
                    points: if points.is_empty() {
                        Vec::new()
                    } else {
                        split.validation.iter().map(|&i| points[i]).collect()
                    },
                    columns: Vec::new(),
                    rows: split.validation,
                },
            )
        }
    };
    let held_out_columns: &[FeatureColumn] = if validation.columns.is_empty() {
        &table.features
    } else {
        &validation.columns
    };

    // Leakage audit on the training split.
    let leakage = match config.features.leakage {
        LeakagePolicy::Off => Vec::new(),
        _ => steps.step("auditing columns for leakage", || {
            Ok(audit(
                &table.features,
                &outcome,
                &train_rows,
                config.features.leakage_auc,
            ))
        })?,
    };
    let flagged: Vec<&LeakageCheck> = leakage.iter().filter(|c| c.flagged.is_some()).collect();
    if !flagged.is_empty() && config.features.leakage == LeakagePolicy::Error {
        return Err(Error::rejected(
            Location::file(&args.data),
            format!(
                "possible leakage: {}",
                flagged
                    .iter()
                    .map(|c| format!("\"{}\" ({})", c.feature, c.flagged.as_deref().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "if these are filled in after contact, leave them out: {}",
                flagged
                    .iter()
                    .map(|c| format!("--exclude \"{}\"", source_of(&table, &c.feature)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ));
    }
    for check in &flagged {
        warnings.push(format!(
            "possible leakage in \"{}\": {}; if sales fills it after contact, train with --exclude \"{}\"",
            check.feature,
            check.flagged.as_deref().unwrap_or_default(),
            source_of(&table, &check.feature)
        ));
    }

    let (pipeline, dropped) = steps.step("fitting the feature pipeline", || {
        FeaturePipeline::fit(&table.features, &train_rows, &config.features).map_err(|all_missing| {
            let source = source_of(&table, &all_missing.0);
            Error::rejected(
                Location::file(&args.data).column(&source),
                "the column has no values at all",
                format!("leave it out with --exclude \"{source}\" (or [features] exclude), or check the export"),
            )
        })
    })?;
    if pipeline.steps.is_empty() {
        return Err(Error::rejected(
            Location::file(&args.data),
            "no usable feature columns are left",
            "check --exclude and [features] include",
        ));
    }
    let encode = |columns: &[FeatureColumn], rows: &[usize]| {
        pipeline
            .transform(columns, rows)
            .map_err(|feature| Error::Runtime(format!("feature \"{feature}\" is missing from the validation leads")))
    };
    let x_all = steps.step("encoding training leads", || encode(&table.features, &train_rows))?;
    // Calibration leads are held out of the model's fit.
    let calibrating = config.blend.calibration != Method::None;
    let (fit_rows, calibration_rows): (Vec<usize>, Vec<usize>) = if calibrating {
        let positions: Vec<usize> = (0..train_rows.len()).collect();
        let y_all: Vec<bool> = train_rows.iter().map(|&i| outcome[i]).collect();
        let held = stratified_holdout(
            &positions,
            &y_all,
            config.blend.calibration_fraction,
            config.model.seed ^ 0xCA1B,
        );
        (held.train, held.validation)
    } else {
        ((0..train_rows.len()).collect(), Vec::new())
    };
    let x_train = x_all.select_rows(&fit_rows);
    let y_train: Vec<bool> = fit_rows.iter().map(|&p| outcome[train_rows[p]]).collect();

    let settings = SearchSettings {
        grid: &config.model.c_grid,
        folds: config.model.folds,
        seed: config.model.seed,
        max_iterations: config.model.max_iterations,
        sample_max: config.model.grid_sample,
    };
    let fit_failed = |e: FitError| Error::Runtime(format!("model fit failed: {e}"));
    let (grid, start) = steps.step(
        &format!("choosing C by {}-fold cross-validation", settings.folds),
        || search(&x_train, &y_train, &settings).map_err(fit_failed),
    )?;
    let model = steps.step("fitting the final model", || {
        LogisticParams::new()
            .alpha(1.0 / grid.best_c)
            .max_iterations(config.model.max_iterations)
            .warm_start(Some(&start))
            .fit(&labelled(&x_train, &y_train))
            .map_err(fit_failed)
    })?;
    let train_summary = Summary::of(&y_train, &model.predict(&x_train));
    drop(x_train);
    // Blend (with rules) and calibration are fitted on the held-out calibration leads.
    let (blend, calibration) = steps.step("blending and calibrating on held-out training leads", || {
        let x_calibration = x_all.select_rows(&calibration_rows);
        let y_calibration: Vec<bool> = calibration_rows.iter().map(|&p| outcome[train_rows[p]]).collect();
        let z_calibration = model.log_odds(&x_calibration);
        let blend = match &rules {
            Some(rules) => {
                let points_calibration: Vec<f64> = calibration_rows.iter().map(|&p| points[train_rows[p]]).collect();
                Some(
                    Blend::fit(
                        rules.file.clone(),
                        &z_calibration,
                        &points_calibration,
                        &y_calibration,
                        config.blend.rule_weight,
                    )
                    .map_err(fit_failed)?,
                )
            }
            None => None,
        };
        let final_z = final_log_odds(blend.as_ref(), &z_calibration, |k| {
            points.get(train_rows[calibration_rows[k]]).copied()
        });
        let calibration = Calibration::fit(config.blend.calibration, &final_z, &y_calibration).map_err(fit_failed)?;
        Ok((blend, calibration))
    })?;
    let training_z = final_log_odds(blend.as_ref(), &model.log_odds(&x_all), |k| {
        points.get(train_rows[k]).copied()
    });
    let scorer = Scorer::fit(
        &pipeline,
        &model,
        calibration,
        config.score.0.clone(),
        &x_all,
        &training_z,
    );
    drop(x_all);
    let x_validation = encode(held_out_columns, &validation.rows)?;
    let validation_z = model.log_odds(&x_validation);
    let validation_model = Summary::of(
        &validation.outcome,
        &validation_z.iter().map(|&z| sigmoid(z)).collect::<Vec<_>>(),
    );
    let validation_final = final_log_odds(blend.as_ref(), &validation_z, |k| validation.points.get(k).copied());
    let validation_summary = Summary::of(
        &validation.outcome,
        &validation_final
            .iter()
            .map(|&z| scorer.calibration.apply(z))
            .collect::<Vec<_>>(),
    );
    let validation_rules_roc_auc = blend
        .as_ref()
        .and_then(|_| metrics::roc_auc(&validation.outcome, &validation.points));

    let schema = InputSchema {
        id_column: table.id_column.clone(),
        target_column: target,
        columns: pipeline_sources(&pipeline, &source_types),
        snapshot_column: config.data.snapshot.clone(),
    };
    let split_kind = config.model.split;
    let artifact = ModelArtifact {
        format_version: FORMAT_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").to_string(),
        trained_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data: fingerprint(&args.data, table.n_rows, table.input_columns.clone())?,
        input_names: pipeline.input_names(),
        config,
        schema,
        events: events.as_ref().map(|(_, spec, _)| spec.clone()),
        pipeline,
        model,
        blend,
        scorer,
        training: TrainingReport {
            split: match (&args.validation_data, split_kind) {
                (Some(path), _) => ValidationSplit::File(path.display().to_string()),
                (None, SplitKind::Random) => ValidationSplit::Random,
                (None, SplitKind::Time) => ValidationSplit::Time,
            },
            train: train_summary,
            validation: validation_summary,
            validation_model,
            calibration_leads: calibration_rows.len(),
            validation_rules_roc_auc,
            grid,
            dropped,
            left_out: table.left_out.clone(),
            leakage,
            events: events.as_ref().map(|(_, _, counts)| counts.clone()),
            warnings,
            seconds: 0.0,
        },
    };
    let mut artifact = artifact;
    artifact.training.seconds = steps.elapsed();
    steps.step("writing the model file", || artifact.save(&args.out))?;
    print_summary(&artifact, &args.out);
    Ok(artifact)
}

/// Validation leads: their encoded-columns source and outcome.
struct Holdout {
    outcome: Vec<bool>,
    /// Rule points per validation lead (empty without rules).
    points: Vec<f64>,
    /// Columns of a separate validation file; empty when the rows are from the training file.
    columns: Vec<FeatureColumn>,
    rows: Vec<usize>,
}

/// The config file (or defaults) with the command-line flags applied, and the rules to blend:
/// `--rules`, or the config's own `[[rules]]`.
fn resolve_config(args: &TrainArgs) -> Result<(Config, Option<RuleSet>)> {
    let (mut config, config_rules) = match &args.config {
        Some(path) => Config::load(path)?,
        None => (Config::default(), None),
    };
    let rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => config_rules,
    };
    if args.target.is_some() {
        config.data.target = args.target.clone();
    }
    if args.id.is_some() {
        config.data.id = args.id.clone();
    }
    if args.as_of.is_some() {
        config.data.as_of = args.as_of.clone();
    }
    if let Some(split) = args.split {
        config.model.split = split;
    }
    if let Some(seed) = args.seed {
        config.model.seed = seed;
    }
    for column in &args.exclude {
        if !config.features.exclude.contains(column) {
            config.features.exclude.push(column.clone());
        }
    }
    Ok((config, rules))
}

/// The input type of every source column behind the table's features.
fn source_types(table: &LeadTable) -> BTreeMap<String, ColumnType> {
    let mut types = BTreeMap::new();
    for feature in &table.features {
        let kind = match (feature.derivation, &feature.values) {
            (Derivation::Events, _) => continue,
            (Derivation::AgeDays | Derivation::Month | Derivation::Weekday, _) => ColumnType::Datetime,
            (Derivation::Domain | Derivation::DomainType, _) => ColumnType::Categorical,
            (Derivation::Direct, Values::Numeric(_)) => ColumnType::Numeric,
            (Derivation::Direct, Values::Boolean(_)) => ColumnType::Boolean,
            (Derivation::Direct, Values::Categorical(_)) => ColumnType::Categorical,
            (Derivation::Direct, Values::Datetime(_)) => ColumnType::Datetime,
        };
        types.insert(feature.source.clone(), kind);
    }
    types
}

fn pipeline_sources(pipeline: &FeaturePipeline, types: &BTreeMap<String, ColumnType>) -> Vec<(String, ColumnType)> {
    let mut sources: Vec<(String, ColumnType)> = Vec::new();
    for step in &pipeline.steps {
        if let Some(&kind) = types.get(&step.source) {
            if !sources.iter().any(|(s, _)| s == &step.source) {
                sources.push((step.source.clone(), kind));
            }
        }
    }
    sources
}

fn source_of(table: &LeadTable, feature: &str) -> String {
    table
        .features
        .iter()
        .find(|f| f.name == feature)
        .map_or_else(|| feature.to_string(), |f| f.source.clone())
}

fn print_summary(artifact: &ModelArtifact, out: &Path) {
    let t = &artifact.training;
    let validation_from_file = matches!(t.split, ValidationSplit::File(_));
    let total = t.train.leads + t.calibration_leads + if validation_from_file { 0 } else { t.validation.leads };
    let conversions = t.train.conversions + t.validation.conversions;
    println!();
    println!("model saved to {}", out.display());
    println!(
        "  leads         {} ({} to fit, {} to calibrate, {} to validate; {}); conversion rate {:.1} %",
        thousands(total),
        thousands(t.train.leads),
        thousands(t.calibration_leads),
        thousands(t.validation.leads),
        t.split,
        100.0 * conversions as f64 / (t.train.leads + t.validation.leads) as f64
    );
    println!(
        "  features      {} columns → {} model inputs ({} left out, {} dropped)",
        artifact.pipeline.steps.len(),
        artifact.input_names.len(),
        t.left_out.len(),
        t.dropped.len()
    );
    for dropped in &t.dropped {
        println!("                dropped \"{}\": {}", dropped.feature, dropped.reason);
    }
    println!(
        "  C             {} (by {}-fold cross-validation on {} leads; held-out log loss {:.4})",
        t.grid.best_c,
        t.grid.folds,
        thousands(t.grid.leads_searched),
        t.grid
            .points
            .iter()
            .find(|p| p.c == t.grid.best_c)
            .map_or(f64::NAN, |p| p.log_loss)
    );
    let v = &t.validation;
    println!(
        "  validation    ROC AUC {:.4} · PR AUC {:.4} · log loss {:.4} · Brier {:.4} · ECE {:.4}",
        v.roc_auc, v.pr_auc, v.log_loss, v.brier, v.ece
    );
    if let (Some(rules_auc), Some(blend)) = (t.validation_rules_roc_auc, &artifact.blend) {
        println!(
            "  blend         ROC AUC model {:.4} · rules {:.4} · blend {:.4}; {:+.4} log-odds per rule point{}",
            t.validation_model.roc_auc,
            rules_auc,
            v.roc_auc,
            blend.points_weight,
            if blend.fixed { " (fixed in the config)" } else { "" }
        );
    }
    println!(
        "  calibration   {} on {} held-out training leads (ECE before: {:.4})",
        match &artifact.scorer.calibration {
            Calibration::Platt { .. } => "Platt",
            Calibration::Isotonic { .. } => "isotonic",
            Calibration::Identity => "none",
        },
        thousands(t.calibration_leads),
        t.validation_model.ece
    );
    println!("  time          {:.1} s", t.seconds);
    for warning in &t.warnings {
        println!("warning: {warning}");
    }
    println!("next: leadscore inspect {}", out.display());
}
