//! `leadscore backtest` and `compare` on synthetic leads with planted drift: a frozen model
//! decays and retrained ones hold; a January model against one retrained seventeen months
//! later, on the month after's leads, is promoted.

mod common;

use std::path::Path;

use common::{leadscore, stderr_of, stdout_of, write};

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");

fn synth_drift(out: &Path, leads: usize, seed: u64) {
    let output = leadscore()
        .args([
            "synth",
            "--drift",
            "--leads",
            &leads.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_frozen_model_decays_under_drift_and_retraining_holds() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    synth_drift(&history, 24_000, 21);
    let out = dir.path().join("backtest");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let output = leadscore()
        .env("TMPDIR", &tmp)
        .args(["backtest", "--config", CONFIG, "--by", "month", "--data"])
        .arg(history.join("leads.csv"))
        .arg("--events")
        .arg(history.join("events.csv"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("report: "), "{}", stdout_of(&output));
    let json = read_json(&out.join("backtest.json"));
    let schema = read_json(&out.join("backtest.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "backtest.json does not match its schema: {errors:#?}"
    );

    let periods = json["periods"].as_array().unwrap();
    assert!(periods.len() >= 12, "{} months replayed", periods.len());
    // The frozen model is the first period's own model.
    assert_eq!(periods[0]["retrained"], periods[0]["frozen"]);
    // Each model learned from more leads than the one before, and only from earlier leads.
    let trained: Vec<u64> = periods.iter().map(|p| p["training_leads"].as_u64().unwrap()).collect();
    assert!(trained.windows(2).all(|w| w[0] < w[1]), "{trained:?}");
    let auc = |p: &serde_json::Value, which: &str| p[which]["roc_auc"].as_f64().unwrap();
    // Over the last six months the planted drift has grown: the frozen model is well behind.
    let last: Vec<&serde_json::Value> = periods.iter().rev().take(6).collect();
    let gap = last.iter().map(|p| auc(p, "retrained") - auc(p, "frozen")).sum::<f64>() / 6.0;
    assert!(gap > 0.02, "retrained minus frozen over the last six months: {gap:.4}");
    // The intervals: retraining every month beats never, and a schedule is recommended.
    let intervals = json["intervals"].as_array().unwrap();
    let mean = |every: serde_json::Value| {
        (intervals.iter())
            .find(|i| i["every"] == every)
            .map(|i| i["mean_roc_auc"].as_f64().unwrap())
            .unwrap()
    };
    assert!(mean(serde_json::json!(1)) > mean(serde_json::Value::Null) + 0.01);
    assert!(
        json["recommended_interval"].as_u64().is_some(),
        "{}",
        json["recommendation"]
    );
    let html = std::fs::read_to_string(out.join("backtest.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("never retrained"));
    assert!(out.join("charts/auc.svg").exists() && out.join("backtest.md").exists());
    // Nothing of the work (the training and period files) is left behind.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

/// The lines of `leads.csv` whose creation month (YYYY-MM) passes `keep`, with the header.
fn leads_of(history: &Path, keep: impl Fn(&str) -> bool) -> String {
    let text = std::fs::read_to_string(history.join("leads.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let created = header.split(',').position(|c| c == "created_at").unwrap();
    let mut out = format!("{header}\n");
    for line in lines.filter(|l| keep(&l.split(',').nth(created).unwrap()[..7])) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn a_january_model_against_one_retrained_later_on_the_next_months_leads_is_promoted() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    synth_drift(&history, 30_000, 22);
    // The leads run from January 2025 to June 2026. January's leads train the old model; the
    // leads created before April 2026 (their cutoffs, 45 days on, all before mid-May) the
    // retrained one; both score June 2026's leads.
    let january = write(dir.path(), "january.csv", leads_of(&history, |m| m == "2025-01"));
    let to_june = write(dir.path(), "to-june.csv", leads_of(&history, |m| m < "2026-04"));
    let june = write(dir.path(), "june.csv", leads_of(&history, |m| m == "2026-06"));
    let train = |data: &Path, model: &Path| {
        let output = leadscore()
            .args(["train", "--config", CONFIG, "--data"])
            .arg(data)
            .arg("--events")
            .arg(history.join("events.csv"))
            .arg("--out")
            .arg(model)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    let (old, new) = (dir.path().join("january.lsm"), dir.path().join("retrained.lsm"));
    train(&january, &old);
    train(&to_june, &new);
    let out = dir.path().join("compare");
    let output = leadscore()
        .args(["compare", "--model"])
        .arg(&old)
        .arg("--model")
        .arg(&new)
        .arg("--data")
        .arg(&june)
        .arg("--events")
        .arg(history.join("events.csv"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json = read_json(&out.join("compare.json"));
    let challenge = &json["challengers"][0];
    assert_eq!(challenge["verdict"], "promote", "{}", challenge["why"]);
    // The new lead source is a feature value only the retrained model knows.
    let inputs: Vec<&str> = (challenge["changes"]["inputs"].as_array().unwrap().iter())
        .map(|i| i["input"].as_str().unwrap())
        .collect();
    assert!(inputs.contains(&"lead_source = Product Trial"), "{inputs:?}");
}

#[test]
fn a_backtest_without_creation_times_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", common::small_leads_csv(300));
    let out = dir.path().join("backtest");
    let output = leadscore()
        .args(["backtest", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("[data] time"), "{}", stderr_of(&output));
    assert!(!out.exists());
}
