//! One model per segment that borrows strength from the shared one (partial pooling).
//!
//! A lead of segment `s` has log-odds `b + c_s + x · (w + δ_s)`: the shared coefficients `w`
//! plus its segment's deviation `δ_s`, which is penalised toward zero `pull` times harder than
//! `w` is (its intercept `c_s` hardly at all, since segments convert at their own rates). The
//! deviations are fitted together with the shared coefficients, as one logistic regression
//! over the shared inputs and a block of them per segment ([`Segmentation::augment`]): a small
//! segment stays close to the shared model, a large one becomes its own. Leads outside every segment (too small for a model of its own, or not
//! seen in training) are scored by the shared part alone.

use serde::{Deserialize, Serialize};

use super::logistic::LogisticModel;
use crate::data::values::Values;
use crate::data::{Derivation, FeatureColumn};
use crate::features::encoded::{BlockNumeric, EncodedLeads, OneHotGroup, SegmentBlocks, NONE};

/// The penalty of a segment's intercept, as a multiple of the shared L2 strength: next to none.
const INTERCEPT_PULL: f64 = 1e-3;

/// One segment with a model of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The value of the segments column.
    pub value: String,
    /// Training leads of the segment.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// Out-of-fold ROC AUC of the shared model on the segment's leads.
    pub shared_roc_auc: Option<f64>,
    /// Out-of-fold ROC AUC of the segment's model on them.
    pub own_roc_auc: Option<f64>,
    /// How far the segment's coefficients moved from the shared ones: ‖δ_s‖ / ‖w‖.
    pub moved: f64,
}

/// A value of the segments column scored by the shared model: too small for a model of its
/// own, or its own did not beat the shared one on its leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallSegment {
    /// The value.
    pub value: String,
    /// Training leads.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// Why it has no model of its own.
    #[serde(default)]
    pub why: String,
}

/// The segments of a model: which column, which of its values have a model of their own, and
/// how hard they were pulled toward the shared model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segmentation {
    /// The lead column whose values are the segments.
    pub column: String,
    /// Segments with a model of their own, in block order.
    pub segments: Vec<Segment>,
    /// Values scored by the shared model (too few leads or conversions).
    pub small: Vec<SmallSegment>,
    /// Inputs of the shared model (the pipeline's width).
    pub base_width: usize,
    /// The deviations' L2 strength, as a multiple of the shared one (chosen by cross-validation).
    pub pull: f64,
    /// Whether a segment's leads set their inputs in their segment's block only (models from
    /// this version on, [`SegmentBlocks`]). Older model files set the shared inputs for every
    /// lead and the segment's copy besides, and are scored that way, to the last bit.
    #[serde(default)]
    pub own_blocks: bool,
    /// The training leads' probabilities in each segment with a model of its own, then in the
    /// leads the shared model scores (`None`: there were none), as drift references. Empty in
    /// model files from before them.
    #[serde(default)]
    pub score_reference: Vec<Option<crate::drift::Histogram>>,
}

impl Segmentation {
    /// Segments `segments` of `column`, for `base_width` inputs, before the fit.
    pub fn new(column: &str, segments: Vec<Segment>, small: Vec<SmallSegment>, base_width: usize) -> Segmentation {
        Segmentation {
            column: column.to_string(),
            segments,
            small,
            base_width,
            pull: 1.0,
            own_blocks: true,
            score_reference: Vec::new(),
        }
    }

    /// The row of a lead of segment `code` among the segments with a model of their own and,
    /// after them, the shared model's leads ([`NONE`]); [`Segmentation::name_of`] names it.
    pub fn row_of(&self, code: u32) -> usize {
        match code {
            NONE => self.segments.len(),
            code => code as usize,
        }
    }

    /// The drift references of leads of segments `codes` whose probabilities are
    /// `probabilities`: one per segment with a model of its own, then the shared model's leads.
    pub fn score_references(&self, codes: &[u32], probabilities: &[f64]) -> Vec<Option<crate::drift::Histogram>> {
        (0..=self.segments.len())
            .map(|s| {
                let of: Vec<f64> = (codes.iter().zip(probabilities))
                    .filter(|(&c, _)| self.row_of(c) == s)
                    .map(|(_, &p)| p)
                    .collect();
                (!of.is_empty()).then(|| crate::drift::Histogram::fit(&of))
            })
            .collect()
    }

    /// The drift reference of the segments section's row `s` (a segment, or the shared model's
    /// leads after them), when the model file has one.
    pub fn score_reference_of(&self, s: usize) -> Option<&crate::drift::Histogram> {
        self.score_reference.get(s).and_then(Option::as_ref)
    }

    /// The same segments over `base_width` shared inputs (a pipeline refitted with fewer).
    pub fn with_base_width(&self, base_width: usize) -> Segmentation {
        Segmentation {
            base_width,
            ..self.clone()
        }
    }

    /// Inputs of the pooled model: the shared ones, a block of them per segment, and one
    /// intercept per segment.
    pub fn width(&self) -> usize {
        let (w, s) = (self.base_width, self.segments.len());
        w + s * w + s
    }

    /// The name of segment `code` as scores files write it: its value, or `shared` for the leads
    /// the shared model scores ([`NONE`]).
    pub fn name_of(&self, code: u32) -> &str {
        self.segments.get(code as usize).map_or("shared", |s| s.value.as_str())
    }

    /// Each lead's segment (its block), or [`NONE`] when it has no model of its own.
    pub fn codes<'a>(&self, values: impl Iterator<Item = Option<&'a str>>) -> Vec<u32> {
        values
            .map(|value| {
                value
                    .and_then(|v| self.segments.iter().position(|s| s.value == v.trim()))
                    .map_or(NONE, |s| s as u32)
            })
            .collect()
    }

    /// The leads' inputs for the pooled model: a lead of a segment sets its inputs in its
    /// segment's block (where it meets the shared weights plus the segment's deviation) and its
    /// segment's intercept; a lead of no segment sets the shared inputs (see
    /// [`SegmentBlocks`]).
    pub fn augment(&self, x: &EncodedLeads, codes: &[u32]) -> EncodedLeads {
        self.augmented(x.clone(), codes)
    }

    /// [`Segmentation::augment`], taking the shared inputs' place.
    pub fn augmented(&self, x: EncodedLeads, codes: &[u32]) -> EncodedLeads {
        if !self.own_blocks {
            return self.shared_and_copied(x, codes);
        }
        let w = self.base_width;
        let segments = self.segments.len();
        // A lead's place in a group: its code in the shared inputs, or in its segment's block.
        let placed = |c: u32, code: u32| match (c, code) {
            (_, NONE) => NONE,
            (NONE, code) => code,
            (c, code) => (c + 1) * w as u32 + code,
        };
        let mut out = EncodedLeads {
            n_rows: x.n_rows,
            width: self.width(),
            segment_blocks: Some(SegmentBlocks {
                base_width: w,
                segments,
            }),
            ..EncodedLeads::default()
        };
        for column in x.numeric {
            out.blocks.push(BlockNumeric {
                first: column.input,
                values: column.values,
                codes: codes.iter().map(|&c| placed(c, 0)).collect(),
            });
        }
        for block in x.blocks {
            out.blocks.push(BlockNumeric {
                first: block.first,
                codes: (codes.iter().zip(&block.codes))
                    .map(|(&c, &code)| placed(c, code))
                    .collect(),
                values: block.values,
            });
        }
        for group in x.groups {
            out.groups.push(OneHotGroup {
                first: group.first,
                width: segments * w + group.width,
                codes: (codes.iter().zip(&group.codes))
                    .map(|(&c, &code)| placed(c, code))
                    .collect(),
            });
        }
        out.groups.push(OneHotGroup {
            first: w + segments * w,
            width: segments,
            codes: codes.to_vec(),
        });
        // A shaped number's steps are shared by every segment.
        out.steps = x.steps;
        out
    }

    /// The inputs as model files from before [`Segmentation::own_blocks`] have them: every
    /// lead sets the shared inputs, and a segment's lead its copy of them besides.
    fn shared_and_copied(&self, x: EncodedLeads, codes: &[u32]) -> EncodedLeads {
        let w = self.base_width;
        let block = |c: u32, offset: u32| if c == NONE { NONE } else { c * w as u32 + offset };
        let copied = |c: u32, code: u32| if code == NONE { NONE } else { block(c, code) };
        let segments = self.segments.len();
        let mut out = EncodedLeads {
            n_rows: x.n_rows,
            width: self.width(),
            ..EncodedLeads::default()
        };
        for column in &x.numeric {
            out.blocks.push(BlockNumeric {
                first: w + column.input,
                values: column.values.clone(),
                codes: codes.iter().map(|&c| block(c, 0)).collect(),
            });
        }
        for input in &x.blocks {
            out.blocks.push(BlockNumeric {
                first: w + input.first,
                values: input.values.clone(),
                codes: (codes.iter().zip(&input.codes))
                    .map(|(&c, &code)| copied(c, code))
                    .collect(),
            });
        }
        for group in &x.groups {
            out.groups.push(OneHotGroup {
                first: w + group.first,
                width: (segments.max(1) - 1) * w + group.width,
                codes: (codes.iter().zip(&group.codes))
                    .map(|(&c, &code)| copied(c, code))
                    .collect(),
            });
        }
        out.groups.push(OneHotGroup {
            first: w + segments * w,
            width: segments,
            codes: codes.to_vec(),
        });
        out.numeric.extend(x.numeric);
        out.groups.extend(x.groups);
        out.blocks.extend(x.blocks);
        out.steps.extend(x.steps);
        out
    }

    /// Each pooled input's penalty as a multiple of the shared strength, at `pull`: the
    /// shared inputs' own multiples (`base`; all 1 when `None`), and `pull` times them for each
    /// segment's copy.
    pub fn penalty_scale(&self, pull: f64, base: Option<&[f64]>) -> Vec<f64> {
        let (w, s) = (self.base_width, self.segments.len());
        let base: Vec<f64> = base.map_or_else(|| vec![1.0; w], <[f64]>::to_vec);
        let mut scale = base.clone();
        for _ in 0..s {
            scale.extend(base.iter().map(|m| pull * m));
        }
        scale.extend(std::iter::repeat_n(INTERCEPT_PULL, s));
        scale
    }

    /// The pipeline step of each pooled input, from the shared inputs' `steps`; a segment's
    /// intercept belongs to none (`usize::MAX`).
    pub fn input_steps(&self, steps: &[usize]) -> Vec<usize> {
        let s = self.segments.len();
        let mut pooled = steps.to_vec();
        for _ in 0..s {
            pooled.extend_from_slice(steps);
        }
        pooled.extend(std::iter::repeat_n(usize::MAX, s));
        pooled
    }

    /// The shared part of a pooled model.
    pub fn shared(&self, pooled: &LogisticModel) -> LogisticModel {
        LogisticModel {
            coefficients: pooled.coefficients[..self.base_width].to_vec(),
            intercept: pooled.intercept,
        }
    }

    /// Segment `s`'s own model: the shared coefficients plus its deviation.
    pub fn model_of(&self, pooled: &LogisticModel, s: usize) -> LogisticModel {
        let w = self.base_width;
        let deviation = &pooled.coefficients[w + s * w..w + (s + 1) * w];
        LogisticModel {
            coefficients: (pooled.coefficients[..w].iter().zip(deviation))
                .map(|(a, d)| a + d)
                .collect(),
            intercept: pooled.intercept + pooled.coefficients[w + self.segments.len() * w + s],
        }
    }

    /// The inputs where segment `s`'s model differs most from the shared one: at most `top`
    /// of them, largest deviation first, those of 0.005 or more (input, deviation).
    pub fn differs_most(&self, pooled: &LogisticModel, s: usize, top: usize) -> Vec<(usize, f64)> {
        let w = self.base_width;
        let mut moved: Vec<(usize, f64)> = pooled.coefficients[w + s * w..w + (s + 1) * w]
            .iter()
            .copied()
            .enumerate()
            .collect();
        moved.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        moved.into_iter().take(top).filter(|(_, d)| d.abs() >= 0.005).collect()
    }

    /// How far segment `s`'s coefficients moved from the shared ones: ‖δ_s‖ / ‖w‖.
    pub fn moved(&self, pooled: &LogisticModel, s: usize) -> f64 {
        let w = self.base_width;
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        norm(&pooled.coefficients[w + s * w..w + (s + 1) * w]) / norm(&pooled.coefficients[..w]).max(1e-12)
    }
}

/// The segments column's value for each of `n` leads of `features`: a category as written, a
/// yes/no as `yes` or `no`, a number as written; `None` where missing.
pub fn segment_values(features: &[FeatureColumn], n: usize, column: &str) -> Option<Vec<Option<String>>> {
    let feature = (features.iter()).find(|f| f.source == column && f.derivation == Derivation::Direct)?;
    Some(match &feature.values {
        Values::Categorical(c) => (0..n).map(|r| c.get(r).map(str::to_string)).collect(),
        Values::Boolean(v) => (v.iter())
            .map(|x| (!x.is_nan()).then(|| if *x == 1.0 { "yes" } else { "no" }.to_string()))
            .collect(),
        Values::Numeric(v) => v.iter().map(|x| (!x.is_nan()).then(|| x.to_string())).collect(),
        Values::Datetime(_) => return None,
    })
}

impl Segmentation {
    /// The segment of each of `rows` of leads whose feature columns are `features`.
    pub fn codes_of(&self, features: &[FeatureColumn], rows: &[usize]) -> Vec<u32> {
        let n = features.first().map_or(0, |c| c.values.len());
        let values = segment_values(features, n, &self.column).unwrap_or_default();
        self.codes(rows.iter().map(|&r| values.get(r).and_then(Option::as_deref)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::features::encoded::tests::example_with_blocks;

    /// Segments CRM and Analytics of a column `product`, over `base_width` shared inputs.
    pub(crate) fn two_segments(base_width: usize) -> Segmentation {
        let segment = |value: &str| Segment {
            value: value.into(),
            leads: 0,
            conversions: 0,
            shared_roc_auc: None,
            own_roc_auc: None,
            moved: 0.0,
        };
        Segmentation::new(
            "product",
            vec![segment("CRM"), segment("Analytics")],
            Vec::new(),
            base_width,
        )
    }

    /// Two segments that are copies of the same leads: each segment's model is the model of
    /// all leads (up to the penalty, which the deviations share), and the deviations are equal.
    #[test]
    fn segments_that_copy_the_population_keep_the_shared_model() {
        use crate::features::encoded::NumericInput;
        use crate::model::logistic::labelled;
        use crate::model::params::LogisticParams;
        use linfa::traits::Fit;

        let n = 4000;
        let x1: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0).collect();
        let x2: Vec<f64> = (0..n).map(|i| ((i * 53) % 97) as f64 / 48.0 - 1.0).collect();
        let y: Vec<bool> = (0..n)
            .map(|i| 1.2 * x1[i] - 0.7 * x2[i] + ((i * 31) % 17) as f64 / 8.0 - 1.0 > 0.0)
            .collect();
        let twice = |v: &[f64]| [v, v].concat();
        let leads = EncodedLeads {
            n_rows: 2 * n,
            width: 2,
            numeric: vec![
                NumericInput {
                    input: 0,
                    values: twice(&x1),
                },
                NumericInput {
                    input: 1,
                    values: twice(&x2),
                },
            ],
            ..EncodedLeads::default()
        };
        let outcome = [y.clone(), y].concat();
        let one = LogisticParams::new()
            .alpha(1.0)
            .fit(&labelled(&leads, &outcome))
            .unwrap();
        let segmentation = two_segments(2);
        let codes: Vec<u32> = (0..2 * n).map(|i| (i / n) as u32).collect();
        let pooled_x = segmentation.augment(&leads, &codes);
        let pooled = LogisticParams::new()
            .alpha(1.0)
            .penalty_scale(Some(segmentation.penalty_scale(1.0, None)))
            .fit(&labelled(&pooled_x, &outcome))
            .unwrap();
        for s in 0..2 {
            let own = segmentation.model_of(&pooled, s);
            for (a, b) in own.coefficients.iter().zip(&one.coefficients) {
                assert!((a - b).abs() < 0.01 * b.abs(), "segment {s}: {a} against {b}");
            }
        }
        // The fit moves each segment's own coefficients: the minimum is the one of the same
        // objective on the inputs laid out as older model files have them.
        let older = Segmentation {
            own_blocks: false,
            ..segmentation.clone()
        };
        let older_fit = LogisticParams::new()
            .alpha(1.0)
            .penalty_scale(Some(segmentation.penalty_scale(1.0, None)))
            .gradient_tolerance_per_lead(1e-9)
            .fit(&labelled(&older.augment(&leads, &codes), &outcome))
            .unwrap();
        let tight = LogisticParams::new()
            .alpha(1.0)
            .penalty_scale(Some(segmentation.penalty_scale(1.0, None)))
            .gradient_tolerance_per_lead(1e-9)
            .fit(&labelled(&pooled_x, &outcome))
            .unwrap();
        // (How the intercept splits between the shared one and a segment's is all but free:
        // the segments' models and the shared coefficients are what is compared.)
        let close = |a: &LogisticModel, b: &LogisticModel| {
            (a.coefficients.iter().chain([&a.intercept]))
                .zip(b.coefficients.iter().chain([&b.intercept]))
                .all(|(a, b)| (a - b).abs() < 1e-4)
        };
        for s in 0..2 {
            let (a, b) = (segmentation.model_of(&tight, s), segmentation.model_of(&older_fit, s));
            assert!(close(&a, &b), "segment {s}: {a:?} against {b:?}");
        }
        let (a, b) = (segmentation.shared(&tight), segmentation.shared(&older_fit));
        assert!(a
            .coefficients
            .iter()
            .zip(&b.coefficients)
            .all(|(a, b)| (a - b).abs() < 1e-4));
        let (a, b) = (segmentation.model_of(&pooled, 0), segmentation.model_of(&pooled, 1));
        assert!(a
            .coefficients
            .iter()
            .zip(&b.coefficients)
            .all(|(a, b)| (a - b).abs() < 1e-3));
    }

    #[test]
    fn a_lead_scores_by_its_segments_model_and_others_by_the_shared_one() {
        let x = example_with_blocks();
        let segmentation = two_segments(x.width);
        let codes = segmentation.codes([Some("Analytics"), None, Some("CRM ")].into_iter());
        assert_eq!(codes, vec![1, NONE, 0]);
        let pooled_x = segmentation.augment(&x, &codes);
        assert_eq!(pooled_x.width, 6 + 2 * 6 + 2);
        let coefficients: Vec<f64> = (0..pooled_x.width).map(|k| ((k * 7) % 5) as f64 - 2.0).collect();
        let pooled = LogisticModel {
            coefficients,
            intercept: 0.25,
        };
        let z = pooled.log_odds(&pooled_x);
        let shared = segmentation.shared(&pooled);
        let one = |m: &LogisticModel, row: usize| m.log_odds(&x.select_rows(&[row]))[0];
        assert!((z[0] - one(&segmentation.model_of(&pooled, 1), 0)).abs() < 1e-12);
        assert!((z[1] - one(&shared, 1)).abs() < 1e-12);
        assert!((z[2] - one(&segmentation.model_of(&pooled, 0), 2)).abs() < 1e-12);
        // Model files from before own blocks lay the inputs out otherwise, for the same log-odds.
        let older = Segmentation {
            own_blocks: false,
            ..segmentation.clone()
        };
        let older_x = older.augment(&x, &codes);
        assert_eq!(older_x.segment_blocks, None);
        for (a, b) in pooled.log_odds(&older_x).iter().zip(&z) {
            assert!((a - b).abs() < 1e-12, "{a} against {b}");
        }
        assert_eq!(older_x.to_dense(), pooled_x.to_dense());
        // Every pooled input but the segments' intercepts belongs to the step of its shared input.
        let steps = segmentation.input_steps(&[0, 1, 1, 1, 2, 2]);
        assert_eq!(steps.len(), pooled_x.width);
        assert_eq!(&steps[6..12], &[0, 1, 1, 1, 2, 2]);
        assert_eq!(&steps[18..], &[usize::MAX, usize::MAX]);
        assert_eq!(segmentation.penalty_scale(8.0, None)[7], 8.0);
    }
}
