//! Calibration and the blend agree with scikit-learn on a fixture it computed
//! (bench/make_calibration_fixture.py).

use leadscore::calibration::{Calibration, Method};

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/calibration_sklearn.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// The fixture with its log-odds and outcomes.
fn inputs() -> (serde_json::Value, Vec<f64>, Vec<bool>) {
    let f = fixture();
    let z = numbers(&f["z"]);
    let outcome = f["outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64() == Some(1))
        .collect();
    (f, z, outcome)
}

#[test]
fn platt_matches_scikit_learn_to_1e_4() {
    // Platt scaling as CalibratedClassifierCV(method="sigmoid") fits it: Platt's targets
    // (N₊ + 1) / (N₊ + 2) and 1 / (N₋ + 2), not 1 and 0.
    let (f, z, outcome) = inputs();
    let calibration = Calibration::fit(Method::Platt, &z, &outcome).unwrap();
    let Calibration::Platt { slope, intercept } = calibration else {
        panic!("Platt")
    };
    let expected = |key: &str| f[key].as_f64().unwrap();
    assert!(
        (slope - expected("platt_smoothed_slope")).abs() < 1e-4,
        "slope {slope} vs {}",
        f["platt_smoothed_slope"]
    );
    assert!(
        (intercept - expected("platt_smoothed_intercept")).abs() < 1e-4,
        "intercept {intercept} vs {}",
        f["platt_smoothed_intercept"]
    );
    for (z, expected) in numbers(&f["probe_z"]).iter().zip(numbers(&f["platt_smoothed_probe"])) {
        assert!((calibration.apply(*z) - expected).abs() < 1e-4, "z = {z}");
    }
    // 3,000 leads pull the targets in by 1/1,000 at most: the plain fit is all but the same.
    assert!((slope - expected("platt_slope")).abs() < 1e-2);
}

#[test]
fn isotonic_matches_scikit_learn_to_1e_4() {
    let (f, z, outcome) = inputs();
    let calibration = Calibration::fit(Method::Isotonic, &z, &outcome).unwrap();
    for (z, expected) in numbers(&f["probe_z"]).iter().zip(numbers(&f["isotonic_probe"])) {
        assert!(
            (calibration.apply(*z) - expected).abs() < 1e-4,
            "probe z = {z}: {} vs {expected}",
            calibration.apply(*z)
        );
    }
    for (z, expected) in z.iter().zip(numbers(&f["isotonic_train"])) {
        assert!(
            (calibration.apply(*z) - expected).abs() < 1e-4,
            "training z = {z}: {} vs {expected}",
            calibration.apply(*z)
        );
    }
}

#[test]
fn blend_matches_scikit_learn_to_1e_4() {
    let (f, z, outcome) = inputs();
    let points = numbers(&f["points"]);
    let blend =
        leadscore::blend::Blend::fit(leadscore::rules::RulesFile::default(), &z, &points, &outcome, None).unwrap();
    for (ours, key) in [
        (blend.model_weight, "blend_model_weight"),
        (blend.points_weight, "blend_points_weight"),
        (blend.intercept, "blend_intercept"),
    ] {
        let expected = f[key].as_f64().unwrap();
        assert!(
            (ours - expected).abs() < 1e-4,
            "{key}: ours {ours}, scikit-learn {expected}"
        );
    }
}
