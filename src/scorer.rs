//! From the model's log-odds to what marketing ops act on: the calibrated 0–100 score, its
//! percentile against the training leads, band and MQL flag, the fit and engagement parts, and
//! the reasons (the features that move a lead most away from the average lead).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bands::Bands;
use crate::calibration::Calibration;
use crate::config::Role;
use crate::drift::{DriftCounts, DriftReference, Histogram};
use crate::features::encoded::{EncodedLeads, NONE};
use crate::features::FeaturePipeline;
use crate::model::logistic::LogisticModel;

/// Points at which reference distributions are kept (0.1 % steps).
const QUANTILES: usize = 1001;

/// The fitted scoring stage, stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorer {
    /// Log-odds → probability.
    pub calibration: Calibration,
    /// Bands and MQL threshold on the 0–100 score.
    pub bands: Bands,
    /// Calibrated probabilities of the training leads at 0.1 % steps, for percentiles.
    pub reference: Vec<f64>,
    /// Mean log-odds contribution of each pipeline step over the training leads.
    pub baseline: Vec<f64>,
    /// The explicit (fit) part of the training leads at 0.1 % steps.
    pub fit_reference: Vec<f64>,
    /// The implicit (engagement) part of the training leads at 0.1 % steps.
    pub engagement_reference: Vec<f64>,
    /// Histograms of the score and of each feature's contribution, for drift.
    pub drift: DriftReference,
}

/// A lead's calibrated probability from its position and final log-odds.
pub type Calibrate<'a> = dyn Fn(usize, f64) -> f64 + Sync + 'a;

/// A segment's own blend with the rule points and calibration (`[segments]`), fitted on its
/// leads' out-of-fold predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentCalibration {
    /// The blend, when the model is blended with rules.
    pub blend: Option<crate::blend::Blend>,
    /// The calibration of the blended log-odds.
    pub calibration: Calibration,
    /// The out-of-fold leads it was fitted on.
    pub leads: usize,
}

/// Per-step log-odds contributions of every lead: `contributions[step][lead]`, where `steps`
/// gives the pipeline step of each model input (`usize::MAX`: none, a segment's intercept).
pub fn contributions(
    pipeline: &FeaturePipeline,
    steps: &[usize],
    model: &LogisticModel,
    leads: &EncodedLeads,
) -> Vec<Vec<f64>> {
    let coefficients = leads.effective(&model.coefficients);
    (0..pipeline.steps.len())
        .into_par_iter()
        .map(|step| {
            let mut out = vec![0.0; leads.n_rows];
            for column in leads.numeric.iter().filter(|c| steps[c.input] == step) {
                let w = coefficients[column.input];
                for (c, x) in out.iter_mut().zip(&column.values) {
                    *c += w * x;
                }
            }
            for group in leads.groups.iter().filter(|g| steps[g.first] == step) {
                let weights = &coefficients[group.first..group.first + group.width];
                for (c, &code) in out.iter_mut().zip(&group.codes) {
                    if code != NONE {
                        *c += weights[code as usize];
                    }
                }
            }
            for group in leads.steps.iter().filter(|g| steps[g.first] == step) {
                let rise = crate::features::encoded::step_sums(&coefficients[group.first..group.first + group.width]);
                for (c, &code) in out.iter_mut().zip(&group.codes) {
                    *c += rise[code as usize];
                }
            }
            for block in leads.blocks.iter().filter(|b| steps[b.first] == step) {
                let weights = &coefficients[block.first..];
                for ((c, &code), x) in out.iter_mut().zip(&block.codes).zip(&block.values) {
                    if code != NONE {
                        *c += weights[code as usize] * x;
                    }
                }
            }
            out
        })
        .collect()
}

/// Sum of the centred contributions of the steps with `role`, per lead.
fn part(pipeline: &FeaturePipeline, contributions: &[Vec<f64>], baseline: &[f64], role: Role, n: usize) -> Vec<f64> {
    let mut sum = vec![0.0; n];
    for (step, values) in pipeline.steps.iter().zip(contributions.iter().zip(baseline)) {
        if step.role == role {
            let (c, mean) = values;
            sum.iter_mut().zip(c).for_each(|(s, c)| *s += c - mean);
        }
    }
    sum
}

fn quantiles(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    if sorted.is_empty() {
        return Vec::new();
    }
    (0..QUANTILES)
        .map(|k| sorted[(k * (sorted.len() - 1)) / (QUANTILES - 1)])
        .collect()
}

/// Reasons kept per lead.
const REASONS: usize = 4;
/// Smallest shift (log-odds) worth giving as a reason.
const SMALLEST_REASON: f64 = 0.05;

/// The steps that move a lead most from the average lead, largest first: at most `REASONS` (4),
/// kept in place (a million leads would otherwise make a million small allocations).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TopMoves {
    moves: [(usize, f64); REASONS],
    len: usize,
}

impl std::ops::Deref for TopMoves {
    type Target = [(usize, f64)];

    fn deref(&self) -> &[(usize, f64)] {
        &self.moves[..self.len]
    }
}

/// The steps that move `lead` most from the average lead, largest first.
fn top_moves(contributions: &[Vec<f64>], baseline: &[f64], lead: usize) -> TopMoves {
    let mut top = TopMoves::default();
    for (step, (values, mean)) in contributions.iter().zip(baseline).enumerate() {
        let shift = values[lead] - mean;
        if shift.abs() < SMALLEST_REASON || (top.len == REASONS && shift.abs() <= top.moves[REASONS - 1].1.abs()) {
            continue;
        }
        let at = top.partition_point(|&(_, m)| m.abs() >= shift.abs());
        top.len = (top.len + 1).min(REASONS);
        top.moves.copy_within(at..top.len - 1, at + 1);
        top.moves[at] = (step, shift);
    }
    top
}

/// Percentile (0–100) of `value` in a reference kept at 0.1 % steps.
pub fn percentile(reference: &[f64], value: f64) -> f64 {
    if reference.is_empty() {
        return f64::NAN;
    }
    let below = reference.partition_point(|&r| r <= value);
    100.0 * (below as f64 - 1.0).max(0.0) / (reference.len() - 1) as f64
}

/// Grade A–F of a percentile: A top 20 %, B next 20 %, … F bottom 20 %.
pub fn grade(percentile: f64) -> &'static str {
    match percentile {
        p if p >= 80.0 => "A",
        p if p >= 60.0 => "B",
        p if p >= 40.0 => "C",
        p if p >= 20.0 => "D",
        _ => "F",
    }
}

impl Scorer {
    /// Fits the reference distributions on the training leads, whose final (blended)
    /// log-odds are `z`.
    /// `calibrated(lead, z)` is a training lead's probability (`None`: by `calibration`; a
    /// model with segments calibrates each lead by its segment's).
    #[allow(clippy::too_many_arguments)]
    pub fn fit(
        pipeline: &FeaturePipeline,
        steps: &[usize],
        model: &LogisticModel,
        calibration: Calibration,
        bands: Bands,
        training: &EncodedLeads,
        z: &[f64],
        calibrated: Option<&Calibrate<'_>>,
    ) -> Scorer {
        let probabilities: Vec<f64> = match calibrated {
            Some(calibrated) => z.iter().enumerate().map(|(k, &z)| calibrated(k, z)).collect(),
            None => z.iter().map(|&z| calibration.apply(z)).collect(),
        };
        let contributions = contributions(pipeline, steps, model, training);
        let n = training.n_rows.max(1) as f64;
        let baseline: Vec<f64> = contributions.iter().map(|c| c.iter().sum::<f64>() / n).collect();
        let fit = part(pipeline, &contributions, &baseline, Role::Explicit, training.n_rows);
        let engagement = part(pipeline, &contributions, &baseline, Role::Implicit, training.n_rows);
        // Each reference sorts the training leads' values once: all of them at the same time.
        let ((score, reference), ((fit_reference, engagement_reference), features)) = rayon::join(
            || rayon::join(|| Histogram::fit(&probabilities), || quantiles(&probabilities)),
            || {
                rayon::join(
                    || rayon::join(|| quantiles(&fit), || quantiles(&engagement)),
                    || contributions.par_iter().map(|c| Histogram::fit(c)).collect(),
                )
            },
        );
        Scorer {
            calibration,
            bands,
            reference,
            baseline,
            fit_reference,
            engagement_reference,
            drift: DriftReference { score, features },
        }
    }

    /// The same scorer with a new calibration; the score's percentile and drift references are
    /// rebuilt from `z`, the final log-odds of the leads the calibration was fitted on.
    pub fn recalibrated(&self, calibration: Calibration, z: &[f64]) -> Scorer {
        let probabilities: Vec<f64> = z.iter().map(|&z| calibration.apply(z)).collect();
        self.with_references(calibration, &probabilities)
    }

    /// [`Scorer::recalibrated`] where each lead's probability is `calibrated(lead, z)` (a model
    /// with segments calibrates each lead by its segment's).
    pub fn recalibrated_by(&self, calibration: Calibration, z: &[f64], calibrated: &Calibrate<'_>) -> Scorer {
        let probabilities: Vec<f64> = z.iter().enumerate().map(|(k, &z)| calibrated(k, z)).collect();
        self.with_references(calibration, &probabilities)
    }

    fn with_references(&self, calibration: Calibration, probabilities: &[f64]) -> Scorer {
        let mut scorer = self.clone();
        scorer.reference = quantiles(probabilities);
        scorer.drift.score = Histogram::fit(probabilities);
        scorer.calibration = calibration;
        scorer
    }

    /// Scores encoded leads whose model log-odds are `model_z` and final (blended) log-odds
    /// are `z`, counts them into the drift histograms, and keeps the contributions the
    /// reasons came from.
    /// `calibrated(lead, z)`, when given, is a lead's probability (a model with segments
    /// calibrates each lead by its segment's calibration); else the scorer's calibration.
    #[allow(clippy::too_many_arguments)]
    pub fn score(
        &self,
        pipeline: &FeaturePipeline,
        steps: &[usize],
        model: &LogisticModel,
        leads: &EncodedLeads,
        model_z: &[f64],
        z: &[f64],
        calibrated: Option<&Calibrate<'_>>,
    ) -> BatchScores {
        let contributions = contributions(pipeline, steps, model, leads);
        let fit = part(pipeline, &contributions, &self.baseline, Role::Explicit, leads.n_rows);
        let engagement = part(pipeline, &contributions, &self.baseline, Role::Implicit, leads.n_rows);
        let probabilities: Vec<f64> = match calibrated {
            Some(calibrated) => z.par_iter().enumerate().map(|(k, &z)| calibrated(k, z)).collect(),
            None => z.par_iter().map(|&z| self.calibration.apply(z)).collect(),
        };
        let drift = DriftCounts::of(&self.drift, &probabilities, &contributions);
        let scores = (0..leads.n_rows)
            .into_par_iter()
            .map(|lead| {
                let probability = probabilities[lead];
                let score = (100.0 * probability).round();
                LeadScore {
                    score,
                    probability,
                    percentile: percentile(&self.reference, probability),
                    band: self.bands.index_of(score),
                    mql: score >= self.bands.mql,
                    model_probability: crate::model::sigmoid(model_z[lead]),
                    fit: grade(percentile(&self.fit_reference, fit[lead])),
                    engagement: percentile(&self.engagement_reference, engagement[lead]).round(),
                    top_moves: top_moves(&contributions, &self.baseline, lead),
                }
            })
            .collect();
        BatchScores {
            scores,
            drift,
            contributions,
        }
    }
}

/// A batch of leads scored.
pub struct BatchScores {
    /// Each lead's score.
    pub scores: Vec<LeadScore>,
    /// The batch's counts in the drift histograms.
    pub drift: DriftCounts,
    /// Each pipeline step's log-odds contribution per lead (`contributions[step][lead]`, as
    /// [`contributions`] gives them): what `score --explain` and the points table read.
    pub contributions: Vec<Vec<f64>>,
}

/// One lead's score.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScore {
    /// 0–100: 100 × calibrated probability, rounded.
    pub score: f64,
    /// Calibrated conversion probability.
    pub probability: f64,
    /// Percentile against the training leads.
    pub percentile: f64,
    /// Band, as an index into the scorer's band names.
    pub band: usize,
    /// Marketing qualified lead.
    pub mql: bool,
    /// The model's own probability, before calibration.
    pub model_probability: f64,
    /// Grade A–F of the explicit part.
    pub fit: &'static str,
    /// Percentile (0–100) of the implicit part.
    pub engagement: f64,
    /// Pipeline steps that move this lead most from the average lead: (step, log-odds).
    pub top_moves: TopMoves,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_moves_are_the_largest_shifts_in_order() {
        let contributions = vec![vec![0.5], vec![-2.0], vec![0.01], vec![1.0], vec![-0.3], vec![0.2]];
        let baseline = vec![0.0; 6];
        assert_eq!(
            *top_moves(&contributions, &baseline, 0),
            [(1, -2.0), (3, 1.0), (0, 0.5), (4, -0.3)]
        );
        let few = vec![vec![0.1], vec![-0.2], vec![0.01]];
        assert_eq!(*top_moves(&few, &[0.0; 3], 0), [(1, -0.2), (0, 0.1)]);
    }

    #[test]
    fn percentiles_and_grades() {
        let reference = quantiles(&(0..1000).map(f64::from).collect::<Vec<_>>());
        assert_eq!(percentile(&reference, -1.0), 0.0);
        assert!((percentile(&reference, 500.0) - 50.0).abs() < 0.2);
        assert_eq!(percentile(&reference, 5000.0), 100.0);
        assert_eq!(grade(85.0), "A");
        assert_eq!(grade(10.0), "F");
    }
}
