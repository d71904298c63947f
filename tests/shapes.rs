//! Numbers with a shape: a planted bend is recovered, a planted straight line stays straight.

mod common;

use common::{inspect_json, leadscore, stderr_of, write};

/// Pseudo-random numbers in [0, 1), the same on every machine.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// The curve `inspect --json` gives a feature: (value, log-odds against a lead at its median).
fn curve(json: &serde_json::Value, feature: &str) -> Vec<(f64, f64)> {
    let curves = json["curves"].as_array().expect("curves");
    let found = curves
        .iter()
        .find(|c| c["feature"] == feature)
        .unwrap_or_else(|| panic!("no curve of {feature}"));
    serde_json::from_value(found["points"].clone()).unwrap()
}

/// Leads whose conversion rises with visits up to 5 and not after, and steadily with a score.
fn planted_leads(n: usize) -> String {
    let mut state = 7;
    let mut csv = String::from("lead_id,visits,fit_index,converted\n");
    for i in 0..n {
        let visits = (uniform(&mut state) * 12.0).floor();
        let score = (uniform(&mut state) * 100.0).round();
        let log_odds = -2.5 + 0.5 * visits.min(5.0) + 0.03 * score;
        let converted = uniform(&mut state) < 1.0 / (1.0 + (-log_odds).exp());
        csv.push_str(&format!("L{i},{visits},{score},{}\n", u8::from(converted)));
    }
    csv
}

#[test]
fn a_planted_bend_is_recovered_and_a_straight_line_stays_straight() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", planted_leads(30_000));
    let model = dir.path().join("model.lsm");
    let output = leadscore()
        .args(["train", "--target", "converted", "--id", "lead_id", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json = inspect_json(&model);

    // Visits: the planted 0.5 × min(visits, 5) (the curve is against the median lead), its rise
    // to 5 recovered within 20 % (the steps are pulled toward none), flat after.
    let visits = curve(&json, "visits");
    let at = |x: f64| {
        visits
            .iter()
            .find(|p| p.0 == x)
            .map(|p| p.1)
            .unwrap_or_else(|| panic!("{x}: {visits:?}"))
    };
    let planted = |x: f64| 0.5 * x.min(5.0);
    for x in [3.0, 5.0] {
        let (rise, want) = (at(x) - at(1.0), planted(x) - planted(1.0));
        assert!(
            (rise - want).abs() < 0.2 * want,
            "visits 1 → {x}: {rise:.3} against {want:.3} ({visits:?})"
        );
    }
    for &(x, y) in visits.iter().filter(|p| p.0 > 5.0) {
        assert!(
            (y - at(5.0)).abs() < 0.15,
            "visits {x}: {y:.3}, flat after 5 ({visits:?})"
        );
    }
    assert!(visits.last().unwrap().0 >= 9.0, "{visits:?}");

    // Score: every point within a small distance of the straight line through the ends.
    let score = curve(&json, "fit_index");
    let ((xa, ya), (xb, yb)) = (score[0], *score.last().unwrap());
    let slope = (yb - ya) / (xb - xa);
    assert!((slope - 0.03).abs() < 0.006, "slope {slope} ({score:?})");
    for &(x, y) in &score {
        let line = ya + slope * (x - xa);
        assert!(
            (y - line).abs() < 0.15,
            "score {x}: {y:.3} against the line's {line:.3} ({score:?})"
        );
    }

    // The report draws both curves, the same as inspect gives them, and says so in words.
    let out = dir.path().join("report");
    let output = leadscore()
        .args(["evaluate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(include_str!("../src/report/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let shapes = report["factors"]["shapes"].as_array().expect("factors.shapes");
    let drawn: Vec<&str> = shapes.iter().map(|s| s["feature"].as_str().unwrap()).collect();
    // The score moves the log-odds by 0.03 × 100 = 3, visits by 0.5 × 5 = 2.5.
    assert_eq!(drawn, ["fit_index", "visits"], "the widest effect first");
    let summary: Vec<(f64, f64)> = serde_json::from_value(shapes[1]["summary"].clone()).unwrap();
    assert_eq!(summary, visits);
    // The drawn curve passes through every value inspect shows.
    let points: Vec<(f64, f64)> = serde_json::from_value(shapes[1]["points"].clone()).unwrap();
    for (x, y) in &visits {
        assert!(
            points.iter().any(|p| p.0 == *x && (p.1 - y).abs() < 1e-12),
            "{x}: {points:?}"
        );
    }
    let svg = std::fs::read_to_string(out.join("charts/shapes.svg")).unwrap();
    assert!(svg.contains("visits") && svg.contains("fit_index"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Numbers with a shape") && html.contains("\nfit_index\n</text>"));
}

#[test]
fn a_column_keeps_the_shape_the_config_gives_it_and_unknown_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", planted_leads(5_000));
    let train = |config: &str| {
        let path = write(dir.path(), "leadscore.toml", config);
        let model = dir.path().join("model.lsm");
        let output = leadscore()
            .args(["train", "--target", "converted", "--id", "lead_id", "--data"])
            .arg(&data)
            .arg("--config")
            .arg(&path)
            .arg("--out")
            .arg(&model)
            .output()
            .unwrap();
        (output, model)
    };
    // Every number with a shape, but the score straight: only visits has a curve.
    let (output, model) = train("[features]\nshape = \"bins\"\nshapes = { fit_index = \"linear\" }\n");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json = inspect_json(&model);
    let shaped: Vec<&str> = (json["curves"].as_array().unwrap().iter())
        .map(|c| c["feature"].as_str().unwrap())
        .collect();
    assert_eq!(shaped, ["visits"]);
    // Every number straight, but visits with its shape.
    let (output, model) = train("[features]\nshape = \"linear\"\nshapes = { visits = \"bins\" }\n");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(curve(&inspect_json(&model), "visits").len() > 2);

    let (output, _) = train("[features]\nshapes = { vists = \"bins\" }\n");
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("\"vists\"") && stderr.contains("visits, fit_index"),
        "{stderr}"
    );
}

#[test]
fn monotone_numbers_only_rise_or_fall_and_the_figures_say_what_it_costs() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", planted_leads(30_000));
    let train = |name: &str, config: &str| {
        let path = write(dir.path(), &format!("{name}.toml"), config);
        let model = dir.path().join(format!("{name}.lsm"));
        let output = leadscore()
            .args(["train", "--target", "converted", "--id", "lead_id", "--data"])
            .arg(&data)
            .arg("--config")
            .arg(&path)
            .arg("--out")
            .arg(&model)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        (model, stderr_of(&output) + &common::stdout_of(&output))
    };
    // Leads that differ in one number only, scored with every value of it.
    let grid = |column: &str, values: &[f64]| {
        let mut csv = String::from("lead_id,visits,fit_index,converted\n");
        for (k, v) in values.iter().enumerate() {
            let (visits, fit) = if column == "visits" { (*v, 50.0) } else { (3.0, *v) };
            csv.push_str(&format!("G{k},{visits},{fit},0\n"));
        }
        write(dir.path(), &format!("grid-{column}.csv"), csv)
    };
    let probabilities = |model: &std::path::Path, column: &str, values: &[f64]| -> Vec<f64> {
        let out = dir.path().join("grid-scores.csv");
        let output = leadscore()
            .args(["score", "--model"])
            .arg(model)
            .arg("--data")
            .arg(grid(column, values))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let text = std::fs::read_to_string(&out).unwrap();
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect()
    };
    let visits: Vec<f64> = (0..12).map(f64::from).collect();
    let scores: Vec<f64> = (0..=100).step_by(5).map(f64::from).collect();

    let (free, _) = train("free", "[features]\nshape = \"bins\"\n");
    let (kept, stderr) = train(
        "kept",
        "[features]\nshape = \"bins\"\nmonotone = { visits = \"increasing\", fit_index = \"decreasing\" }\n",
    );
    assert!(stderr.contains("\"visits\" is kept monotone"), "{stderr}");
    // Visits: never lower with more (the free model's wiggles after 5 are gone), and still
    // rising to 5 as planted.
    let p = probabilities(&kept, "visits", &visits);
    assert!(p.windows(2).all(|w| w[1] >= w[0]), "{p:?}");
    assert!(p[5] > p[1] + 0.1, "{p:?}");
    // The score, which truly raises conversion, asked to fall: it can only stay flat.
    let p = probabilities(&kept, "fit_index", &scores);
    assert!(p.windows(2).all(|w| w[1] <= w[0]), "{p:?}");
    assert!(p.first() == p.last(), "{p:?}");
    let p = probabilities(&free, "fit_index", &scores);
    assert!(p.last().unwrap() > &(p[0] + 0.2), "{p:?}");
    // The figures are the monotone folds': the wrong way round costs ROC AUC, and says so.
    let auc = |model: &std::path::Path| {
        inspect_json(model)["artifact"]["training"]["validation"]["roc_auc"]
            .as_f64()
            .unwrap()
    };
    assert!(auc(&kept) < auc(&free) - 0.05, "{} against {}", auc(&kept), auc(&free));
    let (right, _) = train(
        "right",
        "[features]\nshape = \"bins\"\nmonotone = { visits = \"increasing\" }\n",
    );
    assert!(
        (auc(&right) - auc(&free)).abs() < 0.002,
        "{} against {}",
        auc(&right),
        auc(&free)
    );

    // A name that is not a number the model reads: exit 3.
    let path = write(
        dir.path(),
        "bad.toml",
        "[features]\nmonotone = { vists = \"increasing\" }\n",
    );
    let output = leadscore()
        .args(["train", "--target", "converted", "--id", "lead_id", "--data"])
        .arg(&data)
        .arg("--config")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("bad.lsm"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("[features] monotone names \"vists\""),
        "{}",
        stderr_of(&output)
    );
}
