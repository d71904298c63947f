//! Numbers the model must treat as monotone (`[features] monotone = { "TotalVisits" =
//! "increasing" }`): more visits never lower a lead's score.
//!
//! A number's effect is its straight part plus a step at each of its cut points (`Shaped`), so
//! it rises with the number when its straight weight and every step are at least 0 (fall: at
//! most 0). The final model is fitted, then by an active set: each step of the wrong sign is
//! taken out (its cut merged with the range below) and a straight weight of the wrong sign is
//! held at 0, and the model refitted from where it was, until none is left of the wrong sign.
//! Training does the same in each cross-fitting fold, so the out-of-fold figures, the blend and
//! the calibration are those of models kept monotone (only the choice of C is made without);
//! its warnings say how many steps were merged.
//!
//! With segments, every segment's model is kept monotone too: the steps of a shaped number are
//! shared by every segment; a shared straight weight of the wrong sign is held at 0 in every
//! model, and a segment's own (shared plus deviation) of the wrong sign in that segment's.

use std::collections::BTreeMap;

use crate::config::Monotone;
use crate::error::Result;
use crate::features::encoded::EncodedLeads;
use crate::features::{Encoding, FeaturePipeline};
use crate::model::logistic::LogisticModel;

/// Penalty multiple that holds a straight weight at (all but) 0.
const HOLD: f64 = 1e8;
/// Rounds of refitting, at most (each takes out at least one step or weight).
const ROUNDS: usize = 50;

/// What keeping the numbers monotone changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Constrained {
    /// Cut points merged, per number.
    pub merged: BTreeMap<String, usize>,
    /// Numbers whose straight weight is held at 0.
    pub held: Vec<String>,
    /// Numbers whose straight weight is held at 0 in one segment's model only (the segment's
    /// place among the segments with a model of their own).
    pub held_in: Vec<(String, usize)>,
}

/// Refits `model` until every number of `wanted` moves the log-odds one way only; `encode`
/// gives the leads' inputs under a pipeline and `fit` fits a model (penalty multiples per
/// input, a start) on them.
pub fn constrain(
    mut pipeline: FeaturePipeline,
    mut model: LogisticModel,
    wanted: &BTreeMap<String, Monotone>,
    encode: impl Fn(&FeaturePipeline) -> Result<EncodedLeads>,
    penalty_of: impl Fn(&FeaturePipeline) -> Option<Vec<f64>>,
    fit: impl Fn(&EncodedLeads, Option<Vec<f64>>, Vec<usize>, &LogisticModel) -> Result<LogisticModel>,
) -> Result<(FeaturePipeline, EncodedLeads, LogisticModel, Constrained)> {
    let mut done = Constrained::default();
    let mut x = encode(&pipeline)?;
    // A pooled model's blocks: the shared inputs, then each segment's deviations from them.
    let blocks = 1 + x.segment_blocks.map_or(0, |b| b.segments);
    for _ in 0..ROUNDS {
        let mut changed = false;
        let mut offset = 0;
        let base_width = pipeline.width();
        // Coefficients to drop (merged steps), and straight weights to hold, by input index.
        let mut drop = Vec::new();
        let mut hold_features = Vec::new();
        for step in &mut pipeline.steps {
            let width = step.width();
            if let Some(direction) = wanted.get(&step.feature) {
                let sign = direction.sign();
                let w = &model.coefficients[offset..offset + width];
                if !done.held.contains(&step.feature) {
                    let straight: Vec<f64> = straight_weights(&model, base_width, blocks, offset).collect();
                    if sign * straight[0] < -1e-12 {
                        hold_features.push(step.feature.clone());
                        changed = true;
                    } else {
                        for (s, own) in straight.iter().enumerate().skip(1) {
                            let held = (step.feature.clone(), s - 1);
                            if sign * own < -1e-12 && !done.held_in.contains(&held) {
                                done.held_in.push(held);
                                changed = true;
                            }
                        }
                    }
                }
                if let Encoding::Shaped { missing_flag, cuts, .. } = &mut step.encoding {
                    let first = 1 + usize::from(*missing_flag);
                    let wrong: Vec<usize> = (0..cuts.len()).filter(|&k| sign * w[first + k] < -1e-12).collect();
                    for &k in wrong.iter().rev() {
                        cuts.remove(k);
                        drop.extend((0..blocks).map(|b| b * base_width + offset + first + k));
                    }
                    if !wrong.is_empty() {
                        *done.merged.entry(step.feature.clone()).or_default() += wrong.len();
                        changed = true;
                    }
                }
            }
            offset += width;
        }
        if !changed {
            break;
        }
        done.held.extend(hold_features);
        // A shaped number without cuts left is a straight line.
        for step in &mut pipeline.steps {
            if let Encoding::Shaped {
                median,
                log1p,
                mean,
                std,
                missing_flag,
                cuts,
            } = &step.encoding
            {
                if cuts.is_empty() {
                    step.encoding = Encoding::Numeric {
                        median: *median,
                        log1p: *log1p,
                        mean: *mean,
                        std: *std,
                        missing_flag: *missing_flag,
                    };
                }
            }
        }
        drop.sort_unstable();
        let start = LogisticModel {
            coefficients: (model.coefficients.iter().enumerate())
                .filter(|(i, _)| drop.binary_search(i).is_err())
                .map(|(_, &c)| c)
                .collect(),
            intercept: model.intercept,
        };
        x = encode(&pipeline)?;
        model = fit(
            &x,
            held_penalty(&pipeline, penalty_of(&pipeline), &done.held, blocks),
            held_own(&pipeline, &done),
            &start,
        )?;
    }
    // What is held at 0, and steps a hair on the wrong side, are exactly 0.
    let mut offset = 0;
    let base_width = pipeline.width();
    for step in &pipeline.steps {
        let width = step.width();
        if let Some(direction) = wanted.get(&step.feature) {
            let sign = direction.sign();
            let shared = model.coefficients[offset];
            if done.held.contains(&step.feature) || sign * shared < 0.0 {
                for b in 0..blocks {
                    model.coefficients[b * base_width + offset] = 0.0;
                }
            }
            for s in 1..blocks {
                let own = straight_weights(&model, base_width, blocks, offset)
                    .nth(s)
                    .unwrap_or(0.0);
                if done.held_in.contains(&(step.feature.clone(), s - 1)) || sign * own < 0.0 {
                    model.coefficients[s * base_width + offset] = -model.coefficients[offset];
                }
            }
            if let Encoding::Shaped { missing_flag, .. } = &step.encoding {
                for k in offset + 1 + usize::from(*missing_flag)..offset + width {
                    if sign * model.coefficients[k] < 0.0 {
                        for b in 0..blocks {
                            model.coefficients[b * base_width + k] = 0.0;
                        }
                    }
                }
            }
        }
        offset += width;
    }
    Ok((pipeline, x, model, done))
}

/// The straight weight of the number whose inputs start at `offset`, in the shared model and
/// in each segment's (its deviation added), for a model of `blocks` blocks of `base_width`.
fn straight_weights(
    model: &LogisticModel,
    base_width: usize,
    blocks: usize,
    offset: usize,
) -> impl Iterator<Item = f64> + '_ {
    let shared = model.coefficients[offset];
    (0..blocks).map(move |b| {
        if b == 0 {
            shared
        } else {
            shared + model.coefficients[b * base_width + offset]
        }
    })
}

/// The inputs of the segments' deviations whose segment's own straight weight is held at 0.
fn held_own(pipeline: &FeaturePipeline, done: &Constrained) -> Vec<usize> {
    let base_width = pipeline.width();
    let mut offset = 0;
    let mut inputs = Vec::new();
    for step in &pipeline.steps {
        for (_, s) in done.held_in.iter().filter(|(f, _)| f == &step.feature) {
            inputs.push((s + 1) * base_width + offset);
        }
        offset += step.width();
    }
    inputs
}

/// `penalty` (all 1 when `None`) with the straight weight of each `held` number held at 0, in
/// each of `blocks` blocks (the shared model's and each segment's deviations).
fn held_penalty(
    pipeline: &FeaturePipeline,
    penalty: Option<Vec<f64>>,
    held: &[String],
    blocks: usize,
) -> Option<Vec<f64>> {
    if held.is_empty() {
        return penalty;
    }
    let base_width = pipeline.width();
    let mut scale = penalty.unwrap_or_else(|| vec![1.0; base_width]);
    let mut offset = 0;
    for step in &pipeline.steps {
        if held.contains(&step.feature) {
            for b in 0..blocks {
                scale[b * base_width + offset] = HOLD;
            }
        }
        offset += step.width();
    }
    Some(scale)
}
