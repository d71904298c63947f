//! Leads read for a model, batch by batch: exactly the columns the model and its rules read,
//! typed as in training, unreadable rows set aside for the rejects file, the events aggregated
//! with the model's spec and the rule points counted in the same pass.

use std::collections::BTreeSet;
use std::path::Path;

use crate::artifact::ModelArtifact;
use crate::config::Config;
use crate::data::events::{check_matched, ChunkIndex, EventCounts, EventParts, EventSource};
use crate::data::infer::MissingTokens;
use crate::data::read::{is_parquet, read_frame, CsvChunks, CsvFrames, RawFrame};
use crate::data::{column_as_text, lead_ids, leads_from_frame, parse_as_of, require_files, ColumnChoice, LeadTable};
use crate::enrich::events_and_points;
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::progress::{step, Progress};
use crate::rules::{engine::Points, RuleSet};

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
    /// With segments: the segment of each of `rows` whose model scored it (`NONE`: the
    /// shared model); empty without.
    pub segments: Vec<u32>,
    /// With sales' adjustments: each lead of `table`'s manual points (in `points.total` too)
    /// and their reasons in words; empty without.
    pub adjusted: Vec<(f64, String)>,
}

impl Batch {
    /// Adds sales' manual points to each lead's rule points (the model must blend rule points).
    pub fn adjust(&mut self, adjustments: &crate::rules::adjustments::Adjustments) {
        let Some(points) = self.points.as_mut() else {
            return;
        };
        self.adjusted = (self.table.ids.iter())
            .map(|id| {
                let of = adjustments.of(id);
                let total: f64 = of.iter().map(|a| a.0).sum();
                (
                    total,
                    if of.is_empty() {
                        String::new()
                    } else {
                        adjustments.describe(id)
                    },
                )
            })
            .collect();
        for (total, (adjusted, _)) in points.total.iter_mut().zip(&self.adjusted) {
            *total += adjusted;
        }
    }

    /// Keeps only the readable leads at the positions (in `rows`) where `keep` holds.
    pub fn retain(&mut self, keep: &[bool]) {
        let positions: Vec<usize> = (0..self.rows.len()).filter(|&k| keep[k]).collect();
        if positions.len() == self.rows.len() {
            return;
        }
        self.encoded = self.encoded.select_rows(&positions);
        self.rows = positions.iter().map(|&k| self.rows[k]).collect();
        self.model_z = positions.iter().map(|&k| self.model_z[k]).collect();
        if !self.segments.is_empty() {
            self.segments = positions.iter().map(|&k| self.segments[k]).collect();
        }
    }
}

/// What a batch is read with.
pub struct BatchInputs<'a> {
    /// The model file (for messages).
    pub model_path: &'a Path,
    /// The leads.
    pub data: &'a Path,
    /// Their events.
    pub events: Option<&'a Path>,
    /// The cutoff for leads without a snapshot (`--as-of`, seconds since 1970 UTC); without
    /// one, the model's own `[data] as_of`, else now.
    pub as_of: Option<i64>,
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
        progress: &dyn Progress,
    ) -> Result<BatchReader<'a>> {
        require_files(&[(Some(inputs.data), "--data"), (inputs.events, "--events")])?;
        let needs_events = artifact.events.is_some() || inputs.rules.is_some_and(RuleSet::needs_events);
        if needs_events && inputs.events.is_none() {
            return Err(Error::Usage(format!(
                "{} (or its rules) uses events: pass the events of these leads with --events",
                inputs.model_path.display()
            )));
        }
        let as_of = match inputs.as_of {
            Some(as_of) => Some(as_of),
            None => artifact.config.data.as_of.as_deref().map(parse_as_of).transpose()?,
        };
        // Without a snapshot column or --as-of, dates and events are taken as of today (UTC).
        let as_of = Some(as_of.unwrap_or_else(crate::data::today));
        let mut config = artifact.config.clone();
        config.features.include.clear();
        config.features.exclude.clear();
        for (column, kind) in &artifact.schema.columns {
            config.features.types.insert(column.clone(), *kind);
        }
        config.features.multi_labels = artifact.multi_labels();
        let mut required = artifact.columns_read(inputs.rules);
        required.extend(artifact.schema.id_column.iter().cloned());
        // The creation time is read whenever it is configured (rules decay from it).
        if let Some(time) = artifact.config.data.time.as_ref().filter(|t| !required.contains(t)) {
            required.push(time.clone());
        }
        if inputs.with_outcome {
            required.push(artifact.schema.target_column.clone());
        }
        let choice = ColumnChoice {
            target: inputs.with_outcome.then(|| artifact.schema.target_column.clone()),
            id: artifact.schema.id_column.clone(),
            exclude: Vec::new(),
            required,
            lenient: true,
            formats: artifact.schema.formats.clone(),
            as_trained: true,
        };
        let missing = MissingTokens::new(&config.data.missing_values);
        let (source, parts) = match chunk_bytes {
            Some(bytes) if !is_parquet(inputs.data) => {
                let mut wanted = choice.required.clone();
                wanted.extend(inputs.keep.iter().filter(|k| !choice.required.contains(k)).cloned());
                let parts = match inputs.events.filter(|_| needs_events) {
                    Some(events) => split_events(inputs.data, choice.id.as_deref(), events, bytes, &missing, progress)?,
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
        let encoded = self.artifact.encode(&table.features, &rows).map_err(|feature| {
            Error::rejected(
                Location::file(self.inputs.data).column(feature),
                "the model needs this feature",
                "score leads with the columns the model was trained on",
            )
        })?;
        let model_z = self.artifact.model.log_odds(&encoded);
        let segments = (self.artifact.segments.as_ref())
            .map(|s| s.codes_of(&table.features, &rows))
            .unwrap_or_default();
        Ok(Some(Batch {
            segments,
            table,
            rows,
            encoded,
            points,
            model_z,
            row_offset,
            kept,
            adjusted: Vec::new(),
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
    progress: &dyn Progress,
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
    progress.advanced(
        0,
        None,
        &format!(
            "splitting {} by batch of leads ({} batches)",
            events.display(),
            index.chunks()
        ),
    );
    EventParts::split(events, missing, index).map(Some)
}

/// Reads all the leads of `inputs` as one batch (for recalibration, which needs them together).
pub fn read_batch(artifact: &ModelArtifact, inputs: &BatchInputs, progress: &dyn Progress) -> Result<Batch> {
    let mut reader = BatchReader::open(artifact, inputs, None, progress)?;
    let batch = step(progress, "reading leads", || reader.next_batch())?;
    batch.ok_or_else(|| {
        Error::rejected(
            Location::file(inputs.data),
            "the file has no rows",
            "export the leads again",
        )
    })
}
