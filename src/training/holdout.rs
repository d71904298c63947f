//! Which leads the figures are measured on — out-of-fold predictions of every lead (the
//! default), the newest leads (`--split time`) or a separate labelled file — and the leakage
//! audit on the leads learned from.

use super::read::{column_choice, source_types, TrainingLeads};
use super::TrainSettings;
use crate::config::{LeakagePolicy, SplitKind};
use crate::data::events::EventSource;
use crate::data::infer::MissingTokens;
use crate::data::{load_leads, FeatureColumn};
use crate::enrich::events_and_points;
use crate::error::{Error, Location, Result};
use crate::features::leakage::{audit, LeakageCheck};
use crate::model::split::time_split;
use crate::progress::{step, Progress};

/// Validation leads: their encoded-columns source and outcome.
pub(super) struct Holdout {
    /// Outcome per validation lead.
    pub outcome: Vec<bool>,
    /// Rule points per validation lead (empty without rules).
    pub points: Vec<f64>,
    /// Columns of a separate validation file; empty when the rows are from the training file.
    pub columns: Vec<FeatureColumn>,
    /// The validation leads' rows (in the training file, or in the validation file).
    pub rows: Vec<usize>,
}

/// Which leads the figures are measured on.
pub(super) struct HeldOut {
    /// Rows of the training file the model, its blend and its calibration learn from (out of
    /// fold); the final model is then refitted on every row.
    pub train_rows: Vec<usize>,
    /// Leads measured apart — the newest (`--split time`) or a separate file
    /// (`--validation-data`); without them the figures are out-of-fold.
    pub validation: Option<Holdout>,
}

impl Holdout {
    /// The feature columns the validation rows index into.
    pub fn columns<'a>(&'a self, leads: &'a TrainingLeads) -> &'a [FeatureColumn] {
        if self.columns.is_empty() {
            &leads.table.features
        } else {
            &self.columns
        }
    }
}

/// Holds out the validation leads, when they are not out-of-fold.
pub(super) fn hold_out(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    as_of: Option<i64>,
    progress: &dyn Progress,
) -> Result<HeldOut> {
    let config = &settings.config;
    let outcome = &leads.outcome;
    if let Some(path) = &settings.validation_data {
        // The validation file is typed as the training file was.
        let mut forced = config.clone();
        forced.features.types.extend(source_types(&leads.table));
        forced.features.include.clear();
        forced.features.multi_labels = leads.table.multi_labels.clone();
        let choice = crate::data::ColumnChoice {
            formats: leads.table.formats.clone(),
            as_trained: true,
            ..column_choice(settings)
        };
        let mut held_out = step(progress, "reading validation leads", || {
            load_leads(path, &choice, &forced, true, as_of)
        })?;
        let missing = MissingTokens::new(&config.data.missing_values);
        let (_, held_out_points) = events_and_points(
            &mut held_out,
            leads.events.as_ref().map(|e| EventSource::File(&e.path)),
            leads.events.as_ref().map(|e| &e.spec),
            settings.rules.as_ref(),
            &missing,
        )?;
        return Ok(HeldOut {
            train_rows: (0..leads.table.n_rows).collect(),
            validation: Some(Holdout {
                outcome: held_out.outcome.clone().unwrap_or_default(),
                points: held_out_points.map(|p| p.total).unwrap_or_default(),
                rows: (0..held_out.n_rows).collect(),
                columns: held_out.features,
            }),
        });
    }
    let split = match config.model.split {
        // Every lead is learned from; the figures come from out-of-fold predictions.
        SplitKind::Random => {
            return Ok(HeldOut {
                train_rows: (0..leads.table.n_rows).collect(),
                validation: None,
            })
        }
        SplitKind::Time => {
            let created = leads.table.created.as_deref().unwrap_or_default();
            let column = config.data.time.clone().unwrap_or_default();
            time_split(created, config.model.validation_fraction).map_err(|row| {
                Error::rejected(
                    Location::file(&settings.data).column(column).row(row + 1),
                    "the lead has no creation time",
                    "fill the time column or use --split random",
                )
            })?
        }
    };
    let points = if leads.points.is_empty() {
        Vec::new()
    } else {
        split.validation.iter().map(|&i| leads.points[i]).collect()
    };
    Ok(HeldOut {
        train_rows: split.train,
        validation: Some(Holdout {
            outcome: split.validation.iter().map(|&i| outcome[i]).collect(),
            points,
            columns: Vec::new(),
            rows: split.validation,
        }),
    })
}

/// The leakage audit on the training split: flagged columns are warned about, or (with
/// `leakage = "error"`) stop training.
pub(super) fn audit_leakage(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    train_rows: &[usize],
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
) -> Result<Vec<LeakageCheck>> {
    let features = &settings.config.features;
    let checks = match features.leakage {
        LeakagePolicy::Off => Vec::new(),
        _ => step(progress, "auditing columns for leakage", || {
            Ok(audit(
                &leads.table.features,
                &leads.outcome,
                train_rows,
                features.leakage_auc,
            ))
        })?,
    };
    let flagged: Vec<&LeakageCheck> = checks.iter().filter(|c| c.flagged.is_some()).collect();
    if !flagged.is_empty() && features.leakage == LeakagePolicy::Error {
        return Err(Error::rejected(
            Location::file(&settings.data),
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
                    .map(|c| format!("--exclude \"{}\"", leads.source_of(&c.feature)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ));
    }
    warnings.extend(crate::features::extreme_values(&leads.table.features, train_rows));
    for check in &flagged {
        let from_events = (leads.table.features.iter())
            .any(|f| f.name == check.feature && f.derivation == crate::data::Derivation::Events);
        let advice = if from_events {
            // Activity that gives the outcome away is activity after it: the cutoff is late.
            "events are counted up to each lead's cutoff: check that it comes before the outcome was known ([data] snapshot, or --as-of)".to_string()
        } else {
            format!(
                "if sales fills it after contact, train with --exclude \"{}\"",
                leads.source_of(&check.feature)
            )
        };
        warnings.push(format!(
            "possible leakage in \"{}\": {}; {advice}",
            check.feature,
            check.flagged.as_deref().unwrap_or_default(),
        ));
    }
    Ok(checks)
}
