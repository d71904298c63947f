//! The fitted feature pipeline: impute, transform, scale and encode lead columns into the
//! numeric matrix the model reads.
//!
//! Everything is fitted on the training split only and stored in the model file, so scoring a
//! new batch applies exactly the same medians, scales and category vocabularies.

pub mod encoded;
pub mod leakage;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{FeatureConfig, Log1p, Role, Shape};
use crate::data::values::{Values, MISSING};
use crate::data::{Derivation, FeatureColumn};
use encoded::{EncodedLeads, NumericInput, OneHotGroup, NONE};

/// Name of the bucket for missing categories.
pub const MISSING_LEVEL: &str = "(missing)";
/// Most rare categories remembered per column (to tell rare ones from never-seen ones).
const RARE_LEVELS_KEPT: usize = 10_000;
/// Rare categories longer than this are not remembered (a lead scored with one counts as a
/// never-seen category): a pasted e-mail body or a 50 MB cell must not end up in the model file.
const RARE_LEVEL_BYTES: usize = 256;

/// How one feature becomes model inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Encoding {
    /// A number: missing → median (with a missing flag), optional `ln(1 + x)`, standardised.
    Numeric {
        /// Median of the training values (before the log).
        median: f64,
        /// Whether `ln(1 + x)` is applied.
        log1p: bool,
        /// Mean after impute and log.
        mean: f64,
        /// Standard deviation after impute and log.
        std: f64,
        /// Whether a 0/1 "was missing" input follows.
        missing_flag: bool,
    },
    /// A category: one 0/1 input per frequent level, then `other` when rare levels exist.
    /// Categories never seen in training (the unknown bucket) set no input.
    Categorical {
        /// Frequent levels, each with its own input (may include `(missing)`).
        levels: Vec<String>,
        /// Rare training levels (they go to `other`).
        rare: Vec<String>,
        /// Whether an `other` input exists.
        other: bool,
    },
    /// A number with a shape: as [`Encoding::Numeric`] (its straight line), then one step per
    /// cut point, set for the leads whose number reached it — each step's weight is the rise
    /// from one range to the next, pulled toward none, so the line bends only where the leads
    /// say it does.
    Shaped {
        /// Median of the training values (before the log).
        median: f64,
        /// Whether `ln(1 + x)` is applied to the straight line's input.
        log1p: bool,
        /// Mean after impute and log.
        mean: f64,
        /// Standard deviation after impute and log.
        std: f64,
        /// Whether a 0/1 "was missing" input follows the line.
        missing_flag: bool,
        /// The cut points, ascending, on the number as written (a missing value counts as the
        /// median).
        cuts: Vec<f64>,
    },
}

impl Encoding {
    /// The log-odds contribution of a number `x` (NaN: missing) to a lead, as the model
    /// computes it, with the step's `weights`; 0 for a category.
    pub fn contribution(&self, weights: &[f64], x: f64) -> f64 {
        match self {
            Encoding::Numeric {
                median,
                log1p,
                mean,
                std,
                missing_flag,
            }
            | Encoding::Shaped {
                median,
                log1p,
                mean,
                std,
                missing_flag,
                ..
            } => {
                let value = if x.is_nan() { *median } else { x };
                let line = if *log1p { value.max(0.0).ln_1p() } else { value };
                let mut total = weights[0] * (line - mean) / std;
                if *missing_flag && x.is_nan() {
                    total += weights[1];
                }
                if let Encoding::Shaped { cuts, .. } = self {
                    let first = 1 + usize::from(*missing_flag);
                    let reached = cuts.partition_point(|&c| c <= value);
                    total += weights[first..first + reached].iter().sum::<f64>();
                }
                total
            }
            Encoding::Categorical { .. } => 0.0,
        }
    }
}

/// One feature of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStep {
    /// Feature name.
    pub feature: String,
    /// Input column (or events aggregate) it comes from.
    pub source: String,
    /// How it is derived from the source.
    pub derivation: Derivation,
    /// Explicit or implicit.
    pub role: Role,
    /// How it is encoded.
    pub encoding: Encoding,
}

impl FeatureStep {
    /// Names of the model inputs this feature produces.
    pub fn input_names(&self) -> Vec<String> {
        match &self.encoding {
            Encoding::Numeric { missing_flag, .. } => {
                let mut names = vec![self.feature.clone()];
                if *missing_flag {
                    names.push(format!("{} is missing", self.feature));
                }
                names
            }
            Encoding::Shaped { missing_flag, cuts, .. } => {
                let mut names = vec![self.feature.clone()];
                if *missing_flag {
                    names.push(format!("{} is missing", self.feature));
                }
                names.extend(cuts.iter().map(|cut| format!("{} ≥ {cut}", self.feature)));
                names
            }
            Encoding::Categorical { levels, other, .. } => {
                let mut names: Vec<String> = levels.iter().map(|l| format!("{} = {l}", self.feature)).collect();
                if *other {
                    names.push(format!("{} = other", self.feature));
                }
                names
            }
        }
    }

    /// Number of model inputs.
    pub fn width(&self) -> usize {
        match &self.encoding {
            Encoding::Numeric { missing_flag, .. } => 1 + usize::from(*missing_flag),
            Encoding::Shaped { missing_flag, cuts, .. } => 1 + usize::from(*missing_flag) + cuts.len(),
            Encoding::Categorical { levels, other, .. } => levels.len() + usize::from(*other),
        }
    }
}

/// A column the pipeline left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// Feature name.
    pub feature: String,
    /// Why.
    pub reason: String,
}

/// The fitted pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    /// Steps in input order.
    pub steps: Vec<FeatureStep>,
}

/// Fails fitting when a column has no values at all in training.
#[derive(Debug, Clone, PartialEq)]
pub struct AllMissing(pub String);

impl FeaturePipeline {
    /// Fits the pipeline on the rows `train` of `columns`. Returns the pipeline and the columns
    /// it left out (id-like, constant); a column with no value at all is an error.
    pub fn fit(
        columns: &[FeatureColumn],
        train: &[usize],
        config: &FeatureConfig,
    ) -> Result<(FeaturePipeline, Vec<Dropped>), AllMissing> {
        let mut steps = Vec::new();
        let mut dropped = Vec::new();
        for column in columns {
            match fit_step(column, train, config) {
                Fitted::Step(encoding) => steps.push(FeatureStep {
                    feature: column.name.clone(),
                    source: column.source.clone(),
                    derivation: column.derivation,
                    role: column.role,
                    encoding,
                }),
                Fitted::Dropped(reason) => dropped.push(Dropped {
                    feature: column.name.clone(),
                    reason,
                }),
                Fitted::AllMissing => return Err(AllMissing(column.name.clone())),
            }
        }
        Ok((FeaturePipeline { steps }, dropped))
    }

    /// Number of model inputs.
    pub fn width(&self) -> usize {
        self.steps.iter().map(FeatureStep::width).sum()
    }

    /// Names of all model inputs, in order.
    pub fn input_names(&self) -> Vec<String> {
        self.steps.iter().flat_map(FeatureStep::input_names).collect()
    }

    /// Each input's penalty as a multiple of the L2 strength: `step_pull` for the steps of
    /// shaped numbers, 1 for the others; `None` when there are no steps (one strength for all).
    pub fn penalty_scale(&self, step_pull: f64) -> Option<Vec<f64>> {
        let mut scale = Vec::with_capacity(self.width());
        let mut any = false;
        for step in &self.steps {
            match &step.encoding {
                Encoding::Shaped { missing_flag, cuts, .. } => {
                    any |= !cuts.is_empty();
                    scale.extend(std::iter::repeat_n(1.0, 1 + usize::from(*missing_flag)));
                    scale.extend(std::iter::repeat_n(step_pull, cuts.len()));
                }
                _ => scale.extend(std::iter::repeat_n(1.0, step.width())),
            }
        }
        any.then_some(scale)
    }

    /// Which step each model input belongs to.
    pub fn input_steps(&self) -> Vec<usize> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| std::iter::repeat_n(i, s.width()))
            .collect()
    }

    /// Encodes the given rows of `columns` (looked up by feature name) into model inputs.
    /// Every feature of the pipeline must be present in `columns`; the error names a missing one.
    pub fn transform(&self, columns: &[FeatureColumn], rows: &[usize]) -> Result<EncodedLeads, String> {
        let by_name: HashMap<&str, &FeatureColumn> = columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let mut offsets = Vec::with_capacity(self.steps.len());
        let mut offset = 0;
        for step in &self.steps {
            offsets.push(offset);
            offset += step.width();
        }
        // Features encode independently: in parallel, then gathered in order.
        let parts: Vec<EncodedLeads> = self
            .steps
            .par_iter()
            .zip(&offsets)
            .map(|(step, &offset)| {
                let column = by_name.get(step.feature.as_str()).ok_or_else(|| step.feature.clone())?;
                let mut part = EncodedLeads {
                    n_rows: rows.len(),
                    ..EncodedLeads::default()
                };
                encode_into(step, &column.values, rows, &mut part, offset);
                Ok(part)
            })
            .collect::<Result<_, String>>()?;
        let mut encoded = EncodedLeads {
            n_rows: rows.len(),
            width: self.width(),
            ..EncodedLeads::default()
        };
        for part in parts {
            encoded.numeric.extend(part.numeric);
            encoded.groups.extend(part.groups);
            encoded.steps.extend(part.steps);
        }
        Ok(encoded)
    }
}

enum Fitted {
    Step(Encoding),
    Dropped(String),
    AllMissing,
}

fn fit_step(column: &FeatureColumn, train: &[usize], config: &FeatureConfig) -> Fitted {
    match &column.values {
        Values::Numeric(v) | Values::Boolean(v) => {
            let mut present: Vec<f64> = train.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
            if present.is_empty() {
                return Fitted::AllMissing;
            }
            let missing_flag = present.len() < train.len();
            present.sort_unstable_by(f64::total_cmp);
            if present.first() == present.last() && !missing_flag {
                return Fitted::Dropped(format!("constant (always {})", present[0]));
            }
            let is_boolean = matches!(column.values, Values::Boolean(_));
            if !is_boolean
                && present.len() > 100
                && present.iter().all(|x| x.fract() == 0.0)
                && present.windows(2).all(|w| w[0] != w[1])
            {
                return Fitted::Dropped("looks like an id (every value is a different whole number)".into());
            }
            let median = median_of_sorted(&present);
            let log1p = !is_boolean && config.log1p == Log1p::Auto && present[0] >= 0.0 && skewness(&present) > 2.0;
            let transformed = |x: f64| {
                let x = if x.is_nan() { median } else { x };
                if log1p {
                    x.ln_1p()
                } else {
                    x
                }
            };
            let (mean, std) = mean_and_std(&train.iter().map(|&i| transformed(v[i])).collect::<Vec<_>>());
            let shape = match config.shapes.get(&column.name) {
                Some(Shape::Auto) | None => config.shape,
                Some(&own) => own,
            };
            let cuts = if !is_boolean && shape != Shape::Linear {
                cut_points(&present)
            } else {
                Vec::new()
            };
            if cuts.is_empty() {
                Fitted::Step(Encoding::Numeric {
                    median,
                    log1p,
                    mean,
                    std,
                    missing_flag,
                })
            } else {
                Fitted::Step(Encoding::Shaped {
                    median,
                    log1p,
                    mean,
                    std,
                    missing_flag,
                    cuts,
                })
            }
        }
        Values::Categorical(c) => {
            let mut counts = vec![0usize; c.levels.len()];
            let mut missing = 0usize;
            for &i in train {
                match c.codes[i] {
                    MISSING => missing += 1,
                    code => counts[code as usize] += 1,
                }
            }
            let seen = counts.iter().filter(|&&n| n > 0).count();
            if seen == 0 {
                return Fitted::AllMissing;
            }
            if seen + usize::from(missing > 0) == 1 {
                return Fitted::Dropped("constant (one value only)".into());
            }
            if seen > 100 && seen * 2 > train.len() - missing {
                return Fitted::Dropped(format!(
                    "looks like an id ({seen} different values in {} leads)",
                    train.len()
                ));
            }
            let mut ranked: Vec<(&str, usize)> = c
                .levels
                .iter()
                .map(String::as_str)
                .zip(counts.iter().copied())
                .filter(|(_, n)| *n > 0)
                .collect();
            if missing > 0 {
                ranked.push((MISSING_LEVEL, missing));
            }
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            // The most frequent levels get their own input, up to max_categories of them.
            let kept = ranked
                .iter()
                .take(config.max_categories.max(1))
                .filter(|(_, n)| *n >= config.min_frequency.max(1))
                .count();
            let rare = ranked.split_off(kept);
            let levels = ranked;
            let other = !rare.is_empty();
            let levels = levels.into_iter().map(|(l, _)| l.to_string()).collect::<Vec<_>>();
            if levels.is_empty() {
                return Fitted::Dropped(format!(
                    "every value is rarer than min_frequency = {} (or max_categories is 0)",
                    config.min_frequency
                ));
            }
            let rare = rare
                .into_iter()
                .filter(|(l, _)| l.len() <= RARE_LEVEL_BYTES)
                .take(RARE_LEVELS_KEPT)
                .map(|(l, _)| l.to_string())
                .collect();
            Fitted::Step(Encoding::Categorical { levels, rare, other })
        }
        Values::Datetime(_) => Fitted::Dropped("raw timestamps are not used (their age, month and weekday are)".into()),
    }
}

/// Ranges a shaped number is cut into, at most.
const SHAPE_RANGES: usize = 32;

/// The cut points of a number's shape: its quantiles at 1/32, 2/32, …, 31/32 (`present`:
/// its training values, sorted), each once, none at the smallest value; none for a number of
/// fewer than four values.
fn cut_points(present: &[f64]) -> Vec<f64> {
    let mut distinct = present.to_vec();
    distinct.dedup();
    if distinct.len() < 4 {
        return Vec::new();
    }
    let mut cuts: Vec<f64> = (1..SHAPE_RANGES)
        .map(|k| present[k * present.len() / SHAPE_RANGES])
        .filter(|&cut| cut > present[0])
        .collect();
    cuts.dedup();
    cuts
}

/// Adds the inputs of one feature, starting at input `offset`, to `encoded`.
fn encode_into(step: &FeatureStep, values: &Values, rows: &[usize], encoded: &mut EncodedLeads, offset: usize) {
    match (&step.encoding, values) {
        (
            Encoding::Numeric {
                median,
                log1p,
                mean,
                std,
                missing_flag,
            }
            | Encoding::Shaped {
                median,
                log1p,
                mean,
                std,
                missing_flag,
                ..
            },
            Values::Numeric(v) | Values::Boolean(v),
        ) => {
            if let Encoding::Shaped { cuts, .. } = &step.encoding {
                // How many cut points each lead's number reached (a missing one: the median's).
                let codes = rows
                    .iter()
                    .map(|&i| {
                        let x = if v[i].is_nan() { *median } else { v[i] };
                        cuts.partition_point(|&cut| cut <= x) as u32
                    })
                    .collect();
                encoded.steps.push(crate::features::encoded::StepGroup {
                    first: offset + 1 + usize::from(*missing_flag),
                    width: cuts.len(),
                    codes,
                });
            }
            let scaled = rows
                .iter()
                .map(|&i| {
                    let x = if v[i].is_nan() { *median } else { v[i] };
                    let x = if *log1p { x.max(0.0).ln_1p() } else { x };
                    (x - mean) / std
                })
                .collect();
            encoded.numeric.push(NumericInput {
                input: offset,
                values: scaled,
            });
            if *missing_flag {
                let codes = rows.iter().map(|&i| if v[i].is_nan() { 0 } else { NONE }).collect();
                encoded.groups.push(OneHotGroup {
                    first: offset + 1,
                    width: 1,
                    codes,
                });
            }
        }
        (Encoding::Categorical { levels, rare, other }, Values::Categorical(c)) => {
            // Looked up, not searched: a step may keep thousands of rare levels (e-mail domains).
            let mut known: polars::prelude::PlHashMap<&str, u32> = Default::default();
            for (slot, level) in levels.iter().enumerate().rev() {
                known.insert(level.as_str(), slot as u32);
            }
            let rare: polars::prelude::PlHashSet<&str> = rare.iter().map(String::as_str).collect();
            let slot_of = |level: &str| -> Option<u32> {
                (known.get(level).copied()).or_else(|| (*other && rare.contains(level)).then_some(levels.len() as u32))
            };
            let slots: Vec<Option<u32>> = c.levels.iter().map(|l| slot_of(l)).collect();
            let missing_slot = slot_of(MISSING_LEVEL);
            let codes = rows
                .iter()
                .map(|&i| match c.codes[i] {
                    MISSING => missing_slot,
                    code => slots[code as usize],
                })
                .map(|slot| slot.unwrap_or(NONE))
                .collect();
            encoded.groups.push(OneHotGroup {
                first: offset,
                width: step.width(),
                codes,
            });
        }
        // A type mismatch between training and scoring is caught before encoding (scoring
        // checks the schema); such a feature sets no input rather than a guessed one.
        _ => {}
    }
}

/// How far beyond the middle 98 % of a column's values (in multiples of their spread) a value
/// must lie to be called extreme.
const EXTREME: f64 = 1000.0;

/// Warnings about numeric columns whose few extreme values (a placeholder such as 999999999, a
/// unit mix-up, a typo) would squeeze every other lead into one model input, on `rows`.
pub fn extreme_values(columns: &[FeatureColumn], rows: &[usize]) -> Vec<String> {
    let mut warnings = Vec::new();
    for column in columns {
        let Values::Numeric(v) = &column.values else { continue };
        let mut present: Vec<f64> = rows.iter().map(|&i| v[i]).filter(|x| x.is_finite()).collect();
        if present.len() < 20 {
            continue;
        }
        present.sort_unstable_by(f64::total_cmp);
        let n = present.len();
        let (low, high) = (present[n / 100], present[(n * 99) / 100]);
        let spread = (high - low).max(median_of_sorted(&present).abs()).max(1e-12);
        let (min, max) = (present[0], present[n - 1]);
        let (extreme, usual, side) = if max - high > EXTREME * spread {
            (max, high, "at most")
        } else if low - min > EXTREME * spread {
            (min, low, "at least")
        } else {
            continue;
        };
        warnings.push(format!(
            "\"{}\" has extreme values ({extreme:e}, while 99 % of leads have {side} {usual}): they squeeze every other lead into one value of the model's input; check the export (a placeholder such as 999999999, a unit mix-up) or leave the column out",
            column.name
        ));
    }
    warnings
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        return sorted[n / 2];
    }
    let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
    // Two values near the largest double would overflow their sum.
    if (a + b).is_finite() {
        (a + b) / 2.0
    } else {
        a / 2.0 + b / 2.0
    }
}

/// Magnitudes above which sums of values, squares or cubes could overflow: such columns are
/// first divided by their largest magnitude (which leaves the moments' meaning alone).
const LARGE: f64 = 1e90;

/// Values divided by their largest magnitude, when it is [`LARGE`]; with that scale.
fn rescaled(values: &[f64]) -> (std::borrow::Cow<'_, [f64]>, f64) {
    let largest = values.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if largest > LARGE {
        (values.iter().map(|x| x / largest).collect(), largest)
    } else {
        (std::borrow::Cow::Borrowed(values), 1.0)
    }
}

/// Mean and standard deviation (1 for a constant) of finite values, without overflow.
fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let (values, scale) = rescaled(values);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let std = if var > 0.0 { var.sqrt() * scale } else { 1.0 };
    (mean * scale, std)
}

fn skewness(values: &[f64]) -> f64 {
    let (values, _) = rescaled(values);
    let values = &values[..];
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 {
        0.0
    } else {
        m3 / m2.powf(1.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_contributes_as_the_model_computes_it() {
        let encoding = Encoding::Shaped {
            median: 2.0,
            log1p: false,
            mean: 3.0,
            std: 2.0,
            missing_flag: true,
            cuts: vec![1.0, 4.0],
        };
        // weights: line, missing flag, step at 1, step at 4.
        let weights = [0.5, -0.3, 0.2, 0.7];
        // x = 5: 0.5·(5−3)/2 + 0.2 + 0.7.
        assert!((encoding.contribution(&weights, 5.0) - 1.4).abs() < 1e-12);
        // x = 0: 0.5·(0−3)/2, no step reached.
        assert!((encoding.contribution(&weights, 0.0) + 0.75).abs() < 1e-12);
        // Missing: the median's (2: line −0.25, step at 1) and the flag.
        assert!((encoding.contribution(&weights, f64::NAN) - (-0.25 - 0.3 + 0.2)).abs() < 1e-12);
    }
    use crate::data::values::Categorical;

    #[test]
    fn a_column_with_a_placeholder_value_is_warned_about() {
        let mut visits: Vec<f64> = (0..200).map(|i| f64::from(i % 12)).collect();
        let rows: Vec<usize> = (0..200).collect();
        let plain = [column("visits", Values::Numeric(visits.clone()))];
        assert!(extreme_values(&plain, &rows).is_empty());
        visits[7] = 1e200;
        let warned = extreme_values(&[column("visits", Values::Numeric(visits.clone()))], &rows);
        assert_eq!(warned.len(), 1);
        assert!(
            warned[0].contains("\"visits\" has extreme values (1e200"),
            "{}",
            warned[0]
        );
        // Outside the rows it is not seen.
        let others: Vec<usize> = (0..200).filter(|&i| i != 7).collect();
        assert!(extreme_values(&[column("visits", Values::Numeric(visits))], &others).is_empty());
    }

    #[test]
    fn extreme_values_give_finite_statistics() {
        let (mean, std) = mean_and_std(&[1.5e308, 1.6e308, 1.0]);
        assert!(mean.is_finite() && std.is_finite() && std > 0.0, "{mean} {std}");
        assert!(((mean - 1.0333333333333333e308) / mean).abs() < 1e-12, "{mean}");
        assert_eq!(mean_and_std(&[1.0, 2.0, 3.0]), (2.0, (2.0f64 / 3.0).sqrt()));
        assert_eq!(mean_and_std(&[4.0, 4.0]), (4.0, 1.0));
        assert_eq!(median_of_sorted(&[1.5e308, 1.7e308]), 1.6e308);
        assert!(skewness(&[1.0, 1.0, 1.0, 1e200]).is_finite());
    }

    fn column(name: &str, values: Values) -> FeatureColumn {
        FeatureColumn::direct(name, Role::Explicit, values)
    }

    #[test]
    fn numeric_is_imputed_flagged_and_standardised() {
        let columns = vec![column("visits", Values::Numeric(vec![1.0, f64::NAN, 3.0, 5.0]))];
        let config = FeatureConfig {
            log1p: Log1p::Off,
            ..Default::default()
        };
        let (pipeline, dropped) = FeaturePipeline::fit(&columns, &[0, 1, 2, 3], &config).unwrap();
        assert!(dropped.is_empty());
        // median 3; imputed values 1,3,3,5 → mean 3, population std 1.4142
        let Encoding::Numeric {
            median,
            mean,
            std,
            missing_flag,
            ..
        } = pipeline.steps[0].encoding
        else {
            panic!()
        };
        assert_eq!((median, mean, missing_flag), (3.0, 3.0, true));
        assert!((std - 2f64.sqrt()).abs() < 1e-12);
        let x = pipeline.transform(&columns, &[0, 1]).unwrap().to_dense();
        assert!((x[[0, 0]] + 2.0 / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(x[[1, 0]], 0.0);
        assert_eq!((x[[0, 1]], x[[1, 1]]), (0.0, 1.0));
    }

    #[test]
    fn rare_categories_share_other_and_unknown_sets_nothing() {
        let train = Categorical::from_values(["a", "a", "a", "b", "b", "b", "c"].map(Some));
        let columns = vec![column("source", Values::Categorical(train))];
        let config = FeatureConfig {
            min_frequency: 2,
            ..Default::default()
        };
        let (pipeline, _) = FeaturePipeline::fit(&columns, &(0..7).collect::<Vec<_>>(), &config).unwrap();
        assert_eq!(
            pipeline.input_names(),
            vec!["source = a", "source = b", "source = other"]
        );
        let new = Categorical::from_values([Some("c"), Some("zzz"), None, Some("b")]);
        let x = pipeline
            .transform(&[column("source", Values::Categorical(new))], &[0, 1, 2, 3])
            .unwrap()
            .to_dense();
        assert_eq!(x.row(0).to_vec(), vec![0.0, 0.0, 1.0]);
        assert_eq!(x.row(1).to_vec(), vec![0.0, 0.0, 0.0]);
        assert_eq!(x.row(2).to_vec(), vec![0.0, 0.0, 0.0]);
        assert_eq!(x.row(3).to_vec(), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn only_the_most_frequent_categories_get_inputs() {
        let values: Vec<String> = (0..300).map(|i| format!("domain{}", i % 30)).collect();
        let domains = Categorical::from_values(values.iter().map(|v| Some(v.as_str())));
        let columns = vec![column("email: domain", Values::Categorical(domains))];
        let config = FeatureConfig {
            min_frequency: 5,
            max_categories: 4,
            ..Default::default()
        };
        let (pipeline, _) = FeaturePipeline::fit(&columns, &(0..300).collect::<Vec<_>>(), &config).unwrap();
        assert_eq!(
            pipeline.steps[0].width(),
            5,
            "4 categories and other: {:?}",
            pipeline.input_names()
        );
    }

    #[test]
    fn ids_constants_and_empty_columns() {
        let ids = Values::Numeric((0..200).map(f64::from).collect());
        let constant = Values::Categorical(Categorical::from_values(vec![Some("x"); 200]));
        let columns = vec![column("Lead Number", ids), column("Country", constant)];
        let rows: Vec<usize> = (0..200).collect();
        let (pipeline, dropped) = FeaturePipeline::fit(&columns, &rows, &FeatureConfig::default()).unwrap();
        assert!(pipeline.steps.is_empty());
        assert_eq!(dropped.len(), 2);
        assert!(dropped[0].reason.contains("id"));
        assert!(dropped[1].reason.contains("constant"));
        let empty = vec![column("Fax", Values::Numeric(vec![f64::NAN; 10]))];
        assert_eq!(
            FeaturePipeline::fit(&empty, &[0, 1, 2], &FeatureConfig::default()).unwrap_err(),
            AllMissing("Fax".into())
        );
    }

    #[test]
    fn skewed_counts_get_log1p() {
        let mut visits = vec![0.0; 90];
        visits.extend([50.0, 80.0, 200.0, 1.0, 2.0, 1.0, 3.0, 0.0, 400.0, 1.0]);
        let columns = vec![column("TotalVisits", Values::Numeric(visits))];
        let (pipeline, _) =
            FeaturePipeline::fit(&columns, &(0..100).collect::<Vec<_>>(), &FeatureConfig::default()).unwrap();
        assert!(matches!(
            pipeline.steps[0].encoding,
            Encoding::Shaped { log1p: true, .. }
        ));
        let linear = FeatureConfig {
            shape: Shape::Linear,
            ..FeatureConfig::default()
        };
        let (pipeline, _) = FeaturePipeline::fit(&columns, &(0..100).collect::<Vec<_>>(), &linear).unwrap();
        assert!(matches!(
            pipeline.steps[0].encoding,
            Encoding::Numeric { log1p: true, .. }
        ));
    }

    #[test]
    fn a_shaped_number_is_cut_at_its_quantiles_and_scored_by_its_range() {
        let values: Vec<f64> = (0..160).map(|i| (i % 40) as f64).collect();
        let mut with_missing = values.clone();
        with_missing[3] = f64::NAN;
        let columns = vec![column("visits", Values::Numeric(with_missing))];
        let rows: Vec<usize> = (0..160).collect();
        let (pipeline, _) = FeaturePipeline::fit(&columns, &rows, &FeatureConfig::default()).unwrap();
        let Encoding::Shaped {
            cuts,
            missing_flag,
            median,
            ..
        } = &pipeline.steps[0].encoding
        else {
            panic!("{:?}", pipeline.steps[0].encoding)
        };
        // Quantiles at k/32 of 0..40 (each value four times, one missing), each once.
        assert!(cuts.len() >= 25 && cuts.len() <= 31, "{cuts:?}");
        assert!(cuts.windows(2).all(|w| w[0] < w[1]) && cuts[0] > 0.0, "{cuts:?}");
        assert!(*missing_flag);
        let names = pipeline.input_names();
        assert_eq!(names.len(), 2 + cuts.len());
        assert_eq!(names[2], format!("visits ≥ {}", cuts[0]));
        // A lead's steps are those its number reached; a missing number reaches the median's.
        let x = pipeline.transform(&columns, &[0, 39, 3]).unwrap();
        let codes = &x.steps[0].codes;
        assert_eq!(codes[0], 0);
        assert_eq!(codes[1] as usize, cuts.len());
        assert_eq!(codes[2] as usize, cuts.partition_point(|&c| c <= *median));
        assert_eq!(pipeline.penalty_scale(4.0).unwrap()[2..], vec![4.0; cuts.len()][..]);
    }
}
