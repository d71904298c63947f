//! `leadscore points` on a hand-made fixture: every kind of criterion, with hand-computed totals.

mod common;

use std::collections::HashMap;

use common::{leadscore, stderr_of, write};

const LEADS: &str = "lead_id,email,job_level,product_line,visits
A,ann@acme.com,VP,CRM,7
B,bob@mit.edu,Student,Analytics,1
C,cy@gmail.com,Manager,CRM,
D,di@rivalsoft.com,Director,Analytics,6
E,eve@acme.com,Manager,CRM,2
";

const EVENTS: &str = "lead_id,timestamp,event_type,url,form_id,email_id,is_mpp
A,2026-02-20 10:00:00,page_view,/pricing,,,0
A,2026-02-21 10:00:00,page_view,/pricing,,,0
A,2026-02-22 10:00:00,page_view,/pricing?plan=pro,,,0
A,2026-02-23 10:00:00,page_view,/pricing,,,0
A,2026-02-25 10:00:00,email_open,,,c1,0
A,2026-02-26 10:00:00,email_open,,,c2,0
A,2026-02-27 10:00:00,form_submit,/demo,demo_request,,0
A,2026-03-05 10:00:00,page_view,/pricing,,,0
B,2025-10-01 00:00:00,page_view,/blog,,,0
B,2026-02-01 10:00:00,email_open,,,c1,1
C,2026-02-28 10:00:00,webinar,,,,0
D,2026-01-05 10:00:00,email_click,,,c1,0
D,2026-02-10 10:00:00,email_click,,,c2,0
D,2026-02-12 10:00:00,email_click,,,c3,0
D,2026-02-14 10:00:00,email_click,,,c4,0
D,2026-02-28 10:00:00,webinar,,,,0
";

const RULES: &str = r#"
[points]
segment_by = "product_line"
min_total = 0
max_total = 100

[bands]
names = ["cold", "warm", "hot"]
cuts = [10, 50]
mql = 50

[decay]
points = -10
per_days = 30
floor = -20

[[rules]]
name = "pricing"
event = "page_view"
url_contains = ["/pricing"]
points = 10
cap = 40

[[rules]]
name = "first_open"
event = "email_open"
points = 1
count = "once"

[[rules]]
name = "demo"
event = "form_submit"
form_id = "demo_request"
points = 50
count = "once"

[[rules]]
name = "webinar_crm"
event = "webinar"
segment = "CRM"
points = 15

[[rules]]
name = "recent_clicks"
event = "email_click"
within_days = 30
points = 3
cap = 6

[[rules]]
name = "student_domain"
column = "email"
domain_in = ["*.edu"]
points = -20

[[rules]]
name = "competitor"
column = "email"
domain_in = ["rivalsoft.com"]
points = -20

[[rules]]
name = "senior"
column = "job_level"
in = ["VP", "Director"]
points = 10

[[rules]]
name = "many_visits"
column = "visits"
at_least = 5
points = 5

[[rules]]
name = "manager"
column = "job_level"
regex = "^Man"
points = 2
"#;

#[test]
fn every_criterion_kind_gives_the_hand_computed_points() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "leads.csv", LEADS);
    let events = write(dir.path(), "events.csv", EVENTS);
    let rules = write(dir.path(), "rules.toml", RULES);
    let out = dir.path().join("points.csv");
    let output = leadscore()
        .args(["points", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .args(["--as-of", "2026-03-01", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["lead_id", "points", "band", "mql", "rules"]
    );
    let rows: HashMap<String, Vec<String>> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r.iter().skip(1).map(str::to_string).collect())
        })
        .collect();
    let row = |id: &str| rows[id].clone();

    // A: 4 pricing views (the one after the cutoff ignored) × 10 = 40 (the cap), first open once
    // +1, demo +50, senior +10, 7 visits +5 = 106, capped at max_total 100.
    assert_eq!(
        row("A"),
        [
            "100",
            "hot",
            "true",
            "pricing:+40; first_open:+1; demo:+50; senior:+10; many_visits:+5"
        ]
        .map(String::from)
    );
    // B: student domain −20; the privacy-proxy open does not count as an open or as activity, so
    // the last activity is 1 Oct: 151 days → 5 periods × −10 = −50, floored at −20. Total −40 → 0.
    assert_eq!(
        row("B"),
        ["0", "cold", "false", "student_domain:-20; inactivity:-20"].map(String::from)
    );
    // C: webinar in the CRM segment +15, regex manager +2; no visits value.
    assert_eq!(
        row("C"),
        ["17", "warm", "false", "webinar_crm:+15; manager:+2"].map(String::from)
    );
    // D: competitor −20, senior +10, 6 visits +5, 3 clicks in the last 30 days (the January one is
    // older) × 3 = 9 capped at 6; the webinar is not in D's segment. Total 1.
    assert_eq!(
        row("D"),
        [
            "1",
            "cold",
            "false",
            "recent_clicks:+6; competitor:-20; senior:+10; many_visits:+5"
        ]
        .map(String::from)
    );
    // E: no events at all, no creation time: no decay. Manager +2.
    assert_eq!(row("E"), ["2", "cold", "false", "manager:+2"].map(String::from));

    let summary = stderr_of(&output);
    assert!(
        summary.contains("MQL (≥ 50)") && summary.contains("pricing"),
        "{summary}"
    );
}

/// The criteria a points table exported from a model uses: a base every lead starts with, a
/// missing value, and a number of events reached (the points once).
#[test]
fn base_points_missing_values_and_numbers_of_events_give_the_hand_computed_points() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "leads.csv", LEADS);
    let events = write(dir.path(), "events.csv", EVENTS);
    let rules = write(
        dir.path(),
        "rules.toml",
        r#"
[points]
base = 20

[[rules]]
name = "no_visits_given"
column = "visits"
missing = true
points = -7

[[rules]]
name = "visits_given"
column = "visits"
missing = false
points = 1

[[rules]]
name = "three_pricing_views"
event = "page_view"
url_contains = ["/pricing"]
at_least = 3
points = 12

[[rules]]
name = "four_pricing_views"
event = "page_view"
url_contains = ["/pricing"]
at_least = 5
points = 100

[[rules]]
name = "two_opens"
event = "email_open"
at_least = 2
points = 4
"#,
    );
    let out = dir.path().join("points.csv");
    let output = leadscore()
        .args(["points", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .args(["--as-of", "2026-03-01", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    let points: HashMap<String, String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[1].to_string())
        })
        .collect();
    // A: 20 + visits given 1 + four pricing views before the cutoff (≥ 3: +12; not 5) + two
    // human opens (+4) = 37.
    assert_eq!(points["A"], "37", "{text}");
    // B: its one open is a privacy-proxy open: 20 + 1.
    assert_eq!(points["B"], "21", "{text}");
    // C: no visits value: 20 − 7.
    assert_eq!(points["C"], "13", "{text}");
    assert_eq!(points["D"], "21", "{text}");
    assert_eq!(points["E"], "21", "{text}");

    // at_least counts events; it is no test of a column's or a cap's.
    let bad = write(
        dir.path(),
        "bad.toml",
        "[[rules]]\nname = \"x\"\nevent = \"page_view\"\nat_least = 2.5\npoints = 1\n",
    );
    let output = leadscore()
        .args(["points", "--rules"])
        .arg(&bad)
        .arg("--data")
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(dir.path().join("bad.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr_of(&output).contains("whole number of events"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn rules_errors_stop_before_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "leads.csv", LEADS);
    let events = write(dir.path(), "events.csv", EVENTS);
    let run = |rules: &str| {
        let rules = write(dir.path(), "rules.toml", rules);
        let out = dir.path().join("p.csv");
        let output = leadscore()
            .args(["points", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&leads)
            .arg("--events")
            .arg(&events)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!out.exists(), "no output on error");
        (output.status.code(), stderr_of(&output))
    };
    let (code, message) = run("[[rules]]\nname = \"x\"\ncolumn = \"titel\"\nequals = \"VP\"\npoints = 5\n");
    assert_eq!(code, Some(3));
    assert!(
        message.contains("column \"titel\"") && message.contains("job_level"),
        "{message}"
    );
    let (code, message) = run("[[rules]]\nname = \"x\"\nevent = \"page_veiw\"\npoints = 5\n");
    assert_eq!(code, Some(3));
    assert!(
        message.contains("page_veiw") && message.contains("page_view"),
        "{message}"
    );
    let (code, message) = run("[[rules]]\nname = \"x\"\nevent = \"page_view\"\npoints = \"many\"\n");
    assert_eq!(code, Some(3));
    assert!(message.contains("line 4"), "{message}");
    let (code, message) = run("[bands]\nnames = [\"cold\", \"hot\"]\ncuts = [10, 20]\nmql = 5\n");
    assert_eq!(code, Some(3));
    assert!(message.contains("cut points"), "{message}");
}

#[test]
fn example_rules_separate_converters_on_synthetic_leads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("synth");
    assert!(leadscore()
        .args(["synth", "--leads", "4000", "--out"])
        .arg(&data)
        .output()
        .unwrap()
        .status
        .success());
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules/example.toml");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    let output = leadscore()
        .args(["points", "--rules", rules, "--config", config, "--data"])
        .arg(data.join("leads.csv"))
        .arg("--events")
        .arg(data.join("events.csv"))
        .arg("--out")
        .arg(dir.path().join("points.csv"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let summary = stderr_of(&output);
    let auc: f64 = summary
        .lines()
        .find_map(|l| l.strip_prefix("points separate converters from the rest with ROC AUC "))
        .expect("the summary reports the ROC AUC of points")
        .trim()
        .parse()
        .unwrap();
    assert!(auc > 0.65 && auc < 0.9, "points AUC {auc}");
}

#[test]
fn rules_can_live_in_leadscore_toml() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "leads.csv", LEADS);
    let config = write(
        dir.path(),
        "leadscore.toml",
        "[data]\nid = \"lead_id\"\n\n[bands]\nnames = [\"low\", \"high\"]\ncuts = [5]\nmql = 5\n\n[[rules]]\nname = \"senior\"\ncolumn = \"job_level\"\nin = [\"VP\", \"Director\"]\npoints = 10\n",
    );
    let out = dir.path().join("points.csv");
    let output = leadscore()
        .args(["points", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(&leads)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("A,10,high,true,senior:+10"), "{text}");
    assert!(text.contains("B,0,low,false,"), "{text}");

    let no_rules = write(dir.path(), "plain.toml", "[data]\nid = \"lead_id\"\n");
    let output = leadscore()
        .args(["points", "--config"])
        .arg(&no_rules)
        .arg("--data")
        .arg(&leads)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--rules"));
}

#[test]
fn points_reset_at_a_stage_change_count_only_the_events_after_it() {
    let dir = tempfile::tempdir().unwrap();
    // L1 changed stage on 10 February: of its four page views, the two after count. L2 has no
    // date: all its events count. L3 changed stage after all its events: none count, but its
    // column rule does.
    let leads = write(
        dir.path(),
        "leads.csv",
        "lead_id,job,stage_changed_at\nL1,VP,2026-02-10\nL2,VP,\nL3,Intern,2026-02-25\n",
    );
    let events = write(
        dir.path(),
        "events.csv",
        "lead_id,timestamp,event_type\n\
         L1,2026-02-01 09:00:00,page_view\nL1,2026-02-05 09:00:00,page_view\n\
         L1,2026-02-11 09:00:00,page_view\nL1,2026-02-20 09:00:00,page_view\n\
         L2,2026-02-01 09:00:00,page_view\nL2,2026-02-21 09:00:00,page_view\n\
         L3,2026-02-02 09:00:00,page_view\nL3,2026-02-24 09:00:00,form_submit\n",
    );
    let rules = write(
        dir.path(),
        "rules.toml",
        r#"
[points]
reset_on = "stage_changed_at"

[[rules]]
name = "page_view"
event = "page_view"
points = 5

[[rules]]
name = "form"
event = "form_submit"
points = 30

[[rules]]
name = "vp"
column = "job"
equals = "VP"
points = 10
"#,
    );
    let run = |rules: &std::path::Path, out: &str| {
        let out = dir.path().join(out);
        let output = leadscore()
            .args(["points", "--rules"])
            .arg(rules)
            .arg("--data")
            .arg(&leads)
            .arg("--events")
            .arg(&events)
            .args(["--as-of", "2026-03-01", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let text = std::fs::read_to_string(&out).unwrap();
        text.lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[0].to_string(), cells[1].to_string())
            })
            .collect::<HashMap<String, String>>()
    };
    let points = run(&rules, "points.csv");
    assert_eq!(points["L1"], "20", "10 (VP) + 2 page views after the change × 5");
    assert_eq!(points["L2"], "20", "10 (VP) + both page views × 5");
    assert_eq!(points["L3"], "0", "its events came before the change");
    // Without the reset every event counts.
    let text = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("reset_on", "# reset_on");
    let plain = write(dir.path(), "plain.toml", text);
    let points = run(&plain, "plain.csv");
    assert_eq!((points["L1"].as_str(), points["L3"].as_str()), ("30", "35"));
}
