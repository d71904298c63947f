//! What sales know that the data does not: manual points per lead (`--adjustments FILE`), added
//! on top of the rules' points, named in the reasons (`+ sales: met at trade show (+20)`), and
//! audited by `evaluate` like a rule.
//!
//! The file: one row per adjustment, with the lead id (under the model's id column name, or
//! `lead_id`), `points`, `reason`, and optionally `who` and `expires` (a date; from it on the
//! adjustment no longer counts). A lead's adjustments add up.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::data::id_hash;
use crate::error::{Error, Location, Result};

/// The adjustments of a file that count at a cutoff, by lead.
#[derive(Debug, Clone)]
pub struct Adjustments {
    /// The file.
    pub path: PathBuf,
    by_id: HashMap<u64, Vec<(f64, u32)>>,
    /// Each different reason, in the order first met.
    pub reasons: Vec<String>,
    /// Adjustments that count.
    pub counted: usize,
    /// Adjustments past their expiry date, left out.
    pub expired: usize,
}

impl Adjustments {
    /// Reads `path`; `id` is the model's lead id column; adjustments that expire at or before
    /// `cutoff` (seconds since 1970 UTC) are left out.
    pub fn read(path: &Path, id: Option<&str>, cutoff: i64) -> Result<Adjustments> {
        let mut reader = csv::Reader::from_path(path).map_err(|e| Self::unreadable(path, None, &e.to_string()))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Self::unreadable(path, None, &e.to_string()))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let position = |name: &str| header.iter().position(|h| h == name);
        let id_names: Vec<&str> = id.into_iter().chain(["lead_id"]).collect();
        let Some(id_at) = id_names.iter().find_map(|n| position(n)) else {
            return Err(Error::rejected(
                Location::file(path),
                format!("no lead id column (looked for {})", quoted(&id_names)),
                "write the adjustments as lead id, points, reason[, who, expires], with the id column named as in the leads",
            ));
        };
        let needed = |name: &str| {
            position(name).ok_or_else(|| {
                Error::rejected(
                    Location::file(path).column(name),
                    "the adjustments file has no such column",
                    "write the adjustments as lead id, points, reason[, who, expires]",
                )
            })
        };
        let (points_at, reason_at) = (needed("points")?, needed("reason")?);
        let expires_at = position("expires");
        let mut adjustments = Adjustments {
            path: path.to_path_buf(),
            by_id: HashMap::new(),
            reasons: Vec::new(),
            counted: 0,
            expired: 0,
        };
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(|e| Self::unreadable(path, Some(row), &e.to_string()))?;
            let cell = |k: usize| record.get(k).unwrap_or("").trim();
            let bad = |column: &str, problem: String, fix: &str| {
                Error::rejected(Location::file(path).column(column).row(row + 1), problem, fix)
            };
            let points: f64 = cell(points_at)
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite())
                .ok_or_else(|| {
                    bad(
                        "points",
                        format!("\"{}\" is not a number of points", cell(points_at)),
                        "write the points as a number, e.g. 20 or -15",
                    )
                })?;
            if cell(id_at).is_empty() {
                return Err(bad(
                    &header[id_at],
                    "no lead id".into(),
                    "give every adjustment its lead's id",
                ));
            }
            if let Some(at) = expires_at.filter(|&at| !cell(at).is_empty()) {
                let expires = crate::formats::parse_timestamp(cell(at)).ok_or_else(|| {
                    bad(
                        "expires",
                        format!("\"{}\" is not a date", cell(at)),
                        "write the expiry date as YYYY-MM-DD, or leave it empty",
                    )
                })?;
                if expires <= cutoff {
                    adjustments.expired += 1;
                    continue;
                }
            }
            let reason = match cell(reason_at) {
                "" => "no reason given",
                reason => reason,
            };
            let index = match adjustments.reasons.iter().position(|r| r == reason) {
                Some(k) => k,
                None => {
                    adjustments.reasons.push(reason.to_string());
                    adjustments.reasons.len() - 1
                }
            };
            adjustments
                .by_id
                .entry(id_hash(cell(id_at)))
                .or_default()
                .push((points, index as u32));
            adjustments.counted += 1;
        }
        Ok(adjustments)
    }

    fn unreadable(path: &Path, row: Option<usize>, problem: &str) -> Error {
        let mut location = Location::file(path);
        if let Some(row) = row {
            location = location.row(row + 1);
        }
        Error::rejected(
            location,
            format!("cannot read the adjustments: {problem}"),
            "write the adjustments as CSV: lead id, points, reason[, who, expires]",
        )
    }

    /// The adjustments of the lead with `id` that count: (points, reason index).
    pub fn of(&self, id: &str) -> &[(f64, u32)] {
        self.by_id.get(&id_hash(id)).map_or(&[], Vec::as_slice)
    }

    /// A lead's adjustments in words: `sales: met at trade show (+20)`, several joined by `; `.
    pub fn describe(&self, id: &str) -> String {
        (self.of(id).iter())
            .map(|&(points, reason)| format!("sales: {} ({points:+})", self.reasons[reason as usize]))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("adjustments.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn adjustments_add_up_per_lead_and_expire() {
        let (_dir, path) = write(
            "lead_id,points,reason,who,expires\n\
             L1,20,met at trade show,ana,\n\
             L1,-5,asked for a later call,ben,2026-12-31\n\
             L2,15,met at trade show,ana,2026-11-30\n\
             L3,10,,chloe,\n",
        );
        let cutoff = crate::formats::parse_timestamp("2026-12-01").unwrap();
        let a = Adjustments::read(&path, Some("lead_id"), cutoff).unwrap();
        assert_eq!((a.counted, a.expired), (3, 1), "L2's adjustment expired the day before");
        assert_eq!(a.of("L1").iter().map(|p| p.0).sum::<f64>(), 15.0);
        assert_eq!(
            a.describe("L1"),
            "sales: met at trade show (+20); sales: asked for a later call (-5)"
        );
        assert!(a.of("L2").is_empty());
        assert_eq!(a.describe("L3"), "sales: no reason given (+10)");
        // Later, the second one has expired too.
        let later = crate::formats::parse_timestamp("2027-01-15").unwrap();
        let a = Adjustments::read(&path, Some("lead_id"), later).unwrap();
        assert_eq!(a.of("L1").iter().map(|p| p.0).sum::<f64>(), 20.0);
    }

    #[test]
    fn bad_adjustments_are_refused_with_the_row() {
        let (_dir, path) = write("lead_id,points,reason\nL1,twenty,trade show\n");
        let message = Adjustments::read(&path, None, 0).unwrap_err().to_string();
        assert!(
            message.contains("points") && message.contains("row 1") && message.contains("twenty"),
            "{message}"
        );
        let (_dir, path) = write("Record ID,points,reason\nL1,20,trade show\n");
        let message = Adjustments::read(&path, Some("Email"), 0).unwrap_err().to_string();
        assert!(message.contains("\"Email\" or \"lead_id\""), "{message}");
    }
}
