//! The files `score` writes: the scores (CSV, or Parquet one row group per batch, each written
//! to a temporary file and renamed into place only when the whole run succeeded) and the
//! rejects file of leads that could not be scored.

use std::path::{Path, PathBuf};

use polars::io::parquet::write::{BatchedWriter, ParquetWriter};
use polars::prelude::{Column, DataFrame, DataType, Schema};
use rayon::prelude::*;

use super::batch::Batch;
use super::changes::Change;
use super::reasons::Reasons;
use crate::artifact::ModelArtifact;
use crate::error::{Error, Result};
use crate::output::{push_csv_field, push_fixed, push_number, AtomicFile};
use crate::scorer::LeadScore;

/// Whether scores go to `path` as Parquet (by its extension) rather than CSV.
pub fn writes_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

/// The scores file: CSV text, or Parquet written one row group per batch.
pub(crate) enum ScoresFile {
    Csv(AtomicFile),
    Parquet(AtomicFile, Box<BatchedWriter<std::fs::File>>),
}

/// One batch of scored leads on its way to the writer.
pub(crate) enum Written {
    /// Lines in parts, written one after the other.
    Csv(Vec<Vec<u8>>),
    Parquet(DataFrame),
}

impl ScoresFile {
    /// Starts the scores file at `path` (a temporary file until published).
    pub(crate) fn create(path: &Path, header: &Header) -> Result<ScoresFile> {
        let mut output = AtomicFile::create(path)?;
        if !writes_parquet(path) {
            output.write(&csv_line(&header.names())?)?;
            return Ok(ScoresFile::Csv(output));
        }
        let file = output.handle()?;
        let writer = ParquetWriter::new(file)
            .batched(&header.parquet_schema())
            .map_err(|e| Error::Runtime(format!("writing {}: {e}", path.display())))?;
        Ok(ScoresFile::Parquet(output, Box::new(writer)))
    }

    /// Appends a batch.
    pub(crate) fn write(&mut self, batch: Written) -> Result<()> {
        match (self, batch) {
            (ScoresFile::Csv(output), Written::Csv(parts)) => parts.iter().try_for_each(|part| output.write(part)),
            (ScoresFile::Parquet(output, writer), Written::Parquet(frame)) => writer
                .write_batch(&frame)
                .map_err(|e| Error::Runtime(format!("writing {}: {e}", output.path().display()))),
            _ => Err(Error::Runtime("scores of the wrong format for the output file".into())),
        }
    }

    /// Ends the file; it is published by the caller.
    pub(crate) fn finish(self) -> Result<AtomicFile> {
        match self {
            ScoresFile::Csv(output) => Ok(output),
            ScoresFile::Parquet(output, writer) => {
                writer
                    .finish()
                    .map_err(|e| Error::Runtime(format!("writing {}: {e}", output.path().display())))?;
                Ok(output)
            }
        }
    }
}

/// The columns of the scores file.
pub struct Header {
    /// The id column's name (`row` for leads numbered through the file).
    pub id: String,
    /// Input columns passed through after the id (`--keep`).
    pub kept: Vec<String>,
    /// Whether the model blends rule points (then they have a column).
    pub rule_points: bool,
    /// Whether the model has segments (then the segment whose model scored a lead has a
    /// column, after `model_probability`).
    pub segment: bool,
    /// Whether each lead's change since earlier scores is written (`previous_score`, `change`,
    /// `status`, last).
    pub previous: bool,
    /// The explanation columns (`log_odds` and the parts, after the reasons), when asked for.
    pub explain: Vec<String>,
}

/// Output columns of a lead's change since earlier scores.
const CHANGE_COLUMNS: [&str; 3] = ["previous_score", "change", "status"];

/// Output columns after the id and the kept columns.
const SCORE_COLUMNS: [&str; 6] = ["score", "probability", "percentile", "band", "mql", "model_probability"];
/// Output columns after the rule points.
const PART_COLUMNS: [&str; 3] = ["fit", "engagement", "reasons"];

impl Header {
    /// The column names in order.
    pub fn names(&self) -> Vec<&str> {
        let mut names = vec![self.id.as_str()];
        names.extend(self.kept.iter().map(String::as_str));
        names.extend(SCORE_COLUMNS);
        if self.segment {
            names.push("segment");
        }
        if self.rule_points {
            names.push("rule_points");
        }
        names.extend(PART_COLUMNS);
        names.extend(self.explain.iter().map(String::as_str));
        if self.previous {
            names.extend(CHANGE_COLUMNS);
        }
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
        if self.segment {
            schema.insert("segment".into(), DataType::String);
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
        for name in &self.explain {
            schema.insert(name.as_str().into(), DataType::Float64);
        }
        if self.previous {
            for (name, kind) in CHANGE_COLUMNS
                .iter()
                .zip([DataType::Float64, DataType::Float64, DataType::String])
            {
                schema.insert((*name).into(), kind);
            }
        }
        schema
    }

    /// Refuses kept columns that would repeat an output column.
    pub fn check(&self) -> Result<()> {
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

/// The scored rows of a batch as CSV lines, formatted in parallel, in parts.
pub(crate) fn score_lines(
    artifact: &ModelArtifact,
    batch: &Batch,
    scores: &[LeadScore],
    reasons: &Reasons,
    changes: Option<&[Change]>,
    explained: Option<&[(f64, Vec<f64>)]>,
) -> Vec<Vec<u8>> {
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
                if let Some(segmentation) = &artifact.segments {
                    line.push(b',');
                    push_csv_field(&mut line, segmentation.name_of(batch.segments[k]));
                }
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
                if let Some((log_odds, parts)) = explained.map(|e| &e[k]) {
                    for x in std::iter::once(log_odds).chain(parts) {
                        line.push(b',');
                        push_number(&mut line, *x);
                    }
                }
                if let Some(change) = changes.map(|c| &c[k]) {
                    line.push(b',');
                    if let Some(previous) = change.previous {
                        push_number(&mut line, previous);
                        line.push(b',');
                        push_number(&mut line, score.score - previous);
                    } else {
                        line.push(b',');
                    }
                    line.push(b',');
                    line.extend_from_slice(change.status.word().as_bytes());
                }
                line.push(b'\n');
            }
            line
        })
        .collect()
}

/// The scored rows of a batch as a frame with typed columns, for Parquet.
pub(crate) fn score_frame(
    artifact: &ModelArtifact,
    header: &Header,
    batch: &Batch,
    scores: &[LeadScore],
    reasons: Vec<String>,
    changes: Option<&[Change]>,
    explained: Option<&[(f64, Vec<f64>)]>,
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
    if let Some(segmentation) = &artifact.segments {
        columns.push(Column::new(
            "segment".into(),
            (batch.segments.iter())
                .map(|&code| segmentation.name_of(code))
                .collect::<Vec<_>>(),
        ));
    }
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
    if let Some(explained) = explained {
        for (j, name) in header.explain.iter().enumerate() {
            let values: Vec<f64> = (explained.iter())
                .map(|(log_odds, parts)| if j == 0 { *log_odds } else { parts[j - 1] })
                .collect();
            columns.push(Column::new(name.as_str().into(), values));
        }
    }
    if let Some(changes) = changes {
        columns.extend([
            Column::new(
                "previous_score".into(),
                changes.iter().map(|c| c.previous).collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "change".into(),
                (changes.iter().zip(scores))
                    .map(|(c, s)| c.points(s.score))
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "status".into(),
                changes.iter().map(|c| c.status.word()).collect::<Vec<_>>(),
            ),
        ]);
    }
    DataFrame::new(scores.len(), columns).map_err(|e| Error::Runtime(format!("assembling the scores: {e}")))
}

/// The header of a rejects file: the row and line of the lead, its id (under the id column's
/// name, as in the scores file), and the column, value and reason of the cell.
pub fn rejects_header(id_header: &str) -> Result<Vec<u8>> {
    csv_line(&["row", "line", id_header, "column", "value", "reason"])
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
pub fn default_rejects_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("scores");
    out.with_file_name(format!("{stem}.rejects.csv"))
}
