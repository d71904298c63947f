//! Between two batches: each lead's score against its score in an earlier scores file
//! (`score --previous`), what that change is called (`new`, `became_mql`, `left_mql`,
//! `band_up`, `band_down`, `unchanged`), and which changes are triggers for sales.
//!
//! The earlier file is read once, streamed (CSV) or by its four columns (Parquet), and kept
//! compactly: 16 bytes a lead under the hash of its id, never as text.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::bands::Bands;
use crate::data::id_hash;
use crate::error::{Error, Location, Result};

/// What happened to a lead since the earlier scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Status {
    /// Not in the earlier scores.
    #[value(name = "new")]
    New,
    /// At or above the MQL threshold now, not before.
    #[value(name = "became_mql")]
    BecameMql,
    /// Below it now, at or above it before.
    #[value(name = "left_mql")]
    LeftMql,
    /// In a hotter band than before.
    #[value(name = "band_up")]
    BandUp,
    /// In a colder band than before.
    #[value(name = "band_down")]
    BandDown,
    /// In the same band, as MQL or not as before.
    #[value(name = "unchanged")]
    Unchanged,
}

impl Status {
    /// Every status, in the order the summary counts them.
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::BecameMql,
        Status::LeftMql,
        Status::BandUp,
        Status::BandDown,
        Status::Unchanged,
    ];

    /// The word written in the scores file.
    pub fn word(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::BecameMql => "became_mql",
            Status::LeftMql => "left_mql",
            Status::BandUp => "band_up",
            Status::BandDown => "band_down",
            Status::Unchanged => "unchanged",
        }
    }
}

/// A lead's change since the earlier scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// Its earlier score (None: a new lead).
    pub previous: Option<f64>,
    /// What the change is called.
    pub status: Status,
}

impl Change {
    /// Points gained since the earlier score (None for a new lead).
    pub fn points(&self, score: f64) -> Option<f64> {
        self.previous.map(|p| score - p)
    }
}

/// A lead's earlier score, band and MQL flag.
#[derive(Debug, Clone, Copy)]
struct Earlier {
    score: f32,
    /// Index into [`Previous::band_names`].
    band: u16,
    mql: bool,
}

/// An earlier scores file, indexed by the hash of each lead's id.
pub struct Previous {
    /// The file.
    pub path: PathBuf,
    by_id: HashMap<u64, Earlier>,
    band_names: Vec<String>,
    /// Leads it holds.
    pub leads: usize,
    /// Leads whose id an earlier row of it has (the last row counts).
    pub repeated: usize,
}

/// The columns a scores file must have to be an earlier one.
const NEEDED: [&str; 3] = ["score", "band", "mql"];

impl Previous {
    /// Reads the earlier scores file `path` (CSV or Parquet, as `score` writes them), whose
    /// lead ids are in column `id`.
    pub fn read(path: &Path, id: &str) -> Result<Previous> {
        let mut previous = Previous {
            path: path.to_path_buf(),
            by_id: HashMap::new(),
            band_names: Vec::new(),
            leads: 0,
            repeated: 0,
        };
        if crate::data::read::is_parquet(path) {
            previous.read_parquet(id)?;
        } else {
            previous.read_csv(id)?;
        }
        Ok(previous)
    }

    fn missing_column(&self, column: &str, id: &str) -> Error {
        Error::rejected(
            Location::file(&self.path).column(column),
            "the earlier scores file has no such column",
            format!(
                "give --previous a scores file written by leadscore score (columns {id}, score, band, mql, …), scored with a model whose lead id is \"{id}\""
            ),
        )
    }

    fn add(&mut self, id: &str, score: f64, band: &str, mql: bool) {
        let band = match self.band_names.iter().position(|b| b == band) {
            Some(k) => k,
            None => {
                self.band_names.push(band.to_string());
                self.band_names.len() - 1
            }
        };
        let earlier = Earlier {
            score: score as f32,
            band: band.min(usize::from(u16::MAX)) as u16,
            mql,
        };
        self.leads += 1;
        if self.by_id.insert(id_hash(id), earlier).is_some() {
            self.repeated += 1;
        }
    }

    fn read_csv(&mut self, id: &str) -> Result<()> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, "read", e))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let header = reader
            .headers()
            .map_err(|e| self.unreadable(None, &e.to_string()))?
            .clone();
        let position = |name: &str| header.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
        let id_at = position(id).ok_or_else(|| self.missing_column(id, id))?;
        let mut at = [0; 3];
        for (slot, name) in at.iter_mut().zip(NEEDED) {
            *slot = position(name).ok_or_else(|| self.missing_column(name, id))?;
        }
        let mut record = csv::StringRecord::new();
        let mut row = 0;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(self.unreadable(Some(row), &e.to_string())),
            }
            row += 1;
            let cell = |k: usize| record.get(k).unwrap_or("");
            let score: f64 = cell(at[0])
                .trim()
                .parse()
                .map_err(|_| self.bad_cell("score", row, cell(at[0])))?;
            let mql = match cell(at[2]).trim() {
                "true" => true,
                "false" => false,
                other => return Err(self.bad_cell("mql", row, other)),
            };
            self.add(cell(id_at), score, cell(at[1]), mql);
        }
        Ok(())
    }

    fn read_parquet(&mut self, id: &str) -> Result<()> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, "read", e))?;
        let columns: Vec<String> = std::iter::once(id.to_string())
            .chain(NEEDED.iter().map(|c| c.to_string()))
            .collect();
        let names = crate::data::read::column_names(&self.path)?;
        if let Some(missing) = columns.iter().find(|c| !names.contains(c)) {
            return Err(self.missing_column(missing, id));
        }
        let frame = ParquetReader::new(file)
            .with_columns(Some(columns.clone()))
            .finish()
            .map_err(|e| self.unreadable(None, &e.to_string()))?;
        let column = |name: &str| frame.column(name).map_err(|e| self.unreadable(None, &e.to_string()));
        let ids = column(id)?
            .cast(&DataType::String)
            .map_err(|e| self.unreadable(None, &e.to_string()))?;
        let scores = column("score")?
            .cast(&DataType::Float64)
            .map_err(|e| self.unreadable(None, &e.to_string()))?;
        let (ids, scores) = (
            ids.str().map_err(|e| self.unreadable(None, &e.to_string()))?.clone(),
            scores.f64().map_err(|e| self.unreadable(None, &e.to_string()))?.clone(),
        );
        let bands = column("band")?
            .str()
            .map_err(|e| self.unreadable(None, &e.to_string()))?
            .clone();
        let mqls = column("mql")?
            .bool()
            .map_err(|e| self.unreadable(None, &e.to_string()))?
            .clone();
        for (row, (((id, score), band), mql)) in ids
            .iter()
            .zip(scores.iter())
            .zip(bands.iter())
            .zip(mqls.iter())
            .enumerate()
        {
            let (Some(id), Some(score), Some(band), Some(mql)) = (id, score, band, mql) else {
                return Err(self.bad_cell("score", row + 1, "an empty cell"));
            };
            self.add(id, score, band, mql);
        }
        Ok(())
    }

    fn unreadable(&self, row: Option<usize>, problem: &str) -> Error {
        let mut location = Location::file(&self.path);
        if let Some(row) = row {
            location = location.row(row + 1);
        }
        Error::rejected(
            location,
            format!("cannot read the earlier scores: {problem}"),
            "give --previous a scores file written by leadscore score, as it was written",
        )
    }

    fn bad_cell(&self, column: &str, row: usize, value: &str) -> Error {
        Error::rejected(
            Location::file(&self.path).column(column).row(row),
            format!("\"{value}\" is not what leadscore score writes there"),
            "give --previous a scores file written by leadscore score, as it was written",
        )
    }

    /// Whether the earlier file's bands are all among `bands`' names (the same model, or one
    /// with the same bands).
    pub fn same_bands(&self, bands: &Bands) -> bool {
        self.band_names.iter().all(|b| bands.names.contains(b))
    }

    /// The change of the lead with `id`, now in band `band` (MQL or not) of a model with
    /// `bands`. An earlier band of another name is placed by the earlier score on these
    /// bands' cut points.
    pub fn change(&self, id: &str, band: usize, mql: bool, bands: &Bands) -> Change {
        let Some(earlier) = self.by_id.get(&id_hash(id)) else {
            return Change {
                previous: None,
                status: Status::New,
            };
        };
        let previous = f64::from(earlier.score);
        let earlier_band = (bands.names.iter())
            .position(|b| *b == self.band_names[usize::from(earlier.band)])
            .unwrap_or_else(|| bands.index_of(previous));
        let status = if mql && !earlier.mql {
            Status::BecameMql
        } else if !mql && earlier.mql {
            Status::LeftMql
        } else if band > earlier_band {
            Status::BandUp
        } else if band < earlier_band {
            Status::BandDown
        } else {
            Status::Unchanged
        };
        Change {
            previous: Some(previous),
            status,
        }
    }
}

/// Which changes go to the triggers file, and how large a change must be.
#[derive(Debug, Clone)]
pub struct Triggers {
    /// The triggers file (CSV).
    pub path: PathBuf,
    /// The statuses that are triggers.
    pub on: Vec<Status>,
    /// Points a lead must have gained (or lost, for `left_mql` and `band_down`) at least.
    pub min_change: f64,
}

impl Triggers {
    /// Whether a lead scored `score` with `change` is a trigger.
    pub fn fires(&self, change: &Change, score: f64) -> bool {
        self.on.contains(&change.status)
            && change
                .points(score)
                .is_none_or(|points| points.abs() >= self.min_change)
    }
}

/// The header of a triggers file: the id, the earlier and the new score, the change, the status,
/// the band, and why.
pub fn triggers_header(id: &str) -> Result<Vec<u8>> {
    super::writer::csv_line(&[id, "previous_score", "score", "change", "status", "band", "reasons"])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn previous(rows: &[(&str, f64, &str, bool)]) -> Previous {
        let mut p = Previous {
            path: "earlier.csv".into(),
            by_id: HashMap::new(),
            band_names: Vec::new(),
            leads: 0,
            repeated: 0,
        };
        for &(id, score, band, mql) in rows {
            p.add(id, score, band, mql);
        }
        p
    }

    #[test]
    fn every_status_from_hand_built_scores() {
        // cold < 25 ≤ warm < 75 ≤ hot; MQL from 60.
        let bands = Bands::default();
        let p = previous(&[
            ("a", 50.0, "warm", false),
            ("b", 65.0, "warm", true),
            ("c", 20.0, "cold", false),
            ("d", 80.0, "hot", true),
            ("e", 40.0, "warm", false),
        ]);
        let status = |id: &str, score: f64| {
            let band = bands.index_of(score);
            p.change(id, band, score >= bands.mql, &bands).status
        };
        assert_eq!(status("a", 61.0), Status::BecameMql);
        assert_eq!(status("b", 59.0), Status::LeftMql);
        assert_eq!(status("c", 30.0), Status::BandUp);
        assert_eq!(status("d", 70.0), Status::BandDown);
        assert_eq!(status("e", 45.0), Status::Unchanged);
        assert_eq!(status("z", 90.0), Status::New);
        let change = p.change("a", 1, true, &bands);
        assert_eq!((change.previous, change.points(61.0)), (Some(50.0), Some(11.0)));
        // A repeated id: the last row counts.
        let p = previous(&[("a", 10.0, "cold", false), ("a", 70.0, "warm", true)]);
        assert_eq!(p.repeated, 1);
        assert_eq!(p.change("a", 1, true, &bands).status, Status::Unchanged);
    }

    #[test]
    fn an_earlier_band_of_another_model_is_placed_by_its_score() {
        let bands = Bands::default();
        let p = previous(&[("a", 30.0, "B", false), ("b", 80.0, "A", false)]);
        assert!(!p.same_bands(&bands));
        // 30 is warm on these cuts: 50 stays warm; 80 was hot: 70 is a step down.
        assert_eq!(p.change("a", 1, false, &bands).status, Status::Unchanged);
        assert_eq!(p.change("b", 1, false, &bands).status, Status::BandDown);
    }

    #[test]
    fn a_trigger_needs_its_status_and_the_least_change() {
        let triggers = Triggers {
            path: "t.csv".into(),
            on: vec![Status::BecameMql, Status::BandUp],
            min_change: 5.0,
        };
        let change = |previous: f64, status| Change {
            previous: Some(previous),
            status,
        };
        assert!(triggers.fires(&change(55.0, Status::BecameMql), 61.0));
        assert!(!triggers.fires(&change(58.0, Status::BecameMql), 61.0), "3 points only");
        assert!(!triggers.fires(&change(70.0, Status::LeftMql), 50.0));
        assert!(triggers.fires(&change(20.0, Status::BandUp), 40.0));
    }
}
