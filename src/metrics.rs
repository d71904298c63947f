//! How well scores separate converters from non-converters, and how honest their probabilities
//! are: pure functions on slices, tested against hand-computed values and scikit-learn.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Area under the ROC curve: the chance that a random converter scores above a random
/// non-converter (ties count half). `None` when only one class is present.
pub fn roc_auc(outcome: &[bool], score: &[f64]) -> Option<f64> {
    roc_auc_in(outcome, score, &sorted_order(score))
}

/// [`roc_auc`] with the leads' order by score given.
fn roc_auc_in(outcome: &[bool], score: &[f64], order: &[usize]) -> Option<f64> {
    let (n_pos, n_neg) = class_counts(outcome);
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    // Mann–Whitney: sum of the (tie-averaged) ranks of the converters.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && score[order[end]] == score[order[start]] {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0;
        let positives = order[start..end].iter().filter(|&&i| outcome[i]).count();
        rank_sum += average_rank * positives as f64;
        start = end;
    }
    let n_pos = n_pos as f64;
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg as f64))
}

/// Spearman's rank correlation of `a` and `b` (ties take their average rank); NaN when either
/// is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    ab / (aa * bb).sqrt()
}

/// The rank (1-based) of each value, ties given their average rank.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let order = sorted_order(values);
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Two ROC AUCs of the same leads and the difference between them, with DeLong's variance of
/// the difference (DeLong, DeLong & Clarke-Pearson 1988), which accounts for both scores
/// ranking the same leads; computed from mid-ranks as Sun & Xu (2014) do.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedAuc {
    /// ROC AUC of the first score.
    pub auc_a: f64,
    /// ROC AUC of the second score.
    pub auc_b: f64,
    /// `auc_b − auc_a`.
    pub difference: f64,
    /// DeLong's variance of the difference.
    pub variance: f64,
    /// The 95 % confidence interval of the difference, low end.
    pub low: f64,
    /// The 95 % confidence interval of the difference, high end.
    pub high: f64,
    /// Two-sided p-value of "no difference" (1 when the variance is 0).
    pub p_value: f64,
}

/// [`PairedAuc`] of scores `a` and `b` of the same leads. `None` when only one class is
/// present.
pub fn delong_paired(outcome: &[bool], a: &[f64], b: &[f64]) -> Option<PairedAuc> {
    let (m, n) = class_counts(outcome);
    if m == 0 || n == 0 {
        return None;
    }
    // Structural components: for each converter, the share of non-converters it outranks
    // (ties half); for each non-converter, the share of converters that outrank it.
    let components = |score: &[f64]| {
        let all = average_ranks(score);
        let pos: Vec<f64> = (0..score.len()).filter(|&i| outcome[i]).map(|i| score[i]).collect();
        let neg: Vec<f64> = (0..score.len()).filter(|&i| !outcome[i]).map(|i| score[i]).collect();
        let (within_pos, within_neg) = (average_ranks(&pos), average_ranks(&neg));
        let (mut v10, mut v01) = (Vec::with_capacity(m), Vec::with_capacity(n));
        let (mut p, mut q) = (0, 0);
        for (i, &rank) in all.iter().enumerate() {
            if outcome[i] {
                v10.push((rank - within_pos[p]) / n as f64);
                p += 1;
            } else {
                v01.push(1.0 - (rank - within_neg[q]) / m as f64);
                q += 1;
            }
        }
        (v10, v01)
    };
    let ((a10, a01), (b10, b01)) = (components(a), components(b));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // Sample covariance (n − 1), 0 with one lead.
    let cov = |x: &[f64], y: &[f64]| {
        if x.len() < 2 {
            return 0.0;
        }
        let (mx, my) = (mean(x), mean(y));
        x.iter().zip(y).map(|(u, v)| (u - mx) * (v - my)).sum::<f64>() / (x.len() - 1) as f64
    };
    let (auc_a, auc_b) = (mean(&a10), mean(&b10));
    let part = |x10: &[f64], x01: &[f64], y10: &[f64], y01: &[f64]| cov(x10, y10) / m as f64 + cov(x01, y01) / n as f64;
    let variance =
        (part(&a10, &a01, &a10, &a01) + part(&b10, &b01, &b10, &b01) - 2.0 * part(&a10, &a01, &b10, &b01)).max(0.0);
    let difference = auc_b - auc_a;
    let half = Z_95 * variance.sqrt();
    let p_value = if variance > 0.0 {
        2.0 * normal_upper_tail((difference / variance.sqrt()).abs())
    } else {
        1.0
    };
    Some(PairedAuc {
        auc_a,
        auc_b,
        difference,
        variance,
        low: difference - half,
        high: difference + half,
        p_value,
    })
}

/// The 97.5 % quantile of the standard normal distribution.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// P(Z > z) for a standard normal Z: erfc(z / √2) / 2 (fractional error below 1.2e-7, ample for
/// a p-value).
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`, fractional error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// [`roc_auc`] of leads that come in groups, every lead of group `g` scored `score[g]`:
/// `positives[g]` converted, `negatives[g]` did not. The same figure from the counts alone.
pub fn roc_auc_of_groups(score: &[f64], positives: &[usize], negatives: &[usize]) -> Option<f64> {
    let (n_pos, n_neg) = (positives.iter().sum::<usize>(), negatives.iter().sum::<usize>());
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..score.len()).filter(|&g| positives[g] + negatives[g] > 0).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    // Mann–Whitney over blocks of equal score, as `roc_auc` walks them.
    let (mut rank_sum, mut start, mut k) = (0.0, 0usize, 0);
    while k < order.len() {
        let (mut leads, mut converted) = (0, 0);
        let value = score[order[k]];
        while k < order.len() && score[order[k]] == value {
            leads += positives[order[k]] + negatives[order[k]];
            converted += positives[order[k]];
            k += 1;
        }
        let end = start + leads;
        rank_sum += (start + end + 1) as f64 / 2.0 * converted as f64;
        start = end;
    }
    let n_pos = n_pos as f64;
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg as f64))
}

/// Average precision (area under the precision–recall curve as scikit-learn's
/// `average_precision_score` computes it). `None` without converters.
pub fn average_precision(outcome: &[bool], score: &[f64]) -> Option<f64> {
    average_precision_in(outcome, score, &sorted_order(score))
}

/// [`average_precision`] with the leads' order by score given.
fn average_precision_in(outcome: &[bool], score: &[f64], order: &[usize]) -> Option<f64> {
    let (n_pos, _) = class_counts(outcome);
    if n_pos == 0 {
        return None;
    }
    // From the highest score down; the order within ties does not matter.
    let order: Vec<usize> = order.iter().rev().copied().collect();
    let (mut true_pos, mut seen, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && score[order[end]] == score[order[start]] {
            end += 1;
        }
        true_pos += order[start..end].iter().filter(|&&i| outcome[i]).count();
        seen += end - start;
        let recall = true_pos as f64 / n_pos as f64;
        ap += (recall - last_recall) * true_pos as f64 / seen as f64;
        last_recall = recall;
        start = end;
    }
    Some(ap)
}

/// Mean negative log-likelihood of the outcomes (probabilities clipped to `[ε, 1 − ε]`).
pub fn log_loss(outcome: &[bool], probability: &[f64]) -> f64 {
    let eps = f64::EPSILON;
    let total: f64 = outcome
        .iter()
        .zip(probability)
        .map(|(&y, &p)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    total / outcome.len() as f64
}

/// Brier score: mean squared difference between probability and outcome.
pub fn brier(outcome: &[bool], probability: &[f64]) -> f64 {
    let total: f64 = outcome
        .iter()
        .zip(probability)
        .map(|(&y, &p)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    total / outcome.len() as f64
}

/// Expected calibration error over `bins` equal-count bins of the sorted probabilities:
/// the count-weighted mean gap between predicted and observed conversion.
pub fn expected_calibration_error(outcome: &[bool], probability: &[f64], bins: usize) -> f64 {
    expected_calibration_error_in(outcome, probability, bins, &sorted_order(probability))
}

/// [`expected_calibration_error`] with the leads' order by probability given.
fn expected_calibration_error_in(outcome: &[bool], probability: &[f64], bins: usize, order: &[usize]) -> f64 {
    let n = order.len();
    let mut ece = 0.0;
    for b in 0..bins {
        let (start, end) = (b * n / bins, (b + 1) * n / bins);
        if start == end {
            continue;
        }
        let members = &order[start..end];
        let predicted: f64 = members.iter().map(|&i| probability[i]).sum::<f64>() / members.len() as f64;
        let observed = members.iter().filter(|&&i| outcome[i]).count() as f64 / members.len() as f64;
        ece += (end - start) as f64 / n as f64 * (predicted - observed).abs();
    }
    ece
}

/// Kolmogorov–Smirnov statistic: the largest gap between the score distributions of
/// converters and non-converters.
pub fn ks_statistic(outcome: &[bool], score: &[f64]) -> Option<f64> {
    ks_statistic_in(outcome, score, &sorted_order(score))
}

/// [`ks_statistic`] with the leads' order by score given.
fn ks_statistic_in(outcome: &[bool], score: &[f64], order: &[usize]) -> Option<f64> {
    let (n_pos, n_neg) = class_counts(outcome);
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let (mut pos, mut neg, mut best) = (0usize, 0usize, 0.0f64);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && score[order[end]] == score[order[start]] {
            end += 1;
        }
        for &i in &order[start..end] {
            if outcome[i] {
                pos += 1
            } else {
                neg += 1
            }
        }
        best = best.max((pos as f64 / n_pos as f64 - neg as f64 / n_neg as f64).abs());
        start = end;
    }
    Some(best)
}

/// One bin of a reliability diagram: leads whose probability fell in `(lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge (the first bin also holds probability 0).
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Leads in the bin.
    pub leads: usize,
    /// Their mean predicted probability.
    pub predicted: f64,
    /// The share of them that converted.
    pub observed: f64,
}

/// Reliability diagram over `bins` equal-width probability bins, as scikit-learn's
/// `calibration_curve(strategy="uniform")` bins them: edges `k / bins`, each bin holding
/// `(lower, upper]`; empty bins are left out.
pub fn reliability(outcome: &[bool], probability: &[f64], bins: usize) -> Vec<ReliabilityBin> {
    // numpy's linspace(0, 1, bins + 1): k × (1 / bins).
    let step = 1.0 / bins as f64;
    let inner: Vec<f64> = (1..bins).map(|k| k as f64 * step).collect();
    let (mut sums, mut positives, mut counts) = (vec![0.0; bins], vec![0usize; bins], vec![0usize; bins]);
    for (&y, &p) in outcome.iter().zip(probability) {
        let bin = inner.partition_point(|&edge| edge < p);
        sums[bin] += p;
        positives[bin] += usize::from(y);
        counts[bin] += 1;
    }
    (0..bins)
        .filter(|&b| counts[b] > 0)
        .map(|b| ReliabilityBin {
            lower: if b == 0 { 0.0 } else { inner[b - 1] },
            upper: if b == bins - 1 { 1.0 } else { inner[b] },
            leads: counts[b],
            predicted: sums[b] / counts[b] as f64,
            observed: positives[b] as f64 / counts[b] as f64,
        })
        .collect()
}

/// The ROC curve: (false positive rate, true positive rate) from (0, 0) through every distinct
/// score, highest first. `None` when only one class is present.
pub fn roc_curve(outcome: &[bool], score: &[f64]) -> Option<Vec<(f64, f64)>> {
    let (n_pos, n_neg) = class_counts(outcome);
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order = sorted_order(score);
    order.reverse();
    let mut points = vec![(0.0, 0.0)];
    let (mut pos, mut neg) = (0usize, 0usize);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && score[order[end]] == score[order[start]] {
            end += 1;
        }
        let hits = order[start..end].iter().filter(|&&i| outcome[i]).count();
        pos += hits;
        neg += end - start - hits;
        points.push((neg as f64 / n_neg as f64, pos as f64 / n_pos as f64));
        start = end;
    }
    Some(points)
}

/// One group of a gains table: the leads ranked by score, highest first, cut into equal groups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    /// 1 for the top-scored group.
    pub group: usize,
    /// Leads in the group.
    pub leads: usize,
    /// Conversions in the group.
    pub conversions: usize,
    /// Share of the group that converted.
    pub conversion_rate: f64,
    /// Share of all leads in this and the higher groups.
    pub cumulative_leads: f64,
    /// Share of all conversions in this and the higher groups (the gain).
    pub cumulative_conversions: f64,
    /// The group's conversion rate over the base rate.
    pub lift: f64,
    /// The cumulative conversion rate over the base rate.
    pub cumulative_lift: f64,
}

/// Cumulative gains and lift over `groups` equal-size groups of leads ranked by `score`, highest
/// first; tied scores keep file order, so a tie can straddle two groups. Empty without
/// conversions.
pub fn gains(outcome: &[bool], score: &[f64], groups: usize) -> Vec<GainsRow> {
    let (n_pos, _) = class_counts(outcome);
    let n = outcome.len();
    if n_pos == 0 || n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    // `+ 0.0` makes −0 and 0 one score, as they are.
    order.sort_by(|&a, &b| (score[b] + 0.0).total_cmp(&(score[a] + 0.0)));
    let base_rate = n_pos as f64 / n as f64;
    let (mut seen, mut converted) = (0usize, 0usize);
    (0..groups)
        .map(|g| {
            let members = &order[g * n / groups..(g + 1) * n / groups];
            let conversions = members.iter().filter(|&&i| outcome[i]).count();
            seen += members.len();
            converted += conversions;
            let rate = if members.is_empty() {
                0.0
            } else {
                conversions as f64 / members.len() as f64
            };
            GainsRow {
                group: g + 1,
                leads: members.len(),
                conversions,
                conversion_rate: rate,
                cumulative_leads: seen as f64 / n as f64,
                cumulative_conversions: converted as f64 / n_pos as f64,
                lift: rate / base_rate,
                cumulative_lift: if seen == 0 {
                    0.0
                } else {
                    converted as f64 / seen as f64 / base_rate
                },
            }
        })
        .collect()
}

/// Population stability index of `actual` shares against `expected` shares (same bins):
/// `Σ (a − e) · ln(a / e)`, with empty bins floored at 0.0001.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(1e-4), a.max(1e-4));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// The headline figures for a set of probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Leads.
    pub leads: usize,
    /// Converted leads.
    pub conversions: usize,
    /// ROC AUC.
    pub roc_auc: f64,
    /// Average precision (PR AUC).
    pub pr_auc: f64,
    /// Log loss.
    pub log_loss: f64,
    /// Brier score.
    pub brier: f64,
    /// Expected calibration error, 10 equal-count bins.
    pub ece: f64,
    /// KS statistic.
    pub ks: f64,
}

impl Summary {
    /// All figures at once (NaN where undefined, e.g. one class only).
    pub fn of(outcome: &[bool], probability: &[f64]) -> Summary {
        // One sort serves every figure that needs the leads in order.
        let order = sorted_order(probability);
        Summary {
            leads: outcome.len(),
            conversions: outcome.iter().filter(|&&y| y).count(),
            roc_auc: roc_auc_in(outcome, probability, &order).unwrap_or(f64::NAN),
            pr_auc: average_precision_in(outcome, probability, &order).unwrap_or(f64::NAN),
            log_loss: log_loss(outcome, probability),
            brier: brier(outcome, probability),
            ece: expected_calibration_error_in(outcome, probability, 10, &order),
            ks: ks_statistic_in(outcome, probability, &order).unwrap_or(f64::NAN),
        }
    }
}

fn class_counts(outcome: &[bool]) -> (usize, usize) {
    let pos = outcome.iter().filter(|&&y| y).count();
    (pos, outcome.len() - pos)
}

/// The leads by ascending score, ties in their own order (as a stable sort leaves them).
fn sorted_order(score: &[f64]) -> Vec<usize> {
    // Sorting the scores with their index beside them reads memory in order, not all over it.
    let mut keyed: Vec<(f64, usize)> = score.iter().copied().zip(0..).collect();
    keyed.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::spearman;

    #[test]
    fn spearman_by_hand() {
        // Ranks 1 2 3 4 against 2 1 4 3: d² = 1+1+1+1 = 4, ρ = 1 − 6·4/(4·15) = 0.6.
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[20.0, 10.0, 40.0, 30.0]) - 0.6).abs() < 1e-12);
        // Monotone, whatever the scale: 1.
        assert!((spearman(&[1.0, 2.0, 3.0], &[-5.0, 0.0, 100.0]) - 1.0).abs() < 1e-12);
        // Ties take their average rank: ranks (1.5, 1.5, 3) against (1, 2, 3).
        let r = spearman(&[7.0, 7.0, 9.0], &[1.0, 2.0, 3.0]);
        assert!((r - 0.866_025_403_784_438_6).abs() < 1e-12, "{r}");
    }

    use super::*;

    #[test]
    fn auc_of_groups_is_the_auc_of_their_leads() {
        // Groups 0..4 with rates, two of them tied; group 3 has no leads.
        let score = [0.3, 0.1, 0.3, 0.9, 0.6];
        let positives = [2, 0, 1, 0, 4];
        let negatives = [3, 5, 0, 0, 1];
        let (mut outcome, mut scores) = (Vec::new(), Vec::new());
        for g in 0..score.len() {
            for k in 0..positives[g] + negatives[g] {
                outcome.push(k < positives[g]);
                scores.push(score[g]);
            }
        }
        let expected = roc_auc(&outcome, &scores).unwrap();
        let grouped = roc_auc_of_groups(&score, &positives, &negatives).unwrap();
        assert_eq!(grouped.to_bits(), expected.to_bits(), "{grouped} vs {expected}");
        // By hand: 7 converters, 9 others; pairs won + half the ties.
        let won = 2.0 * 5.0 + 1.0 * 5.0 + 4.0 * (5.0 + 3.0) + 0.5 * (3.0 * 3.0 + 4.0 * 1.0);
        assert!((grouped - won / 63.0).abs() < 1e-12);
        assert_eq!(roc_auc_of_groups(&score, &[0; 5], &negatives), None);
    }

    const Y: [bool; 8] = [false, false, true, true, false, true, false, true];
    const P: [f64; 8] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4];

    #[test]
    fn auc_counts_ties_half() {
        // Pairs (pos, neg): 4 × 4 = 16. Positives 0.35, 0.8, 0.9, 0.4 against negatives
        // 0.1, 0.4, 0.4, 0.2: 0.35 beats 2; 0.8 and 0.9 beat 4 each; 0.4 beats 2 and ties 2.
        let expected = (2.0 + 4.0 + 4.0 + 2.0 + 1.0) / 16.0;
        assert!((roc_auc(&Y, &P).unwrap() - expected).abs() < 1e-12);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn average_precision_matches_hand_computation() {
        // Descending: 0.9(+) 0.8(+) 0.4(−,−,+) 0.35(+) 0.2(−) 0.1(−)
        // recall steps: 1/4 @ P=1, 2/4 @ P=1, 3/4 @ P=3/5, 4/4 @ P=4/6
        let expected = 0.25 * 1.0 + 0.25 * 1.0 + 0.25 * 0.6 + 0.25 * (4.0 / 6.0);
        assert!((average_precision(&Y, &P).unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn log_loss_brier_and_ks() {
        let y = [true, false];
        let p = [0.8, 0.3];
        assert!((log_loss(&y, &p) - (-(0.8f64.ln()) - 0.7f64.ln()) / 2.0).abs() < 1e-12);
        assert!((brier(&y, &p) - (0.04 + 0.09) / 2.0).abs() < 1e-12);
        // Perfect separation gives KS 1; identical distributions give 0.
        assert_eq!(ks_statistic(&[false, true], &[0.1, 0.9]), Some(1.0));
        assert_eq!(ks_statistic(&[false, true], &[0.5, 0.5]), Some(0.0));
    }

    #[test]
    fn psi_by_hand() {
        // (0.6 − 0.5)·ln(0.6/0.5) + (0.4 − 0.5)·ln(0.4/0.5)
        let expected = 0.1 * (1.2f64).ln() - 0.1 * (0.8f64).ln();
        assert!((psi(&[0.5, 0.5], &[0.6, 0.4]) - expected).abs() < 1e-12);
        assert_eq!(psi(&[0.2, 0.8], &[0.2, 0.8]), 0.0);
    }

    #[test]
    fn reliability_bins_hold_their_upper_edge() {
        // 0.1 sits on an edge and belongs to the first bin, (0, 0.1]; 0.15 to the second.
        let y = [false, true, true, false];
        let p = [0.0, 0.1, 0.15, 0.95];
        let bins = reliability(&y, &p, 10);
        assert_eq!(bins.len(), 3);
        assert_eq!((bins[0].leads, bins[0].observed), (2, 0.5));
        assert!((bins[0].predicted - 0.05).abs() < 1e-12);
        assert_eq!((bins[1].leads, bins[1].observed, bins[1].predicted), (1, 1.0, 0.15));
        assert!((bins[1].lower - 0.1).abs() < 1e-12 && (bins[1].upper - 0.2).abs() < 1e-12);
        assert_eq!((bins[2].lower, bins[2].upper, bins[2].leads), (0.9, 1.0, 1));
    }

    #[test]
    fn roc_curve_steps_through_tied_scores_at_once() {
        let curve = roc_curve(&Y, &P).unwrap();
        // Distinct scores, highest first: 0.9(+) 0.8(+) 0.4(+,−,−) 0.35(+) 0.2(−) 0.1(−).
        let expected = [
            (0.0, 0.0),
            (0.0, 0.25),
            (0.0, 0.5),
            (0.5, 0.75),
            (0.5, 1.0),
            (0.75, 1.0),
            (1.0, 1.0),
        ];
        assert_eq!(curve, expected);
    }

    #[test]
    fn gains_by_hand() {
        // Ranked, ties in file order (rows 1, 4, 7 score 0.4: −, −, +):
        // 0.9(+) 0.8(+) | 0.4(−) 0.4(−) | 0.4(+) 0.35(+) | 0.2(−) 0.1(−).
        let rows = gains(&Y, &P, 4);
        let conversions: Vec<usize> = rows.iter().map(|r| r.conversions).collect();
        assert_eq!(conversions, [2, 0, 2, 0]);
        assert_eq!(rows[0].lift, 2.0);
        assert_eq!(rows[0].cumulative_conversions, 0.5);
        assert_eq!(rows[2].cumulative_conversions, 1.0);
        assert!((rows[2].cumulative_lift - 4.0 / 6.0 / 0.5).abs() < 1e-12);
        assert_eq!(rows[3].cumulative_leads, 1.0);
        // −0 and 0 tie, and keep file order.
        let rows = gains(&[false, true], &[-0.0, 0.0], 2);
        assert_eq!((rows[0].conversions, rows[1].conversions), (0, 1));
    }

    #[test]
    fn ece_of_perfectly_calibrated_bins_is_zero() {
        // Two bins: probabilities 0.25 with 1 of 4 converting, 0.75 with 3 of 4.
        let y = [true, false, false, false, true, true, true, false];
        let p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
        assert!(expected_calibration_error(&y, &p, 2).abs() < 1e-12);
        // Predicting 0.5 everywhere against a 1-of-4 / 3-of-4 split is off by 0.25 in each bin.
        assert!((expected_calibration_error(&y, &[0.5; 8], 2) - 0.25).abs() < 1e-12);
    }
}
