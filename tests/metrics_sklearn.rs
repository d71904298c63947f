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
    }
}
