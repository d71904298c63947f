//! The objective a logistic fit minimises: the summed log loss of the leads and its gradient,
//! in one parallel pass over [`EncodedLeads`] (one multiply-add per feature, not per input).

use rayon::prelude::*;

use crate::features::encoded::{EncodedLeads, CHUNK, NONE};

/// Summed log loss of `outcome` under `weights`/`intercept`, and its gradient (one entry
/// per input, then the intercept), in one parallel pass.
pub fn log_loss_and_gradient(
    leads: &EncodedLeads,
    outcome: &[bool],
    weights: &[f64],
    intercept: f64,
) -> (f64, Vec<f64>) {
    let width = leads.width;
    let weights = leads.effective(weights);
    let partials: Vec<(f64, Vec<f64>)> = (0..leads.n_rows.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let start = k * CHUNK;
            let end = (start + CHUNK).min(leads.n_rows);
            let mut z = vec![0.0; end - start];
            leads.linear_into(&weights, intercept, start, &mut z);
            let mut loss = 0.0;
            // z becomes the residual σ(z) − y; the loss and σ share one exponential:
            // with e = exp(−|z|), softplus(±z) = max(±z, 0) + ln(1 + e) and σ(z) is 1/(1 + e)
            // or e/(1 + e).
            for (z, &y) in z.iter_mut().zip(&outcome[start..end]) {
                let e = (-z.abs()).exp();
                let signed = if y { -*z } else { *z };
                loss += signed.max(0.0) + e.ln_1p();
                let p = if *z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
                *z = p - f64::from(u8::from(y));
            }
            let mut gradient = vec![0.0; width + 1];
            for column in &leads.numeric {
                gradient[column.input] = z.iter().zip(&column.values[start..end]).map(|(r, x)| r * x).sum();
            }
            for group in &leads.groups {
                let g = &mut gradient[group.first..group.first + group.width];
                for (r, &code) in z.iter().zip(&group.codes[start..end]) {
                    if code != NONE {
                        g[code as usize] += r;
                    }
                }
            }
            for group in &leads.steps {
                // Residuals summed per range, then each step gets those of the ranges above it.
                let mut per_range = vec![0.0; group.width + 1];
                for (r, &code) in z.iter().zip(&group.codes[start..end]) {
                    per_range[code as usize] += r;
                }
                let mut above = 0.0;
                for j in (0..group.width).rev() {
                    above += per_range[j + 1];
                    gradient[group.first + j] += above;
                }
            }
            for block in &leads.blocks {
                let g = &mut gradient[block.first..width];
                for ((r, &code), &x) in z.iter().zip(&block.codes[start..end]).zip(&block.values[start..end]) {
                    if code != NONE {
                        g[code as usize] += r * x;
                    }
                }
            }
            gradient[width] = z.iter().sum();
            (loss, gradient)
        })
        .collect();
    let mut total = 0.0;
    let mut gradient = vec![0.0; width + 1];
    for (loss, partial) in partials {
        total += loss;
        gradient.iter_mut().zip(partial).for_each(|(g, p)| *g += p);
    }
    leads.gradient_of_weights(&mut gradient);
    (total, gradient)
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

/// `ln(1 + e^t)` without overflow.
pub fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::encoded::tests::{example, example_with_blocks};
    use crate::features::encoded::{StepGroup, NONE};

    /// Every input's gradient (and the intercept's) against a finite difference of the loss.
    fn gradient_agrees_with_finite_differences(leads: &EncodedLeads, outcome: &[bool], w: &[f64], b: f64) {
        let (loss, gradient) = log_loss_and_gradient(leads, outcome, w, b);
        let h = 1e-6;
        for k in 0..=w.len() {
            let (mut w2, mut b2) = (w.to_vec(), b);
            if k < w.len() {
                w2[k] += h;
            } else {
                b2 += h;
            }
            let numeric = (log_loss_and_gradient(leads, outcome, &w2, b2).0 - loss) / h;
            assert!(
                (numeric - gradient[k]).abs() < 1e-5,
                "input {k}: {numeric} vs {}",
                gradient[k]
            );
        }
    }

    #[test]
    fn gradient_matches_finite_differences_with_step_inputs_too() {
        let mut leads = example_with_blocks();
        leads.width = 9;
        leads.steps.push(StepGroup {
            first: 6,
            width: 3,
            codes: vec![2, 3, 0],
        });
        let w = [0.3, -0.2, 0.1, 0.4, 0.7, -0.5, 0.2, -0.6, 0.9];
        gradient_agrees_with_finite_differences(&leads, &[true, false, true], &w, 0.1);
    }

    /// A pooled model's leads, each setting its inputs in its segment's block: the gradient is
    /// the model's (shared weights and deviations), not the one of the weights the leads meet.
    #[test]
    fn gradient_matches_finite_differences_for_a_pooled_model() {
        let mut base = example_with_blocks();
        base.width = 8;
        base.steps.push(StepGroup {
            first: 6,
            width: 2,
            codes: vec![2, 0, 1],
        });
        let segmentation = crate::model::segments::tests::two_segments(8);
        let leads = segmentation.augment(&base, &[1, NONE, 0]);
        let w: Vec<f64> = (0..leads.width).map(|k| ((k * 7) % 11) as f64 / 10.0 - 0.5).collect();
        gradient_agrees_with_finite_differences(&leads, &[true, false, true], &w, 0.1);
    }

    #[test]
    fn gradient_matches_finite_differences_with_block_inputs_too() {
        let w = [0.3, -0.2, 0.1, 0.4, 0.7, -0.5];
        gradient_agrees_with_finite_differences(&example_with_blocks(), &[true, false, true], &w, -0.1);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let leads = example();
        let outcome = [true, false, true];
        let w = vec![0.3, -0.2, 0.1, 0.4];
        let b = 0.2;
        let (loss, _) = log_loss_and_gradient(&leads, &outcome, &w, b);
        let z = leads.log_odds(&w, b);
        let direct: f64 = z
            .iter()
            .zip(&outcome)
            .map(|(z, &y)| if y { softplus(-z) } else { softplus(*z) })
            .sum();
        assert!((loss - direct).abs() < 1e-12);
        gradient_agrees_with_finite_differences(&leads, &outcome, &w, b);
    }
}
