//! Small dense fits: Platt's one input, the blend's two and the rule audit's one per rule, as
//! columns of numbers fitted by the same optimiser as the model.
//!
//! They were linfa-logistic's for a while; on calibration leads that the model separates
//! almost perfectly (a property test found such leads, `tests/fixtures/hang_platt.csv`), its
//! line search ran on for ever, deaf to Ctrl-C. This optimiser bounds its evaluations, stops on
//! a signal and gives the same weights (`tests/logistic_oracle.rs` checks the two agree).

use linfa::traits::Fit;

use super::logistic::{labelled, FitError, LogisticModel};
use super::params::LogisticParams;
use crate::features::encoded::{EncodedLeads, NumericInput};

/// Fits `P(converted) = σ(intercept + Σ w_j · columns[j])` with `params` (their warm start is
/// not used); `columns` hold one value per lead of `outcome`.
pub fn fit_dense(columns: &[&[f64]], outcome: &[bool], params: LogisticParams) -> Result<LogisticModel, FitError> {
    let n = outcome.len();
    if let Some(column) = columns.iter().find(|c| c.len() != n) {
        return Err(FitError::Linfa(linfa::Error::MismatchedShapes(column.len(), n)));
    }
    if let Some(j) = columns.iter().position(|c| c.iter().any(|x| !x.is_finite())) {
        return Err(FitError::Optimiser(format!(
            "input {j} of a small fit holds a value that is not a number"
        )));
    }
    let leads = EncodedLeads {
        n_rows: n,
        width: columns.len(),
        numeric: (columns.iter().enumerate())
            .map(|(input, values)| NumericInput {
                input,
                values: values.to_vec(),
            })
            .collect(),
        ..EncodedLeads::default()
    };
    params.warm_start(None).fit(&labelled(&leads, outcome))
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
    fn leads_the_model_separates_end_the_fit() {
        // Log-odds that separate the outcomes perfectly: without a penalty the weight has no
        // finite optimum, and the fit must still end.
        let z: Vec<f64> = (0..200)
            .map(|i| if i < 100 { -30.0 - i as f64 } else { 30.0 + i as f64 })
            .collect();
        let outcome: Vec<bool> = (0..200).map(|i| i >= 100).collect();
        let params = LogisticParams::new()
            .alpha(1e-8)
            .max_iterations(200)
            .gradient_tolerance_per_lead(1e-8);
        let started = std::time::Instant::now();
        let _ = fit_dense(&[&z], &outcome, params);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn one_outcome_ragged_columns_and_non_numbers_are_errors() {
        let params = LogisticParams::new;
        assert!(matches!(
            fit_dense(&[&[1.0, 2.0]], &[true, true], params()),
            Err(FitError::OneClass)
        ));
        assert!(matches!(
            fit_dense(&[&[1.0]], &[true, false], params()),
            Err(FitError::Linfa(_))
        ));
        assert!(matches!(
            fit_dense(&[&[1.0, f64::NAN]], &[true, false], params()),
            Err(FitError::Optimiser(_))
        ));
    }
}
