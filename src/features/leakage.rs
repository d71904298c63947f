//! Leakage audit: columns that predict the outcome too well to be known before conversion.
//!
//! Sales teams fill some CRM fields only after talking to a lead (tags, lead quality, scores).
//! A model trained on them looks excellent and is useless on new leads. Each column is scored
//! alone: its values (numbers in deciles, categories as they are, missing as its own value) are
//! replaced by their conversion rate in one half of the training rows, and the ROC AUC of that
//! is measured on the other half. A column is also flagged when many leads carry a value whose
//! outcome is all but certain (the signature of fields like "Closed by Horizzon" or "Ringing"),
//! or when it is filled far more often for converted leads than for the rest.

use serde::{Deserialize, Serialize};

use crate::data::values::{Values, MISSING};
use crate::data::{Derivation, FeatureColumn};
use rayon::prelude::*;

use crate::metrics::roc_auc_of_groups;

/// One column's leakage figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakageCheck {
    /// Feature name.
    pub feature: String,
    /// ROC AUC of the column alone (0.5 = no signal).
    pub single_feature_auc: f64,
    /// Share of converted leads with a value.
    pub filled_converted: f64,
    /// Share of other leads with a value.
    pub filled_not_converted: f64,
    /// Share of leads whose value (category or decile, seen 20+ times) has a near-certain
    /// outcome: a conversion rate within a tenth of the base rate of 0 % or of 100 %.
    pub near_certain_share: f64,
    /// Why it is flagged, when it is.
    pub flagged: Option<String>,
}

/// Share of leads with a near-certain value at or above which a column is flagged.
pub const NEAR_CERTAIN_LIMIT: f64 = 0.2;
/// How many times more often a column may be filled for converted leads before it is flagged.
pub const FILL_RATIO_LIMIT: f64 = 2.0;
/// Fewest leads a value needs before its conversion rate is trusted.
const MIN_GROUP: usize = 20;

/// Audits every column on the training rows. `auc_limit` is the single-feature AUC at or above
/// which a column is flagged.
pub fn audit(columns: &[FeatureColumn], outcome: &[bool], train: &[usize], auc_limit: f64) -> Vec<LeakageCheck> {
    columns
        .par_iter()
        .map(|column| check(column, outcome, train, auc_limit))
        .collect()
}

fn check(column: &FeatureColumn, outcome: &[bool], train: &[usize], auc_limit: f64) -> LeakageCheck {
    let groups = group_codes(&column.values, train);
    // Alternate rows: rates learned on even positions, AUC measured on odd ones.
    let n_groups = groups.iter().copied().max().map_or(0, |m| m as usize + 1);
    let (mut hits, mut totals) = (vec![0usize; n_groups], vec![0usize; n_groups]);
    for (k, (&group, &row)) in groups.iter().zip(train).enumerate() {
        if k % 2 == 0 {
            totals[group as usize] += 1;
            hits[group as usize] += usize::from(outcome[row]);
        }
    }
    let overall = hits.iter().sum::<usize>() as f64 / totals.iter().sum::<usize>().max(1) as f64;
    let near_certain_share = near_certain_share(&groups, outcome, train, n_groups);
    let rate = |g: usize| {
        if totals[g] == 0 {
            overall
        } else {
            (hits[g] as f64 + overall) / (totals[g] as f64 + 1.0)
        }
    };
    // Each held-out lead's score is its group's rate: the AUC needs only the counts per group.
    let (mut positives, mut negatives) = (vec![0usize; n_groups], vec![0usize; n_groups]);
    for (k, (&group, &row)) in groups.iter().zip(train).enumerate() {
        if k % 2 == 1 {
            let counts = if outcome[row] { &mut positives } else { &mut negatives };
            counts[group as usize] += 1;
        }
    }
    let rates: Vec<f64> = (0..n_groups).map(rate).collect();
    let auc = roc_auc_of_groups(&rates, &positives, &negatives).map_or(0.5, |a| a.max(1.0 - a));

    let (mut filled, mut count) = ([0usize; 2], [0usize; 2]);
    for &row in train {
        let class = usize::from(outcome[row]);
        count[class] += 1;
        filled[class] += usize::from(!column.values.is_missing(row));
    }
    let share = |c: usize| filled[c] as f64 / count[c].max(1) as f64;
    let (filled_converted, filled_not_converted) = (share(1), share(0));

    // Engagement aggregated from events is cut off at each lead's snapshot, so only its
    // predictive power is audited, not how often it is filled.
    let fill_audited = column.derivation != Derivation::Events;
    let converters_only = converters_only_value(column, outcome, train);
    let flagged = if auc >= auc_limit {
        Some(format!("alone it separates converters with ROC AUC {auc:.3}"))
    } else if near_certain_share >= NEAR_CERTAIN_LIMIT {
        Some(format!(
            "{:.0} % of leads have a value whose outcome is all but certain (ROC AUC alone {auc:.3}): probably entered after the outcome was known",
            100.0 * near_certain_share
        ))
    } else if let Some((value, share)) = converters_only {
        Some(format!(
            "\"{value}\" is held by {:.0} % of converted leads and by almost no other lead (ROC AUC alone {auc:.3}): a stage only converted leads reach, recorded after the outcome",
            100.0 * share
        ))
    } else if fill_audited && filled_converted >= 0.2 && filled_converted >= FILL_RATIO_LIMIT * filled_not_converted {
        Some(format!(
            "filled for {:.0} % of converted leads but only {:.0} % of the others (ROC AUC alone {auc:.3}): probably entered after contact",
            100.0 * filled_converted,
            100.0 * filled_not_converted
        ))
    } else {
        None
    };
    LeakageCheck {
        feature: column.name.clone(),
        single_feature_auc: auc,
        filled_converted,
        filled_not_converted,
        near_certain_share,
        flagged,
    }
}

/// Share of converted leads a category held by converted leads alone must reach to be flagged.
pub const CONVERTERS_ONLY_SHARE: f64 = 0.2;

/// The category of a column (held by 10+ training leads) that converted leads have and the
/// others almost never do — a conversion rate within a tenth of the non-conversion rate of 1 —
/// with the share of converted leads holding it, when that share is the largest such and at
/// least [`CONVERTERS_ONLY_SHARE`]: how `Lifecycle Stage = opportunity` shows, which only
/// converted leads reach, even where it is too rare to make the column separate converters alone.
fn converters_only_value(column: &FeatureColumn, outcome: &[bool], train: &[usize]) -> Option<(String, f64)> {
    let Values::Categorical(c) = &column.values else {
        return None;
    };
    let (mut hits, mut totals) = (vec![0usize; c.levels.len()], vec![0usize; c.levels.len()]);
    let mut converted = 0usize;
    for &row in train {
        converted += usize::from(outcome[row]);
        if c.codes[row] != MISSING {
            totals[c.codes[row] as usize] += 1;
            hits[c.codes[row] as usize] += usize::from(outcome[row]);
        }
    }
    let base = converted as f64 / train.len().max(1) as f64;
    (0..c.levels.len())
        .filter(|&l| totals[l] >= 10 && hits[l] as f64 / totals[l] as f64 >= 1.0 - (1.0 - base) / 10.0)
        .map(|l| (c.levels[l].clone(), hits[l] as f64 / converted.max(1) as f64))
        .filter(|(_, share)| *share >= CONVERTERS_ONLY_SHARE)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Share of training leads in groups (of 20+ leads) whose conversion rate is within a tenth of
/// the base rate of 0, or within a tenth of the non-conversion rate of 1.
fn near_certain_share(groups: &[u32], outcome: &[bool], train: &[usize], n_groups: usize) -> f64 {
    let (mut hits, mut totals) = (vec![0usize; n_groups], vec![0usize; n_groups]);
    for (&group, &row) in groups.iter().zip(train) {
        totals[group as usize] += 1;
        hits[group as usize] += usize::from(outcome[row]);
    }
    let n = train.len().max(1) as f64;
    let base = hits.iter().sum::<usize>() as f64 / n;
    let near_certain: usize = totals
        .iter()
        .zip(&hits)
        .filter(|(&t, &h)| {
            let rate = h as f64 / t.max(1) as f64;
            t >= MIN_GROUP && (rate <= base / 10.0 || rate >= 1.0 - (1.0 - base) / 10.0)
        })
        .map(|(&t, _)| t)
        .sum();
    near_certain as f64 / n
}

/// A small integer group per training row: the category, or the decile of a number; missing
/// values form a group of their own.
fn group_codes(values: &Values, train: &[usize]) -> Vec<u32> {
    match values {
        Values::Categorical(c) => {
            let missing_group = c.levels.len() as u32;
            train
                .iter()
                .map(|&i| {
                    if c.codes[i] == MISSING {
                        missing_group
                    } else {
                        c.codes[i]
                    }
                })
                .collect()
        }
        Values::Numeric(v) | Values::Boolean(v) => {
            let mut present: Vec<f64> = train.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
            present.sort_unstable_by(f64::total_cmp);
            present.dedup();
            let edges: Vec<f64> = if present.len() <= 10 {
                present
            } else {
                (1..10).map(|d| present[d * present.len() / 10]).collect()
            };
            train
                .iter()
                .map(|&i| {
                    let x = v[i];
                    if x.is_nan() {
                        edges.len() as u32 + 1
                    } else {
                        edges.partition_point(|&e| e < x) as u32
                    }
                })
                .collect()
        }
        Values::Datetime(t) => train.iter().map(|&i| u32::from(t[i].is_some())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Role;
    use crate::data::values::Categorical;

    #[test]
    fn a_stage_only_converted_leads_reach_is_flagged_though_it_is_rare() {
        let n = 5000;
        // One lead in ten converts; a third of those reached "opportunity", which no other lead
        // did. Alone the column is far from separating converters, and few leads hold the stage.
        let outcome: Vec<bool> = (0..n).map(|i| i % 20 == 0 || i % 20 == 7).collect();
        let stage = Categorical::from_values((0..n).map(|i| {
            Some(match (outcome[i], (i / 20) % 3) {
                (true, 0) => "opportunity",
                (_, 1) => "lead",
                _ => "subscriber",
            })
        }));
        let other = Categorical::from_values((0..n).map(|i| Some(["a", "b", "c"][(i / 10) % 3])));
        let columns = vec![
            column("Lifecycle Stage", Values::Categorical(stage)),
            column("Industry", Values::Categorical(other)),
        ];
        let rows: Vec<usize> = (0..n).collect();
        let checks = audit(&columns, &outcome, &rows, 0.95);
        assert!(
            checks[0].single_feature_auc < 0.95 && checks[0].near_certain_share < 0.2,
            "{:?}",
            checks[0]
        );
        let flagged = checks[0].flagged.as_deref().unwrap_or_default();
        assert!(
            flagged.contains("\"opportunity\" is held by 34 % of converted leads"),
            "{flagged}"
        );
        assert!(checks[1].flagged.is_none(), "{:?}", checks[1]);
    }

    fn column(name: &str, values: Values) -> FeatureColumn {
        FeatureColumn::direct(name, Role::Explicit, values)
    }

    #[test]
    fn a_column_filled_after_conversion_is_flagged_and_noise_is_not() {
        let n = 2000;
        let outcome: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        // "Tags" says "Will revert" for converters and is mostly empty otherwise.
        let tags = Categorical::from_values((0..n).map(|i| {
            if i % 3 == 0 {
                Some("Will revert")
            } else if i % 7 == 0 {
                Some("Ringing")
            } else {
                None
            }
        }));
        let noise = Values::Numeric((0..n).map(|i| ((i * 7919) % 101) as f64).collect());
        let columns = vec![column("Tags", Values::Categorical(tags)), column("Noise", noise)];
        let rows: Vec<usize> = (0..n).collect();
        let checks = audit(&columns, &outcome, &rows, 0.95);
        assert!(checks[0].flagged.is_some(), "{:?}", checks[0]);
        assert!(checks[0].single_feature_auc > 0.95);
        assert!(checks[1].flagged.is_none(), "{:?}", checks[1]);
        assert!(checks[1].single_feature_auc < 0.6);
        assert_eq!(checks[1].near_certain_share, 0.0);
    }

    #[test]
    fn near_certain_values_and_one_sided_filling_are_flagged() {
        let n = 3000;
        let outcome: Vec<bool> = (0..n).map(|i| i % 5 < 2).collect();
        // Three in ten leads carry "Lost to rival" and never convert.
        let status = Categorical::from_values((0..n).map(|i| {
            if i % 2 == 1 && !outcome[i] {
                Some("Lost to rival")
            } else {
                Some(["a", "b"][i % 2])
            }
        }));
        // Filled for 60 % of converters and 20 % of the others.
        let quality = Categorical::from_values((0..n).map(|i| {
            if (outcome[i] && i % 5 < 2 && i % 10 < 6) || (!outcome[i] && i % 5 == 4) {
                Some("High")
            } else {
                None
            }
        }));
        let columns = vec![
            column("Status", Values::Categorical(status)),
            column("Quality", Values::Categorical(quality)),
        ];
        let rows: Vec<usize> = (0..n).collect();
        let checks = audit(&columns, &outcome, &rows, 0.95);
        assert!(checks[0].near_certain_share >= 0.2, "{:?}", checks[0]);
        assert!(
            checks[0]
                .flagged
                .as_deref()
                .unwrap_or_default()
                .contains("all but certain"),
            "{:?}",
            checks[0]
        );
        assert!(
            checks[1].flagged.as_deref().unwrap_or_default().contains("filled for"),
            "{:?}",
            checks[1]
        );
    }
}
