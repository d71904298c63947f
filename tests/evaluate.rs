//! `leadscore evaluate`: the report's figures agree with the scored leads it lists, the JSON
//! validates against its schema, the HTML is self-contained, the Markdown's charts exist, and the
//! rule audit recovers the planted value of the demo-request form.

mod common;

use std::path::Path;

use common::{leadscore, stderr_of, stdout_of, write};

/// Synthetic history and a labelled batch, and a model trained on the history with `extra`.
fn setup(dir: &Path, extra: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let (history, batch) = common::history_and_batch(dir, 20000, 6000, 11);
    let model = dir.join("model.lsm");
    common::train_synth(&history, &model, extra);
    (model, batch)
}

fn evaluate(model: &Path, batch: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    leadscore()
        .arg("evaluate")
        .args(common::batch_args(model, batch, out))
        .args(extra)
        .output()
        .unwrap()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// scores.csv as (converted, probability, rule points) per lead.
fn scored_leads(path: &Path) -> Vec<(bool, f64, f64)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "lead_id",
            "converted",
            "score",
            "probability",
            "model_probability",
            "rule_points"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (&r[1] == "1", r[3].parse().unwrap(), r[5].parse().unwrap())
        })
        .collect()
}

#[test]
fn the_report_agrees_with_its_leads_and_validates_against_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (model, batch) = setup(dir.path(), &["--rules", common::EXAMPLE_RULES]);
    let out = dir.path().join("reports/2026-11");
    let output = evaluate(&model, &batch, &out, &["--capacity", "10", "--period", "week"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output).contains(&format!("report: {}", out.join("report.html").display())),
        "{}",
        stdout_of(&output)
    );

    // The JSON validates against the schema written beside it (the one in the source).
    let report = read_json(&out.join("report.json"));
    let schema = read_json(&out.join("report.schema.json"));
    assert_eq!(
        schema,
        serde_json::from_str::<serde_json::Value>(include_str!("../src/report/report.schema.json")).unwrap()
    );
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "report.json does not match its schema: {errors:#?}");
    // A report that breaks the schema is caught.
    let mut broken = report.clone();
    broken["data"]["base_rate"] = serde_json::json!(1.5);
    assert!(!validator.is_valid(&broken));

    // Headline figures recomputed by hand from the leads the report lists.
    let leads = scored_leads(&out.join("scores.csv"));
    let n = leads.len() as f64;
    let conversions = leads.iter().filter(|l| l.0).count();
    assert_eq!(report["data"]["leads"], 6000);
    assert_eq!(report["data"]["conversions"], conversions);
    let headline = report["headline"].as_array().unwrap();
    let kinds: Vec<&str> = headline.iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["score", "model", "rules"]);
    let brier: f64 = leads
        .iter()
        .map(|&(y, p, _)| (p - f64::from(u8::from(y))).powi(2))
        .sum::<f64>()
        / n;
    assert!((headline[0]["brier"].as_f64().unwrap() - brier).abs() < 1e-12);
    // ROC AUC by counting pairs: converters above non-converters, ties half.
    let auc = |value: fn(&(bool, f64, f64)) -> f64| {
        let (pos, neg): (Vec<_>, Vec<_>) = leads.iter().partition(|l| l.0);
        let mut wins = 0.0;
        for p in &pos {
            for q in &neg {
                let (a, b) = (value(p), value(q));
                wins += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
        wins / (pos.len() * neg.len()) as f64
    };
    assert!((headline[0]["roc_auc"].as_f64().unwrap() - auc(|l| l.1)).abs() < 1e-9);
    assert!((headline[2]["roc_auc"].as_f64().unwrap() - auc(|l| l.2)).abs() < 1e-9);
    assert!(headline[2]["brier"].is_null(), "rule points are not probabilities");
    assert!(headline[0]["ece"].as_f64().unwrap() < 0.03, "{}", headline[0]);

    // Every lead is counted once in the bands, the buckets and the histogram.
    let sum = |list: &serde_json::Value, key: &str| -> u64 {
        list.as_array().unwrap().iter().map(|r| r[key].as_u64().unwrap()).sum()
    };
    assert_eq!(sum(&report["bands"]["bands"], "leads"), 6000);
    assert_eq!(sum(&report["bands"]["buckets"], "conversions"), conversions as u64);
    assert_eq!(
        sum(&report["separation"]["histogram"], "converters"),
        conversions as u64
    );
    let reliability_leads = sum(&report["reliability"][0]["bins"], "leads");
    assert_eq!(reliability_leads, 6000);
    let gains = report["gains"][0]["groups"].as_array().unwrap();
    assert_eq!(gains.len(), 10);
    assert!((gains[9]["cumulative_conversions"].as_f64().unwrap() - 1.0).abs() < 1e-12);

    // The threshold that fits ten leads a week is the lowest that does.
    let capacity = &report["capacity"];
    let periods = capacity["periods"].as_f64().unwrap();
    assert!(capacity["periods_from"].as_str().unwrap().contains("creation dates"));
    let thresholds = capacity["thresholds"].as_array().unwrap();
    assert_eq!(thresholds[0]["leads"], 6000);
    let fits = capacity["fitting_threshold"].as_u64().expect("a threshold fits") as usize;
    let per_period = |t: usize| thresholds[t]["leads"].as_f64().unwrap() / periods;
    assert!(per_period(fits) <= 10.0);
    assert!(fits == 0 || per_period(fits - 1) > 10.0);

    // The rules are audited, the demo-request form among them.
    let audit = report["rule_audit"]["rules"].as_array().unwrap();
    assert!(audit.iter().any(|r| r["name"] == "demo_request_form"));
    assert!(audit.iter().any(|r| r["name"] == "inactivity" && r["kind"] == "decay"));

    // The page is self-contained: inline charts, nothing fetched, no scripts.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 6);
    for fetched in ["<script", "src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(fetched), "report.html fetches something: {fetched}");
    }
    for section in ["1. Headline", "Does a score of 30 mean 30 %?", "Rule audit", "Drift"] {
        assert!(html.contains(section), "{section}");
    }

    // The Markdown links charts that exist and are well-formed SVG.
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let links: Vec<&str> = markdown
        .split("](")
        .skip(1)
        .map(|rest| &rest[..rest.find(')').unwrap()])
        .collect();
    assert_eq!(links.len(), 6, "{links:?}");
    for link in links {
        let svg = std::fs::read_to_string(out.join(link)).unwrap_or_else(|_| panic!("{link} is missing"));
        let document = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{link}: {e}"));
        assert_eq!(document.root_element().tag_name().name(), "svg");
    }
    assert!(markdown.contains("| --- |") || markdown.contains("| --- | "));
}

#[test]
fn the_rule_audit_values_the_demo_form_above_the_other_forms() {
    // Three forms at the same points: the data must tell them apart. In `synth` data only the
    // demo request is planted (+1.6 log-odds); the contact and newsletter forms carry no signal.
    let dir = tempfile::tempdir().unwrap();
    let (model, batch) = setup(dir.path(), &[]);
    let rules = write(
        dir.path(),
        "forms.toml",
        r#"
[[rules]]
name = "demo_form"
event = "form_submit"
form_id = "demo_request"
points = 20
count = "once"

[[rules]]
name = "contact_form"
event = "form_submit"
form_id = "contact_us"
points = 20
count = "once"

[[rules]]
name = "newsletter_form"
event = "form_submit"
form_id = "newsletter"
points = 20
count = "once"

[[rules]]
name = "pricing_page"
event = "page_view"
url_contains = ["/pricing"]
points = 10
cap = 30
"#,
    );
    let out = dir.path().join("report");
    let rules_arg = rules.display().to_string();
    let output = evaluate(&model, &batch, &out, &["--rules", &rules_arg]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let report = read_json(&out.join("report.json"));
    let audit = &report["rule_audit"];
    let row = |name: &str| {
        audit["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    let suggested = |name: &str| row(name)["suggested_points"].as_f64().unwrap();
    assert!(suggested("demo_form") > suggested("contact_form") + 10.0, "{audit}");
    assert!(suggested("demo_form") > suggested("newsletter_form") + 10.0, "{audit}");
    // Its log-odds effect is near the planted +1.6.
    let effect = row("demo_form")["effect_log_odds"].as_f64().unwrap();
    assert!((effect - 1.6).abs() < 0.4, "{effect}");
    assert_eq!(row("newsletter_form")["verdict"], "fewer");
    assert!(stdout_of(&output).contains("rules the data disagrees with"));
    // The model itself has no rules: its score is the calibrated model probability.
    assert_eq!(report["model"]["blended_with_rules"], false);
}

#[test]
fn bad_rows_are_rejected_and_bad_requests_stop_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", common::small_leads_csv(800));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);

    // Leads without dates, one unreadable: the file is one period, the bad row is set aside.
    let mut batch = common::small_leads_csv(300);
    // L7 has 7 × 7 mod 13 = 10 visits; write a word instead.
    assert!(batch.contains("\nL7,10,"));
    batch = batch.replacen("\nL7,10,", "\nL7,nine,", 1);
    let batch = write(dir.path(), "batch.csv", batch);
    let out = dir.path().join("report");
    let run = |out: &Path, extra: &[&str]| {
        leadscore()
            .args(["evaluate", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&batch)
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = run(&out, &["--capacity", "20"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("1 leads could not be scored"),
        "{}",
        stderr_of(&output)
    );
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["data"]["leads"], 299);
    assert_eq!(report["data"]["rejected"], 1);
    assert!(report["rule_audit"].is_null());
    assert_eq!(report["headline"].as_array().unwrap().len(), 2);
    assert_eq!(report["capacity"]["periods"], 1.0);
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(rejects.contains("L7,visits,nine"), "{rejects}");
    // The same columns as score's rejects file: the id under the id column's name.
    assert!(
        rejects.starts_with("row,line,lead_id,column,value,reason\n"),
        "{rejects}"
    );

    // A capacity that is not a number of leads, and leads that all share one outcome.
    let never = dir.path().join("never");
    let output = run(&never, &["--capacity", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--capacity"), "{}", stderr_of(&output));
    let one_class = write(
        dir.path(),
        "one_class.csv",
        "lead_id,visits,source,job_level,converted\nA,1,Referral,VP,0\nB,2,Paid,Manager,0\n",
    );
    let output = leadscore()
        .args(["evaluate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&one_class)
        .arg("--out")
        .arg(&never)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr_of(&output).contains("same outcome"), "{}", stderr_of(&output));
    assert!(!never.exists(), "nothing is written for a refused run");
}
