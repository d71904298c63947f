//! The training leads read and typed, with their event features and rule points, and the
//! outcome checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{TrainSettings, FEW_CONVERSIONS, FEW_LEADS};
use crate::config::ColumnType;
use crate::data::events::{learn_spec_from_file, EventCounts, EventFeatureSpec, EventSource};
use crate::data::infer::MissingTokens;
use crate::data::values::Values;
use crate::data::{load_leads, ColumnChoice, Derivation, LeadTable};
use crate::enrich::events_and_points;
use crate::error::{Error, Location, Result};
use crate::features::FeaturePipeline;
use crate::output::thousands;
use crate::progress::{step, Progress};

/// Leads of each outcome below which a model cannot be trained: after the validation,
/// calibration and cross-validation hold-outs, a fold would see none.
pub(super) const MIN_PER_OUTCOME: usize = 10;

/// The events training used.
pub(super) struct EventsUsed {
    /// The events file.
    pub path: PathBuf,
    /// Which features they became.
    pub spec: EventFeatureSpec,
    /// What happened to them.
    pub counts: EventCounts,
}

/// The training leads, ready to be split.
pub(super) struct TrainingLeads {
    /// The leads, typed, with their event features.
    pub table: LeadTable,
    /// The events, when there was an events file.
    pub events: Option<EventsUsed>,
    /// Rule points per lead (empty without rules).
    pub points: Vec<f64>,
    /// The outcome per lead.
    pub outcome: Vec<bool>,
}

impl TrainingLeads {
    /// The input column behind a feature, for messages that tell what to `--exclude`.
    pub fn source_of(&self, feature: &str) -> String {
        self.table
            .features
            .iter()
            .find(|f| f.name == feature)
            .map_or_else(|| feature.to_string(), |f| f.source.clone())
    }
}

/// The column choices of the config.
/// The columns excluded by name must be in the file, but for those of the `[data] source`
/// preset: a tool's exports differ in which of them they carry.
pub(super) fn column_choice(settings: &TrainSettings) -> ColumnChoice {
    let config = &settings.config;
    let optional = config.data.source.map(|s| s.preset_exclusions()).unwrap_or_default();
    ColumnChoice {
        target: config.data.target.clone(),
        id: config.data.id.clone(),
        exclude: (config.features.exclude.iter())
            .filter(|c| !optional.contains(c))
            .cloned()
            .collect(),
        ..Default::default()
    }
}

/// Reads the leads, their events (a first streamed pass learns which event types and forms
/// the file holds, a second gives the sums per lead and the rules' counts together: the events
/// are never held in memory) and checks the outcome.
pub(super) fn read_training_leads(
    settings: &TrainSettings,
    events: Option<&Path>,
    as_of: Option<i64>,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
) -> Result<TrainingLeads> {
    let config = &settings.config;
    let missing = MissingTokens::new(&config.data.missing_values);
    let rules = settings.rules.as_ref();
    let mut table = step(progress, "reading and typing leads", || {
        load_leads(&settings.data, &column_choice(settings), config, true, as_of)
    })?;
    for (column, reason) in &table.left_out {
        if crate::data::crm_record(column) == Some(reason.as_str()) {
            warnings.push(format!("\"{column}\" is left out: {reason}"));
        }
    }
    let (events, points) = match events {
        None => {
            let (_, points) = step(progress, "computing rule points", || {
                events_and_points(&mut table, None, None, rules, &missing)
            })?;
            (None, points)
        }
        Some(path) => {
            if table.id_column.is_none() {
                return Err(Error::Usage(
                    "--events needs lead ids to join on: name the lead id column with --id".into(),
                ));
            }
            let spec = step(progress, "reading event types and forms", || {
                learn_spec_from_file(path, &missing, &config.events)
            })?;
            let what = if rules.is_some() {
                "aggregating events per lead, with the rules' counts"
            } else {
                "aggregating events per lead"
            };
            let (counts, points) = step(progress, what, || {
                events_and_points(&mut table, Some(EventSource::File(path)), Some(&spec), rules, &missing)
            })?;
            let counts = counts.unwrap_or_default();
            if counts.unmatched > 0 {
                warnings.push(format!(
                    "{} events belong to no lead in {} and were ignored",
                    thousands(counts.unmatched),
                    settings.data.display()
                ));
            }
            let used = EventsUsed {
                path: path.to_path_buf(),
                spec,
                counts,
            };
            (Some(used), points)
        }
    };
    let outcome = table.outcome.clone().unwrap_or_default();
    check_outcome(settings, &table, &outcome, warnings)?;
    if table.id_column.is_some() {
        let mut hashes: Vec<u64> = table.ids.iter().map(|id| crate::data::id_hash(id)).collect();
        let repeated = crate::data::repeated_ids(&mut hashes);
        if repeated > 0 {
            warnings.push(format!(
                "{} leads have an id that an earlier lead in {} has: each row is trained on as its own lead (and with events, each gets all the events of its id); remove the repeated rows if they are one lead",
                thousands(repeated),
                settings.data.display()
            ));
        }
    }
    Ok(TrainingLeads {
        table,
        events,
        points: points.map(|p| p.total).unwrap_or_default(),
        outcome,
    })
}

/// Training needs both outcomes; few leads or conversions get a warning.
fn check_outcome(
    settings: &TrainSettings,
    table: &LeadTable,
    outcome: &[bool],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(&settings.data).column(table.target_column.as_deref().unwrap_or_default()),
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
    let fewer = conversions.min(outcome.len() - conversions);
    if fewer < MIN_PER_OUTCOME {
        let (which, what) = if conversions < MIN_PER_OUTCOME {
            (conversions, "converted")
        } else {
            (outcome.len() - conversions, "did not convert")
        };
        return Err(Error::rejected(
            Location::file(&settings.data).column(table.target_column.as_deref().unwrap_or_default()),
            format!(
                "only {which} of {} leads {what}: too few to learn from",
                thousands(outcome.len())
            ),
            format!(
                "training needs at least {MIN_PER_OUTCOME} converted and {MIN_PER_OUTCOME} non-converted leads (some are held out to validate, calibrate and cross-validate); export a longer period"
            ),
        ));
    }
    if outcome.len() < FEW_LEADS || conversions < FEW_CONVERSIONS {
        warnings.push(format!(
            "only {} leads and {} conversions: figures will be noisy (aim for 1,000+ leads and 100+ conversions)",
            thousands(outcome.len()),
            thousands(conversions)
        ));
    }
    Ok(())
}

/// The input type of every source column behind the table's features.
pub(super) fn source_types(table: &LeadTable) -> BTreeMap<String, ColumnType> {
    let mut types = BTreeMap::new();
    for feature in &table.features {
        let kind = match (feature.derivation, &feature.values) {
            (Derivation::Events, _) => continue,
            (Derivation::AgeDays | Derivation::Month | Derivation::Weekday, _) => ColumnType::Datetime,
            (Derivation::Domain | Derivation::DomainType, _) => ColumnType::Categorical,
            (Derivation::Label, _) => ColumnType::MultiValued,
            (Derivation::Direct, Values::Numeric(_)) => ColumnType::Numeric,
            (Derivation::Direct, Values::Boolean(_)) => ColumnType::Boolean,
            (Derivation::Direct, Values::Categorical(_)) => ColumnType::Categorical,
            (Derivation::Direct, Values::Datetime(_)) => ColumnType::Datetime,
        };
        types.insert(feature.source.clone(), kind);
    }
    types
}

/// The input columns the pipeline reads, with their types, in pipeline order.
pub(super) fn pipeline_sources(
    pipeline: &FeaturePipeline,
    types: &BTreeMap<String, ColumnType>,
) -> Vec<(String, ColumnType)> {
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
