//! leadscore's logistic regression fits the same model as linfa-logistic on the same data.

use leadscore::features::encoded::{EncodedLeads, NumericInput, OneHotGroup, NONE};
use leadscore::model::logistic::labelled;
use leadscore::model::params::LogisticParams;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use rand::{Rng, SeedableRng};

fn leads(n: usize, seed: u64) -> (EncodedLeads, Vec<bool>) {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let visits: Vec<f64> = (0..n).map(|_| rng.gen_range(-2.0..2.0)).collect();
    let time: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.5..1.5)).collect();
    let source: Vec<u32> = (0..n)
        .map(|_| if rng.gen_bool(0.1) { NONE } else { rng.gen_range(0..4) })
        .collect();
    let flag: Vec<u32> = (0..n).map(|_| if rng.gen_bool(0.3) { 0 } else { NONE }).collect();
    let source_effect = [0.8, -0.4, 0.1, 0.0];
    let outcome = (0..n)
        .map(|i| {
            let z = -1.0 + 0.9 * visits[i] - 0.5 * time[i]
                + if source[i] == NONE {
                    0.0
                } else {
                    source_effect[source[i] as usize]
                }
                + if flag[i] == 0 { -0.7 } else { 0.0 };
            rng.gen_bool(1.0 / (1.0 + (-z).exp()))
        })
        .collect();
    let encoded = EncodedLeads {
        n_rows: n,
        width: 7,
        numeric: vec![
            NumericInput {
                input: 0,
                values: visits,
            },
            NumericInput { input: 1, values: time },
        ],
        groups: vec![
            OneHotGroup {
                first: 2,
                width: 4,
                codes: source,
            },
            OneHotGroup {
                first: 6,
                width: 1,
                codes: flag,
            },
        ],
        blocks: Vec::new(),
        steps: Vec::new(),
        segment_blocks: None,
    };
    (encoded, outcome)
}

#[test]
fn coefficients_equal_linfa_logistic() {
    for (seed, alpha) in [(1, 1.0), (2, 10.0), (3, 0.1)] {
        let (encoded, outcome) = leads(3000, seed);
        let ours = LogisticParams::new()
            .alpha(alpha)
            .max_iterations(1000)
            .gradient_tolerance_per_lead(1e-9)
            .fit(&labelled(&encoded, &outcome))
            .unwrap();

        let dense = encoded.to_dense();
        let targets = ndarray::Array1::from(outcome.clone());
        let dataset = linfa::DatasetBase::new(dense, targets);
        let fitted = LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(1000)
            .gradient_tolerance(1e-9 * 3000.0)
            .fit(&dataset)
            .unwrap();
        // linfa models its majority class as positive; orient to P(converted).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        for (k, (w, reference)) in ours.coefficients.iter().zip(fitted.params().iter()).enumerate() {
            assert!(
                (w - sign * reference).abs() < 1e-5,
                "seed {seed}, alpha {alpha}, input {k}: {w} vs {}",
                sign * reference
            );
        }
        assert!((ours.intercept - sign * fitted.intercept()).abs() < 1e-5);
    }
}

/// A shaped number's steps (the solver moves them as range levels) with their own, stronger
/// penalty fit the same model as linfa-logistic, whose one penalty is made per-input by scaling
/// each input's column by `1/√multiple` (then its weight back).
#[test]
fn steps_with_their_own_penalty_equal_linfa_logistic() {
    use leadscore::features::encoded::StepGroup;
    let (mut encoded, _) = leads(4000, 7);
    // Visits get 5 cut points; the outcome bends: flat below −1, rising to 0.5, flat above.
    let cuts = [-1.2, -0.5, 0.0, 0.5, 1.2];
    let visits = encoded.numeric[0].values.clone();
    let codes: Vec<u32> = visits
        .iter()
        .map(|v| cuts.iter().filter(|&&c| *v > c).count() as u32)
        .collect();
    encoded.steps.push(StepGroup {
        first: 7,
        width: cuts.len(),
        codes,
    });
    encoded.width = 12;
    let mut rng = rand_pcg::Pcg64::seed_from_u64(8);
    let outcome: Vec<bool> = visits
        .iter()
        .map(|v| {
            let z = -0.3 + 1.5 * v.clamp(-1.0, 0.5);
            rng.gen_bool(1.0 / (1.0 + (-z).exp()))
        })
        .collect();
    let multiple: Vec<f64> = (0..12).map(|k| if k >= 7 { 4.0 } else { 1.0 }).collect();
    for alpha in [0.3, 3.0] {
        let ours = LogisticParams::new()
            .alpha(alpha)
            .penalty_scale(Some(multiple.clone()))
            .max_iterations(2000)
            .gradient_tolerance_per_lead(1e-10)
            .fit(&labelled(&encoded, &outcome))
            .unwrap();

        let mut dense = encoded.to_dense();
        for (k, m) in multiple.iter().enumerate() {
            dense.column_mut(k).mapv_inplace(|x| x / m.sqrt());
        }
        let dataset = linfa::DatasetBase::new(dense, ndarray::Array1::from(outcome.clone()));
        let fitted = LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(2000)
            .gradient_tolerance(1e-10 * 4000.0)
            .fit(&dataset)
            .unwrap();
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        for (k, (w, reference)) in ours.coefficients.iter().zip(fitted.params().iter()).enumerate() {
            let reference = sign * reference / multiple[k].sqrt();
            assert!(
                (w - reference).abs() < 1e-5,
                "alpha {alpha}, input {k}: {w} vs {reference}"
            );
        }
        assert!((ours.intercept - sign * fitted.intercept()).abs() < 1e-5);
    }
}
