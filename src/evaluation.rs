//! The evaluation of a model on labelled leads, for the sales and marketing meeting: the leads
//! are scored as `score` scores them, every figure of the [`Report`] is computed, and the report
//! folder is written — report.html, report.md with its charts, report.json with its schema,
//! scores.csv, and rejects.csv when some leads could not be scored.

use std::path::{Path, PathBuf};

use crate::artifact::{fingerprint, ModelArtifact};
use crate::calibration::Calibration;
use crate::data::events::EventSource;
use crate::data::infer::MissingTokens;
use crate::drift::{DriftReport, ACT};
use crate::error::{Error, Location, Result};
use crate::model::sigmoid;
use crate::output::{remove_old, thousands, AtomicFolder};
use crate::progress::{step, Progress};
use crate::report::{self, audit, charts, document, Report, ScoreKind, Series, WorkPeriod};
use crate::rules::engine::Points;
use crate::rules::RuleSet;
use crate::scorer::LeadScore;
use crate::scoring::{read_batch, reject_lines, rejects_header, score_batch, Batch, BatchInputs};

const DAY: f64 = 86_400.0;
/// Fewer conversions than this make every figure noisy.
const FEW_CONVERSIONS: usize = 100;

/// What to evaluate and where the report goes, checked by the caller.
pub struct EvaluateSettings {
    /// The model file, for messages and the report.
    pub model_path: PathBuf,
    /// Labelled leads: the model's columns and the outcome.
    pub data: PathBuf,
    /// Their events, when the model or the rules use events (files of the events form, or
    /// exports of the shapes the model was trained with).
    pub events: Vec<PathBuf>,
    /// Rules to audit instead of the model's own, with the file they came from.
    pub audited_rules: Option<(RuleSet, PathBuf)>,
    /// The cutoff of leads without a snapshot (seconds since 1970 UTC); default now.
    pub as_of: Option<i64>,
    /// The report folder.
    pub out: PathBuf,
    /// Leads sales can work per period.
    pub capacity: Option<f64>,
    /// The period of `capacity`.
    pub period: WorkPeriod,
    /// Leads each segment's sales team can work per period (`--segment-capacity`).
    pub segment_capacity: Vec<SegmentCapacity>,
    /// How many periods the leads cover, when not from their creation dates.
    pub periods: Option<f64>,
    /// A column of the leads holding a score to rank beside leadscore's (the CRM's own).
    pub compare_column: Option<String>,
    /// Sales' manual points (`--adjustments`): added to the rule points, audited like rules.
    pub adjustments: Option<PathBuf>,
}

/// One segment's sales capacity (`--segment-capacity VALUE=LEADS`).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentCapacity {
    /// The value of the segments column (`shared`: the leads the shared model scores).
    pub value: String,
    /// Leads per period.
    pub leads: f64,
}

impl std::str::FromStr for SegmentCapacity {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<SegmentCapacity, String> {
        let wrong = || format!("\"{text}\" is not VALUE=LEADS: write e.g. CRM=80 (80 leads per period)");
        let (value, leads) = text.rsplit_once('=').ok_or_else(wrong)?;
        let leads: f64 = leads.trim().parse().map_err(|_| wrong())?;
        if value.trim().is_empty() || !(leads.is_finite() && leads > 0.0) {
            return Err(wrong());
        }
        Ok(SegmentCapacity {
            value: value.trim().to_string(),
            leads,
        })
    }
}

/// The scored, labelled leads the report is made of.
pub(crate) struct Evaluated {
    pub(crate) batch: Batch,
    pub(crate) outcome: Vec<bool>,
    pub(crate) scores: Vec<LeadScore>,
    pub(crate) model_probability: Vec<f64>,
    /// The rules audited and the points they gave, when there are rules.
    audited: Option<(RuleSet, Points)>,
    pub(crate) drift: DriftReport,
    /// Sales' adjustments that counted.
    pub(crate) adjustments: Option<crate::rules::adjustments::Adjustments>,
    /// The compared column's score of each scored lead, and how many had none.
    compared: Option<(Vec<f64>, usize)>,
}

/// Scores the labelled leads of `settings` with `artifact`, writes the report folder and
/// returns the report.
pub fn evaluate(artifact: &ModelArtifact, settings: &EvaluateSettings, progress: &dyn Progress) -> Result<Report> {
    let evaluated = score_labelled(artifact, settings, progress)?;
    let report = build_report(artifact, settings, &evaluated)?;
    step(progress, "writing the report", || {
        write_report(artifact, settings, &report, &evaluated)
    })?;
    Ok(report)
}

/// Reads and scores the leads, and counts the audited rules' points.
pub(crate) fn score_labelled(
    artifact: &ModelArtifact,
    settings: &EvaluateSettings,
    progress: &dyn Progress,
) -> Result<Evaluated> {
    check_segment_capacity(artifact, settings)?;
    let blended_rules = artifact.blended_rules(&settings.model_path)?;
    if let Some((rules, path)) = &settings.audited_rules {
        if rules.needs_events() && settings.events.is_empty() {
            return Err(Error::Usage(format!(
                "the rules of {} count events: pass the events of these leads with --events",
                path.display()
            )));
        }
    }
    crate::data::require_files(&[(Some(&settings.data), "--data")])?;
    let compared_column: Vec<String> = settings.compare_column.iter().cloned().collect();
    if let Some(column) = &settings.compare_column {
        if !crate::data::read::column_names(&settings.data)?.contains(column) {
            return Err(Error::rejected(
                Location::file(&settings.data).column(column),
                "the lead file has no such column",
                "name the column holding the score to compare with --compare-column",
            ));
        }
    }
    let events = crate::scoring::shaped_events(artifact, &settings.events, progress)?;
    let events = events.as_ref().map(crate::data::events::ShapedEvents::path);
    let inputs = BatchInputs {
        model_path: &settings.model_path,
        data: &settings.data,
        events,
        as_of: settings.as_of,
        rules: blended_rules.as_ref(),
        with_outcome: true,
        keep: &compared_column,
    };
    let mut batch = read_batch(artifact, &inputs, progress)?;
    let adjustments = crate::scoring::read_adjustments(
        artifact,
        settings.adjustments.as_deref(),
        blended_rules.is_some(),
        settings.as_of,
    )?;
    if let Some(adjustments) = &adjustments {
        batch.adjust(adjustments);
    }
    if batch.rows.is_empty() {
        let summary = crate::scoring::ScoreSummary {
            scored: 0,
            rejected: batch.table.n_rows,
            mqls: 0,
            repeated_ids: 0,
            statuses: None,
            other_bands: None,
            triggers: 0,
            closed: 0,
            adjustments: None,
        };
        return Err(crate::scoring::nothing_scored(
            &settings.data,
            &summary,
            batch.table.bad_cells.first().cloned(),
        ));
    }
    let outcome_all = batch.table.outcome.clone().unwrap_or_default();
    let outcome: Vec<bool> = batch.rows.iter().map(|&r| outcome_all[r]).collect();
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(&settings.data).column(&artifact.schema.target_column),
            format!("all {} scored leads have the same outcome", thousands(outcome.len())),
            "evaluate on leads of which some converted and some did not",
        ));
    }
    let crate::scorer::BatchScores {
        scores,
        drift: drift_counts,
        ..
    } = step(progress, "scoring", || Ok(score_batch(artifact, &batch)))?;
    let model_probability: Vec<f64> = batch.model_z.iter().map(|&z| sigmoid(z)).collect();
    // The rules audited: the settings', or the model's own.
    let audited = match (&settings.audited_rules, blended_rules) {
        (Some((rules, _)), _) => {
            let missing = MissingTokens::new(&artifact.config.data.missing_values);
            let points = step(progress, "rule points", || {
                crate::rules::engine::score(rules, &batch.table, events.map(EventSource::File), &missing)
            })?;
            Some((rules.clone(), points))
        }
        (None, Some(rules)) => batch.points.clone().map(|p| (rules, p)),
        (None, None) => None,
    };
    let names: Vec<String> = artifact.pipeline.steps.iter().map(|s| s.feature.clone()).collect();
    let drift = drift_counts.report(&artifact.scorer.drift, &names);
    let compared = match (&settings.compare_column, batch.kept.first()) {
        (Some(column), Some(cells)) => Some(compared_scores(&settings.data, column, cells, &batch.rows)?),
        _ => None,
    };
    Ok(Evaluated {
        adjustments,
        compared,
        batch,
        outcome,
        scores,
        model_probability,
        audited,
        drift,
    })
}

impl Evaluated {
    /// The audited rule points of each scored lead.
    fn rule_points(&self) -> Option<Vec<f64>> {
        (self.audited.as_ref()).map(|(_, points)| self.batch.rows.iter().map(|&r| points.total[r]).collect())
    }

    /// Leads the file holds that could not be scored.
    fn rejected(&self) -> usize {
        self.batch.table.n_rows - self.batch.rows.len()
    }
}

/// The compared column's cells of the scored `rows` as numbers (written as any export writes
/// them: `1,250`, `85%`), and how many are empty; an empty cell ranks below every score.
fn compared_scores(data: &Path, column: &str, cells: &[String], rows: &[usize]) -> Result<(Vec<f64>, usize)> {
    let present = || rows.iter().map(|&r| cells[r].as_str()).filter(|c| !c.is_empty());
    let plain = present().all(|c| crate::data::infer::parse_number(c, false).is_some());
    let format = if plain {
        None
    } else {
        crate::formats::detect_number(present(), false)
    };
    let mut missing = 0;
    let values = rows
        .iter()
        .map(|&r| {
            let cell = cells[r].as_str();
            if cell.is_empty() {
                missing += 1;
                return Ok(f64::MIN);
            }
            let number = match format {
                Some(format) => crate::formats::parse_number_as(cell, format),
                None => crate::data::infer::parse_number(cell, false),
            };
            number.filter(|x| x.is_finite()).ok_or_else(|| {
                Error::rejected(
                    Location::file(data).column(column).row(r + 1),
                    format!("\"{cell}\" is not a number"),
                    "--compare-column ranks the leads by a score: name a column of numbers",
                )
            })
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok((values, missing))
}

/// Every figure of the report.
fn build_report(artifact: &ModelArtifact, settings: &EvaluateSettings, evaluated: &Evaluated) -> Result<Report> {
    let outcome = &evaluated.outcome;
    let probability: Vec<f64> = evaluated.scores.iter().map(|s| s.probability).collect();
    let score: Vec<f64> = evaluated.scores.iter().map(|s| s.score).collect();
    let rule_points = evaluated.rule_points();
    let blended = artifact.blend.is_some();
    let mut series = vec![
        Series {
            kind: ScoreKind::Score,
            values: &probability,
            name: None,
        },
        Series {
            kind: ScoreKind::Model,
            values: &evaluated.model_probability,
            name: None,
        },
    ];
    if let Some(points) = &rule_points {
        series.push(Series {
            kind: ScoreKind::Rules,
            values: points,
            name: None,
        });
    }
    if let (Some((values, _)), Some(column)) = (&evaluated.compared, &settings.compare_column) {
        series.push(Series {
            kind: ScoreKind::Compared,
            values,
            name: Some(column),
        });
    }
    let period = covered_period(&evaluated.batch);
    let periods = match (settings.periods, &period) {
        (Some(n), _) => (n, "as given with --periods".to_string()),
        (None, Some(p)) => (
            (p.days / settings.period.days()).max(1.0),
            format!("from the leads' creation dates, {} to {}", p.from, p.to),
        ),
        (None, None) => (
            1.0,
            "the leads have no creation dates, so the file counts as one period; set --periods".to_string(),
        ),
    };
    let conversions = outcome.iter().filter(|&&y| y).count();
    let rejected = evaluated.rejected();
    let capacity = report::capacity(outcome, &score, settings.period.name(), periods, settings.capacity);
    let segments = segments_section(
        artifact,
        evaluated,
        &probability,
        &score,
        (capacity.periods, &settings.segment_capacity),
    );
    Ok(Report {
        schema: "leadscore-evaluation".into(),
        schema_version: report::SCHEMA_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model: model_info(artifact, &settings.model_path),
        data: report::DataInfo {
            file: settings.data.display().to_string(),
            leads: outcome.len(),
            conversions,
            base_rate: conversions as f64 / outcome.len() as f64,
            rejected,
            rejects_file: (rejected > 0).then(|| settings.out.join("rejects.csv").display().to_string()),
            period,
        },
        headline: report::headline(outcome, &series, &score, blended),
        reliability: report::reliability(outcome, &series, blended),
        separation: report::separation(outcome, &score, &series, blended),
        gains: report::gains(outcome, &series, blended),
        bands: report::bands(outcome, &score, &probability, &artifact.scorer.bands),
        capacity,
        rule_audit: (evaluated.audited.as_ref()).map(|(rules, points)| {
            audit::audit(
                rules,
                points,
                &evaluated.batch.rows,
                outcome,
                adjustment_columns(evaluated),
            )
        }),
        factors: report::Factors {
            shapes: report::shapes(artifact),
            ..report::factors(&artifact.factors(), 8, artifact.training.warnings.clone())
        },
        drift: report::drift(&evaluated.drift),
        warnings: warnings(artifact, settings, evaluated)?,
        segments,
    })
}

/// Sales' adjustments as audit columns, one per reason: how many times each evaluated lead got
/// it (its points over the reason's most common points).
fn adjustment_columns(evaluated: &Evaluated) -> Vec<audit::Extra> {
    let Some(adjustments) = &evaluated.adjustments else {
        return Vec::new();
    };
    let ids: Vec<&str> = (evaluated.batch.rows.iter())
        .map(|&r| evaluated.batch.table.ids[r].as_str())
        .collect();
    (adjustments.reasons.iter().enumerate())
        .map(|(reason, name)| {
            let given: Vec<f64> = (ids.iter())
                .map(|id| {
                    (adjustments.of(id).iter())
                        .filter(|a| a.1 as usize == reason)
                        .map(|a| a.0)
                        .sum()
                })
                .collect();
            let mut seen: Vec<f64> = given.iter().copied().filter(|&g| g != 0.0).collect();
            seen.sort_by(f64::total_cmp);
            // The most common non-zero amount (the smallest of the most common, on ties).
            let points = (seen.chunk_by(|a, b| a == b))
                .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].total_cmp(&a[0])))
                .map_or(1.0, |run| run[0]);
            audit::Extra {
                name: format!("sales: {name}"),
                points,
                counts: given.iter().map(|g| g / points).collect(),
            }
        })
        .collect()
}

/// One row of the segments section: its name, the value `--segment-capacity` gives it by, and
/// its bands.
struct SectionRow {
    name: String,
    value: String,
    bands: crate::bands::Bands,
}

/// The segments section's rows: one per segment with a model of its own, `shared` for the shared
/// model's leads, and one for the shared model's leads of each value with bands of its own
/// (`CRM (shared model)`, given by `CRM`).
fn section_rows(artifact: &ModelArtifact, segmentation: &crate::model::segments::Segmentation) -> Vec<SectionRow> {
    let row = |name: &str, value: &str, bands: &crate::bands::Bands| SectionRow {
        name: name.to_string(),
        value: value.to_string(),
        bands: bands.clone(),
    };
    let mut rows: Vec<SectionRow> = (segmentation.segments.iter())
        .map(|s| row(&s.value, &s.value, &artifact.scorer.bands))
        .collect();
    rows.push(row("shared", "shared", &artifact.scorer.bands));
    for (value, own_bands) in artifact.segment_bands() {
        match segmentation.segments.iter().position(|s| s.value == value) {
            Some(s) => rows[s].bands = own_bands,
            None => rows.push(row(&format!("{value} (shared model)"), &value, &own_bands)),
        }
    }
    rows
}

/// `--segment-capacity` names segments of the model, each once.
fn check_segment_capacity(artifact: &ModelArtifact, settings: &EvaluateSettings) -> Result<()> {
    let given = &settings.segment_capacity;
    if given.is_empty() {
        return Ok(());
    }
    let Some(segmentation) = &artifact.segments else {
        return Err(Error::Usage(format!(
            "{} has one model for every lead (it was trained without [segments]): use --capacity",
            settings.model_path.display()
        )));
    };
    let names: Vec<String> = section_rows(artifact, segmentation)
        .into_iter()
        .map(|r| r.value)
        .collect();
    for (k, capacity) in given.iter().enumerate() {
        if !names.contains(&capacity.value) && segmentation.small.iter().any(|s| s.value == capacity.value) {
            return Err(Error::Usage(format!(
                "--segment-capacity {}: \"{}\" has no model of its own, its leads are among the shared model's: give their team's capacity as shared=LEADS (or bands of its own, [[segments.override]], for a row of its own)",
                capacity.value, capacity.value
            )));
        }
        if !names.contains(&capacity.value) {
            return Err(Error::Usage(format!(
                "--segment-capacity {}: the model has no segment \"{}\" of \"{}\"; give one of: {}",
                capacity.value,
                capacity.value,
                segmentation.column,
                names.join(", ")
            )));
        }
        if given[..k].iter().any(|c| c.value == capacity.value) {
            return Err(Error::Usage(format!(
                "--segment-capacity names \"{}\" twice",
                capacity.value
            )));
        }
    }
    Ok(())
}

/// Inputs shown per segment where its model differs most from the shared one.
const SEGMENT_INPUTS: usize = 5;

/// With segments: each segment's leads by its model and by the shared model alone (the pooled
/// model's shared part, calibrated the same way), each in its own bands.
fn segments_section(
    artifact: &ModelArtifact,
    evaluated: &Evaluated,
    probability: &[f64],
    score: &[f64],
    work: (f64, &[SegmentCapacity]),
) -> Option<report::SegmentsSection> {
    let segmentation = artifact.segments.as_ref()?;
    let mut shared = artifact.model.clone();
    shared.coefficients[segmentation.base_width..].fill(0.0);
    let shared_z = shared.log_odds(&evaluated.batch.encoded);
    // A row per segment with a model of its own, one for the shared model's leads, and one
    // for the shared model's leads of each value with bands of its own.
    let segments = segmentation.segments.len();
    let section_rows = section_rows(artifact, segmentation);
    let names: Vec<String> = section_rows.iter().map(|r| r.name.clone()).collect();
    let bands: Vec<crate::bands::Bands> = section_rows.iter().map(|r| r.bands.clone()).collect();
    let own = artifact.segment_bands();
    let batch = &evaluated.batch;
    let values =
        crate::model::segments::segment_values(&batch.table.features, batch.table.n_rows, &segmentation.column)
            .unwrap_or_default();
    let rows: Vec<usize> = (batch.rows.iter().zip(&batch.segments))
        .map(|(&row, &code)| {
            if code != crate::features::encoded::NONE {
                return code as usize;
            }
            let value = values.get(row).and_then(Option::as_deref);
            (own.iter()
                .filter(|(v, _)| !segmentation.segments.iter().any(|s| &s.value == v)))
            .position(|(v, _)| Some(v.as_str()) == value)
            .map_or(segments, |k| segments + 1 + k)
        })
        .collect();
    let band: Vec<(usize, bool)> = evaluated.scores.iter().map(|s| (s.band, s.mql)).collect();
    let differs: Vec<Vec<report::SegmentInput>> = (0..segments)
        .map(|s| {
            (segmentation
                .differs_most(&artifact.model, s, SEGMENT_INPUTS)
                .into_iter())
            .map(|(input, deviation)| report::SegmentInput {
                input: artifact.input_names[input].clone(),
                shared: artifact.model.coefficients[input],
                own: artifact.model.coefficients[input] + deviation,
            })
            .collect()
        })
        .collect();
    // Each row's sales capacity, given by its value.
    let (periods, given) = work;
    let capacities: Vec<Option<f64>> = (section_rows.iter())
        .map(|row| given.iter().find(|c| c.value == row.value).map(|c| c.leads))
        .collect();
    // The rows of segments and of the shared model's leads have their training leads'
    // distribution; those of values with bands of their own do not.
    let references: Vec<Option<&crate::drift::Histogram>> = (0..names.len())
        .map(|k| (k <= segments).then(|| segmentation.score_reference_of(k)).flatten())
        .collect();
    let mut section = report::segments(&report::SegmentedLeads {
        column: &segmentation.column,
        names: &names,
        periods,
        capacities: &capacities,
        references: &references,
        rows: &rows,
        outcome: &evaluated.outcome,
        probability,
        score,
        band: &band,
        shared_z: &shared_z,
        bands: &bands,
        differs: &differs,
    });
    // The rules audited on each row's leads alone.
    if let Some((rules, points)) = &evaluated.audited {
        let extras = adjustment_columns(evaluated);
        for row in &mut section.rows {
            let k = names.iter().position(|n| *n == row.segment).unwrap_or(usize::MAX);
            let members: Vec<usize> = (0..rows.len()).filter(|&i| rows[i] == k).collect();
            let extras = (extras.iter())
                .map(|e| audit::Extra {
                    name: e.name.clone(),
                    points: e.points,
                    counts: members.iter().map(|&i| e.counts[i]).collect(),
                })
                .collect();
            row.rule_audit = Some(audit::audit(
                rules,
                points,
                &members.iter().map(|&i| batch.rows[i]).collect::<Vec<_>>(),
                &members.iter().map(|&i| evaluated.outcome[i]).collect::<Vec<_>>(),
                extras,
            ));
        }
    }
    Some(section)
}

/// The model as the report names it.
pub(crate) fn model_info(artifact: &ModelArtifact, path: &Path) -> report::ModelInfo {
    report::ModelInfo {
        file: path.display().to_string(),
        trained_at: artifact.trained_at.clone(),
        trained_on: artifact.data.file.clone(),
        training_leads: artifact.data.rows,
        calibration: match artifact.scorer.calibration {
            Calibration::Platt { .. } => "platt",
            Calibration::Isotonic { .. } => "isotonic",
            Calibration::Identity => "none",
        }
        .into(),
        blended_with_rules: artifact.blend.is_some(),
        points_weight: artifact.blend.as_ref().map(|b| b.points_weight),
        mql_threshold: artifact.scorer.bands.mql,
    }
}

/// The creation dates the scored leads cover, when they have them.
pub(crate) fn covered_period(batch: &Batch) -> Option<report::Period> {
    let created: Vec<i64> = match &batch.table.created {
        Some(created) => batch.rows.iter().filter_map(|&r| created[r]).collect(),
        None => Vec::new(),
    };
    match (created.iter().min(), created.iter().max()) {
        (Some(&from), Some(&to)) => Some(report::Period {
            from: date(from),
            to: date(to),
            days: ((to - from) as f64 / DAY).max(1.0),
        }),
        _ => None,
    }
}

/// What a reviewer should know before trusting the figures.
fn warnings(artifact: &ModelArtifact, settings: &EvaluateSettings, evaluated: &Evaluated) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let conversions = evaluated.outcome.iter().filter(|&&y| y).count();
    if conversions < FEW_CONVERSIONS {
        warnings.push(format!(
            "Only {conversions} conversions: every figure below is noisy; evaluate on more leads before changing rules or thresholds."
        ));
    }
    let own_bands: Vec<String> = artifact.segment_bands().into_iter().map(|(value, _)| value).collect();
    if !own_bands.is_empty() {
        warnings.push(format!(
            "Segments {} have bands and an MQL threshold of their own: the bands and capacity sections count every lead on the shared cut points, while score gives each of their leads its segment's band, as the segments section does.",
            own_bands.join(", ")
        ));
    }
    if evaluated.rejected() > 0 {
        warnings.push(format!(
            "{} leads could not be scored and are left out of every figure (see rejects.csv).",
            thousands(evaluated.rejected())
        ));
    }
    let file = fingerprint(&settings.data, evaluated.batch.table.n_rows, Vec::new())?;
    if file.sample_sha256 == artifact.data.sample_sha256 && file.bytes == artifact.data.bytes {
        warnings.push(
            "These are the leads the model was trained on: its figures here are optimistic. Evaluate on leads it has not seen."
                .into(),
        );
    }
    if let (Some((_, missing)), Some(column)) = (&evaluated.compared, &settings.compare_column) {
        if crate::data::crm_record(column).is_some_and(|r| r.contains("score")) {
            warnings.push(format!(
                "\"{column}\" is a score the CRM keeps updating: leads that converted had theirs raised by what they did afterwards, so its figures are optimistic unless it was exported before the outcomes were known."
            ));
        }
        if *missing > 0 {
            warnings.push(format!(
                "{} leads have no \"{column}\": they rank below every lead that has one in its figures.",
                thousands(*missing)
            ));
        }
    }
    if evaluated.drift.worst() >= ACT {
        warnings.push(format!(
            "These leads drifted from the training leads (PSI {:.2}): retrain or recalibrate (section 8).",
            evaluated.drift.worst()
        ));
    }
    Ok(warnings)
}

/// Writes the report folder: every file into a temporary folder first, then moved into place
/// with the page last, so that when it is there everything it points to is too. A rejects file
/// of an earlier report is removed when these leads have none.
fn write_report(
    artifact: &ModelArtifact,
    settings: &EvaluateSettings,
    report: &Report,
    evaluated: &Evaluated,
) -> Result<()> {
    let charts = charts::all(report)?;
    let blocks = document::build(report);
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Runtime(format!("writing report.json: {e}")))?;
    let mut folder = AtomicFolder::create(&settings.out)?;
    for chart in &charts {
        folder.write(&format!("charts/{}.svg", chart.name), chart.svg.as_bytes())?;
    }
    folder.write("report.json", json.as_bytes())?;
    folder.write("report.schema.json", report::SCHEMA.as_bytes())?;
    folder.write(
        "report.md",
        report::markdown::render(report, &blocks, &charts).as_bytes(),
    )?;
    folder.write("scores.csv", &scores_csv(artifact, evaluated)?)?;
    if evaluated.rejected() > 0 {
        let id_header = evaluated.batch.table.id_column.as_deref().unwrap_or("row");
        let mut bytes = rejects_header(id_header)?;
        bytes.extend(reject_lines(&evaluated.batch)?);
        folder.write("rejects.csv", &bytes)?;
    }
    folder.write("report.html", report::html::render(report, &blocks, &charts).as_bytes())?;
    folder.publish()?;
    if evaluated.rejected() == 0 {
        remove_old(&settings.out.join("rejects.csv"))?;
    }
    Ok(())
}

/// YYYY-MM-DD of a moment.
fn date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Each evaluated lead: id, outcome, score, probability, the model's own probability and the rule
/// points, at full precision (so the figures can be recomputed from it exactly).
fn scores_csv(artifact: &ModelArtifact, evaluated: &Evaluated) -> Result<Vec<u8>> {
    let points = evaluated.rule_points();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["lead_id", "converted", "score", "probability", "model_probability"];
    if points.is_some() {
        header.push("rule_points");
    }
    // With segments, the segment whose model scored the lead (as `score` writes it).
    let segments = artifact.segments.as_ref();
    if segments.is_some() {
        header.push("segment");
    }
    let error = |e: csv::Error| Error::Runtime(format!("formatting scores.csv: {e}"));
    writer.write_record(&header).map_err(error)?;
    for (k, &row) in evaluated.batch.rows.iter().enumerate() {
        let score = &evaluated.scores[k];
        let mut record = vec![
            evaluated.batch.table.ids[row].clone(),
            u8::from(evaluated.outcome[k]).to_string(),
            format!("{}", score.score),
            format!("{}", score.probability),
            format!("{}", evaluated.model_probability[k]),
        ];
        if let Some(points) = &points {
            record.push(format!("{}", points[k]));
        }
        if let Some(segmentation) = segments {
            let code = evaluated
                .batch
                .segments
                .get(k)
                .copied()
                .unwrap_or(crate::features::encoded::NONE);
            record.push(segmentation.name_of(code).to_string());
        }
        writer.write_record(&record).map_err(error)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Runtime(format!("formatting scores.csv: {e}")))
}
