//! `leadscore recalibrate`: the model stays, blend and calibration follow recent outcomes.

mod common;

use common::{leadscore, stderr_of, stdout_of, write};

#[test]
fn recalibration_follows_a_higher_conversion_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (history, recent) = (dir.path().join("history"), dir.path().join("recent"));
    common::synth(&history, 20000, 11);
    common::synth(&recent, 10000, 12);
    let model = dir.path().join("model.lsm");
    common::train_synth(&history, &model, &["--rules", common::EXAMPLE_RULES]);

    // Recently every sixth non-converter converted too: the old calibration is now too low.
    let text = std::fs::read_to_string(recent.join("leads.csv")).unwrap();
    let mut shifted = String::new();
    for (i, line) in text.lines().enumerate() {
        match line.strip_suffix(",0") {
            Some(rest) if i % 6 == 0 => shifted.push_str(&format!("{rest},1\n")),
            _ => shifted.push_str(&format!("{line}\n")),
        }
    }
    let recent_leads = write(dir.path(), "recent.csv", shifted);
    let recalibrated = dir.path().join("model-v2.lsm");
    let output = leadscore()
        .args(["recalibrate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&recent_leads)
        .arg("--events")
        .arg(recent.join("events.csv"))
        .arg("--out")
        .arg(&recalibrated)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let printed = stdout_of(&output);
    let ece: Vec<f64> = printed
        .split("ECE ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .split(" → ")
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert!(
        ece[0] > 0.08 && ece[1] < 0.03,
        "ECE before and after: {ece:?} in {printed}"
    );

    // The recalibrated model keeps the coefficients and records what happened.
    let old = common::inspect_json(&model);
    let new = common::inspect_json(&recalibrated);
    assert_eq!(old["artifact"]["model"], new["artifact"]["model"]);
    assert_ne!(
        old["artifact"]["scorer"]["calibration"],
        new["artifact"]["scorer"]["calibration"]
    );
    assert!(new["artifact"]["training"]["warnings"]
        .to_string()
        .contains("recalibrated on"));
}
