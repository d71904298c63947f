//! Training: from historical leads with their outcome to one self-contained model — the path
//! `train` and `recalibrate` share.
//!
//! Order of work: leads are read and typed, events aggregated as of each lead's cutoff (with the
//! rules' points in the same pass), validation leads held out, the leakage audit run, the feature
//! pipeline fitted on the training split, the L2 strength chosen by cross-validation, the final
//! model fitted (warm-started), the blend with the rules and the calibration fitted on held-out
//! training leads, and everything measured on the validation leads.
//!
//! ```no_run
//! use leadscore::config::Config;
//! use leadscore::progress::Silent;
//! use leadscore::rules::RuleSet;
//! use leadscore::training::{train, TrainSettings};
//! use std::path::Path;
//!
//! # fn main() -> leadscore::Result<()> {
//! let path = Path::new("leadscore.toml");
//! let text = Config::read_text(path)?;
//! let mut config = Config::parse(&text, path)?;
//! config.data.target = Some("converted".into());
//! let rules = RuleSet::from_config(&config, &text, path)?;
//! let settings = TrainSettings { rules, ..TrainSettings::new("leads.csv", config) };
//! let model = train(&settings, &Silent)?;
//! println!("validation ROC AUC {:.3}", model.training.validation.roc_auc);
//! model.save("models/model.lsm".as_ref())?;
//! # Ok(())
//! # }
//! ```

mod fit;
mod holdout;
mod monotone;
mod read;
mod recalibrate;
mod segments;

use std::path::PathBuf;

pub use recalibrate::{recalibrate, Recalibrated, SegmentCheck, OWN_CALIBRATION_LEADS, OWN_CALIBRATION_OUTCOMES};

use crate::artifact::{fingerprint, InputSchema, ModelArtifact, TrainingReport, ValidationSplit, FORMAT_VERSION};
use crate::config::{Config, SplitKind};
use crate::data::events::ShapedEvents;
use crate::data::parse_as_of;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rules::RuleSet;

/// Leads below which a warning says the model will be noisy.
const FEW_LEADS: usize = 1_000;
/// Conversions below which a warning says the model will be noisy.
const FEW_CONVERSIONS: usize = 100;

/// What to train on and how, resolved from flags and the config file.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    /// Historical leads with their outcome (CSV or Parquet).
    pub data: PathBuf,
    /// Their events, aggregated per lead as engagement features: files of the events form or
    /// activity exports of the shapes of `[[events.files]]`, read together.
    pub events: Vec<PathBuf>,
    /// A separate labelled file to validate on, instead of holding out part of `data`.
    pub validation_data: Option<PathBuf>,
    /// Every setting (flags applied); it is kept in the model file.
    pub config: Config,
    /// The marketing team's rules to blend with the model.
    pub rules: Option<RuleSet>,
}

impl TrainSettings {
    /// Trains on `data` with `config`, without events, rules or a validation file.
    pub fn new(data: impl Into<PathBuf>, config: Config) -> TrainSettings {
        TrainSettings {
            data: data.into(),
            events: Vec::new(),
            validation_data: None,
            config,
            rules: None,
        }
    }

    /// Refuses settings that cannot work together, before any lead is read; returns the
    /// cutoff of `[data] as_of`, parsed.
    pub fn check(&self) -> Result<Option<i64>> {
        let config = &self.config;
        if config.model.split == SplitKind::Time && config.data.time.is_none() && self.validation_data.is_none() {
            return Err(Error::Usage(
                "--split time needs the leads' creation time: set [data] time = \"COLUMN\" in the config".into(),
            ));
        }
        config.data.as_of.as_deref().map(parse_as_of).transpose()
    }

    /// How the figures are obtained, with `folds` cross-validation folds.
    fn validation_split(&self, folds: usize) -> ValidationSplit {
        match (&self.validation_data, self.config.model.split) {
            (Some(path), _) => ValidationSplit::File(path.display().to_string()),
            (None, SplitKind::Random) => ValidationSplit::OutOfFold(folds),
            (None, SplitKind::Time) => ValidationSplit::Time,
        }
    }
}

/// The settings with each lead's cutoff named, when events are aggregated and neither
/// `[data] snapshot` nor `--as-of` gives one: counted up to the end of the file, activity after
/// a lead converted would teach the model the outcome. A column named like a cutoff
/// (`snapshot_at`, `cutoff`, `as_of`, …) is taken, and said so; without one, training stops.
fn with_cutoff(settings: &TrainSettings, warnings: &mut Vec<String>) -> Result<TrainSettings> {
    let data = &settings.config.data;
    if settings.events.is_empty() || data.snapshot.is_some() || data.as_of.is_some() || data.window_days.is_some() {
        return Ok(settings.clone());
    }
    let columns = crate::data::read::column_names(&settings.data)?;
    let Some(column) = crate::data::cutoff_column(&columns) else {
        return Err(Error::rejected(
            crate::error::Location::file(&settings.data),
            "events need each lead's cutoff: without one, activity after a lead converted would be counted, and the model would learn the outcome from it",
            "name the column that holds each lead's cutoff with [data] snapshot = \"COLUMN\" in the config, count each lead's first weeks with [data] window_days = 45 (days after [data] time), or give one date for all leads with --as-of YYYY-MM-DD",
        ));
    };
    warnings.push(format!(
        "events are counted up to \"{column}\", each lead's cutoff (found by its name); name another with [data] snapshot, or give one date with --as-of"
    ));
    let mut settings = settings.clone();
    settings.config.data.snapshot = Some(column.to_string());
    Ok(settings)
}

/// Trains a model on `settings`, reporting each step to `progress`; the model is not saved.
pub fn train(settings: &TrainSettings, progress: &dyn Progress) -> Result<ModelArtifact> {
    let started = std::time::Instant::now();
    let as_of = settings.check()?;
    let mut warnings = Vec::new();
    let settings = &with_cutoff(settings, &mut warnings)?;
    let missing = crate::data::infer::MissingTokens::new(&settings.config.data.missing_values);
    let events = ShapedEvents::prepare_noted(&settings.events, &settings.config.events.files, &missing, progress)?;
    let events = events.as_ref().map(ShapedEvents::path);
    let leads = read::read_training_leads(settings, events, as_of, progress, &mut warnings)?;
    let held_out = holdout::hold_out(settings, &leads, as_of, progress)?;
    let audit = holdout::audit_leakage(settings, &leads, &held_out.train_rows, progress, &mut warnings)?;
    let mut fitted = fit::fit_model(settings, &leads, &held_out, progress)?;
    warnings.append(&mut fitted.warnings);
    let source_types = read::source_types(&leads.table);
    let columns = read::pipeline_sources(&fitted.pipeline, &source_types);
    let formats = (leads.table.formats.iter())
        .filter(|(column, _)| columns.iter().any(|(c, _)| c == *column))
        .map(|(column, format)| (column.clone(), *format))
        .collect();
    let schema = InputSchema {
        id_column: leads.table.id_column.clone(),
        target_column: leads.table.target_column.clone().unwrap_or_default(),
        columns,
        snapshot_column: settings.config.data.snapshot.clone(),
        formats,
    };
    let mut artifact = ModelArtifact {
        format_version: FORMAT_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").to_string(),
        trained_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data: fingerprint(&settings.data, leads.table.n_rows, leads.table.input_columns.clone())?,
        input_names: fitted.pipeline.input_names(),
        config: settings.config.clone(),
        schema,
        events: leads.events.as_ref().map(|e| e.spec.clone()),
        pipeline: fitted.pipeline,
        model: fitted.model,
        blend: fitted.blend,
        segments: fitted.segmentation,
        segment_calibrations: fitted.segment_calibrations,
        scorer: fitted.scorer,
        training: TrainingReport {
            split: settings.validation_split(fitted.grid.folds),
            train: fitted.train_summary,
            validation: fitted.validation_summary,
            validation_model: fitted.validation_model,
            calibration_leads: fitted.calibration_leads,
            validation_rules_roc_auc: fitted.validation_rules_roc_auc,
            grid: fitted.grid,
            dropped: fitted.dropped,
            left_out: leads.table.left_out.clone(),
            leakage: audit,
            events: leads.events.as_ref().map(|e| e.counts.clone()),
            warnings,
            seconds: 0.0,
        },
    };
    // The formats of the snapshot and creation columns, which are read again when scoring.
    let time_columns = [&settings.config.data.snapshot, &settings.config.data.time];
    for name in time_columns.into_iter().flatten() {
        if let Some(format) = leads.table.formats.get(name) {
            artifact.config.data.formats.insert(name.clone(), *format);
        }
    }
    artifact.training.seconds = started.elapsed().as_secs_f64();
    Ok(artifact)
}
