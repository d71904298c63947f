//! Calibration: turning log-odds into probabilities that mean what they say ("a score of 30 is
//! about 30 % of such leads converting"), fitted on leads the model never trained on.
//!
//! Platt scaling (a one-input logistic regression on the log-odds) is the default; isotonic
//! regression (pool adjacent violators, interpolated between block centres) bends to any
//! monotone shape when there are enough calibration leads.

use serde::{Deserialize, Serialize};

use crate::model::logistic::FitError;
use crate::model::loss::softplus;
use crate::model::sigmoid;

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
                let (slope, intercept) = platt(z, outcome)?;
                Ok(Calibration::Platt { slope, intercept })
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

/// Platt scaling, as Platt (1999) proposed and scikit-learn fits it: `P = σ(slope · z +
/// intercept)` fitted by Newton's method with a backtracking line search (Lin, Lin and Weng,
/// 2007) to targets pulled in from 0 and 1 — `(N₊ + 1) / (N₊ + 2)` for converted leads,
/// `1 / (N₋ + 2)` for the others — so that a few hundred leads do not make it overconfident.
/// At most [`PLATT_ITERATIONS`] steps, each halving its step a bounded number of times.
pub fn platt(z: &[f64], outcome: &[bool]) -> Result<(f64, f64), FitError> {
    let positives = outcome.iter().filter(|&&y| y).count() as f64;
    let negatives = outcome.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Err(FitError::OneClass);
    }
    if z.iter().any(|z| !z.is_finite()) {
        return Err(FitError::Optimiser("a log-odds to calibrate is not a number".into()));
    }
    let (high, low) = ((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
    let targets: Vec<f64> = outcome.iter().map(|&y| if y { high } else { low }).collect();
    // The loss of (slope, intercept): the cross-entropy of σ(slope z + intercept) and the targets.
    let loss = |slope: f64, intercept: f64| -> f64 {
        z.iter()
            .zip(&targets)
            .map(|(&z, &t)| {
                let u = slope * z + intercept;
                // −t·ln σ(u) − (1 − t)·ln(1 − σ(u)), without overflow.
                t * softplus(-u) + (1.0 - t) * softplus(u)
            })
            .sum()
    };
    let (mut slope, mut intercept) = (1.0, ((positives + 1.0) / (negatives + 1.0)).ln());
    let mut value = loss(slope, intercept);
    for _ in 0..PLATT_ITERATIONS {
        let (mut g1, mut g2, mut h11, mut h22, mut h21) = (0.0, 0.0, PLATT_RIDGE, PLATT_RIDGE, 0.0);
        for (&z, &t) in z.iter().zip(&targets) {
            let p = sigmoid(slope * z + intercept);
            let d = p - t;
            let w = p * (1.0 - p);
            g1 += z * d;
            g2 += d;
            h11 += z * z * w;
            h22 += w;
            h21 += z * w;
        }
        if g1.abs() < PLATT_GRADIENT && g2.abs() < PLATT_GRADIENT {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let (d_slope, d_intercept) = (-(h22 * g1 - h21 * g2) / det, -(h11 * g2 - h21 * g1) / det);
        let descent = g1 * d_slope + g2 * d_intercept;
        let mut step = 1.0;
        while step >= PLATT_SMALLEST_STEP {
            let (s, i) = (slope + step * d_slope, intercept + step * d_intercept);
            let next = loss(s, i);
            if next < value + 1e-4 * step * descent {
                (slope, intercept, value) = (s, i, next);
                break;
            }
            step /= 2.0;
        }
        if step < PLATT_SMALLEST_STEP {
            break;
        }
    }
    Ok((slope, intercept))
}

/// Newton steps of Platt scaling at most.
const PLATT_ITERATIONS: usize = 100;
/// Platt scaling stops when both derivatives are below this.
const PLATT_GRADIENT: f64 = 1e-5;
/// Added to the Hessian's diagonal, so that it stays invertible.
const PLATT_RIDGE: f64 = 1e-12;
/// The line search gives up below this step.
const PLATT_SMALLEST_STEP: f64 = 1e-10;

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
