//! `leadscore compare`: DeLong's paired test against a reference written from its definition
//! (bench/make_delong_fixture.py) and against a bootstrap; the verdicts on models that differ
//! and on a model against itself; the report against its schema; refusals.

mod common;

use common::{leadscore, stderr_of, stdout_of};
use leadscore::metrics::{delong_paired, roc_auc};

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    outcome: Vec<u8>,
    a: Vec<f64>,
    b: Vec<f64>,
    auc_a: f64,
    auc_b: f64,
    difference: f64,
    variance: f64,
    low: f64,
    high: f64,
    p_value: f64,
}

#[test]
fn delong_equals_the_reference_from_its_definition() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("fixtures/delong.json")).unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let outcome: Vec<bool> = case.outcome.iter().map(|&y| y == 1).collect();
        let got = delong_paired(&outcome, &case.a, &case.b).unwrap();
        let close = |what: &str, x: f64, want: f64| {
            assert!((x - want).abs() < 1e-9, "{}: {what} {x} against {want}", case.name);
        };
        close("auc_a", got.auc_a, case.auc_a);
        close("auc_b", got.auc_b, case.auc_b);
        close("difference", got.difference, case.difference);
        close("variance", got.variance, case.variance);
        close("low", got.low, case.low);
        close("high", got.high, case.high);
        // The p-value's normal tail is a rational approximation (fractional error < 1.2e-7).
        assert!(
            (got.p_value - case.p_value).abs() < 1e-6,
            "{}: p {}",
            case.name,
            got.p_value
        );
        close("auc_a as roc_auc", got.auc_a, roc_auc(&outcome, &case.a).unwrap());
    }
}

/// Pseudo-random numbers in [0, 1), the same on every machine.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

fn normal(state: &mut u64) -> f64 {
    let (u, v) = (uniform(state).max(1e-300), uniform(state));
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[test]
fn delong_variance_agrees_with_a_bootstrap_within_its_monte_carlo_error() {
    // Two scores of 3,000 leads that share a signal, as two models of the same leads do.
    let mut state = 11;
    let n = 3_000;
    let mut outcome = Vec::with_capacity(n);
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let signal = normal(&mut state);
        outcome.push(uniform(&mut state) < 1.0 / (1.0 + (1.5 - signal).exp()));
        a.push(signal + normal(&mut state));
        b.push(signal + 0.7 * normal(&mut state));
    }
    let delong = delong_paired(&outcome, &a, &b).unwrap();
    let resamples = 800;
    let mut differences = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let pick: Vec<usize> = (0..n).map(|_| (uniform(&mut state) * n as f64) as usize).collect();
        let y: Vec<bool> = pick.iter().map(|&i| outcome[i]).collect();
        let (sa, sb): (Vec<f64>, Vec<f64>) = pick.iter().map(|&i| (a[i], b[i])).unzip();
        differences.push(roc_auc(&y, &sb).unwrap() - roc_auc(&y, &sa).unwrap());
    }
    let mean = differences.iter().sum::<f64>() / resamples as f64;
    let variance = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (resamples - 1) as f64;
    // A variance estimated from B resamples has a relative standard error of about √(2 / B) = 5 %.
    let relative = (variance / delong.variance - 1.0).abs();
    assert!(
        relative < 3.0 * (2.0 / resamples as f64).sqrt(),
        "bootstrap variance {variance:.3e} against DeLong's {:.3e}",
        delong.variance
    );
    assert!((mean - delong.difference).abs() < 3.0 * (variance / resamples as f64).sqrt() + 0.002);
}

fn compare(models: &[&std::path::Path], batch: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    let mut command = leadscore();
    command.arg("compare");
    for model in models {
        command.arg("--model").arg(model);
    }
    command
        .arg("--data")
        .arg(batch.join("leads.csv"))
        .arg("--events")
        .arg(batch.join("events.csv"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_better_model_is_promoted_a_worse_one_kept_and_a_model_against_itself_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = common::history_and_batch(dir.path(), 6_000, 3_000, 3);
    // The strong model reads what the leads do; the weak one only who they are.
    let strong = dir.path().join("strong.lsm");
    common::train_synth(&history, &strong, &[]);
    let weak = dir.path().join("weak.lsm");
    let output = leadscore()
        .args([
            "train",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml"),
            "--data",
        ])
        .arg(history.join("leads.csv"))
        .arg("--out")
        .arg(&weak)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));

    let out = dir.path().join("weak-vs-strong");
    let output = compare(&[&weak, &strong], &batch, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("→ promote"), "{}", stdout_of(&output));
    let json = read_json(&out.join("compare.json"));
    let schema = read_json(&out.join("compare.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "compare.json does not match its schema: {errors:#?}");
    let challenge = &json["challengers"][0];
    assert_eq!(challenge["verdict"], "promote");
    assert!(json["segments"].is_null(), "neither model has segments");
    // The figures agree with the scores file: each model's ROC AUC from its column.
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let rows: Vec<Vec<&str>> = scores.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len() as u64, json["data"]["leads"].as_u64().unwrap());
    let outcome: Vec<bool> = rows.iter().map(|r| r[1] == "1").collect();
    for (k, model) in ["champion", "challenger"].iter().enumerate() {
        let score: Vec<f64> = rows.iter().map(|r| r[2 + k].parse().unwrap()).collect();
        let auc = json["models"][k]["roc_auc"].as_f64().unwrap();
        assert!((auc - roc_auc(&outcome, &score).unwrap()).abs() < 1e-12, "{model}");
    }
    // The band-transition matrix holds every lead once.
    let moved: u64 = (challenge["transitions"]["counts"].as_array().unwrap().iter())
        .flat_map(|row| row.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()))
        .sum();
    assert_eq!(moved, json["data"]["leads"].as_u64().unwrap());
    // What changed inside: the activity features are the strong model's own.
    let added: Vec<&str> = (challenge["changes"]["features_added"].as_array().unwrap().iter())
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(added.iter().any(|f| f.starts_with("events: ")), "{added:?}");
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("promote") && !html.contains("src=\"http"));
    assert!(out.join("compare.md").exists() && out.join("charts/roc.svg").exists());

    // The other way round: keep.
    let output = compare(&[&strong, &weak], &batch, &dir.path().join("strong-vs-weak"));
    assert!(stdout_of(&output).contains("→ keep"), "{}", stdout_of(&output));

    // A model against itself: a difference of exactly zero, inconclusive.
    let out = dir.path().join("itself");
    let output = compare(&[&strong, &strong], &batch, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let json = read_json(&out.join("compare.json"));
    let challenge = &json["challengers"][0];
    assert_eq!(challenge["verdict"], "inconclusive");
    assert_eq!(challenge["roc_auc"]["difference"].as_f64(), Some(0.0));
    assert_eq!(challenge["movers"]["up"].as_u64(), Some(0));

    // One model is not a comparison; a report folder may not be an input.
    let output = compare(&[&strong], &batch, &dir.path().join("one"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("two model files"), "{}", stderr_of(&output));
    assert!(!dir.path().join("one").exists());
}
