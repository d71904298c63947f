//! `leadscore score`: a new batch of leads in, one calibrated 0–100 score per lead out, with
//! percentile, band, MQL flag, fit and engagement, and the reasons; rows that cannot be scored
//! go to a rejects file with their line and reason.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::io::parquet::write::{BatchedWriter, ParquetWriter};
use polars::prelude::{Column, DataFrame, DataType, Schema};
use rayon::prelude::*;

use super::{events_and_points, Steps};
use crate::artifact::ModelArtifact;
use crate::blend::final_log_odds;
use crate::cli::ScoreArgs;
use crate::config::Config;
use crate::data::events::{check_matched, EventCounts, EventSource};
use crate::data::events::{ChunkIndex, EventParts};
use crate::data::infer::MissingTokens;
use crate::data::read::{is_parquet, read_frame, CsvChunks, CsvFrames, RawFrame};
use crate::data::values::Values;
use crate::data::{column_as_text, lead_ids, leads_from_frame, parse_as_of, ColumnChoice, FeatureColumn, LeadTable};
use crate::drift::DriftCounts;
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::output::thousands;
use crate::output::{push_csv_field, push_fixed, push_number};
use crate::rules::{engine::Points, RuleSet};
use crate::scorer::{describe, LeadScore};

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
    /// The leads as read (rows numbered from 0 within this batch).
    pub table: LeadTable,
    /// Rows that could be read (the others are in `table.bad_cells`).
    pub rows: Vec<usize>,
    /// Model inputs of `rows`.
    pub encoded: EncodedLeads,
    /// Rule points of every lead of `table`, when there are rules.
    pub points: Option<Points>,
    /// The model's own log-odds of `rows`.
    pub model_z: Vec<f64>,
    /// Data rows of the file before this batch.
    pub row_offset: usize,
    /// The `--keep` columns as text, for every lead of `table`.
    pub kept: Vec<Vec<String>>,
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
    /// Input columns passed through to the output as they are (`--keep`).
    pub keep: &'a [String],
}

enum Source {
    /// A CSV file read chunk by chunk, one chunk ahead.
    Chunks(CsvFrames),
    /// A whole file (Parquet, or all the leads at once for recalibration), read once.
    Whole(Option<RawFrame>),
}

/// Reads leads for a model, chunk by chunk where it can: exactly the columns the model (and the
/// rules) read, typed as in training; unreadable rows are set aside; events aggregated with the
/// model's spec.
pub struct BatchReader<'a> {
    artifact: &'a ModelArtifact,
    inputs: &'a BatchInputs<'a>,
    config: Config,
    choice: ColumnChoice,
    as_of: Option<i64>,
    missing: MissingTokens,
    source: Source,
    /// The events split by chunk of leads, when the leads are read in more than one chunk.
    parts: Option<EventParts>,
    /// Chunks read so far.
    chunk: usize,
    /// Events of the chunks so far that belong to a lead before its cutoff.
    events_used: usize,
}

impl<'a> BatchReader<'a> {
    /// Checks the inputs and opens the leads; with `chunk_bytes` a CSV file is read that many
    /// bytes at a time (leads whose events must be joined are read whole).
    pub fn open(
        artifact: &'a ModelArtifact,
        inputs: &'a BatchInputs<'a>,
        chunk_bytes: Option<usize>,
    ) -> Result<BatchReader<'a>> {
        super::require_files(&[(Some(inputs.data), "--data"), (inputs.events, "--events")])?;
        let needs_events = artifact.events.is_some() || inputs.rules.is_some_and(RuleSet::needs_events);
        if needs_events && inputs.events.is_none() {
            return Err(Error::Usage(format!(
                "{} (or its rules) uses events: pass the events of these leads with --events",
                inputs.model_path.display()
            )));
        }
        // Without a snapshot column or --as-of, dates and events are taken as of now.
        let as_of = inputs
            .as_of
            .or(artifact.config.data.as_of.as_deref())
            .map(parse_as_of)
            .transpose()?;
        let as_of = Some(as_of.unwrap_or_else(|| chrono::Utc::now().timestamp()));
        let mut config = artifact.config.clone();
        config.features.include.clear();
        config.features.exclude.clear();
        for (column, kind) in &artifact.schema.columns {
            config.features.types.insert(column.clone(), *kind);
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
        let missing = MissingTokens::new(&config.data.missing_values);
        let (source, parts) = match chunk_bytes {
            Some(bytes) if !is_parquet(inputs.data) => {
                let mut wanted = choice.required.clone();
                wanted.extend(inputs.keep.iter().filter(|k| !choice.required.contains(k)).cloned());
                let parts = match inputs.events.filter(|_| needs_events) {
                    Some(events) => split_events(inputs.data, choice.id.as_deref(), events, bytes, &missing)?,
                    None => None,
                };
                (
                    Source::Chunks(CsvChunks::open(inputs.data, bytes)?.only(&wanted).ahead()),
                    parts,
                )
            }
            _ => (Source::Whole(Some(read_frame(inputs.data)?)), None),
        };
        Ok(BatchReader {
            artifact,
            inputs,
            config,
            choice,
            as_of,
            missing,
            source,
            parts,
            chunk: 0,
            events_used: 0,
        })
    }

    /// Bytes of the lead file read so far and in all, when it is read in chunks.
    pub fn progress(&self) -> Option<(u64, u64)> {
        match &self.source {
            Source::Chunks(frames) => Some((frames.consumed, frames.total)),
            Source::Whole(_) => None,
        }
    }

    /// The next batch of leads, or `None` at the end of the file.
    pub fn next_batch(&mut self) -> Result<Option<Batch>> {
        let frame = match &mut self.source {
            Source::Chunks(frames) => match frames.next_frame()? {
                Some(frame) => frame,
                None => {
                    if let Some(parts) = self.parts.as_ref().filter(|_| self.artifact.events.is_some()) {
                        let counts = EventCounts {
                            read: parts.read,
                            used: self.events_used,
                            ..EventCounts::default()
                        };
                        check_matched(&parts.source, &counts)?;
                    }
                    return Ok(None);
                }
            },
            Source::Whole(frame) => match frame.take() {
                Some(frame) => frame,
                None => return Ok(None),
            },
        };
        let row_offset = frame.row_offset;
        let kept = (self.inputs.keep.iter())
            .map(|name| column_as_text(&frame, name, "kept", "--keep"))
            .collect::<Result<Vec<_>>>()?;
        let mut table = leads_from_frame(frame, &self.choice, &self.config, self.inputs.with_outcome, self.as_of)?;
        let events = match (&self.parts, self.inputs.events) {
            (Some(parts), _) => Some(EventSource::Part(parts, self.chunk)),
            (None, events) => events.map(EventSource::File),
        };
        self.chunk += 1;
        // The events are streamed once for the batch (or its part of them read), for the event
        // features and the rules together: never held in memory.
        let (counts, points) = events_and_points(
            &mut table,
            events,
            self.artifact.events.as_ref(),
            self.inputs.rules,
            &self.missing,
        )?;
        self.events_used += counts.map_or(0, |c| c.used);
        let rejected: BTreeSet<usize> = table.bad_cells.iter().map(|b| b.row).collect();
        let rows: Vec<usize> = (0..table.n_rows).filter(|r| !rejected.contains(r)).collect();
        let encoded = self
            .artifact
            .pipeline
            .transform(&table.features, &rows)
            .map_err(|feature| {
                Error::rejected(
                    Location::file(self.inputs.data).column(feature),
                    "the model needs this feature",
                    "score leads with the columns the model was trained on",
                )
            })?;
        let model_z = self.artifact.model.log_odds(&encoded);
        Ok(Some(Batch {
            table,
            rows,
            encoded,
            points,
            model_z,
            row_offset,
            kept,
        }))
    }
}

/// Splits `events` by the chunks of `bytes` the lead file is read in, when there is more than
/// one: the leads are read once for their ids (from `id_column`, or numbered), the events once.
fn split_events(
    data: &Path,
    id_column: Option<&str>,
    events: &Path,
    bytes: usize,
    missing: &MissingTokens,
) -> Result<Option<EventParts>> {
    if std::fs::metadata(data).is_ok_and(|m| m.len() <= bytes as u64) {
        // One chunk: its events are streamed from the file itself.
        return Ok(None);
    }
    let mut index = ChunkIndex::default();
    let id: Vec<String> = id_column.iter().map(|c| c.to_string()).collect();
    let mut frames = CsvChunks::open(data, bytes)?.only(&id).ahead();
    while let Some(frame) = frames.next_frame()? {
        index.add_chunk(&lead_ids(&frame, id_column)?);
    }
    if index.chunks() <= 1 {
        return Ok(None);
    }
    let spinner = super::progress_bar(None);
    spinner.set_message(format!(
        "splitting {} by batch of leads ({} batches)",
        events.display(),
        index.chunks()
    ));
    let parts = EventParts::split(events, missing, index);
    spinner.finish_and_clear();
    parts.map(Some)
}

/// Reads all the leads of `inputs` as one batch (for recalibration, which needs them together).
pub fn read_batch(artifact: &ModelArtifact, inputs: &BatchInputs, steps: &Steps) -> Result<Batch> {
    let mut reader = BatchReader::open(artifact, inputs, None)?;
    let batch = steps.step("reading leads", || reader.next_batch())?;
    batch.ok_or_else(|| {
        Error::rejected(
            Location::file(inputs.data),
            "the file has no rows",
            "export the leads again",
        )
    })
}

/// A file being written: a temporary file beside its final path until [`Output::publish`].
struct Output {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Output {
    fn create(path: &Path) -> Result<Output> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the folder", e))?;
        let temp = tempfile::Builder::new()
            .prefix(".leadscore.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, "creating a temporary file in", e))?;
        Ok(Output {
            temp,
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.temp
            .as_file_mut()
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, "writing", e))
    }

    fn publish(self) -> Result<()> {
        crate::output::publish(self.temp, &self.path)
    }
}

/// Whether scores go to `path` as Parquet (by its extension) rather than CSV.
fn writes_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

/// The scores file: CSV text, or Parquet written one row group per batch.
enum ScoresFile {
    Csv(Output),
    Parquet(Output, Box<BatchedWriter<std::fs::File>>),
}

/// One batch of scored leads on its way to the writer.
enum Written {
    /// Lines in parts, written one after the other.
    Csv(Vec<Vec<u8>>),
    Parquet(DataFrame),
}

impl ScoresFile {
    fn create(path: &Path, header: &Header) -> Result<ScoresFile> {
        let mut output = Output::create(path)?;
        if !writes_parquet(path) {
            output.write(&csv_line(&header.names())?)?;
            return Ok(ScoresFile::Csv(output));
        }
        let file = output
            .temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::io(path, "opening", e))?;
        let writer = ParquetWriter::new(file)
            .batched(&header.parquet_schema())
            .map_err(|e| Error::Runtime(format!("writing {}: {e}", path.display())))?;
        Ok(ScoresFile::Parquet(output, Box::new(writer)))
    }

    fn write(&mut self, batch: Written) -> Result<()> {
        match (self, batch) {
            (ScoresFile::Csv(output), Written::Csv(parts)) => parts.iter().try_for_each(|part| output.write(part)),
            (ScoresFile::Parquet(output, writer), Written::Parquet(frame)) => writer
                .write_batch(&frame)
                .map_err(|e| Error::Runtime(format!("writing {}: {e}", output.path.display()))),
            _ => Err(Error::Runtime("scores of the wrong format for the output file".into())),
        }
    }

    fn finish(self) -> Result<Output> {
        match self {
            ScoresFile::Csv(output) => Ok(output),
            ScoresFile::Parquet(output, writer) => {
                writer
                    .finish()
                    .map_err(|e| Error::Runtime(format!("writing {}: {e}", output.path.display())))?;
                Ok(output)
            }
        }
    }
}

/// The columns of the scores file.
struct Header {
    id: String,
    kept: Vec<String>,
    rule_points: bool,
}

/// Output columns after the id and the kept columns.
const SCORE_COLUMNS: [&str; 6] = ["score", "probability", "percentile", "band", "mql", "model_probability"];
/// Output columns after the rule points.
const PART_COLUMNS: [&str; 3] = ["fit", "engagement", "reasons"];

impl Header {
    fn names(&self) -> Vec<&str> {
        let mut names = vec![self.id.as_str()];
        names.extend(self.kept.iter().map(String::as_str));
        names.extend(SCORE_COLUMNS);
        if self.rule_points {
            names.push("rule_points");
        }
        names.extend(PART_COLUMNS);
        names
    }

    fn parquet_schema(&self) -> Schema {
        let mut schema = Schema::default();
        schema.insert(self.id.as_str().into(), DataType::String);
        for name in &self.kept {
            schema.insert(name.as_str().into(), DataType::String);
        }
        let kinds = [
            DataType::Int32,
            DataType::Float64,
            DataType::Float64,
            DataType::String,
            DataType::Boolean,
            DataType::Float64,
        ];
        for (name, kind) in SCORE_COLUMNS.iter().zip(kinds) {
            schema.insert((*name).into(), kind);
        }
        if self.rule_points {
            schema.insert("rule_points".into(), DataType::Float64);
        }
        for (name, kind) in PART_COLUMNS
            .iter()
            .zip([DataType::String, DataType::Float64, DataType::String])
        {
            schema.insert((*name).into(), kind);
        }
        schema
    }

    /// Refuses kept columns that would repeat an output column.
    fn check(&self) -> Result<()> {
        let names = self.names();
        for (k, name) in names.iter().enumerate() {
            if names[..k].contains(name) {
                return Err(Error::Usage(format!(
                    "--keep {name}: the scores file already has a column called \"{name}\"; keep each input column once, and not the id or an output column"
                )));
            }
        }
        Ok(())
    }
}

/// Runs `score`.
pub fn run(args: &ScoreArgs) -> Result<ScoreSummary> {
    let started = std::time::Instant::now();
    let artifact = ModelArtifact::load(&args.model)?;
    let rejects_path = args.rejects.clone().unwrap_or_else(|| default_rejects_path(&args.out));
    let rules = artifact.blended_rules(&args.model)?;
    let id_header = artifact.schema.id_column.clone().unwrap_or_else(|| "row".to_string());
    let header = Header {
        id: id_header.clone(),
        kept: args.keep.clone(),
        rule_points: rules.is_some(),
    };
    header.check()?;
    let inputs = BatchInputs {
        model_path: &args.model,
        data: &args.data,
        events: args.events.as_deref(),
        as_of: args.as_of.as_deref(),
        rules: rules.as_ref(),
        with_outcome: false,
        keep: &args.keep,
    };
    let mut reader = BatchReader::open(&artifact, &inputs, Some(args.batch_mib.max(1) as usize * 1024 * 1024))?;
    let parquet = writes_parquet(&args.out);
    let mut scores_file = ScoresFile::create(&args.out, &header)?;
    let mut rejects_file: Option<Output> = None;
    // Writing overlaps with scoring the next batch; one more batch may wait (more would only
    // hold memory: writing is faster than scoring).
    let (to_writer, batches_to_write) = std::sync::mpsc::sync_channel::<Written>(1);
    let writer = std::thread::spawn(move || -> Result<Output> {
        for batch in batches_to_write {
            scores_file.write(batch)?;
        }
        scores_file.finish()
    });
    let finish_writing = |to_writer: std::sync::mpsc::SyncSender<Written>,
                          writer: std::thread::JoinHandle<Result<Output>>| {
        drop(to_writer);
        writer
            .join()
            .map_err(|_| Error::Runtime("the writer of the scores stopped unexpectedly".into()))?
    };

    let bar = super::progress_bar(reader.progress().map(|(_, total)| total));
    bar.set_message("reading the first batch");
    let names: Vec<String> = artifact.pipeline.steps.iter().map(|s| s.feature.clone()).collect();
    let (mut drift, mut scored, mut rejected, mut mqls) = (DriftCounts::default(), 0usize, 0usize, 0usize);
    while let Some(batch) = reader.next_batch()? {
        let final_z = final_log_odds(artifact.blend.as_ref(), &batch.model_z, |k| {
            batch.points.as_ref().map(|p| p.total[batch.rows[k]])
        });
        let (scores, counts) = artifact.scorer.score(
            &artifact.pipeline,
            &artifact.model,
            &batch.encoded,
            &batch.model_z,
            &final_z,
        );
        drift.add(&counts);
        let reasons = Reasons::new(&artifact, &batch, rules.as_ref());
        let written = if parquet {
            Written::Parquet(score_frame(&artifact, &header, &batch, &scores, reasons.all(&scores))?)
        } else {
            Written::Csv(score_lines(&artifact, &batch, &scores, &reasons))
        };
        if to_writer.send(written).is_err() {
            // The writer stopped: its error says why.
            finish_writing(to_writer, writer)?;
            return Err(Error::Runtime("the writer of the scores stopped unexpectedly".into()));
        }
        if !batch.table.bad_cells.is_empty() {
            if rejects_file.is_none() {
                let mut file = Output::create(&rejects_path)?;
                file.write(&csv_line(&[
                    "row",
                    "line",
                    id_header.as_str(),
                    "column",
                    "value",
                    "reason",
                ])?)?;
                rejects_file = Some(file);
            }
            if let Some(file) = rejects_file.as_mut() {
                file.write(&reject_lines(&batch)?)?;
            }
        }
        scored += batch.rows.len();
        rejected += batch.table.n_rows - batch.rows.len();
        mqls += scores.iter().filter(|s| s.mql).count();
        bar.set_message(format!("{} leads scored", thousands(scored)));
        if let Some((done, _)) = reader.progress() {
            bar.set_position(done);
        }
    }
    bar.finish_and_clear();
    let scores_file = finish_writing(to_writer, writer)?;
    let report = drift.report(&artifact.scorer.drift, &names);
    eprintln!("{}", report.describe());
    if args.fail_on_drift && report.worst() >= crate::drift::ACT {
        // The temporary outputs are removed when dropped: nothing is written.
        return Err(Error::rejected(
            Location::file(&args.data),
            format!(
                "the leads drifted from the training leads (PSI {:.3} ≥ {})",
                report.worst(),
                crate::drift::ACT
            ),
            "retrain or recalibrate the model on recent leads, or score without --fail-on-drift",
        ));
    }
    scores_file.publish()?;
    if let Some(file) = rejects_file {
        file.publish()?;
    }
    println!(
        "scored {} leads ({} MQLs at score ≥ {}) → {} in {:.1} s",
        thousands(scored),
        thousands(mqls),
        artifact.scorer.bands.mql,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    if rejected > 0 {
        eprintln!(
            "warning: {} leads could not be scored and were written to {} with the reason",
            thousands(rejected),
            rejects_path.display()
        );
    }
    Ok(ScoreSummary { scored, rejected })
}

/// One CSV record as bytes.
pub fn csv_line(fields: &[&str]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| Error::Runtime(format!("formatting CSV: {e}")))?;
    writer
        .into_inner()
        .map_err(|e| Error::Runtime(format!("formatting CSV: {e}")))
}

/// Writes the reasons of scored leads in the field's words: the features that move a lead most,
/// then the two rules that gave it the most points.
struct Reasons<'a> {
    artifact: &'a ModelArtifact,
    batch: &'a Batch,
    rules: Option<&'a RuleSet>,
    /// The batch's column behind each pipeline step.
    columns: Vec<Option<&'a FeatureColumn>>,
}

impl<'a> Reasons<'a> {
    fn new(artifact: &'a ModelArtifact, batch: &'a Batch, rules: Option<&'a RuleSet>) -> Reasons<'a> {
        let columns = (artifact.pipeline.steps.iter())
            .map(|s| batch.table.features.iter().find(|f| f.name == s.feature))
            .collect();
        Reasons {
            artifact,
            batch,
            rules,
            columns,
        }
    }

    /// The reasons of scored lead `k` (position in `batch.rows`), after what `out` holds.
    fn write(&self, out: &mut String, k: usize, score: &LeadScore) {
        let row = self.batch.rows[k];
        for (n, &(step, shift)) in score.top_moves.iter().enumerate() {
            if n > 0 {
                out.push_str("; ");
            }
            let value = self.columns[step].and_then(|c| shown_value(c, row));
            describe(out, &self.artifact.pipeline.steps[step].feature, shift, value);
        }
        if let (Some(points), Some(rules)) = (&self.batch.points, self.rules) {
            let mut fired = points.fired[row].clone();
            fired.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            for (rule, given) in fired.into_iter().take(2) {
                if !out.is_empty() {
                    out.push_str("; ");
                }
                let sign = if given >= 0.0 { "+" } else { "−" };
                write!(out, "{sign} rule {} ({given:+})", rules.rules[rule].rule.name).expect("writing to memory");
            }
        }
    }

    /// The reasons of every scored lead, worked out in parallel.
    fn all(&self, scores: &[LeadScore]) -> Vec<String> {
        (scores.par_iter().enumerate())
            .map(|(k, score)| {
                let mut out = String::new();
                self.write(&mut out, k, score);
                out
            })
            .collect()
    }
}

/// The scored rows of a batch as CSV lines, formatted in parallel, in parts.
fn score_lines(artifact: &ModelArtifact, batch: &Batch, scores: &[LeadScore], reasons: &Reasons) -> Vec<Vec<u8>> {
    (0..scores.len())
        .collect::<Vec<_>>()
        .par_chunks(4096)
        .map(|positions| {
            let mut line = Vec::with_capacity(positions.len() * 256);
            let mut text = String::new();
            for &k in positions {
                let (row, score) = (batch.rows[k], &scores[k]);
                push_csv_field(&mut line, &batch.table.ids[row]);
                for column in &batch.kept {
                    line.push(b',');
                    push_csv_field(&mut line, &column[row]);
                }
                line.push(b',');
                push_number(&mut line, score.score);
                line.push(b',');
                push_fixed(&mut line, score.probability, 6);
                line.push(b',');
                push_fixed(&mut line, score.percentile, 1);
                line.push(b',');
                push_csv_field(&mut line, &artifact.scorer.bands.names[score.band]);
                line.extend_from_slice(if score.mql { b",true," } else { b",false," });
                push_fixed(&mut line, score.model_probability, 6);
                if let Some(points) = &batch.points {
                    line.push(b',');
                    push_number(&mut line, points.total[row]);
                }
                line.push(b',');
                line.extend_from_slice(score.fit.as_bytes());
                line.push(b',');
                push_number(&mut line, score.engagement);
                line.push(b',');
                text.clear();
                reasons.write(&mut text, k, score);
                push_csv_field(&mut line, &text);
                line.push(b'\n');
            }
            line
        })
        .collect()
}

/// The scored rows of a batch as a frame with typed columns, for Parquet.
fn score_frame(
    artifact: &ModelArtifact,
    header: &Header,
    batch: &Batch,
    scores: &[LeadScore],
    reasons: Vec<String>,
) -> Result<DataFrame> {
    let text = |name: &str, rows: &[String]| -> Column {
        Column::new(
            name.into(),
            batch.rows.iter().map(|&r| rows[r].as_str()).collect::<Vec<_>>(),
        )
    };
    let number = |name: &str, value: &dyn Fn(&LeadScore) -> f64| -> Column {
        Column::new(name.into(), scores.iter().map(value).collect::<Vec<f64>>())
    };
    let mut columns = vec![text(&header.id, &batch.table.ids)];
    for (name, rows) in header.kept.iter().zip(&batch.kept) {
        columns.push(text(name, rows));
    }
    columns.extend([
        Column::new(
            "score".into(),
            scores.iter().map(|s| s.score as i32).collect::<Vec<i32>>(),
        ),
        number("probability", &|s| s.probability),
        number("percentile", &|s| s.percentile),
        Column::new(
            "band".into(),
            scores
                .iter()
                .map(|s| artifact.scorer.bands.names[s.band].as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new("mql".into(), scores.iter().map(|s| s.mql).collect::<Vec<bool>>()),
        number("model_probability", &|s| s.model_probability),
    ]);
    if let Some(points) = &batch.points {
        columns.push(Column::new(
            "rule_points".into(),
            batch.rows.iter().map(|&r| points.total[r]).collect::<Vec<f64>>(),
        ));
    }
    columns.extend([
        Column::new("fit".into(), scores.iter().map(|s| s.fit).collect::<Vec<_>>()),
        number("engagement", &|s| s.engagement),
        Column::new("reasons".into(), reasons),
    ]);
    DataFrame::new(scores.len(), columns).map_err(|e| Error::Runtime(format!("assembling the scores: {e}")))
}

/// The unreadable rows of a batch as CSV bytes: row, line, id, column, value, reason.
pub fn reject_lines(batch: &Batch) -> Result<Vec<u8>> {
    let table = &batch.table;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for bad in &table.bad_cells {
        let row = bad.row + batch.row_offset;
        let line = bad.line.map(|l| l.to_string()).unwrap_or_default();
        writer
            .write_record([
                (row + 1).to_string().as_str(),
                &line,
                table.ids[bad.row].as_str(),
                &bad.column,
                &bad.value,
                &bad.problem,
            ])
            .map_err(|e| Error::Runtime(format!("formatting CSV: {e}")))?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Runtime(format!("formatting CSV: {e}")))
}

/// `scored.csv` → `scored.rejects.csv` beside it.
fn default_rejects_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("scores");
    out.with_file_name(format!("{stem}.rejects.csv"))
}

/// A feature's value for a lead, as a person would write it.
fn shown_value(column: &FeatureColumn, row: usize) -> Option<Shown<'_>> {
    match &column.values {
        Values::Numeric(v) => (!v[row].is_nan()).then_some(Shown::Number(v[row])),
        Values::Boolean(v) => (!v[row].is_nan()).then_some(Shown::Text(if v[row] == 1.0 { "yes" } else { "no" })),
        Values::Categorical(c) => c.get(row).map(Shown::Text),
        Values::Datetime(t) => t[row].map(Shown::Integer),
    }
}

/// A value in a reason.
enum Shown<'a> {
    Text(&'a str),
    Integer(i64),
    /// Whole numbers without decimals, others with two.
    Number(f64),
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Shown::Text(text) => f.write_str(text),
            Shown::Integer(n) => write!(f, "{n}"),
            Shown::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{}", x as i64),
            Shown::Number(x) => write!(f, "{x:.2}"),
        }
    }
}
