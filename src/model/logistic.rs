//! The conversion model: L2-regularised logistic regression fitted with linfa-logistic.

use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted logistic regression: `P(convert) = σ(intercept + coefficients · x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// One weight per model input.
    pub coefficients: Vec<f64>,
    /// The intercept (not penalised).
    pub intercept: f64,
}

/// Why a fit failed.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Only one outcome among the rows.
    #[error("the training leads all have the same outcome")]
    OneClass,
    /// linfa refused the data.
    #[error("logistic regression failed: {0}")]
    Linfa(String),
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The log-odds of a probability, clipped away from 0 and 1.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

impl LogisticModel {
    /// Fits on `x` (rows = leads) and `outcome` with L2 strength `alpha` on the summed log loss
    /// (scikit-learn's `1 / C`), optionally starting from `start`.
    pub fn fit(
        x: ArrayView2<f64>,
        outcome: &[bool],
        alpha: f64,
        max_iterations: u64,
        start: Option<&LogisticModel>,
    ) -> Result<LogisticModel, FitError> {
        let positives = outcome.iter().filter(|&&y| y).count();
        if positives == 0 || positives == outcome.len() {
            return Err(FitError::OneClass);
        }
        let targets = ArrayView1::from(outcome);
        let dataset = DatasetBase::new(x, targets);
        // The loss is a sum over leads; stop when the gradient is small per lead, as
        // scikit-learn's lbfgs does with its averaged loss.
        let tolerance = 1e-5 * outcome.len() as f64;
        let mut params = LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(max_iterations)
            .gradient_tolerance(tolerance);
        if let Some(start) = start {
            if start.coefficients.len() == x.ncols() {
                // linfa models the larger class (ties: the first row's class) as positive;
                // turn the start into that orientation.
                let negatives = outcome.len() - positives;
                let linfa_positive_is_converted = positives > negatives || (positives == negatives && outcome[0]);
                let sign = if linfa_positive_is_converted { 1.0 } else { -1.0 };
                let mut init: Vec<f64> = start.coefficients.iter().map(|w| sign * w).collect();
                init.push(sign * start.intercept);
                params = params.initial_params(Array1::from(init));
            }
        }
        let fitted = params.fit(&dataset).map_err(|e| FitError::Linfa(e.to_string()))?;
        // linfa's positive class is whichever label it decides; orient so that the model
        // always gives P(converted).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        Ok(LogisticModel {
            coefficients: fitted.params().iter().map(|w| sign * w).collect(),
            intercept: sign * fitted.intercept(),
        })
    }

    /// Linear predictor (log-odds) per row, accumulated column by column (inputs are stored
    /// column-major).
    pub fn log_odds(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let mut z = ndarray::Array1::from_elem(x.nrows(), self.intercept);
        for (column, &w) in x.columns().into_iter().zip(&self.coefficients) {
            z.scaled_add(w, &column);
        }
        z.to_vec()
    }

    /// Conversion probability per row.
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f64> {
        self.log_odds(x).into_iter().map(sigmoid).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn probabilities_are_for_the_converted_class_whatever_the_majority() {
        // Converters are the minority and have x = 1 more often: the coefficient must be positive.
        // x = 1 for rows 0, 1, 2 of every ten; rows 0 and 1 convert (and a few others).
        let xs: Vec<f64> = (0..200).map(|i| if i % 10 < 3 { 1.0 } else { 0.0 }).collect();
        let outcome: Vec<bool> = (0..200).map(|i| i % 10 < 2 || i % 50 == 5).collect();
        let x = Array2::from_shape_vec((200, 1), xs).unwrap();
        let model = LogisticModel::fit(x.view(), &outcome, 1.0, 100, None).unwrap();
        assert!(model.coefficients[0] > 0.0, "{model:?}");
        let p = model.predict(x.view());
        assert!(p[0] > 0.5 && p[5] < 0.2, "{p:?}");
        // And the same when converters are the majority.
        let flipped: Vec<bool> = outcome.iter().map(|y| !y).collect();
        let model = LogisticModel::fit(x.view(), &flipped, 1.0, 100, None).unwrap();
        assert!(model.coefficients[0] < 0.0);
    }

    #[test]
    fn matches_the_closed_form_of_a_single_binary_input() {
        // Unpenalised-ish (tiny alpha) fit on one 0/1 input reproduces the two group log-odds.
        let mut rows = Vec::new();
        let mut outcome = Vec::new();
        for (x, conversions, leads) in [(0.0, 10, 100), (1.0, 60, 100)] {
            for k in 0..leads {
                rows.push(x);
                outcome.push(k < conversions);
            }
        }
        let x = Array2::from_shape_vec((200, 1), rows).unwrap();
        let model = LogisticModel::fit(x.view(), &outcome, 1e-6, 500, None).unwrap();
        let expected_intercept = (0.1f64 / 0.9).ln();
        let expected_slope = (0.6f64 / 0.4).ln() - expected_intercept;
        assert!((model.intercept - expected_intercept).abs() < 1e-3, "{model:?}");
        assert!((model.coefficients[0] - expected_slope).abs() < 1e-3, "{model:?}");
    }

    #[test]
    fn one_class_is_an_error() {
        let x = Array2::zeros((3, 1));
        assert!(matches!(
            LogisticModel::fit(x.view(), &[true, true, true], 1.0, 10, None),
            Err(FitError::OneClass)
        ));
    }
}
