//! Between two batches: each lead's score against its score in an earlier scores file
//! (`score --previous`), what that change is called (`new`, `became_mql`, `left_mql`,
//! `band_up`, `band_down`, `unchanged`), and which changes are triggers for sales.
//!
//! The earlier file is read once, streamed (CSV) or by its columns (Parquet), and kept
//! compactly: 20 bytes a lead under the hash of its id, never as text; and, when both files
//! explain themselves (`--explain`), 4 bytes a part, to say what moved.

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
    /// Where its parts start in [`Previous::parts`] (`u32::MAX`: none kept).
    parts_at: u32,
}

/// An earlier scores file, indexed by the hash of each lead's id.
pub struct Previous {
    /// The file.
    pub path: PathBuf,
    by_id: HashMap<u64, Earlier>,
    band_names: Vec<String>,
    /// The parts of every lead, `stride` each, in the order of the parts asked for.
    parts: Vec<f32>,
    stride: usize,
    /// Leads it holds.
    pub leads: usize,
    /// Leads whose id an earlier row of it has (the last row counts).
    pub repeated: usize,
}

/// The columns a scores file must have to be an earlier one.
const NEEDED: [&str; 3] = ["score", "band", "mql"];

impl Previous {
    /// Reads the earlier scores file `path` (CSV or Parquet, as `score` writes them), whose
    /// lead ids are in column `id`. `explained` names the explanation columns of this run
    /// (`log_odds`, then the parts; empty without `--explain`): the earlier file's parts of the
    /// same names are kept when it has any (a part it lacks counts 0).
    pub fn read(path: &Path, id: &str, explained: &[String]) -> Result<Previous> {
        let mut previous = Previous {
            path: path.to_path_buf(),
            by_id: HashMap::new(),
            band_names: Vec::new(),
            parts: Vec::new(),
            stride: explained.len().saturating_sub(1),
            leads: 0,
            repeated: 0,
        };
        let wanted = explained.get(1..).unwrap_or_default();
        if crate::data::read::is_parquet(path) {
            previous.read_parquet(id, wanted)?;
        } else {
            previous.read_csv(id, wanted)?;
        }
        Ok(previous)
    }

    /// The earlier parts of the lead with `id`, when both files explain themselves.
    pub fn parts(&self, id: &str) -> Option<&[f32]> {
        let earlier = self.by_id.get(&id_hash(id))?;
        let at = usize::try_from(earlier.parts_at)
            .ok()
            .filter(|_| earlier.parts_at != u32::MAX)?;
        self.parts.get(at..at + self.stride)
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

    fn add(&mut self, id: &str, score: f64, band: &str, mql: bool, parts: Option<&mut dyn Iterator<Item = f32>>) {
        let band = match self.band_names.iter().position(|b| b == band) {
            Some(k) => k,
            None => {
                self.band_names.push(band.to_string());
                self.band_names.len() - 1
            }
        };
        let parts_at = match parts {
            Some(parts) => {
                let at = self.parts.len();
                self.parts.extend(parts);
                u32::try_from(at).unwrap_or(u32::MAX)
            }
            None => u32::MAX,
        };
        let earlier = Earlier {
            score: score as f32,
            band: band.min(usize::from(u16::MAX)) as u16,
            mql,
            parts_at,
        };
        self.leads += 1;
        if self.by_id.insert(id_hash(id), earlier).is_some() {
            self.repeated += 1;
        }
    }

    fn read_csv(&mut self, id: &str, wanted: &[String]) -> Result<()> {
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
        // Where each part asked for is in the earlier file (None: it has no such part).
        let part_at: Vec<Option<usize>> = wanted.iter().map(|name| position(name)).collect();
        let keep_parts = part_at.iter().any(Option::is_some);
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
            let mut parts = part_at
                .iter()
                .map(|at| at.and_then(|k| record.get(k)?.parse::<f32>().ok()).unwrap_or(0.0));
            let parts = keep_parts.then_some(&mut parts as &mut dyn Iterator<Item = f32>);
            self.add(cell(id_at), score, cell(at[1]), mql, parts);
        }
        Ok(())
    }

    fn read_parquet(&mut self, id: &str, wanted: &[String]) -> Result<()> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, "read", e))?;
        let mut columns: Vec<String> = std::iter::once(id.to_string())
            .chain(NEEDED.iter().map(|c| c.to_string()))
            .collect();
        let names = crate::data::read::column_names(&self.path)?;
        if let Some(missing) = columns.iter().find(|c| !names.contains(c)) {
            return Err(self.missing_column(missing, id));
        }
        let present: Vec<&String> = wanted.iter().filter(|w| names.contains(w)).collect();
        columns.extend(present.iter().map(|p| p.to_string()));
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
        // Each part asked for, as numbers (None: the earlier file has no such part).
        let mut part_columns = Vec::with_capacity(wanted.len());
        for name in wanted {
            part_columns.push(match present.contains(&name) {
                true => Some(
                    column(name)?
                        .cast(&DataType::Float64)
                        .map_err(|e| self.unreadable(None, &e.to_string()))?
                        .f64()
                        .map_err(|e| self.unreadable(None, &e.to_string()))?
                        .clone(),
                ),
                false => None,
            });
        }
        let keep_parts = !present.is_empty();
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
            let mut parts = (part_columns.iter()).map(|c| c.as_ref().and_then(|c| c.get(row)).unwrap_or(0.0) as f32);
            let parts = keep_parts.then_some(&mut parts as &mut dyn Iterator<Item = f32>);
            self.add(id, score, band, mql, parts);
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

    /// The earlier file's band names, in the order first met.
    pub fn band_names(&self) -> &[String] {
        &self.band_names
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

/// Parts (log-odds) that moved less than this are not named in a change's reasons.
const SMALLEST_MOVE: f64 = 0.05;
/// Parts named in a change's reasons, at most.
const MOVES_NAMED: usize = 4;

/// What moved a lead's score since the earlier scores, the largest first: `+ events: form
/// demo_request (+0.91); − inactivity decay (−0.30)`. `names` are the part columns (after
/// `log_odds`), `now` and `earlier` the lead's parts in that order; the base is left out.
pub fn moved_parts(out: &mut String, names: &[String], now: &[f64], earlier: &[f32]) {
    use std::fmt::Write as _;
    let mut moved: Vec<(usize, f64)> = (1..names.len().min(now.len()).min(earlier.len()))
        .map(|j| (j, now[j] - f64::from(earlier[j])))
        .filter(|(_, d)| d.abs() >= SMALLEST_MOVE)
        .collect();
    moved.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    for (n, (j, d)) in moved.into_iter().take(MOVES_NAMED).enumerate() {
        if n > 0 {
            out.push_str("; ");
        }
        let name = names[j].strip_prefix(super::explain::PART).unwrap_or(&names[j]);
        let sign = if d >= 0.0 { '+' } else { '−' };
        let _ = write!(out, "{sign} {name} ({d:+.2})");
    }
    if out.is_empty() {
        out.push_str("no part moved by 0.05 log-odds or more");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn previous(rows: &[(&str, f64, &str, bool)]) -> Previous {
        let mut p = Previous {
            path: "earlier.csv".into(),
            by_id: HashMap::new(),
            band_names: Vec::new(),
            parts: Vec::new(),
            stride: 0,
            leads: 0,
            repeated: 0,
        };
        for &(id, score, band, mql) in rows {
            p.add(id, score, band, mql, None);
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
    fn a_change_is_put_down_to_the_parts_that_moved_most() {
        let names: Vec<String> = [
            "part: base",
            "part: job_level",
            "part: events: webinar",
            "part: inactivity decay",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut out = String::new();
        moved_parts(&mut out, &names, &[-2.0, 0.5, 1.3, -0.4], &[-1.0, 0.5, 0.4, -0.1]);
        assert_eq!(out, "+ events: webinar (+0.90); − inactivity decay (-0.30)");
        out.clear();
        moved_parts(&mut out, &names, &[0.0, 0.5, 0.4, -0.1], &[0.0, 0.5, 0.4, -0.1]);
        assert_eq!(out, "no part moved by 0.05 log-odds or more");
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
