//! Why a lead scored as it did, in the field's words: the features that move it most from the
//! average lead (`+ job_level: VP`, `− events: days since last activity: 45`), then the rules
//! that gave it the most points (`+ rule demo_request (+25)`).

use std::fmt::Write as _;

use rayon::prelude::*;

use super::batch::Batch;
use crate::artifact::ModelArtifact;
use crate::data::values::Values;
use crate::data::FeatureColumn;
use crate::rules::RuleSet;
use crate::scorer::LeadScore;

/// Writes the reasons of scored leads in the field's words: the features that move a lead most,
/// then the two rules that gave it the most points.
pub(crate) struct Reasons<'a> {
    artifact: &'a ModelArtifact,
    batch: &'a Batch,
    rules: Option<&'a RuleSet>,
    /// The batch's column behind each pipeline step.
    columns: Vec<Option<&'a FeatureColumn>>,
}

impl<'a> Reasons<'a> {
    pub(crate) fn new(artifact: &'a ModelArtifact, batch: &'a Batch, rules: Option<&'a RuleSet>) -> Reasons<'a> {
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
    pub(crate) fn write(&self, out: &mut String, k: usize, score: &LeadScore) {
        let row = self.batch.rows[k];
        for (n, &(step, shift)) in score.top_moves.iter().enumerate() {
            if n > 0 {
                out.push_str("; ");
            }
            let value = self.columns[step].and_then(|c| shown_value(c, row));
            describe(out, &self.artifact.pipeline.steps[step].feature, shift, value);
        }
        if self.artifact.segments.is_some() && self.batch.segments[k] == crate::features::encoded::NONE {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str("scored by the shared model (its segment has no model of its own)");
        }
        if let Some((points, words)) = self.batch.adjusted.get(row).filter(|(_, words)| !words.is_empty()) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            let sign = if *points >= 0.0 { "+" } else { "−" };
            let _ = write!(out, "{sign} {words}");
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
    pub(crate) fn all(&self, scores: &[LeadScore]) -> Vec<String> {
        (scores.par_iter().enumerate())
            .map(|(k, score)| {
                let mut out = String::new();
                self.write(&mut out, k, score);
                out
            })
            .collect()
    }
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

/// Appends a reason in the field's words to `out`: `+ job_level: VP`,
/// `− events: days since last activity: 45`, `− industry missing`.
pub fn describe(out: &mut String, feature: &str, shift: f64, value: Option<impl std::fmt::Display>) {
    use std::fmt::Write;
    out.push_str(if shift >= 0.0 { "+ " } else { "− " });
    out.push_str(feature);
    match value {
        Some(value) => {
            out.push_str(": ");
            write!(out, "{value}").expect("writing to memory");
        }
        None => out.push_str(" missing"),
    }
}
