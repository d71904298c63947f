//! How the conversion model is fitted: named hyperparameters, checked once before any fit
//! (linfa's `Params` → `ValidParams`, as in linfa-logistic's `hyperparams.rs`).
//!
//! ```
//! use leadscore::features::encoded::{EncodedLeads, NumericInput};
//! use leadscore::model::logistic::labelled;
//! use leadscore::model::params::LogisticParams;
//! use linfa::traits::Fit;
//!
//! // Six leads with one input, visits (standardised); the three that visited most converted.
//! let leads = EncodedLeads {
//!     n_rows: 6,
//!     width: 1,
//!     numeric: vec![NumericInput { input: 0, values: vec![-1.5, -1.0, -0.2, 0.3, 1.0, 1.4] }],
//!     groups: Vec::new(),
//!     blocks: Vec::new(),
//!     steps: Vec::new(),
//!     segment_blocks: None,
//! };
//! let converted = [false, false, true, false, true, true];
//! let model = LogisticParams::new()
//!     .c(1.0, leads.n_rows)            // scikit-learn's C, on these six leads
//!     .fit(&labelled(&leads, &converted))
//!     .expect("two outcomes, valid settings");
//! let p = model.predict(&leads);
//! assert!(model.coefficients[0] > 0.0 && p[5] > p[0]);
//! ```

use linfa::traits::Fit;
use linfa::ParamGuard;

use super::logistic::{fit, FitError, LabelledLeads, LogisticModel, Run};
use crate::features::encoded::EncodedLeads;

/// The fit stops when no component of the gradient is above this many times the number of
/// leads: the loss is a sum over leads, so this is scikit-learn's `tol = 1e-4` on its averaged
/// loss, applied as it applies it (to the largest component).
pub const GRADIENT_TOLERANCE_PER_LEAD: f64 = 1e-4;
/// Iterations of L-BFGS at most, unless set.
pub const MAX_ITERATIONS: u64 = 300;

/// How a logistic regression is to be fitted, as set; [`ParamGuard::check`] (or `fit`, which
/// checks first) turns it into [`ValidLogisticParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams(ValidLogisticParams);

/// Checked settings of a fit: the objective is the summed log loss plus `alpha/2·‖w‖²`
/// (intercept unpenalised), linfa-logistic's.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLogisticParams {
    alpha: f64,
    max_iterations: u64,
    gradient_tolerance_per_lead: f64,
    start: Option<LogisticModel>,
    penalty_scale: Option<Vec<f64>>,
    held_own: Vec<usize>,
}

impl ValidLogisticParams {
    /// L2 strength on the summed log loss.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Iterations of L-BFGS at most.
    pub fn max_iterations(&self) -> u64 {
        self.max_iterations
    }

    /// The fit stops when the gradient's norm is below this times the number of leads.
    pub fn gradient_tolerance_per_lead(&self) -> f64 {
        self.gradient_tolerance_per_lead
    }

    /// Where the fit starts (a warm start), when set.
    pub fn start(&self) -> Option<&LogisticModel> {
        self.start.as_ref()
    }
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams::new()
    }
}

impl LogisticParams {
    /// α = 1, [`MAX_ITERATIONS`], [`GRADIENT_TOLERANCE_PER_LEAD`], a cold start.
    pub fn new() -> Self {
        LogisticParams(ValidLogisticParams {
            alpha: 1.0,
            max_iterations: MAX_ITERATIONS,
            gradient_tolerance_per_lead: GRADIENT_TOLERANCE_PER_LEAD,
            start: None,
            penalty_scale: None,
            held_own: Vec::new(),
        })
    }

    /// L2 strength on the summed log loss (linfa-logistic's `alpha`; scikit-learn's `1 / C`).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// The L2 strength of scikit-learn's `C` on `leads` leads; a fit on a sample of them keeps
    /// `C`'s meaning when given the sample's share (see [`LogisticParams::c_on_sample`]).
    pub fn c(self, c: f64, leads: usize) -> Self {
        self.c_on_sample(c, leads, leads)
    }

    /// The L2 strength `C` has on `all` leads, for a fit on `sample` of them: the penalty
    /// shrinks with the sample so that each lead weighs as it would in the whole.
    pub fn c_on_sample(self, c: f64, sample: usize, all: usize) -> Self {
        self.alpha(sample as f64 / (c * all as f64))
    }

    /// Iterations of L-BFGS at most.
    pub fn max_iterations(mut self, max_iterations: u64) -> Self {
        self.0.max_iterations = max_iterations;
        self
    }

    /// The fit stops when no component of the gradient is above this times the number of leads.
    pub fn gradient_tolerance_per_lead(mut self, tolerance: f64) -> Self {
        self.0.gradient_tolerance_per_lead = tolerance;
        self
    }

    /// Starts from `model` (when it has as many inputs as the leads): a warm start along a
    /// grid of strengths, or from the mean of the cross-validation folds.
    pub fn warm_start(mut self, model: Option<&LogisticModel>) -> Self {
        self.0.start = model.cloned();
        self
    }

    /// Each input's penalty as a multiple of `alpha` (one per input; all 1 when not set): the
    /// inputs of a segment's deviation from the shared model are pulled toward zero harder or
    /// more lightly than the shared ones.
    pub fn penalty_scale(mut self, scale: Option<Vec<f64>>) -> Self {
        self.0.penalty_scale = scale;
        self
    }

    /// Inputs of segments' blocks whose segment's own coefficient (the shared one plus the
    /// deviation) is held at (all but) 0: a number kept monotone whose effect went the other
    /// way in that segment only. For pooled leads ([`EncodedLeads::segment_blocks`]).
    pub fn hold_own(mut self, inputs: Vec<usize>) -> Self {
        self.0.held_own = inputs;
        self
    }
}

impl ParamGuard for LogisticParams {
    type Checked = ValidLogisticParams;
    type Error = FitError;

    fn check_ref(&self) -> Result<&ValidLogisticParams, FitError> {
        let p = &self.0;
        if !(p.alpha.is_finite() && p.alpha >= 0.0) {
            return Err(FitError::InvalidParams(format!(
                "the L2 strength must be a number ≥ 0, not {}",
                p.alpha
            )));
        }
        if !(p.gradient_tolerance_per_lead.is_finite() && p.gradient_tolerance_per_lead > 0.0) {
            return Err(FitError::InvalidParams(format!(
                "the gradient tolerance must be positive, not {}",
                p.gradient_tolerance_per_lead
            )));
        }
        if p.max_iterations == 0 {
            return Err(FitError::InvalidParams("at least one iteration is needed".into()));
        }
        if let Some(scale) = &p.penalty_scale {
            if scale.iter().any(|m| !(m.is_finite() && *m >= 0.0)) {
                return Err(FitError::InvalidParams("penalty multiples must be numbers ≥ 0".into()));
            }
        }
        if let Some(start) = &p.start {
            if !(start.intercept.is_finite() && start.coefficients.iter().all(|w| w.is_finite())) {
                return Err(FitError::InvalidParams("the starting model is not finite".into()));
            }
        }
        Ok(p)
    }

    fn check(self) -> Result<ValidLogisticParams, FitError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl<'a> Fit<&'a EncodedLeads, &'a [bool], FitError> for ValidLogisticParams {
    type Object = LogisticModel;

    fn fit(&self, dataset: &LabelledLeads<'a>) -> Result<LogisticModel, FitError> {
        let run = Run {
            alpha: self.alpha,
            max_iterations: self.max_iterations,
            gradient_tolerance_per_lead: self.gradient_tolerance_per_lead,
            start: self.start.as_ref(),
            penalty_scale: self.penalty_scale.as_deref(),
            held_own: &self.held_own,
        };
        fit(dataset.records, dataset.targets, &run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::encoded::{NumericInput, OneHotGroup, NONE};
    use crate::model::logistic::labelled;

    fn one_flag(flags: Vec<u32>) -> EncodedLeads {
        EncodedLeads {
            n_rows: flags.len(),
            width: 1,
            numeric: Vec::new(),
            groups: vec![OneHotGroup {
                first: 0,
                width: 1,
                codes: flags,
            }],
            blocks: Vec::new(),
            steps: Vec::new(),
            segment_blocks: None,
        }
    }

    #[test]
    fn matches_the_closed_form_of_a_single_binary_input() {
        // A nearly unpenalised fit on one 0/1 input reproduces the two groups' log-odds.
        let mut flags = Vec::new();
        let mut outcome = Vec::new();
        for (flag, conversions, leads) in [(NONE, 10, 100), (0, 60, 100)] {
            for k in 0..leads {
                flags.push(flag);
                outcome.push(k < conversions);
            }
        }
        let leads = one_flag(flags);
        let model = LogisticParams::new()
            .alpha(1e-6)
            .max_iterations(500)
            .gradient_tolerance_per_lead(1e-9)
            .fit(&labelled(&leads, &outcome))
            .unwrap();
        let expected_intercept = (0.1f64 / 0.9).ln();
        let expected_slope = (0.6f64 / 0.4).ln() - expected_intercept;
        assert!((model.intercept - expected_intercept).abs() < 1e-3, "{model:?}");
        assert!((model.coefficients[0] - expected_slope).abs() < 1e-3, "{model:?}");
    }

    #[test]
    fn probabilities_are_for_the_converted_class() {
        let values: Vec<f64> = (0..200).map(|i| if i % 10 < 3 { 1.0 } else { -1.0 }).collect();
        let outcome: Vec<bool> = (0..200).map(|i| i % 10 < 2 || i % 50 == 5).collect();
        let leads = EncodedLeads {
            n_rows: 200,
            width: 1,
            numeric: vec![NumericInput { input: 0, values }],
            groups: Vec::new(),
            blocks: Vec::new(),
            steps: Vec::new(),
            segment_blocks: None,
        };
        let model = LogisticParams::new()
            .max_iterations(100)
            .fit(&labelled(&leads, &outcome))
            .unwrap();
        assert!(model.coefficients[0] > 0.0, "{model:?}");
        let p = model.predict(&leads);
        assert!(p[0] > 0.5 && p[5] < 0.2, "{p:?}");
    }

    #[test]
    fn one_class_is_an_error() {
        let leads = one_flag(vec![0, NONE, 0]);
        let outcome = [true, true, true];
        assert!(matches!(
            LogisticParams::new().fit(&labelled(&leads, &outcome)),
            Err(FitError::OneClass)
        ));
        let outcome = [true, false];
        assert!(matches!(
            LogisticParams::new().fit(&labelled(&leads, &outcome)),
            Err(FitError::Linfa(_))
        ));
        assert!(matches!(
            LogisticParams::new()
                .alpha(-1.0)
                .fit(&labelled(&leads, &[true, false, true])),
            Err(FitError::InvalidParams(_))
        ));
    }
}
