//! `leadscore export-points`: the model as a points table — points computed by hand from the
//! model's coefficients, the header's figures reproduced by `leadscore points`, and the table
//! faithful to the model's ranking.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{inspect_json, leadscore, stderr_of, stdout_of, write};

/// Pseudo-random numbers in [0, 1), the same on every machine.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

fn export(model: &Path, data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    leadscore()
        .arg("export-points")
        .args(extra)
        .arg("--model")
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// The header's figure after `label` (e.g. "Spearman rank correlation with the model's score:").
fn header_number(text: &str, label: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label} in\n{text}"));
    let after = &line[line.find(label).unwrap() + label.len()..];
    after
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap()
}

#[test]
fn a_category_and_a_flag_become_the_hand_computed_points() {
    let mut state = 11;
    let mut csv = String::from("lead_id,source,newsletter,converted\n");
    for i in 0..4000 {
        let source = ["Referral", "Paid", "Organic"][(uniform(&mut state) * 3.0) as usize];
        let newsletter = if uniform(&mut state) < 0.4 { "yes" } else { "no" };
        let log_odds =
            -1.0 + match source {
                "Referral" => 1.2,
                "Paid" => -0.4,
                _ => 0.0,
            } + if newsletter == "yes" { 0.8 } else { 0.0 };
        let converted = uniform(&mut state) < 1.0 / (1.0 + f64::exp(-log_odds));
        csv.push_str(&format!("L{i},{source},{newsletter},{}\n", u8::from(converted)));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", csv);
    let model = dir.path().join("model.lsm");
    common::train(&data, &model);
    let out = dir.path().join("points.toml");
    let output = export(&model, &data, &out, &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("Spearman"), "{}", stdout_of(&output));

    // By hand: 20 points double the odds, so a log-odds unit is 20 / ln 2 points, times the
    // calibration's slope; a value's points are its coefficient's.
    let json = inspect_json(&model);
    let artifact = &json["artifact"];
    let slope = artifact["scorer"]["calibration"]["Platt"]["slope"].as_f64().unwrap();
    let per_log_odds = 20.0 / std::f64::consts::LN_2 * slope;
    let names: Vec<String> = serde_json::from_value(artifact["input_names"].clone()).unwrap();
    let weights: Vec<f64> = serde_json::from_value(artifact["model"]["coefficients"].clone()).unwrap();
    let weight = |name: &str| {
        weights[names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("{name}: {names:?}"))]
    };

    let table: toml::Table = toml::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rules = table["rules"].as_array().unwrap();
    let points_of = |name: &str| -> Option<i64> {
        rules
            .iter()
            .find(|r| r["name"].as_str() == Some(name))
            .map(|r| r["points"].as_integer().unwrap())
    };
    for source in ["Referral", "Paid", "Organic"] {
        let expected = (per_log_odds * weight(&format!("source = {source}"))).round() as i64;
        let found = points_of(&format!("source = {source}")).unwrap_or(0);
        assert_eq!(found, expected, "source = {source}");
    }
    assert!(
        points_of("source = Referral").unwrap() > 20,
        "Referral's +1.2 log-odds is about +35 points"
    );
    // The flag: yes against no, one input standardised (divided by its spread).
    let step = artifact["pipeline"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["feature"] == "newsletter")
        .unwrap();
    let std = step["encoding"]["Numeric"]["std"].as_f64().unwrap();
    let expected = (per_log_odds * weight("newsletter") / std).round() as i64;
    assert_eq!(points_of("newsletter = yes"), Some(expected));

    // `leadscore points` on the table: base plus the rules met, and the header's MQLs.
    let scored = dir.path().join("points.csv");
    let output = leadscore()
        .args(["points", "--rules"])
        .arg(&out)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&scored)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let base = table["points"]["base"].as_integer().unwrap();
    let mut reader = csv::Reader::from_path(&scored).unwrap();
    let leads: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let input = std::fs::read_to_string(&data).unwrap();
    let rows: HashMap<&str, Vec<&str>> = input
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0], cells)
        })
        .collect();
    for lead in leads.iter().take(200) {
        let cells = &rows[lead[0].as_str()];
        let expected = base
            + points_of(&format!("source = {}", cells[1])).unwrap_or(0)
            + if cells[2] == "yes" {
                points_of("newsletter = yes").unwrap_or(0)
            } else {
                0
            };
        assert_eq!(lead[1], expected.to_string(), "lead {}", lead[0]);
    }
}

#[test]
fn synthetic_leads_export_faithfully_and_points_reproduces_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    common::synth(&history, 6000, 5);
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    let leads = history.join("leads.csv");
    let events = history.join("events.csv");

    // Without events: every feature but the month and weekday of creation is a rule. Measured:
    // Spearman 0.973 and ROC AUC 0.006 below the score's on these 6,000 leads (0.988 and 0.002
    // on 20,000, where the dates left out weigh less).
    let model = dir.path().join("explicit.lsm");
    let output = leadscore()
        .args(["train", "--config", config, "--data"])
        .arg(&leads)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let out = dir.path().join("explicit.toml");
    let output = export(&model, &leads, &out, &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    let spearman = header_number(&text, "Spearman rank correlation with the model's score:");
    assert!(spearman >= 0.965, "Spearman {spearman}\n{text}");
    let points_auc = header_number(&text, "ROC AUC of these points:");
    let score_auc = header_number(&text, "(the model's score:");
    assert!((points_auc - score_auc).abs() <= 0.01, "{points_auc} vs {score_auc}");
    assert!(text.contains("created_at: month — rules do not test dates"), "{text}");

    // With events, no rules: the counts' ranges spread over their effect reach the issue's
    // target (Spearman ≥ 0.98, ROC AUC within 0.005). Measured: 0.986 and 0.002 on these
    // leads; 0.996 and 0.001 on 20,000.
    let model = dir.path().join("events.lsm");
    common::train_synth(&history, &model, &[]);
    let out = dir.path().join("events.toml");
    let output = leadscore()
        .args(["export-points", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    let spearman = header_number(&text, "Spearman rank correlation with the model's score:");
    assert!(spearman >= 0.98, "Spearman {spearman}\n{text}");
    let points_auc = header_number(&text, "ROC AUC of these points:");
    let score_auc = header_number(&text, "(the model's score:");
    assert!((points_auc - score_auc).abs() <= 0.005, "{points_auc} vs {score_auc}");
    // A count's ranges reach its many-events leads: more than two steps of page views.
    assert!(
        text.matches("name = \"events: high-value page views ≥").count() >= 3,
        "{text}"
    );

    // With events and the example rules blended: engagement becomes event rules.
    let model = dir.path().join("blended.lsm");
    common::train_synth(&history, &model, &["--rules", common::EXAMPLE_RULES]);
    let out = dir.path().join("blended.toml");
    let output = leadscore()
        .args([
            "export-points",
            "--points-to-double",
            "10",
            "--base-points",
            "0",
            "--model",
        ])
        .arg(&model)
        .arg("--data")
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("10 points double a lead's odds"), "{text}");
    assert!(text.contains("event = \"*\"") && text.contains("within_days"), "{text}");
    assert!(
        text.contains("name = \"demo_request_form\""),
        "the blended rules are kept: {text}"
    );
    let spearman = header_number(&text, "Spearman rank correlation with the model's score:");
    assert!(spearman >= 0.97, "Spearman {spearman}\n{text}");

    // `leadscore points` gives the bands and MQLs the header promises.
    let scored = dir.path().join("points.csv");
    let output = leadscore()
        .args(["points", "--rules"])
        .arg(&out)
        .args(["--config", config, "--data"])
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(&scored)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let by_points = text.lines().find(|l| l.starts_with("#   by points:")).unwrap();
    let summary = stderr_of(&output);
    for band in ["cold", "warm", "hot"] {
        let promised = by_points
            .split(['·', ';', ':'])
            .find_map(|part| part.trim().strip_prefix(&format!("{band} ")))
            .unwrap_or_else(|| panic!("{band} in {by_points}"))
            .trim()
            .to_string();
        let line = summary
            .lines()
            .find(|l| l.trim_start().starts_with(band))
            .unwrap_or_else(|| panic!("{band} in {summary}"));
        assert!(
            line.contains(&format!(" {promised} leads")),
            "{band}: {promised} promised, {line}"
        );
    }
    let mqls = header_number(by_points, "MQL");
    let line = summary.lines().find(|l| l.contains("MQL (≥")).unwrap();
    assert!(
        line.contains(&format!(" {} leads", leadscore::output::thousands(mqls as usize))),
        "{mqls} MQLs promised: {line}"
    );
}

#[test]
fn what_cannot_be_exported_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", common::small_leads_csv(600));
    let model = dir.path().join("model.lsm");
    common::train(&data, &model);
    let out = dir.path().join("points.toml");
    let output = export(&model, &data, &out, &["--points-to-double", "0"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("--points-to-double"),
        "{}",
        stderr_of(&output)
    );
    assert!(!out.exists());
    // --segment names a segment of a model with segments; this one has none.
    let output = export(&model, &data, &out, &["--segment", "Referral"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("leave out --segment"),
        "{}",
        stderr_of(&output)
    );
    assert!(!out.exists());

    let history = dir.path().join("history");
    common::synth(&history, 3000, 9);
    let segmented = dir.path().join("segmented.lsm");
    let config = write(
        dir.path(),
        "segments.toml",
        format!(
            "{}\n[segments]\nby = \"product_line\"\n",
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml")).unwrap()
        ),
    );
    let output = leadscore()
        .args(["train", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(history.join("leads.csv"))
        .arg("--out")
        .arg(&segmented)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let output = export(&segmented, &history.join("leads.csv"), &out, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("--segment VALUE"), "{}", stderr_of(&output));
    assert!(!out.exists());
}
