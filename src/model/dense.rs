//! Small dense fits by linfa-logistic itself: Platt's one input, the blend's two and the rule
//! audit's one per rule. Their matrices are a few columns wide, so the coded-leads fit of
//! [`super::logistic`] has nothing to gain on them.

use linfa::prelude::*;
use ndarray::{Array1, Array2};

use super::logistic::{FitError, LogisticModel};
use super::loss::logit;
use super::params::LogisticParams;

/// Gradient tolerance per lead of the small fits. They cost little, so they are run all but to
/// the exact optimum: two optimisers then give the same weights to their last digits.
pub const SMALL_FIT_TOLERANCE: f64 = 1e-10;

/// Fits `P(converted) = σ(intercept + Σ w_j · columns[j])` with `params` (their warm start is
/// not used); `columns` hold one value per lead of `outcome`.
pub fn fit_dense(columns: &[&[f64]], outcome: &[bool], params: LogisticParams) -> Result<LogisticModel, FitError> {
    let params = params.check()?;
    let n = outcome.len();
    if let Some(column) = columns.iter().find(|c| c.len() != n) {
        return Err(FitError::Linfa(linfa::Error::MismatchedShapes(column.len(), n)));
    }
    let positives = outcome.iter().filter(|&&y| y).count();
    if positives == 0 || positives == n {
        return Err(FitError::OneClass);
    }
    let x = Array2::from_shape_fn((n, columns.len()), |(lead, j)| columns[j][lead]);
    // linfa-logistic takes the more frequent outcome as its positive class; its coefficients
    // are turned round when that is "not converted".
    let sign = if 2 * positives >= n { 1.0 } else { -1.0 };
    // Like the coded fit, start at the base rate's log-odds.
    let mut start = Array1::zeros(columns.len() + 1);
    start[columns.len()] = sign * logit(positives as f64 / n as f64);
    let fitted = linfa_logistic::LogisticRegression::default()
        .alpha(params.alpha())
        .max_iterations(params.max_iterations())
        .gradient_tolerance(params.gradient_tolerance_per_lead() * n as f64)
        .initial_params(start)
        .fit(&DatasetBase::new(x, Array1::from(outcome.to_vec())))
        .map_err(|e| FitError::Optimiser(e.to_string()))?;
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let model = LogisticModel {
        coefficients: fitted.params().iter().map(|w| sign * w).collect(),
        intercept: sign * fitted.intercept(),
    };
    if !(model.intercept.is_finite() && model.coefficients.iter().all(|w| w.is_finite())) {
        return Err(FitError::Optimiser(
            "the coefficients diverged; raise the regularisation".into(),
        ));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sigmoid;

    #[test]
    fn recovers_known_weights_whichever_outcome_is_more_frequent() {
        // Outcomes at exactly σ(b + 2z) frequencies on a grid, for a rare and a common outcome.
        for b in [-2.0, 1.5] {
            let (mut z, mut outcome) = (Vec::new(), Vec::new());
            for k in -20..=20 {
                let zk = f64::from(k) / 10.0;
                let positives = (sigmoid(b + 2.0 * zk) * 1000.0).round() as usize;
                for i in 0..1000 {
                    z.push(zk);
                    outcome.push(i < positives);
                }
            }
            let params = LogisticParams::new()
                .alpha(1e-8)
                .max_iterations(200)
                .gradient_tolerance_per_lead(1e-8);
            let model = fit_dense(&[&z], &outcome, params).unwrap();
            assert!((model.coefficients[0] - 2.0).abs() < 0.01, "{b}: {model:?}");
            assert!((model.intercept - b).abs() < 0.01, "{b}: {model:?}");
        }
    }

    #[test]
    fn one_outcome_and_ragged_columns_are_errors() {
        let params = || LogisticParams::new();
        assert!(matches!(
            fit_dense(&[&[1.0, 2.0]], &[true, true], params()),
            Err(FitError::OneClass)
        ));
        assert!(matches!(
            fit_dense(&[&[1.0]], &[true, false], params()),
            Err(FitError::Linfa(_))
        ));
    }
}
