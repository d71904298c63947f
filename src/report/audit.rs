//! The rule audit: for each of marketing's rules, how often it fired, how leads converted when
//! it did, and how many points the data says it is worth on the scale of the current points.
//!
//! The data's view comes from one logistic regression of the outcome on every rule at once
//! (each rule as the number of times it counted, so a capped "each" rule is a count), so a rule
//! is judged for what it adds beyond the others. Its log-odds effect is put on the points scale
//! by what one point of the current total is worth: the slope of a logistic regression of the
//! outcome on the total points.

use serde::{Deserialize, Serialize};

use crate::model::dense::fit_dense;
use crate::model::params::LogisticParams;
use crate::rules::engine::Points;
use crate::rules::{Criterion, RuleSet};

/// A rule is judged only when it fired for at least this many leads.
pub const MIN_FIRED: usize = 30;
/// L2 strength of the regression on the rules (on the summed log loss), which keeps rare rules'
/// effects from running away.
const ALPHA: f64 = 1.0;

/// The fit of the rules stops when the gradient's norm is below this per lead.
const TOLERANCE: f64 = 1e-7;

/// The audit of a rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAudit {
    /// Log-odds one point of the current total is worth on these leads (null when the points do
    /// not rank leads the right way round).
    pub log_odds_per_point: Option<f64>,
    /// One row per rule, in the rules file's order, then inactivity decay, then each reason of
    /// sales' adjustments.
    pub rules: Vec<RuleRow>,
}

/// One rule against the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    /// Rule name (`inactivity` for the decay).
    pub name: String,
    /// `column`, `event`, `decay` or `sales` (manual points of one reason).
    pub kind: String,
    /// Its points now (per count; for decay, per period of inactivity).
    pub points: f64,
    /// Leads it gave points to.
    pub fired: usize,
    /// fired / leads.
    pub fired_share: f64,
    /// Conversion rate of the leads it fired for (null when it never fired).
    pub conversion_when_fired: Option<f64>,
    /// Conversion rate of the others (null when it fired for every lead).
    pub conversion_when_not: Option<f64>,
    /// Conversion when fired over the base rate.
    pub lift: Option<f64>,
    /// Its log-odds effect per count, holding the other rules fixed.
    pub effect_log_odds: f64,
    /// The points that effect is worth on the current scale (null without a scale).
    pub suggested_points: Option<f64>,
    /// `agrees`, `more`, `fewer`, `opposite`, `too_few_leads` or `never_fired`.
    pub verdict: String,
}

impl RuleRow {
    /// The verdict for people.
    pub fn verdict_words(&self) -> &'static str {
        match self.verdict.as_str() {
            "agrees" => "the data agrees",
            "more" => "deserves more points",
            "fewer" => "deserves fewer points",
            "opposite" => "the data says the opposite sign",
            "too_few_leads" => "too few leads to judge",
            _ => "never fired",
        }
    }

    /// Whether a reviewer should look at this rule.
    pub fn flagged(&self) -> bool {
        matches!(self.verdict.as_str(), "more" | "fewer" | "opposite")
    }
}

/// How current and suggested points compare.
pub fn verdict(current: f64, suggested: Option<f64>, fired: usize) -> &'static str {
    if fired == 0 {
        return "never_fired";
    }
    if fired < MIN_FIRED {
        return "too_few_leads";
    }
    let Some(suggested) = suggested else {
        return "too_few_leads";
    };
    let gap = (suggested - current).abs();
    if current != 0.0 && suggested.signum() != current.signum() && suggested.abs() >= (0.25 * current.abs()).max(2.0) {
        "opposite"
    } else if suggested.abs() > 2.0 * current.abs() && gap >= 5.0 {
        "more"
    } else if suggested.abs() < 0.5 * current.abs() && gap >= 5.0 {
        "fewer"
    } else {
        "agrees"
    }
}

/// A column audited beside the rules: sales' manual points of one reason.
pub struct Extra {
    /// `sales: met at trade show`.
    pub name: String,
    /// The points of one such adjustment (the most common).
    pub points: f64,
    /// How many times (points given over `points`) each evaluated lead got it.
    pub counts: Vec<f64>,
}

/// Audits `rules` with the points they gave: `rows` are the evaluated leads (indices into
/// `points`) and `outcome` their outcomes, in the same order; `extra` are sales' adjustments,
/// judged the same way (kind `sales`).
pub fn audit(rules: &RuleSet, points: &Points, rows: &[usize], outcome: &[bool], extra: Vec<Extra>) -> RuleAudit {
    let n = rows.len();
    let base_rate = outcome.iter().filter(|&&y| y).count() as f64 / n.max(1) as f64;
    // Counts per rule per lead: the points given over the rule's points.
    let mut columns: Vec<(String, String, f64, Vec<f64>)> = rules
        .rules
        .iter()
        .map(|rule| {
            let kind = match rule.criterion {
                Criterion::Column { .. } => "column",
                _ => "event",
            };
            (rule.rule.name.clone(), kind.to_string(), rule.rule.points, vec![0.0; n])
        })
        .collect();
    for (k, &row) in rows.iter().enumerate() {
        for &(rule, given) in &points.fired[row] {
            let each = columns[rule].2;
            columns[rule].3[k] += if each == 0.0 { 1.0 } else { given / each };
        }
    }
    if let Some(decay) = &rules.file.decay {
        let periods = rows.iter().map(|&row| points.decay[row] / decay.points).collect();
        columns.push(("inactivity".into(), "decay".into(), decay.points, periods));
    }
    columns.extend(
        extra
            .into_iter()
            .map(|e| (e.name, "sales".to_string(), e.points, e.counts)),
    );

    let effects = fit_effects(&columns.iter().map(|c| c.3.clone()).collect::<Vec<_>>(), outcome);
    let totals: Vec<f64> = rows.iter().map(|&row| points.total[row]).collect();
    let per_point = fit_effects(&[totals], outcome)
        .map(|w| w[0])
        .filter(|&w| w > 0.0 && w.is_finite());

    let rules = columns
        .into_iter()
        .enumerate()
        .map(|(r, (name, kind, current, counts))| {
            let (mut fired, mut converted, mut converted_not) = (0usize, 0usize, 0usize);
            for (&c, &y) in counts.iter().zip(outcome) {
                if c != 0.0 {
                    fired += 1;
                    converted += usize::from(y);
                } else {
                    converted_not += usize::from(y);
                }
            }
            let when_fired = (fired > 0).then(|| converted as f64 / fired as f64);
            let effect = effects.as_ref().map_or(0.0, |e| e[r]);
            let suggested = per_point.filter(|_| effects.is_some()).map(|w| effect / w);
            // Sales' boosts ask whether the leads sales boosted convert: one the data backs at
            // least as strongly as its points agrees; only one it does not back is flagged.
            let judged = match verdict(current, suggested, fired) {
                "more" if kind == "sales" => "agrees",
                other => other,
            };
            RuleRow {
                verdict: judged.to_string(),
                name,
                kind,
                points: current,
                fired,
                fired_share: fired as f64 / n.max(1) as f64,
                conversion_when_fired: when_fired,
                conversion_when_not: (fired < n).then(|| converted_not as f64 / (n - fired) as f64),
                lift: when_fired.filter(|_| base_rate > 0.0).map(|c| c / base_rate),
                effect_log_odds: effect,
                suggested_points: suggested,
            }
        })
        .collect();
    RuleAudit {
        log_odds_per_point: per_point,
        rules,
    }
}

/// Log-odds effects of `columns` in one regularised logistic regression (`None` with one class).
fn fit_effects(columns: &[Vec<f64>], outcome: &[bool]) -> Option<Vec<f64>> {
    let columns: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let params = LogisticParams::new()
        .alpha(ALPHA)
        .max_iterations(500)
        .gradient_tolerance_per_lead(TOLERANCE);
    fit_dense(&columns, outcome, params).ok().map(|m| m.coefficients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sigmoid;

    #[test]
    fn verdicts() {
        assert_eq!(verdict(10.0, Some(11.0), 500), "agrees");
        assert_eq!(verdict(10.0, Some(30.0), 500), "more");
        assert_eq!(verdict(50.0, Some(12.0), 500), "fewer");
        assert_eq!(verdict(5.0, Some(-8.0), 500), "opposite");
        // A small gap is no disagreement, whatever the ratio.
        assert_eq!(verdict(1.0, Some(3.0), 500), "agrees");
        assert_eq!(verdict(10.0, Some(40.0), 10), "too_few_leads");
        assert_eq!(verdict(10.0, None, 0), "never_fired");
    }

    #[test]
    fn effects_recover_planted_log_odds() {
        // Two 0/1 rules with planted effects +1.5 and −0.5 over a base of −1, in exact
        // frequencies on 4 cells of 2,000 leads.
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for (xa, xb) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
            let p = sigmoid(-1.0 + 1.5 * xa - 0.5 * xb);
            let positives = (p * 2000.0).round() as usize;
            for k in 0..2000 {
                a.push(xa);
                b.push(xb);
                y.push(k < positives);
            }
        }
        let effects = fit_effects(&[a, b], &y).unwrap();
        assert!((effects[0] - 1.5).abs() < 0.01, "{effects:?}");
        assert!((effects[1] + 0.5).abs() < 0.01, "{effects:?}");
    }
}
