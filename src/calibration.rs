//! Calibration: turning log-odds into probabilities that mean what they say ("a score of 30 is
//! about 30 % of such leads converting"), fitted on leads the model never trained on.
//!
//! Platt scaling (a one-input logistic regression on the log-odds) is the default; isotonic
//! regression (pool adjacent violators, interpolated between block centres) bends to any
//! monotone shape when there are enough calibration leads.

use serde::{Deserialize, Serialize};

use crate::model::dense::fit_dense;
use crate::model::logistic::FitError;
use crate::model::params::LogisticParams;
use crate::model::sigmoid;

/// Platt scaling stops when the gradient's norm is below this per lead.
const PLATT_TOLERANCE: f64 = 1e-8;

/// Which calibration to fit (`[blend] calibration`).
pub use crate::config::CalibrationMethod as Method;

/// A fitted calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    /// `p = σ(slope · z + intercept)`.
    Platt {
        /// Weight of the log-odds.
        slope: f64,
        /// Shift.
        intercept: f64,
    },
    /// Piecewise-linear through `(x, y)` points (x = input probability), flat outside.
    Isotonic {
        /// Block centres, ascending.
        x: Vec<f64>,
        /// Calibrated probability at each centre, non-decreasing.
        y: Vec<f64>,
    },
    /// `p = σ(z)`.
    Identity,
}

impl Calibration {
    /// Fits `method` on log-odds `z` and outcomes.
    pub fn fit(method: Method, z: &[f64], outcome: &[bool]) -> Result<Calibration, FitError> {
        match method {
            Method::None => Ok(Calibration::Identity),
            Method::Platt => {
                // Practically unpenalised, like scikit-learn's Platt scaling.
                let params = LogisticParams::new()
                    .alpha(1e-8)
                    .max_iterations(200)
                    .gradient_tolerance_per_lead(PLATT_TOLERANCE);
                let model = fit_dense(&[z], outcome, params)?;
                Ok(Calibration::Platt {
                    slope: model.coefficients[0],
                    intercept: model.intercept,
                })
            }
            Method::Isotonic => {
                let p: Vec<f64> = z.iter().map(|&z| sigmoid(z)).collect();
                let (x, y) = isotonic_fit(&p, outcome);
                Ok(Calibration::Isotonic { x, y })
            }
        }
    }

    /// The calibrated probability of log-odds `z`.
    pub fn apply(&self, z: f64) -> f64 {
        match self {
            Calibration::Platt { slope, intercept } => sigmoid(slope * z + intercept),
            Calibration::Isotonic { x, y } => interpolate(x, y, sigmoid(z)),
            Calibration::Identity => sigmoid(z),
        }
    }
}

/// Pool adjacent violators on `(p, outcome)` sorted by `p` (ties pooled first). Returns the
/// interpolation points as scikit-learn's `IsotonicRegression` keeps them: each block's first and
/// last `p` with the block's conversion rate, so the fit is flat inside a block and linear
/// between blocks.
pub fn isotonic_fit(p: &[f64], outcome: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    struct Block {
        first: f64,
        last: f64,
        conversions: f64,
        leads: f64,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for &i in &order {
        let y = f64::from(u8::from(outcome[i]));
        match blocks.last_mut() {
            Some(block) if block.last == p[i] => {
                block.conversions += y;
                block.leads += 1.0;
            }
            _ => blocks.push(Block {
                first: p[i],
                last: p[i],
                conversions: y,
                leads: 1.0,
            }),
        }
        while blocks.len() >= 2 {
            let n = blocks.len();
            if blocks[n - 2].conversions / blocks[n - 2].leads <= blocks[n - 1].conversions / blocks[n - 1].leads {
                break;
            }
            let current = blocks.pop().expect("two blocks");
            let previous = blocks.last_mut().expect("two blocks");
            previous.last = current.last;
            previous.conversions += current.conversions;
            previous.leads += current.leads;
        }
    }
    let mut x = Vec::with_capacity(2 * blocks.len());
    let mut y = Vec::with_capacity(2 * blocks.len());
    for block in &blocks {
        let rate = block.conversions / block.leads;
        x.push(block.first);
        y.push(rate);
        if block.last > block.first {
            x.push(block.last);
            y.push(rate);
        }
    }
    (x, y)
}

/// Linear interpolation through `(x, y)`, clipped to the end values outside.
pub fn interpolate(x: &[f64], y: &[f64], at: f64) -> f64 {
    if x.is_empty() {
        return at;
    }
    let k = x.partition_point(|&v| v <= at);
    if k == 0 {
        return y[0];
    }
    if k == x.len() {
        return y[x.len() - 1];
    }
    let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
    y0 + (y1 - y0) * (at - x0) / (x1 - x0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pav_pools_violators() {
        // Rates by x: 0.1 → 1, 0.2 → 0, 0.3 → 0, 0.4 → 1: the first three pool to 1/3.
        let (x, y) = isotonic_fit(&[0.2, 0.1, 0.4, 0.3], &[false, true, true, false]);
        assert_eq!(x, vec![0.1, 0.3, 0.4]);
        assert_eq!(y, vec![1.0 / 3.0, 1.0 / 3.0, 1.0]);
        assert_eq!(interpolate(&x, &y, 0.0), 1.0 / 3.0);
        assert_eq!(interpolate(&x, &y, 0.2), 1.0 / 3.0);
        assert!((interpolate(&x, &y, 0.35) - (1.0 / 3.0 + (2.0 / 3.0) * 0.5)).abs() < 1e-12);
        assert_eq!(interpolate(&x, &y, 0.9), 1.0);
    }

    #[test]
    fn platt_recovers_a_known_slope() {
        // Outcomes drawn exactly at σ(2z − 1) frequencies on a grid of z.
        let mut z = Vec::new();
        let mut outcome = Vec::new();
        for k in -20..=20 {
            let zk = f64::from(k) / 10.0;
            let p = sigmoid(2.0 * zk - 1.0);
            let positives = (p * 1000.0).round() as usize;
            for i in 0..1000 {
                z.push(zk);
                outcome.push(i < positives);
            }
        }
        let Calibration::Platt { slope, intercept } = Calibration::fit(Method::Platt, &z, &outcome).unwrap() else {
            panic!()
        };
        assert!(
            (slope - 2.0).abs() < 0.01 && (intercept + 1.0).abs() < 0.01,
            "{slope} {intercept}"
        );
    }
}
