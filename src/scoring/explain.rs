//! A score that explains itself (`score --explain`): each lead's log-odds and the part of it
//! each feature and each rule gives, so that the parts add up to the log-odds and a change
//! between two scores files can be put down to what moved.
//!
//! The log-odds is `logit(probability)` when the calibration is Platt's (or none): then the parts
//! add up to the score exactly. With isotonic calibration, which is not a straight line, it is
//! the blended log-odds before calibration. A feature's part is what it adds against the average
//! training lead; `part: base` holds the rest (the intercepts, the average lead, the
//! calibration's shift).

use super::batch::Batch;
use crate::artifact::ModelArtifact;
use crate::calibration::Calibration;
use crate::rules::RuleSet;

/// The prefix of every part's column.
pub const PART: &str = "part: ";

/// The explanation columns of a model's scores file: `log_odds`, then the parts.
pub fn column_names(artifact: &ModelArtifact, rules: Option<&RuleSet>) -> Vec<String> {
    let mut names = vec!["log_odds".to_string(), format!("{PART}base")];
    names.extend(artifact.pipeline.steps.iter().map(|s| format!("{PART}{}", s.feature)));
    if let Some(rules) = rules {
        names.extend(rules.rules.iter().map(|r| format!("{PART}rule {}", r.rule.name)));
        names.push(format!("{PART}inactivity decay"));
        names.push(format!("{PART}sales adjustments"));
        names.push(format!("{PART}points caps"));
    }
    names
}

/// Each scored lead of `batch` (in `batch.rows` order): its log-odds and its parts, in
/// [`column_names`] order after `log_odds`, from its features' `contributions` (as scoring
/// computed them, `contributions[step][lead]`).
pub fn explain(
    artifact: &ModelArtifact,
    batch: &Batch,
    rules: Option<&RuleSet>,
    contributions: &[Vec<f64>],
) -> Vec<(f64, Vec<f64>)> {
    let baseline = &artifact.scorer.baseline;
    let n_rules = rules.map_or(0, |r| r.rules.len());
    (0..batch.rows.len())
        .map(|k| {
            let row = batch.rows[k];
            let code = batch.segments.get(k).copied().unwrap_or(crate::features::encoded::NONE);
            let blend = artifact.blend_of(code);
            let (model_weight, points_weight) = blend.map_or((1.0, 0.0), |b| (b.model_weight, b.points_weight));
            let points = batch.points.as_ref().map_or(0.0, |p| p.total[row]);
            let blended = blend.map_or(batch.model_z[k], |b| b.apply(batch.model_z[k], points));
            let (slope, shift) = match artifact.calibration_of(code) {
                Calibration::Platt { slope, intercept } => (*slope, *intercept),
                _ => (1.0, 0.0),
            };
            let log_odds = slope * blended + shift;
            let mut parts = Vec::with_capacity(1 + contributions.len() + n_rules + 2);
            parts.push(0.0);
            let scale = slope * model_weight;
            parts.extend((contributions.iter().zip(baseline)).map(|(c, mean)| scale * (c[k] - mean)));
            if let (Some(points), Some(_)) = (&batch.points, rules) {
                let scale = slope * points_weight;
                let mut per_rule = vec![0.0; n_rules];
                for &(rule, given) in &points.fired[row] {
                    per_rule[rule] += given;
                }
                let adjusted = batch.adjusted.get(row).map_or(0.0, |a| a.0);
                let caps = points.total[row] - per_rule.iter().sum::<f64>() - points.decay[row] - adjusted;
                parts.extend(per_rule.iter().map(|p| scale * p));
                parts.push(scale * points.decay[row]);
                parts.push(scale * adjusted);
                parts.push(scale * caps);
            }
            parts[0] = log_odds - parts[1..].iter().sum::<f64>();
            (log_odds, parts)
        })
        .collect()
}
