//! Bands and the MQL threshold: the cut points that turn a 0–100 score (or a number of rule
//! points) into `cold`, `warm`, `hot` and the marketing qualified lead flag.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// `[bands]`: names in ascending order, the cut points between them and the MQL threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// Band names, coldest first.
    pub names: Vec<String>,
    /// Lower bounds of every band but the first, ascending (`cold < 25 ≤ warm < 75 ≤ hot`).
    pub cuts: Vec<f64>,
    /// A lead with at least this many points is a marketing qualified lead.
    pub mql: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            names: vec!["cold".into(), "warm".into(), "hot".into()],
            cuts: vec![25.0, 75.0],
            mql: 60.0,
        }
    }
}

impl Bands {
    /// The band of a number of points (or of a score).
    pub fn band_of(&self, points: f64) -> &str {
        &self.names[self.index_of(points)]
    }

    /// Index of the band of `points` in `names`.
    pub fn index_of(&self, points: f64) -> usize {
        self.cuts.iter().filter(|&&cut| points >= cut).count()
    }
}

/// Checks that band names and cut points fit together and rise strictly; `section` names the
/// TOML section in messages.
pub fn validate_bands(bands: &Bands, path: &Path, section: &str) -> Result<()> {
    let bad = |problem: String| {
        Err(Error::rejected(
            Location::file(path).column(section),
            problem,
            "e.g. names = [\"cold\", \"warm\", \"hot\"], cuts = [25, 75], mql = 60",
        ))
    };
    if bands.names.len() != bands.cuts.len() + 1 {
        return bad(format!(
            "{} band names need {} cut points, not {}",
            bands.names.len(),
            bands.names.len().saturating_sub(1),
            bands.cuts.len()
        ));
    }
    if bands.cuts.iter().any(|c| !c.is_finite()) || bands.cuts.windows(2).any(|w| w[0] >= w[1]) {
        return bad(format!("cut points {:?} overlap: they must rise strictly", bands.cuts));
    }
    if !bands.mql.is_finite() {
        return bad("the MQL threshold must be a number".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cut_at_their_lower_bounds() {
        let bands = Bands::default();
        assert_eq!(bands.band_of(-5.0), "cold");
        assert_eq!(bands.band_of(24.9), "cold");
        assert_eq!(bands.band_of(25.0), "warm");
        assert_eq!(bands.band_of(75.0), "hot");
    }
}
