//! Events become per-lead engagement features as of each lead's cutoff, with hand-checked values.

mod common;

use leadscore::config::EventsConfig;
use leadscore::data::events::EventLog;
use leadscore::data::infer::{parse_timestamp, MissingTokens};
use leadscore::data::values::Values;

fn numbers(columns: &[leadscore::data::FeatureColumn], name: &str) -> Vec<f64> {
    let column = columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no feature {name}"));
    match &column.values {
        Values::Numeric(v) => v.clone(),
        other => panic!("{name} is {}", other.kind()),
    }
}

#[test]
fn aggregation_counts_only_what_happened_before_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::write(
        dir.path(),
        "events.csv",
        "lead_id,timestamp,event_type,url,form_id,email_id,is_mpp\n\
         A,2026-01-01 10:00:00,page_view,/pricing,,,0\n\
         A,2026-01-02 10:00:00,page_view,/blog/x,,,0\n\
         A,2026-01-03 10:00:00,email_open,,,c1,0\n\
         A,2026-01-04 10:00:00,email_open,,,c1,0\n\
         A,2026-01-05 10:00:00,email_open,,,c2,1\n\
         A,2026-01-06 10:00:00,form_submit,/demo,demo_request,,0\n\
         A,2026-02-01 10:00:00,page_view,/pricing,,,0\n\
         B,2026-01-08 10:00:00,form_submit,/newsletter,newsletter,,0\n\
         Z,2026-01-08 10:00:00,page_view,/pricing,,,0\n",
    );
    let log = EventLog::load(&events, &MissingTokens::new(&[String::new()])).unwrap();
    let config = EventsConfig {
        min_form_count: 1,
        ..Default::default()
    };
    let spec = log.learn_spec(&config);
    assert_eq!(spec.form_ids, vec!["demo_request", "newsletter"]);
    let cutoff = parse_timestamp("2026-01-10 10:00:00").unwrap();
    let ids = vec!["A".to_string(), "B".to_string(), "C".to_string()];
    let (columns, counts) = log.aggregate(&spec, &ids, &[cutoff; 3]).unwrap();
    assert_eq!(
        (counts.read, counts.used, counts.after_cutoff, counts.unmatched),
        (9, 7, 1, 1)
    );

    // Lead A: two page views before the cutoff (the February one is after it).
    assert_eq!(numbers(&columns, "events: page_view"), vec![2.0, 0.0, 0.0]);
    // Opens: two human opens count, the privacy-proxy open weighs 0.
    assert_eq!(numbers(&columns, "events: email_open"), vec![2.0, 0.0, 0.0]);
    // Distinct e-mails opened: c1 once (twice opened), c2 only by the proxy.
    assert_eq!(
        numbers(&columns, "events: distinct e-mails opened"),
        vec![1.0, 0.0, 0.0]
    );
    // High-value pages: /pricing and the /demo form.
    assert_eq!(numbers(&columns, "events: high-value page views"), vec![2.0, 0.0, 0.0]);
    assert_eq!(numbers(&columns, "events: form demo_request"), vec![1.0, 0.0, 0.0]);
    assert_eq!(numbers(&columns, "events: form newsletter"), vec![0.0, 1.0, 0.0]);
    // Days since last activity: A's last human event is Jan 6 (the proxy open on Jan 5 does not
    // count), B's Jan 8, C never.
    let days = numbers(&columns, "events: days since last activity");
    assert_eq!(&days[..2], &[4.0, 2.0]);
    assert!(days[2].is_nan());
    // Recency weighting: one event 2 days before the cutoff with a 30-day half-life.
    let recency = numbers(&columns, "events: recency-weighted activity");
    assert!((recency[1] - 0.5f64.powf(2.0 / 30.0)).abs() < 1e-12);
}

#[test]
fn training_with_events_ignores_those_after_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let leads = common::write(dir.path(), "leads.csv", common::small_leads_csv(300));
    let mut events = String::from("lead_id,timestamp,event_type\n");
    for i in 0..300 {
        events.push_str(&format!("L{i},2026-01-0{},page_view\n", 1 + i % 5));
    }
    let events = common::write(dir.path(), "events.csv", events);
    let model = dir.path().join("m.lsm");
    let run = |as_of: &str| {
        common::leadscore()
            .args(["train", "--data"])
            .arg(&leads)
            .arg("--events")
            .arg(&events)
            .args(["--as-of", as_of, "--out"])
            .arg(&model)
            .output()
            .unwrap()
    };
    let output = run("2026-01-03");
    assert!(output.status.success(), "{}", common::stderr_of(&output));
    let value = common::inspect_json(&model);
    // Events on Jan 1–3 count (cutoff at midnight Jan 3 keeps Jan 1, 2 and 3 00:00), Jan 4–5 do not.
    assert_eq!(value["artifact"]["training"]["events"]["after_cutoff"], 120);
    // Before every event: nothing matches, and the message says why.
    let output = run("2025-01-01");
    assert_eq!(output.status.code(), Some(3));
    assert!(common::stderr_of(&output).contains("before its cutoff"));
}

#[test]
fn events_without_a_cutoff_use_the_one_the_file_names_or_stop() {
    // Without [data] snapshot or --as-of, counting every event to the end of the file would
    // count what converted leads did after converting: a model better than the planted truth.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("synth");
    common::synth(&data, 30_000, 7);
    let model = dir.path().join("m.lsm");
    let train = |leads: &std::path::Path| {
        common::leadscore()
            .args(["train", "--target", "converted", "--id", "lead_id", "--data"])
            .arg(leads)
            .arg("--events")
            .arg(data.join("events.csv"))
            .arg("--out")
            .arg(&model)
            .output()
            .unwrap()
    };
    let output = train(&data.join("leads.csv"));
    assert!(output.status.success(), "{}", common::stderr_of(&output));
    let said = common::stdout_of(&output);
    assert!(said.contains("counted up to \"snapshot_at\""), "{said}");
    assert!(said.contains("after their lead's cutoff (ignored)"), "{said}");
    let auc = common::inspect_json(&model)["artifact"]["training"]["validation"]["roc_auc"]
        .as_f64()
        .unwrap();
    let truth = planted_roc_auc(&data);
    assert!(
        auc < truth + 0.01 && auc > truth - 0.03,
        "validation {auc} against the truth's {truth}"
    );

    // The same leads without their snapshot column: training stops and says what to name.
    let text = std::fs::read_to_string(data.join("leads.csv")).unwrap();
    let without: String = text
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(2);
            cells.join(",") + "\n"
        })
        .collect();
    let leads = common::write(dir.path(), "no-snapshot.csv", without);
    let output = train(&leads);
    assert_eq!(output.status.code(), Some(3));
    let message = common::stderr_of(&output);
    assert!(
        message.contains("[data] snapshot") && message.contains("--as-of"),
        "{message}"
    );
}

/// ROC AUC of the planted true probabilities of a synthetic folder.
fn planted_roc_auc(data: &std::path::Path) -> f64 {
    let read = |name: &str, column: usize| -> Vec<String> {
        let mut reader = csv::Reader::from_path(data.join(name)).unwrap();
        reader.records().map(|r| r.unwrap()[column].to_string()).collect()
    };
    let truth: Vec<f64> = read("truth.csv", 1).iter().map(|p| p.parse().unwrap()).collect();
    let converted: Vec<bool> = read("leads.csv", 10).iter().map(|c| c == "1").collect();
    leadscore::metrics::roc_auc(&converted, &truth).unwrap()
}
