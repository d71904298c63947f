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
//! };
//! let converted = [false, false, true, false, true, true];
//! let model = LogisticParams::new()
//!     .c(1.0, leads.n_rows)            // scikit-learn's C, on these six leads
//!     .fit(&labelled(&leads, &converted))
//!     .expect("two outcomes, valid settings");
//! let p = model.predict(&leads);
//! assert!(model.coefficients[0] > 0.0 && p[5] > p[0]);
//! ```

use linfa::ParamGuard;

use super::logistic::{FitError, LogisticModel};

/// The fit stops when the gradient's L2 norm is below this many times the number of leads:
/// the loss is a sum over leads, so this is scikit-learn's `tol = 1e-4` on its averaged loss
/// (which it applies to the largest gradient component, a looser test than the norm).
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

    /// The fit stops when the gradient's norm is below this times the number of leads.
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
