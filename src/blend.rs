//! The blend of the model and the marketing team's rules: a small logistic regression on
//! `[model log-odds, rule points]`, fitted on held-out calibration leads, so the rules keep their
//! say and their weight is learned from outcomes (or fixed in the config).

use serde::{Deserialize, Serialize};

use crate::model::dense::fit_dense;
use crate::model::logistic::FitError;
use crate::model::params::LogisticParams;
use crate::rules::RulesFile;

/// The fit stops when the gradient's norm is below this per lead: the two weights to about six
/// digits.
const TOLERANCE: f64 = 1e-8;

/// `blended log-odds = intercept + model_weight × model log-odds + points_weight × rule points`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    /// The rules whose points are blended (validated again when the model is loaded).
    pub rules: RulesFile,
    /// Weight of the model's log-odds.
    pub model_weight: f64,
    /// Log-odds per rule point.
    pub points_weight: f64,
    /// Shift.
    pub intercept: f64,
    /// Whether `points_weight` was fixed by the config rather than learned.
    pub fixed: bool,
}

impl Blend {
    /// Fits the blend on calibration leads: model log-odds `z`, rule `points` and `outcome`.
    /// With `fixed_points_weight`, the blend is `z + weight × points` as configured.
    pub fn fit(
        rules: RulesFile,
        z: &[f64],
        points: &[f64],
        outcome: &[bool],
        fixed_points_weight: Option<f64>,
    ) -> Result<Blend, FitError> {
        if let Some(weight) = fixed_points_weight {
            return Ok(Blend {
                rules,
                model_weight: 1.0,
                points_weight: weight,
                intercept: 0.0,
                fixed: true,
            });
        }
        // Practically unpenalised: the blend has two weights and thousands of leads.
        let params = LogisticParams::new()
            .alpha(1e-6)
            .max_iterations(500)
            .gradient_tolerance_per_lead(TOLERANCE);
        let model = fit_dense(&[z, points], outcome, params)?;
        Ok(Blend {
            rules,
            model_weight: model.coefficients[0],
            points_weight: model.coefficients[1],
            intercept: model.intercept,
            fixed: false,
        })
    }

    /// The blended log-odds.
    pub fn apply(&self, z: f64, points: f64) -> f64 {
        self.intercept + self.model_weight * z + self.points_weight * points
    }
}

/// The final log-odds of leads: the model's `z`, blended with the rule points of lead `k`
/// (`points_of(k)`, 0 when absent) when there is a blend.
pub fn final_log_odds(blend: Option<&Blend>, z: &[f64], points_of: impl Fn(usize) -> Option<f64>) -> Vec<f64> {
    match blend {
        Some(blend) => z
            .iter()
            .enumerate()
            .map(|(k, &z)| blend.apply(z, points_of(k).unwrap_or(0.0)))
            .collect(),
        None => z.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sigmoid;

    #[test]
    fn recovers_the_weights_of_model_and_rules() {
        // Outcomes at exactly σ(0.5 + 0.8 z + 0.05 points) frequencies on a grid.
        let (mut z, mut points, mut outcome) = (Vec::new(), Vec::new(), Vec::new());
        for zi in -10..=10 {
            for pi in [0.0, 10.0, 20.0, 50.0, -20.0] {
                let zf = f64::from(zi) / 5.0;
                let p = sigmoid(0.5 + 0.8 * zf + 0.05 * pi);
                let positives = (p * 400.0).round() as usize;
                for k in 0..400 {
                    z.push(zf);
                    points.push(pi);
                    outcome.push(k < positives);
                }
            }
        }
        let blend = Blend::fit(RulesFile::default(), &z, &points, &outcome, None).unwrap();
        assert!((blend.model_weight - 0.8).abs() < 0.01, "{blend:?}");
        assert!((blend.points_weight - 0.05).abs() < 0.001, "{blend:?}");
        assert!((blend.intercept - 0.5).abs() < 0.01, "{blend:?}");
        let fixed = Blend::fit(RulesFile::default(), &z, &points, &outcome, Some(0.02)).unwrap();
        assert_eq!(fixed.apply(1.0, 10.0), 1.2);
    }
}
