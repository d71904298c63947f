//! The metrics agree with scikit-learn's on fixtures it computed (bench/make_metric_fixture.py).

use leadscore::metrics;

#[test]
fn metrics_match_scikit_learn_to_1e_9() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/metrics_sklearn.json"
    ))
    .unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let outcome: Vec<bool> = case["outcome"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64() == Some(1))
            .collect();
        let probability: Vec<f64> = case["probability"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let expect = |key: &str| case[key].as_f64().unwrap();
        let close = |ours: f64, key: &str| {
            assert!(
                (ours - expect(key)).abs() < 1e-9,
                "{name} {key}: ours {ours}, scikit-learn {}",
                expect(key)
            )
        };
        close(metrics::roc_auc(&outcome, &probability).unwrap(), "roc_auc");
        close(
            metrics::average_precision(&outcome, &probability).unwrap(),
            "average_precision",
        );
        close(metrics::log_loss(&outcome, &probability), "log_loss");
        close(metrics::brier(&outcome, &probability), "brier");
        close(metrics::ks_statistic(&outcome, &probability).unwrap(), "ks");

        // calibration_curve(n_bins=10, strategy="uniform"): the same bins, counts and means.
        let bins = metrics::reliability(&outcome, &probability, 10);
        let reference = &case["reliability"];
        let list = |key: &str| -> Vec<f64> {
            reference[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (observed, predicted, leads) = (list("observed"), list("predicted"), list("leads"));
        assert_eq!(bins.len(), observed.len(), "{name}: non-empty bins");
        for (k, bin) in bins.iter().enumerate() {
            assert_eq!(bin.leads as f64, leads[k], "{name} bin {k} leads");
            assert!((bin.observed - observed[k]).abs() < 1e-9, "{name} bin {k} observed");
            assert!((bin.predicted - predicted[k]).abs() < 1e-9, "{name} bin {k} predicted");
        }
    }
}
