//! Scores made: leads in, batch by batch, and for each lead the calibrated 0–100 score, its
//! percentile, band, MQL flag, fit and engagement parts and the reasons out — the one path
//! that `score`, `evaluate` and `recalibrate` share.
//!
//! [`batch`] reads leads for a model, [`score_batch`] is the scoring step, [`reasons`] explains
//! a score and [`writer`] writes the scores and rejects files. [`score_file`] puts them
//! together for a whole lead file, in bounded memory.
//!
//! ```no_run
//! use leadscore::artifact::ModelArtifact;
//! use leadscore::progress::Silent;
//! use leadscore::scoring::{score_file, ScoreSettings};
//! use std::path::Path;
//!
//! # fn main() -> leadscore::Result<()> {
//! let artifact = ModelArtifact::load(Path::new("models/model.lsm"))?;
//! let settings = ScoreSettings::new("models/model.lsm", "new_leads.csv", "scored.csv");
//! let scored = score_file(&artifact, &settings, &Silent)?;
//! println!("{} leads scored, {} MQLs", scored.summary.scored, scored.summary.mqls);
//! scored.publish()?; // scored.csv appears only now, whole
//! # Ok(())
//! # }
//! ```

pub mod batch;
pub mod changes;
pub mod explain;
pub mod reasons;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

pub use batch::{read_batch, Batch, BatchInputs, BatchReader};
pub use writer::{default_rejects_path, reject_lines, rejects_header, writes_parquet, Header};

use crate::artifact::ModelArtifact;
use crate::data::events::ShapedEvents;
use crate::data::infer::BadCell;
use crate::drift::{DriftCounts, DriftReport, ACT};
use crate::error::{Error, Location, Result};
use crate::interrupt;
use crate::output::{remove_old, thousands, AtomicFile};
use crate::progress::Progress;
use crate::rules::adjustments::Adjustments;
use crate::rules::RuleSet;
use crate::scorer::LeadScore;
use reasons::Reasons;
use writer::{score_frame, score_lines, ScoresFile, Written};

/// Bytes of a CSV lead file read per batch, unless set.
pub const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// What to score and where the scores go, checked by the caller (the files exist, the
/// cutoff is a date).
#[derive(Debug, Clone)]
pub struct ScoreSettings {
    /// The model file, for messages.
    pub model_path: PathBuf,
    /// The leads (CSV or Parquet).
    pub data: PathBuf,
    /// Their events, when the model or its rules use events: files of the events form or
    /// exports of the shapes the model was trained with.
    pub events: Vec<PathBuf>,
    /// The cutoff of leads without a snapshot (seconds since 1970 UTC); default now.
    pub as_of: Option<i64>,
    /// The scores file: CSV, or Parquet by its extension.
    pub out: PathBuf,
    /// Where unreadable rows go.
    pub rejects: PathBuf,
    /// Input columns copied into the scores after the id.
    pub keep: Vec<String>,
    /// Bytes of a CSV lead file read per batch.
    pub batch_bytes: usize,
    /// An earlier scores file: each lead's change since it (`--previous`).
    pub previous: Option<PathBuf>,
    /// With `previous`: the changes that go to a triggers file (`--triggers`).
    pub triggers: Option<changes::Triggers>,
    /// Whether each lead's log-odds and the part each feature and rule gives are written
    /// (`--explain`).
    pub explain: bool,
    /// Leads that are closed are not scored: the column that says so and where they are listed.
    pub closed: Option<Closed>,
    /// Sales' manual points (`--adjustments`), added to the rule points.
    pub adjustments: Option<PathBuf>,
}

/// How a lead is known to be closed (won, lost, disqualified), and where closed leads go.
#[derive(Debug, Clone)]
pub struct Closed {
    /// The column that says so.
    pub column: String,
    /// Its values that mean closed (ignoring case); empty: the column is yes/no.
    pub values: Vec<String>,
    /// The list of closed leads (CSV: the id and the column's value).
    pub list: PathBuf,
}

impl Closed {
    /// Whether a cell of the column means closed.
    pub fn is_closed(&self, cell: &str) -> bool {
        let cell = cell.trim();
        if self.values.is_empty() {
            crate::data::infer::parse_bool(cell) == Some(true)
        } else {
            self.values.iter().any(|v| v.trim().eq_ignore_ascii_case(cell))
        }
    }
}

/// Where the closed leads of scores file `out` are listed: `NAME.closed.csv` beside it.
pub fn default_closed_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or("scores".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.closed.csv"))
}

impl ScoreSettings {
    /// Scores `data` with the model at `model_path` into `out`, rejects beside it, no events.
    pub fn new(model_path: impl Into<PathBuf>, data: impl Into<PathBuf>, out: impl Into<PathBuf>) -> ScoreSettings {
        let out = out.into();
        ScoreSettings {
            model_path: model_path.into(),
            data: data.into(),
            events: Vec::new(),
            as_of: None,
            rejects: default_rejects_path(&out),
            out,
            keep: Vec::new(),
            batch_bytes: BATCH_BYTES,
            previous: None,
            triggers: None,
            explain: false,
            closed: None,
            adjustments: None,
        }
    }
}

/// What scoring a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreSummary {
    /// Leads scored.
    pub scored: usize,
    /// Leads rejected (their rows are in the rejects file).
    pub rejected: usize,
    /// Scored leads at or above the MQL threshold.
    pub mqls: usize,
    /// Leads whose id an earlier lead of the file has (each is scored as it is).
    pub repeated_ids: usize,
    /// With earlier scores: leads per status, in [`changes::Status::ALL`] order.
    pub statuses: Option<[usize; 6]>,
    /// With earlier scores whose bands are not this model's: their band names (the file came
    /// from another model; its bands were placed by score on this model's cuts).
    pub other_bands: Option<Vec<String>>,
    /// Leads written to the triggers file.
    pub triggers: usize,
    /// Closed leads, listed and not scored.
    pub closed: usize,
    /// With adjustments: how many counted, and how many had expired.
    pub adjustments: Option<(usize, usize)>,
}

/// Scores written but not yet in place: [`Scored::publish`] renames the scores file (and the
/// rejects file, when some rows were rejected) into place; dropped, they leave nothing behind.
pub struct Scored {
    /// What was scored.
    pub summary: ScoreSummary,
    /// How far the scored leads drifted from the training leads.
    pub drift: DriftReport,
    scores: AtomicFile,
    rejects: Option<AtomicFile>,
    rejects_path: PathBuf,
    triggers: Option<AtomicFile>,
    closed: Option<AtomicFile>,
}

impl Scored {
    /// Refuses the scores when the score or a feature drifted past PSI [`ACT`]: nothing is
    /// written (what `--fail-on-drift` asks for).
    pub fn refuse_drift(self, data: &Path) -> Result<Scored> {
        if self.drift.worst() < ACT {
            return Ok(self);
        }
        Err(Error::rejected(
            Location::file(data),
            format!(
                "the leads drifted from the training leads (PSI {:.3} ≥ {ACT})",
                self.drift.worst()
            ),
            "retrain or recalibrate the model on recent leads, or score without --fail-on-drift",
        ))
    }

    /// Puts the scores (and rejects) files in place; a rejects file of an earlier run is
    /// removed when no row was rejected this time.
    pub fn publish(self) -> Result<()> {
        self.scores.publish()?;
        if let Some(triggers) = self.triggers {
            triggers.publish()?;
        }
        if let Some(closed) = self.closed {
            closed.publish()?;
        }
        match self.rejects {
            Some(rejects) => rejects.publish(),
            None => remove_old(&self.rejects_path),
        }
    }
}

/// The scoring step: the final (blended) log-odds of a batch's readable leads, their scores,
/// their counts in the drift histograms and their features' contributions.
pub fn score_batch(artifact: &ModelArtifact, batch: &Batch) -> crate::scorer::BatchScores {
    let final_z = artifact.final_log_odds(&batch.model_z, &batch.segments, |k| {
        batch.points.as_ref().map(|p| p.total[batch.rows[k]])
    });
    let own = artifact.segment_calibrations.iter().any(Option::is_some);
    let calibrated = |k: usize, z: f64| artifact.calibration_of(batch.segments[k]).apply(z);
    let mut scored = artifact.scorer.score(
        &artifact.pipeline,
        &artifact.input_steps(),
        &artifact.model,
        &batch.encoded,
        &batch.model_z,
        &final_z,
        own.then_some(&calibrated as &crate::scorer::Calibrate),
    );
    // Each segment's leads in the bins of its own training leads' scores.
    if let Some(segmentation) = &artifact.segments {
        let probabilities: Vec<f64> = scored.scores.iter().map(|s| s.probability).collect();
        let segment_of = |k: usize| segmentation.row_of(batch.segments[k]);
        (scored.drift).count_segments(&segmentation.score_reference, segment_of, &probabilities);
    }
    // Segments with bands of their own: their leads' band and MQL flag by those.
    let segment_bands = artifact.segment_bands();
    if let (false, Some(segmentation)) = (segment_bands.is_empty(), &artifact.segments) {
        let values =
            crate::model::segments::segment_values(&batch.table.features, batch.table.n_rows, &segmentation.column)
                .unwrap_or_default();
        for (score, &row) in scored.scores.iter_mut().zip(&batch.rows) {
            let value = values.get(row).and_then(Option::as_deref);
            if let Some((_, bands)) = segment_bands.iter().find(|(v, _)| Some(v.as_str()) == value) {
                score.band = bands.index_of(score.score);
                score.mql = score.score >= bands.mql;
            }
        }
    }
    scored
}

/// The events of `files`, read by the shapes of the model's `[[events.files]]`.
pub fn shaped_events(
    artifact: &ModelArtifact,
    files: &[PathBuf],
    progress: &dyn Progress,
) -> Result<Option<ShapedEvents>> {
    crate::data::require_files(
        &files
            .iter()
            .map(|f| (Some(f.as_path()), "--events"))
            .collect::<Vec<_>>(),
    )?;
    let missing = crate::data::infer::MissingTokens::new(&artifact.config.data.missing_values);
    ShapedEvents::prepare_noted(files, &artifact.config.events.files, &missing, progress)
}

/// Scores a whole lead file with `artifact`, batch by batch, into temporary files: memory stays
/// bounded whatever the file's length, and writing overlaps with scoring the next batch.
pub fn score_file(artifact: &ModelArtifact, settings: &ScoreSettings, progress: &dyn Progress) -> Result<Scored> {
    let rules = artifact.blended_rules(&settings.model_path)?;
    let id_header = artifact.schema.id_column.clone().unwrap_or_else(|| "row".to_string());
    let header = Header {
        id: id_header.clone(),
        kept: settings.keep.clone(),
        rule_points: rules.is_some(),
        segment: artifact.segments.is_some(),
        previous: settings.previous.is_some(),
        explain: if settings.explain {
            explain::column_names(artifact, rules.as_ref())
        } else {
            Vec::new()
        },
    };
    header.check()?;
    crate::data::require_files(&[(Some(&settings.data), "--data")])?;
    let previous = match &settings.previous {
        Some(path) => Some(crate::progress::step(progress, "reading the earlier scores", || {
            changes::Previous::read(path, &id_header, &header.explain)
        })?),
        None => None,
    };
    let events = shaped_events(artifact, &settings.events, progress)?;
    // The closed column is read with the kept ones, last, and taken off before writing.
    let mut keep = settings.keep.clone();
    if let Some(closed) = &settings.closed {
        if !crate::data::read::column_names(&settings.data)?.contains(&closed.column) {
            return Err(Error::rejected(
                Location::file(&settings.data).column(&closed.column),
                "the leads have no such column, which is to say which leads are closed",
                "name the column with --closed (or [data] closed), or score without it",
            ));
        }
        keep.push(closed.column.clone());
    }
    let inputs = BatchInputs {
        model_path: &settings.model_path,
        data: &settings.data,
        events: events.as_ref().map(ShapedEvents::path),
        as_of: settings.as_of,
        rules: rules.as_ref(),
        with_outcome: false,
        keep: &keep,
    };
    let mut reader = BatchReader::open(artifact, &inputs, Some(settings.batch_bytes.max(1)), progress)?;
    let (to_writer, writer) = spawn_writer(ScoresFile::create(&settings.out, &header)?);
    let adjustments = read_adjustments(
        artifact,
        settings.adjustments.as_deref(),
        rules.is_some(),
        settings.as_of,
    )?;
    let run = Run {
        artifact,
        settings,
        header: &header,
        rules: rules.as_ref(),
        previous: previous.as_ref(),
        adjustments: adjustments.as_ref(),
    };
    let scored = run.batches(&mut reader, &to_writer, progress);
    progress.finished();
    // The writer is always waited for, so that its temporary file is gone when scoring failed.
    let scores = finish_writing(to_writer, writer);
    let RunDone {
        summary,
        drift,
        rejects,
        triggers,
        closed,
        first_bad,
    } = scored?;
    if summary.scored == 0 && summary.closed == 0 {
        return Err(nothing_scored(&settings.data, &summary, first_bad));
    }
    let names: Vec<String> = artifact.pipeline.steps.iter().map(|s| s.feature.clone()).collect();
    let mut drift_report = drift.report(&artifact.scorer.drift, &names);
    if let Some(segmentation) = &artifact.segments {
        let psi = drift.segment_psi(&segmentation.score_reference);
        drift_report.segments = (psi.into_iter().enumerate())
            .filter_map(|(s, psi)| psi.map(|psi| (segmentation.name_of(s as u32).to_string(), psi)))
            .collect();
    }
    Ok(Scored {
        summary,
        drift: drift_report,
        scores: scores?,
        rejects,
        rejects_path: settings.rejects.clone(),
        triggers,
        closed,
    })
}

/// Sales' adjustments from `path`, those that count at the cutoff (`as_of`, else the model's
/// `[data] as_of`, else today); refused when the model blends no rule points to add them to.
pub fn read_adjustments(
    artifact: &ModelArtifact,
    path: Option<&Path>,
    blended: bool,
    as_of: Option<i64>,
) -> Result<Option<Adjustments>> {
    let Some(path) = path else {
        return Ok(None);
    };
    if !blended {
        return Err(Error::Usage(format!(
            "--adjustments {}: the model blends no rule points to add sales' points to; train it with --rules (or [[rules]] in the config) to use adjustments",
            path.display()
        )));
    }
    let model_as_of = (artifact.config.data.as_of.as_deref()).and_then(|t| crate::formats::parse_timestamp(t.trim()));
    let cutoff = as_of.or(model_as_of).unwrap_or_else(crate::data::today);
    Adjustments::read(path, artifact.schema.id_column.as_deref(), cutoff).map(Some)
}

/// What every batch of a run is scored with.
struct Run<'a> {
    artifact: &'a ModelArtifact,
    settings: &'a ScoreSettings,
    header: &'a Header,
    rules: Option<&'a RuleSet>,
    previous: Option<&'a changes::Previous>,
    adjustments: Option<&'a Adjustments>,
}

impl Run<'_> {
    /// Scores every batch of `reader`, sending the scores to the writer and the rejected rows
    /// to the rejects file.
    fn batches(
        &self,
        reader: &mut BatchReader,
        to_writer: &SyncSender<Written>,
        progress: &dyn Progress,
    ) -> Result<RunDone> {
        let parquet = writes_parquet(&self.settings.out);
        let mut rejects: Option<AtomicFile> = None;
        let mut first_bad: Option<BadCell> = None;
        let total = reader.progress().map(|(_, total)| total);
        progress.advanced(0, total, "reading the first batch");
        let mut drift = DriftCounts::default();
        let mut summary = ScoreSummary {
            scored: 0,
            rejected: 0,
            mqls: 0,
            repeated_ids: 0,
            statuses: self.previous.map(|_| [0; 6]),
            other_bands: (self.previous)
                .filter(|p| !p.same_bands(&self.artifact.scorer.bands))
                .map(|p| p.band_names().to_vec()),
            triggers: 0,
            closed: 0,
            adjustments: self.adjustments.map(|a| (a.counted, a.expired)),
        };
        let mut closed_list = match &self.settings.closed {
            Some(closed) => {
                let mut file = AtomicFile::create(&closed.list)?;
                file.write(&writer::csv_line(&[&self.header.id, &closed.column])?)?;
                Some(file)
            }
            None => None,
        };
        let mut triggers = match (&self.settings.triggers, self.previous) {
            (Some(t), Some(_)) => {
                let mut file = AtomicFile::create(&t.path)?;
                file.write(&triggers_header(&self.header.id)?)?;
                Some(file)
            }
            _ => None,
        };
        // 8 bytes a lead, for the count of repeated ids.
        let mut id_hashes: Vec<u64> = Vec::new();
        while let Some(mut batch) = reader.next_batch()? {
            interrupt::check()?;
            if let Some(adjustments) = self.adjustments {
                batch.adjust(adjustments);
            }
            if let (Some(closed), Some(file)) = (&self.settings.closed, closed_list.as_mut()) {
                let cells = batch.kept.pop().unwrap_or_default();
                let open: Vec<bool> = batch.rows.iter().map(|&r| !closed.is_closed(&cells[r])).collect();
                for (k, _) in open.iter().enumerate().filter(|(_, open)| !**open) {
                    let row = batch.rows[k];
                    file.write(&writer::csv_line(&[&batch.table.ids[row], &cells[row]])?)?;
                    summary.closed += 1;
                }
                batch.retain(&open);
            }
            let crate::scorer::BatchScores {
                scores,
                drift: counts,
                contributions,
            } = score_batch(self.artifact, &batch);
            drift.add(&counts);
            let reasons = Reasons::new(self.artifact, &batch, self.rules);
            let changes: Option<Vec<changes::Change>> = self.previous.map(|previous| {
                let bands = &self.artifact.scorer.bands;
                (batch.rows.iter().zip(&scores))
                    .map(|(&row, s)| previous.change(&batch.table.ids[row], s.band, s.mql, bands))
                    .collect()
            });
            if let (Some(changes), Some(counted)) = (&changes, summary.statuses.as_mut()) {
                for change in changes {
                    counted[changes::Status::ALL
                        .iter()
                        .position(|s| *s == change.status)
                        .unwrap_or(0)] += 1;
                }
            }
            let explained =
                (self.settings.explain).then(|| explain::explain(self.artifact, &batch, self.rules, &contributions));
            drop(contributions);
            if let (Some(file), Some(changes), Some(wanted)) = (triggers.as_mut(), &changes, &self.settings.triggers) {
                let why = Why {
                    reasons: &reasons,
                    explained: explained.as_deref(),
                    previous: self.previous,
                    names: &self.header.explain,
                };
                let (lines, fired) = trigger_lines(self.artifact, &batch, &scores, changes, &why, wanted)?;
                file.write(&lines)?;
                summary.triggers += fired;
            }
            let written = if parquet {
                Written::Parquet(score_frame(
                    self.artifact,
                    self.header,
                    &batch,
                    &scores,
                    reasons.all(&scores),
                    changes.as_deref(),
                    explained.as_deref(),
                )?)
            } else {
                Written::Csv(score_lines(
                    self.artifact,
                    &batch,
                    &scores,
                    &reasons,
                    changes.as_deref(),
                    explained.as_deref(),
                ))
            };
            if to_writer.send(written).is_err() {
                // The writer stopped: its error is returned when it is waited for.
                return Err(Error::Runtime("the writer of the scores stopped unexpectedly".into()));
            }
            if let Some(bad) = batch.table.bad_cells.first().filter(|_| first_bad.is_none()) {
                first_bad = Some(BadCell {
                    row: bad.row + batch.row_offset,
                    ..bad.clone()
                });
            }
            if !batch.table.bad_cells.is_empty() {
                let file = match rejects.as_mut() {
                    Some(file) => file,
                    None => {
                        let mut file = AtomicFile::create(&self.settings.rejects)?;
                        file.write(&rejects_header(&self.header.id)?)?;
                        rejects.insert(file)
                    }
                };
                file.write(&reject_lines(&batch)?)?;
            }
            if self.artifact.schema.id_column.is_some() {
                id_hashes.extend(batch.table.ids.iter().map(|id| crate::data::id_hash(id)));
            }
            summary.scored += batch.rows.len();
            summary.rejected += batch.table.n_rows - batch.rows.len();
            summary.mqls += scores.iter().filter(|s| s.mql).count();
            let done = reader.progress().map_or(0, |(done, _)| done);
            progress.advanced(done, total, &format!("{} leads scored", thousands(summary.scored)));
        }
        summary.repeated_ids = crate::data::repeated_ids(&mut id_hashes);
        Ok(RunDone {
            summary,
            drift,
            rejects,
            triggers,
            closed: closed_list,
            first_bad,
        })
    }
}

/// What a run of batches leaves: its counts, the drift counts, the rejects and triggers files
/// (not yet in place), and the first unreadable cell.
struct RunDone {
    summary: ScoreSummary,
    drift: DriftCounts,
    rejects: Option<AtomicFile>,
    triggers: Option<AtomicFile>,
    closed: Option<AtomicFile>,
    first_bad: Option<BadCell>,
}

/// The header of a triggers file: the id, the earlier and the new score, the change, the status,
/// the band, and why.
pub fn triggers_header(id: &str) -> Result<Vec<u8>> {
    writer::csv_line(&[id, "previous_score", "score", "change", "status", "band", "reasons"])
}

/// What a trigger's reasons are made of: the parts that moved since the earlier scores when both
/// files explain themselves, else the lead's reasons now.
struct Why<'a> {
    reasons: &'a Reasons<'a>,
    explained: Option<&'a [(f64, Vec<f64>)]>,
    previous: Option<&'a changes::Previous>,
    /// The explanation columns (`log_odds`, then the parts).
    names: &'a [String],
}

impl Why<'_> {
    fn write(&self, out: &mut String, batch: &Batch, k: usize, score: &LeadScore) {
        let id = &batch.table.ids[batch.rows[k]];
        let earlier = self.previous.and_then(|p| p.parts(id));
        if let (Some((_, parts)), Some(earlier)) = (self.explained.map(|e| &e[k]), earlier) {
            changes::moved_parts(out, &self.names[1..], parts, earlier);
        } else {
            self.reasons.write(out, k, score);
        }
    }
}

/// The triggers among a batch's leads as CSV lines, and how many: the id, the earlier and the
/// new score, the change, the status, the band, and why.
fn trigger_lines(
    artifact: &ModelArtifact,
    batch: &Batch,
    scores: &[LeadScore],
    changes: &[changes::Change],
    why: &Why,
    triggers: &changes::Triggers,
) -> Result<(Vec<u8>, usize)> {
    let mut bytes = Vec::new();
    let mut fired = 0;
    let mut text = String::new();
    for (k, (score, change)) in scores.iter().zip(changes).enumerate() {
        if !triggers.fires(change, score.score) {
            continue;
        }
        fired += 1;
        text.clear();
        why.write(&mut text, batch, k, score);
        let number = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x}"));
        bytes.extend(writer::csv_line(&[
            &batch.table.ids[batch.rows[k]],
            &number(change.previous),
            &number(Some(score.score)),
            &change.points(score.score).map_or(String::new(), |p| format!("{p:+}")),
            change.status.word(),
            &artifact.scorer.bands.names[score.band],
            &text,
        ])?);
    }
    Ok((bytes, fired))
}

/// The error when no lead of a file could be scored: where the first bad cell was, and what
/// usually makes every row unreadable.
pub fn nothing_scored(data: &Path, summary: &ScoreSummary, first_bad: Option<BadCell>) -> Error {
    let Some(bad) = first_bad else {
        return Error::rejected(Location::file(data), "the file has no leads", "export the leads again");
    };
    let mut location = Location::file(data).column(&bad.column).row(bad.row + 1);
    if let Some(line) = bad.line {
        location = location.line(line);
    }
    Error::rejected(
        location,
        format!(
            "none of the {} leads could be scored; the first: {}",
            thousands(summary.rejected),
            bad.problem
        ),
        "every row was rejected: check that the file is the kind of export the model was trained on (its separator, its decimal separator, its date format)",
    )
}

/// The writer of the scores file on its own thread, fed one batch at a time: one more batch
/// may wait (more would only hold memory: writing is faster than scoring).
fn spawn_writer(mut scores_file: ScoresFile) -> (SyncSender<Written>, JoinHandle<Result<AtomicFile>>) {
    let (to_writer, batches_to_write) = sync_channel::<Written>(1);
    let writer = std::thread::spawn(move || -> Result<AtomicFile> {
        for batch in batches_to_write {
            scores_file.write(batch)?;
        }
        scores_file.finish()
    });
    (to_writer, writer)
}

/// Tells the writer there is no more and waits for the finished file (or its error).
fn finish_writing(to_writer: SyncSender<Written>, writer: JoinHandle<Result<AtomicFile>>) -> Result<AtomicFile> {
    drop(to_writer);
    writer
        .join()
        .map_err(|_| Error::Runtime("the writer of the scores stopped unexpectedly".into()))?
}
