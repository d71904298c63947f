//! The export of a model as a points table, measured on leads (`leadscore export-points`): reads
//! and scores the leads with the model, picks the model of one segment when the model has
//! segments, builds the table ([`super::build`]) and runs it as `leadscore points` would to say
//! how faithful it is.

use std::path::{Path, PathBuf};

use super::{build, to_toml, Fidelity, Leads, PointsTable, Scale};
use crate::artifact::ModelArtifact;
use crate::data::events::EventSource;
use crate::data::infer::MissingTokens;
use crate::error::{Error, Location, Result};
use crate::progress::{step, Progress};
use crate::rules::RuleSet;
use crate::scoring::{read_batch, score_batch, Batch, BatchInputs};

/// What to export, checked by the caller.
pub struct ExportSettings {
    /// The model file.
    pub model: PathBuf,
    /// Leads to place ranges on and measure the table against.
    pub data: PathBuf,
    /// Their events.
    pub events: Vec<PathBuf>,
    /// The cutoff of leads without a snapshot (seconds since 1970 UTC).
    pub as_of: Option<i64>,
    /// With a model with segments: the value of the segments column whose model to export.
    pub segment: Option<String>,
    /// How totals map to odds.
    pub scale: Scale,
}

/// An exported table: the table, how faithful it is, its text (the rules file) and the name of
/// the model it holds.
pub struct Exported {
    /// The rules, bands and base.
    pub table: PointsTable,
    /// The table against the model on the leads given.
    pub fidelity: Fidelity,
    /// The rules file, as `leadscore points` reads it.
    pub text: String,
    /// The model the table holds (with segments, which segment's).
    pub model_name: String,
}

/// Exports the model of `settings` as a points table measured on its leads.
pub fn export(settings: &ExportSettings, progress: &dyn Progress) -> Result<Exported> {
    let full = ModelArtifact::load(&settings.model)?;
    let one = one_model(&full, settings.segment.as_deref(), &settings.model)?;
    let mut files = vec![(Some(settings.data.as_path()), "--data")];
    files.extend(settings.events.iter().map(|e| (Some(e.as_path()), "--events")));
    crate::data::require_files(&files)?;
    let rules = full.blended_rules(&settings.model)?;
    let events = crate::scoring::shaped_events(&full, &settings.events, progress)?;
    let events = events.as_ref().map(crate::data::events::ShapedEvents::path);
    let with_outcome = crate::data::read::column_names(&settings.data)?.contains(&full.schema.target_column);
    let batch_inputs = BatchInputs {
        model_path: &settings.model,
        data: &settings.data,
        events,
        as_of: settings.as_of,
        rules: rules.as_ref(),
        with_outcome,
        keep: &[],
    };
    let batch = read_batch(&full, &batch_inputs, progress)?;
    if batch.rows.is_empty() {
        return Err(Error::rejected(
            Location::file(&settings.data),
            "no lead of the file could be read",
            "check the file against the columns the model was trained on (leadscore inspect)",
        ));
    }
    // The model's scores of the leads, and each feature's contributions to them (with segments,
    // each lead's by its segment's model).
    let scored = score_batch(&full, &batch);
    let (artifact, model_name, leads_of) = match &one {
        Some(one) => {
            let leads_of = segment_leads(&full, &batch, &one.value);
            if leads_of.is_empty() {
                return Err(Error::rejected(
                    Location::file(&settings.data),
                    format!(
                        "no lead of the file has \"{}\" = \"{}\"",
                        full.segments_column().unwrap_or_default(),
                        one.value
                    ),
                    "give leads of that segment, to place the ranges and measure the table on",
                ));
            }
            (&one.artifact, one.describe(&settings.model), leads_of)
        }
        None => (
            &full,
            settings.model.display().to_string(),
            (0..batch.rows.len()).collect(),
        ),
    };
    let rows: Vec<usize> = leads_of.iter().map(|&k| batch.rows[k]).collect();
    let contributions: Vec<Vec<f64>> = (scored.contributions.iter())
        .map(|c| leads_of.iter().map(|&k| c[k]).collect())
        .collect();
    let scores: Vec<crate::scorer::LeadScore> = leads_of.iter().map(|&k| scored.scores[k].clone()).collect();
    let leads = Leads {
        features: &batch.table.features,
        rows: &rows,
        contributions: &contributions,
    };
    let table = build(artifact, &leads, settings.scale).map_err(|e| {
        Error::rejected(
            Location::file(&settings.model),
            format!("cannot export this model: {e}"),
            "score it with `leadscore score`",
        )
    })?;
    let fidelity = step(progress, "measuring the table against the model", || {
        let measured = Measured {
            batch: &batch,
            rows: &rows,
            scores: &scores,
            data: &settings.data,
            events,
        };
        measure(artifact, &table, &measured, &model_name)
    })?;
    let text = to_toml(&table, &model_name, &fidelity);
    // The file must be one `leadscore points` reads: checked as it will be.
    RuleSet::parse(&text, Path::new("points.toml"))
        .map_err(|e| Error::Runtime(format!("the points table written does not read back: {e}")))?;
    Ok(Exported {
        table,
        fidelity,
        text,
        model_name,
    })
}

/// The model exported from a model with segments: the one that scores a segment's leads.
struct OneModel {
    /// The value of the segments column.
    value: String,
    /// Whether the segment has a model of its own (else the shared model scores it).
    own: bool,
    /// That model, as a model without segments.
    artifact: ModelArtifact,
}

impl OneModel {
    /// The model's name in messages and the table's header.
    fn describe(&self, path: &Path) -> String {
        let whose = if self.own {
            "its own model"
        } else {
            "the shared model: it has no model of its own"
        };
        format!("{}, segment \"{}\" ({whose})", path.display(), self.value)
    }
}

/// The model `--segment` names, for a model with segments; `None` for one without.
fn one_model(artifact: &ModelArtifact, segment: Option<&str>, path: &Path) -> Result<Option<OneModel>> {
    let Some(segmentation) = &artifact.segments else {
        return match segment {
            Some(_) => Err(Error::Usage(format!(
                "{} has one model for every lead (it was trained without [segments]): leave out --segment",
                path.display()
            ))),
            None => Ok(None),
        };
    };
    let Some(value) = segment.map(str::trim).filter(|v| !v.is_empty()) else {
        let own: Vec<&str> = segmentation.segments.iter().map(|s| s.value.as_str()).collect();
        return Err(Error::rejected(
            Location::file(path),
            format!(
                "the model has one model per \"{}\" segment, and a points table holds one model",
                segmentation.column
            ),
            format!(
                "export one segment's table at a time with --segment VALUE; with models of their own: {} (any other value: the shared model's table)",
                own.join(", ")
            ),
        ));
    };
    let (one, own) = artifact.model_for_segment(value).expect("the model has segments");
    Ok(Some(OneModel {
        value: value.to_string(),
        own,
        artifact: one,
    }))
}

/// The leads of `batch` (positions in `batch.rows`) whose segments column is `value`.
fn segment_leads(artifact: &ModelArtifact, batch: &Batch, value: &str) -> Vec<usize> {
    let column = artifact.segments_column().unwrap_or_default();
    let values =
        crate::model::segments::segment_values(&batch.table.features, batch.table.n_rows, column).unwrap_or_default();
    (batch.rows.iter().enumerate())
        .filter(|(_, &row)| values.get(row).and_then(Option::as_deref).map(str::trim) == Some(value))
        .map(|(k, _)| k)
        .collect()
}

/// The leads a table is measured on, with the model's scores of them.
struct Measured<'a> {
    batch: &'a Batch,
    /// The leads (rows of `batch.table`).
    rows: &'a [usize],
    /// The model's scores of `rows`.
    scores: &'a [crate::scorer::LeadScore],
    /// The leads file, named in the table's header.
    data: &'a Path,
    /// The events, shaped.
    events: Option<&'a Path>,
}

/// Runs the table on the leads as `leadscore points` would and compares with the model's
/// scores of them.
fn measure(artifact: &ModelArtifact, table: &PointsTable, leads: &Measured, model: &str) -> Result<Fidelity> {
    let Measured {
        batch,
        rows,
        scores,
        data,
        events,
    } = *leads;
    let text = to_toml(
        table,
        model,
        &Fidelity {
            data: String::new(),
            leads: 0,
            spearman: f64::NAN,
            roc_auc: None,
            band_changes: 0,
            per_band: Vec::new(),
            mqls: (0, 0),
        },
    );
    let rules = RuleSet::parse(&text, Path::new("points.toml"))
        .map_err(|e| Error::Runtime(format!("the points table does not read back: {e}")))?;
    let missing = MissingTokens::new(&artifact.config.data.missing_values);
    let points = crate::rules::engine::score(&rules, &batch.table, events.map(EventSource::File), &missing)?;
    let totals: Vec<f64> = rows.iter().map(|&r| points.total[r]).collect();
    let score: Vec<f64> = scores.iter().map(|s| s.score).collect();
    let probability: Vec<f64> = scores.iter().map(|s| s.probability).collect();
    let roc_auc = batch.table.outcome.as_ref().and_then(|outcome| {
        let outcome: Vec<bool> = rows.iter().map(|&r| outcome[r]).collect();
        Some((
            crate::metrics::roc_auc(&outcome, &totals)?,
            crate::metrics::roc_auc(&outcome, &probability)?,
        ))
    });
    let bands = &rules.file.bands;
    let score_bands = &artifact.scorer.bands;
    let per_band = bands
        .names
        .iter()
        .zip(&score_bands.names)
        .map(|(name, score_name)| {
            (
                name.clone(),
                totals.iter().filter(|&&t| bands.band_of(t) == name).count(),
                score.iter().filter(|&&s| score_bands.band_of(s) == score_name).count(),
            )
        })
        .collect();
    let band_changes = totals
        .iter()
        .zip(&score)
        .filter(|(&t, &s)| bands.band_of(t) != score_bands.band_of(s))
        .count();
    Ok(Fidelity {
        data: data.display().to_string(),
        leads: totals.len(),
        spearman: crate::metrics::spearman(&totals, &probability),
        roc_auc,
        band_changes,
        per_band,
        mqls: (
            totals.iter().filter(|&&t| t >= bands.mql).count(),
            scores.iter().filter(|s| s.mql).count(),
        ),
    })
}
