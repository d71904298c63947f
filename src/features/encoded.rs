//! Model inputs of a batch of leads, stored the way lead data is shaped.
//!
//! Most inputs are one-hot: a category sets exactly one of its inputs (or none, for the unknown
//! bucket), and a missing flag is one 0/1 input. Storing one code per lead for each such group,
//! and only the true numbers as columns, makes a lead cost one multiply-add per *feature*
//! instead of per *input* and keeps 1 M leads × 170 inputs in tens of megabytes instead of a
//! gigabyte — the model's products are memory-bound, so this is what makes fitting fast.

use std::borrow::Cow;

use ndarray::{Array2, ShapeBuilder};
use rayon::prelude::*;

/// Code of "no input set" in a one-hot group.
pub const NONE: u32 = u32::MAX;

/// A numeric model input: its index and one value per lead.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericInput {
    /// Index of the input among all model inputs.
    pub input: usize,
    /// Value per lead.
    pub values: Vec<f64>,
}

/// A one-hot group: inputs `first..first + width`, of which each lead sets at most one.
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotGroup {
    /// Index of the group's first input among all model inputs.
    pub first: usize,
    /// Number of inputs in the group.
    pub width: usize,
    /// Per lead: which input of the group is 1 (0-based within the group), or [`NONE`].
    pub codes: Vec<u32>,
}

/// A number that is an input of one of several blocks — a segment's copy of a numeric input,
/// which counts for the leads of that segment only: lead `i` sets input `first + codes[i]` to
/// `values[i]` (none when its code is [`NONE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockNumeric {
    /// Index of the first block's input among all model inputs.
    pub first: usize,
    /// Value per lead.
    pub values: Vec<f64>,
    /// Per lead: which block's input it sets (0-based), or [`NONE`].
    pub codes: Vec<u32>,
}

/// The steps of a shaped number: inputs `first..first + width`, of which a lead sets the first
/// `codes[i]` (the cut points its value reached), so that the weights are the rises from one
/// range of the number to the next — an L2 penalty on them is a penalty on the differences
/// between neighbouring ranges, which keeps the shape smooth.
#[derive(Debug, Clone, PartialEq)]
pub struct StepGroup {
    /// Index of the group's first input among all model inputs.
    pub first: usize,
    /// Number of steps (cut points).
    pub width: usize,
    /// Per lead: how many of the steps it sets (0..=width).
    pub codes: Vec<u32>,
}

/// Where a pooled model's inputs are (see `model::segments`): the `base_width` shared inputs,
/// then a copy of them for each of `segments` segments, then one intercept per segment.
///
/// The model's weights there are the shared coefficients `w`, each segment's deviation `δ_s`
/// and its intercept's. A lead of segment `s` sets its inputs in its segment's copy only (a
/// lead of no segment, in the shared inputs), where the weight it meets is `w + δ_s` (the
/// segment's *own* coefficient, [`EncodedLeads::effective`]): one pass per feature, not two.
/// The steps of shaped numbers are shared by every segment and set for every lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentBlocks {
    /// Inputs of the shared model.
    pub base_width: usize,
    /// Segments with a model of their own.
    pub segments: usize,
}

impl SegmentBlocks {
    /// Each `(shared input, a segment's copy of it)` pair whose copy a segment's leads set
    /// instead of the shared input: all but the steps of shaped numbers.
    pub fn pairs(&self, steps: &[StepGroup]) -> Vec<(usize, usize)> {
        let w = self.base_width;
        let shared_step = |j: usize| steps.iter().any(|g| (g.first..g.first + g.width).contains(&j));
        let copied: Vec<usize> = (0..w).filter(|&j| !shared_step(j)).collect();
        (0..self.segments)
            .flat_map(|s| copied.iter().map(move |&j| (j, w + s * w + j)))
            .collect()
    }
}

/// Encoded leads: numeric columns plus one-hot groups (and, for models with segments, each
/// segment's copies of them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EncodedLeads {
    /// Number of leads.
    pub n_rows: usize,
    /// Number of model inputs.
    pub width: usize,
    /// Numeric inputs.
    pub numeric: Vec<NumericInput>,
    /// One-hot groups.
    pub groups: Vec<OneHotGroup>,
    /// Numbers that are inputs of one block per lead.
    pub blocks: Vec<BlockNumeric>,
    /// The steps of shaped numbers.
    pub steps: Vec<StepGroup>,
    /// For a pooled model's inputs, where the segments' blocks are.
    pub segment_blocks: Option<SegmentBlocks>,
}

/// `sums[k]` = the first `k` weights summed, for `k` in `0..=weights.len()`.
pub fn step_sums(weights: &[f64]) -> Vec<f64> {
    let mut sums = Vec::with_capacity(weights.len() + 1);
    let mut total = 0.0;
    sums.push(0.0);
    for w in weights {
        total += w;
        sums.push(total);
    }
    sums
}

/// Leads per parallel work unit.
pub const CHUNK: usize = 8192;

impl EncodedLeads {
    /// The given leads only, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> EncodedLeads {
        EncodedLeads {
            n_rows: rows.len(),
            width: self.width,
            numeric: self
                .numeric
                .iter()
                .map(|c| NumericInput {
                    input: c.input,
                    values: rows.iter().map(|&r| c.values[r]).collect(),
                })
                .collect(),
            groups: self
                .groups
                .iter()
                .map(|g| OneHotGroup {
                    first: g.first,
                    width: g.width,
                    codes: rows.iter().map(|&r| g.codes[r]).collect(),
                })
                .collect(),
            steps: self
                .steps
                .iter()
                .map(|s| StepGroup {
                    first: s.first,
                    width: s.width,
                    codes: rows.iter().map(|&r| s.codes[r]).collect(),
                })
                .collect(),
            blocks: self
                .blocks
                .iter()
                .map(|b| BlockNumeric {
                    first: b.first,
                    values: rows.iter().map(|&r| b.values[r]).collect(),
                    codes: rows.iter().map(|&r| b.codes[r]).collect(),
                })
                .collect(),
            segment_blocks: self.segment_blocks,
        }
    }

    /// The same inputs as an ordinary dense matrix (one row per lead), whose product with the
    /// model's weights is the leads' log-odds less the intercept (with segment blocks, a
    /// segment's lead sets the shared inputs too).
    pub fn to_dense(&self) -> Array2<f64> {
        let mut dense = Array2::zeros((self.n_rows, self.width).f());
        for column in &self.numeric {
            dense
                .column_mut(column.input)
                .iter_mut()
                .zip(&column.values)
                .for_each(|(d, v)| *d = *v);
        }
        for group in &self.groups {
            for (row, &code) in group.codes.iter().enumerate() {
                if code != NONE {
                    dense[[row, group.first + code as usize]] = 1.0;
                }
            }
        }
        for group in &self.steps {
            for (row, &code) in group.codes.iter().enumerate() {
                for j in 0..code as usize {
                    dense[[row, group.first + j]] = 1.0;
                }
            }
        }
        for block in &self.blocks {
            for (row, (&code, &x)) in block.codes.iter().zip(&block.values).enumerate() {
                if code != NONE {
                    dense[[row, block.first + code as usize]] = x;
                }
            }
        }
        if let Some(blocks) = self.segment_blocks {
            for (shared, own) in blocks.pairs(&self.steps) {
                let copy = dense.column(own).to_owned();
                dense.column_mut(shared).zip_mut_with(&copy, |d, c| *d += c);
            }
        }
        dense
    }

    /// `intercept + weights · inputs` for leads `start..start + z.len()`, written into `z`;
    /// `weights` are the ones the inputs meet ([`EncodedLeads::effective`]).
    pub fn linear_into(&self, weights: &[f64], intercept: f64, start: usize, z: &mut [f64]) {
        z.fill(intercept);
        let end = start + z.len();
        for column in &self.numeric {
            let w = weights[column.input];
            for (z, x) in z.iter_mut().zip(&column.values[start..end]) {
                *z += w * x;
            }
        }
        for group in &self.groups {
            let w = &weights[group.first..group.first + group.width];
            for (z, &code) in z.iter_mut().zip(&group.codes[start..end]) {
                if code != NONE {
                    *z += w[code as usize];
                }
            }
        }
        for group in &self.steps {
            // The rise to each range, summed once: a lead adds the sum up to its range.
            let rise = step_sums(&weights[group.first..group.first + group.width]);
            for (z, &code) in z.iter_mut().zip(&group.codes[start..end]) {
                *z += rise[code as usize];
            }
        }
        for block in &self.blocks {
            let w = &weights[block.first..];
            for ((z, &code), &x) in z
                .iter_mut()
                .zip(&block.codes[start..end])
                .zip(&block.values[start..end])
            {
                if code != NONE {
                    *z += w[code as usize] * x;
                }
            }
        }
    }

    /// Log-odds of every lead under the model's `weights` and `intercept`.
    pub fn log_odds(&self, weights: &[f64], intercept: f64) -> Vec<f64> {
        let weights = self.effective(weights);
        let mut z = vec![0.0; self.n_rows];
        z.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(k, chunk)| self.linear_into(&weights, intercept, k * CHUNK, chunk));
        z
    }

    /// The weights the leads' inputs meet, from the model's: with segment blocks, a segment's
    /// copy of an input meets the shared weight plus the segment's deviation; otherwise the
    /// model's weights as they are.
    pub fn effective<'a>(&self, weights: &'a [f64]) -> Cow<'a, [f64]> {
        match self.segment_blocks {
            None => Cow::Borrowed(weights),
            Some(blocks) => {
                let mut effective = weights.to_vec();
                for (shared, own) in blocks.pairs(&self.steps) {
                    effective[own] += weights[shared];
                }
                Cow::Owned(effective)
            }
        }
    }

    /// The gradient in the model's weights, from the one in the [`EncodedLeads::effective`]
    /// weights (in place): a shared weight moves every segment's own.
    pub fn gradient_of_weights(&self, gradient: &mut [f64]) {
        if let Some(blocks) = self.segment_blocks {
            for (shared, own) in blocks.pairs(&self.steps) {
                gradient[shared] += gradient[own];
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Three leads: one number and a one-hot group of three (the second lead sets none).
    pub(crate) fn example() -> EncodedLeads {
        EncodedLeads {
            n_rows: 3,
            width: 4,
            numeric: vec![NumericInput {
                input: 0,
                values: vec![1.0, -2.0, 0.5],
            }],
            groups: vec![OneHotGroup {
                first: 1,
                width: 3,
                codes: vec![0, NONE, 2],
            }],
            blocks: Vec::new(),
            steps: Vec::new(),
            segment_blocks: None,
        }
    }

    #[test]
    fn a_shaped_number_sets_its_steps_up_to_its_range() {
        let mut leads = example();
        leads.width = 7;
        leads.steps.push(StepGroup {
            first: 4,
            width: 3,
            codes: vec![3, 0, 1],
        });
        let dense = leads.to_dense();
        assert_eq!(&dense.row(0).to_vec()[4..], &[1.0, 1.0, 1.0]);
        assert_eq!(&dense.row(1).to_vec()[4..], &[0.0, 0.0, 0.0]);
        assert_eq!(&dense.row(2).to_vec()[4..], &[1.0, 0.0, 0.0]);
        let w = [0.5, 1.0, 2.0, 3.0, 0.25, -1.0, 4.0];
        let z = leads.log_odds(&w, 0.0);
        let expected: Vec<f64> = (dense.rows().into_iter())
            .map(|r| r.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>())
            .collect();
        assert_eq!(z, expected);
        assert_eq!(
            leads.select_rows(&[2]).to_dense().row(0).to_vec(),
            dense.row(2).to_vec()
        );
    }

    /// [`example`] with the number copied into a block of two: the first lead's in block 1,
    /// the third's in block 0, the second's in none.
    pub(crate) fn example_with_blocks() -> EncodedLeads {
        let mut leads = example();
        leads.width = 6;
        leads.blocks.push(BlockNumeric {
            first: 4,
            values: vec![1.0, -2.0, 0.5],
            codes: vec![1, NONE, 0],
        });
        leads
    }

    #[test]
    fn a_block_input_counts_for_its_leads_only() {
        let leads = example_with_blocks();
        let dense = leads.to_dense();
        assert_eq!(dense.row(0).to_vec(), vec![1.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(dense.row(1).to_vec(), vec![-2.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(dense.row(2).to_vec(), vec![0.5, 0.0, 0.0, 1.0, 0.5, 0.0]);
        let w = [0.5, 1.0, 2.0, 3.0, -4.0, 10.0];
        let z = leads.log_odds(&w, 0.0);
        assert_eq!(z, vec![0.5 + 1.0 + 10.0, -1.0, 0.25 + 3.0 - 2.0]);
        assert_eq!(
            leads.select_rows(&[2]).to_dense().row(0).to_vec(),
            dense.row(2).to_vec()
        );
    }

    #[test]
    fn dense_view_and_log_odds_agree() {
        let leads = example();
        let dense = leads.to_dense();
        assert_eq!(dense.row(0).to_vec(), vec![1.0, 1.0, 0.0, 0.0]);
        assert_eq!(dense.row(1).to_vec(), vec![-2.0, 0.0, 0.0, 0.0]);
        assert_eq!(dense.row(2).to_vec(), vec![0.5, 0.0, 0.0, 1.0]);
        let w = [0.5, 1.0, 2.0, 3.0];
        let z = leads.log_odds(&w, -1.0);
        let expected: Vec<f64> = dense
            .rows()
            .into_iter()
            .map(|r| -1.0 + r.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>())
            .collect();
        assert_eq!(z, expected);
        assert_eq!(
            leads.select_rows(&[2, 0]).to_dense().row(0).to_vec(),
            vec![0.5, 0.0, 0.0, 1.0]
        );
    }
}
