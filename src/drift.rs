//! Drift: has the population being scored moved away from the leads the model was trained on?
//! Population stability index (PSI) of the score and of each feature's contribution, against
//! reference histograms kept in the model file. Rule of thumb: below 0.1 stable, 0.1–0.25 watch,
//! above 0.25 act (retrain or recalibrate).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::metrics::psi;

/// PSI at or above which a distribution is worth watching.
pub const WATCH: f64 = 0.1;
/// PSI at or above which a distribution has moved enough to act on.
pub const ACT: f64 = 0.25;

/// Bin edges (training deciles, ties merged) and the training share in each bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Upper bounds of all bins but the last, ascending.
    pub edges: Vec<f64>,
    /// Share of training values per bin (`edges.len() + 1` bins).
    pub shares: Vec<f64>,
}

impl Histogram {
    /// Deciles of `values` as bins (fewer when values tie), with their shares.
    pub fn fit(values: &[f64]) -> Histogram {
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut edges: Vec<f64> = if sorted.is_empty() {
            Vec::new()
        } else {
            (1..10).map(|d| sorted[d * (sorted.len() - 1) / 10]).collect()
        };
        edges.dedup();
        let mut histogram = Histogram {
            edges,
            shares: Vec::new(),
        };
        histogram.shares = histogram.shares_of(values);
        histogram
    }

    /// Number of `values` in each bin.
    pub fn counts_of(&self, values: &[f64]) -> Vec<usize> {
        let mut counts = vec![0usize; self.edges.len() + 1];
        for &v in values {
            counts[self.bin_of(v)] += 1;
        }
        counts
    }

    /// The bin of `value`.
    pub fn bin_of(&self, value: f64) -> usize {
        self.edges.partition_point(|&e| e < value)
    }

    /// Share of `values` in each bin.
    pub fn shares_of(&self, values: &[f64]) -> Vec<f64> {
        shares(&self.counts_of(values))
    }
}

/// The reference distributions of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReference {
    /// Calibrated probabilities of the training leads.
    pub score: Histogram,
    /// Per pipeline step: the step's log-odds contribution over the training leads.
    pub features: Vec<Histogram>,
}

fn shares(counts: &[usize]) -> Vec<f64> {
    let n = counts.iter().sum::<usize>().max(1) as f64;
    counts.iter().map(|&c| c as f64 / n).collect()
}

/// Bin counts of a batch scored in chunks, added up chunk by chunk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftCounts {
    /// Per bin of the score histogram.
    pub score: Vec<usize>,
    /// Per pipeline step, per bin.
    pub features: Vec<Vec<usize>>,
    /// With segments: per segment's own score reference (then the shared model's leads'), per
    /// bin; empty without.
    pub segments: Vec<Vec<usize>>,
}

impl DriftCounts {
    /// Counts of one chunk: its probabilities and per-step contributions.
    pub fn of(reference: &DriftReference, probabilities: &[f64], contributions: &[Vec<f64>]) -> DriftCounts {
        DriftCounts {
            score: reference.score.counts_of(probabilities),
            features: (reference.features.par_iter())
                .zip(contributions)
                .map(|(h, c)| h.counts_of(c))
                .collect(),
            segments: Vec::new(),
        }
    }

    /// Counts each lead's probability into its segment's reference: `segment_of[k]` is lead
    /// `k`'s index in `references` (a segment, or the shared model's leads after them).
    pub fn count_segments(
        &mut self,
        references: &[Option<Histogram>],
        segment_of: impl Fn(usize) -> usize,
        probabilities: &[f64],
    ) {
        let mut counts: Vec<Vec<usize>> = (references.iter())
            .map(|r| vec![0; r.as_ref().map_or(0, |h| h.edges.len() + 1)])
            .collect();
        for (k, &p) in probabilities.iter().enumerate() {
            let s = segment_of(k);
            if let Some(Some(h)) = references.get(s) {
                counts[s][h.bin_of(p)] += 1;
            }
        }
        self.segments = counts;
    }

    /// The PSI of each segment's leads against its reference (`None`: no reference, or no
    /// lead of it).
    pub fn segment_psi(&self, references: &[Option<Histogram>]) -> Vec<Option<f64>> {
        (references.iter().zip(&self.segments))
            .map(|(r, counts)| {
                let h = r.as_ref()?;
                (counts.iter().sum::<usize>() > 0).then(|| psi(&h.shares, &shares(counts)))
            })
            .collect()
    }

    /// Adds another chunk's counts.
    pub fn add(&mut self, other: &DriftCounts) {
        if self.score.is_empty() {
            *self = other.clone();
            return;
        }
        self.score.iter_mut().zip(&other.score).for_each(|(a, b)| *a += b);
        for (mine, theirs) in
            (self.features.iter_mut().chain(&mut self.segments)).zip(other.features.iter().chain(&other.segments))
        {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        }
    }

    /// The report against `reference`; `names` are the pipeline's feature names.
    pub fn report(&self, reference: &DriftReference, names: &[String]) -> DriftReport {
        let mut features: Vec<(String, f64)> = names
            .iter()
            .zip(&reference.features)
            .zip(&self.features)
            .map(|((name, h), counts)| (name.clone(), psi(&h.shares, &shares(counts))))
            .collect();
        features.sort_by(|a, b| b.1.total_cmp(&a.1));
        DriftReport {
            score_psi: psi(&reference.score.shares, &shares(&self.score)),
            features,
            segments: Vec::new(),
        }
    }
}

/// Drift of one scored batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// PSI of the score.
    pub score_psi: f64,
    /// PSI per feature, largest first.
    pub features: Vec<(String, f64)>,
    /// With segments: the PSI of each segment's score against its own training leads.
    #[serde(default)]
    pub segments: Vec<(String, f64)>,
}

impl DriftReport {
    /// The worst PSI of score and features.
    pub fn worst(&self) -> f64 {
        self.features.iter().map(|(_, p)| *p).fold(self.score_psi, f64::max)
    }

    /// A few lines for people: the score's PSI and every feature at or above [`WATCH`].
    pub fn describe(&self) -> String {
        let level = |psi: f64| {
            if psi >= ACT {
                "act: retrain or recalibrate"
            } else if psi >= WATCH {
                "watch"
            } else {
                "stable"
            }
        };
        let mut out = format!("drift: score PSI {:.3} ({})", self.score_psi, level(self.score_psi));
        for (feature, psi) in self.features.iter().filter(|(_, p)| *p >= WATCH) {
            out.push_str(&format!("\n  \"{feature}\" PSI {psi:.3} ({})", level(*psi)));
        }
        for (segment, psi) in self.segments.iter().filter(|(_, p)| *p >= WATCH) {
            out.push_str(&format!(
                "\n  segment {segment}: score PSI {psi:.3} against its training leads ({})",
                level(*psi)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_population_is_stable_and_a_shift_is_not() {
        let training: Vec<f64> = (0..10_000).map(|i| f64::from(i % 100)).collect();
        let reference = Histogram::fit(&training);
        assert_eq!(reference.shares.len(), 10);
        assert!(psi(&reference.shares, &reference.shares_of(&training)).abs() < 1e-12);
        let shifted: Vec<f64> = training.iter().map(|x| x + 30.0).collect();
        assert!(psi(&reference.shares, &reference.shares_of(&shifted)) > ACT);
        // Ties collapse bins instead of leaving empty ones.
        let flags = Histogram::fit(&[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(flags.edges, vec![0.0]);
        assert_eq!(flags.shares, vec![0.75, 0.25]);
    }
}
