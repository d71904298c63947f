//! Between two batches: `score --previous` against an independent join of the two scores files
//! (the same synthetic leads a week later), the triggers file, Parquet earlier scores, and
//! refusals.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{leadscore, stderr_of, stdout_of};

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Column `name` of each row, by lead id (the first column).
fn by_id(file: &(Vec<String>, Vec<Vec<String>>), name: &str) -> HashMap<String, String> {
    let at = file
        .0
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name}"));
    file.1.iter().map(|r| (r[0].clone(), r[at].clone())).collect()
}

struct Batches {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    model: PathBuf,
}

/// A model, and 4,000 synthetic leads scored as they were and as they are a week later.
fn batches() -> Batches {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    common::synth(&path.join("history"), 12_000, 3);
    let model = path.join("model.lsm");
    common::train_synth(&path.join("history"), &model, &[]);
    for (folder, later) in [("before", "0"), ("after", "7")] {
        let output = leadscore()
            .args([
                "synth",
                "--leads",
                "4000",
                "--seed",
                "9",
                "--days-later",
                later,
                "--out",
            ])
            .arg(path.join(folder))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    Batches {
        _dir: dir,
        dir: path,
        model,
    }
}

fn score(b: &Batches, folder: &str, out: &str, extra: &[&str]) -> std::process::Output {
    leadscore()
        .args(["score", "--as-of", "2026-12-01"])
        .args(common::batch_args(&b.model, &b.dir.join(folder), &b.dir.join(out)))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn statuses_and_triggers_match_a_join_of_the_two_scores_files() {
    let b = batches();
    let output = score(&b, "before", "before.csv", &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let previous = b.dir.join("before.csv");
    let output = score(
        &b,
        "after",
        "after.csv",
        &[
            "--previous",
            previous.to_str().unwrap(),
            "--triggers",
            b.dir.join("to-call.csv").to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let before = read_csv(&previous);
    let after = read_csv(&b.dir.join("after.csv"));
    assert_eq!(&after.0[after.0.len() - 3..], ["previous_score", "change", "status"]);
    // The join: each lead's status from its two rows, as a person would work it out.
    let band_rank = |band: &str| ["cold", "warm", "hot"].iter().position(|b| *b == band).unwrap();
    let (score0, band0, mql0) = (by_id(&before, "score"), by_id(&before, "band"), by_id(&before, "mql"));
    let (score1, band1, mql1) = (by_id(&after, "score"), by_id(&after, "band"), by_id(&after, "mql"));
    let (status, change) = (by_id(&after, "status"), by_id(&after, "change"));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (id, s1) in &score1 {
        let expected = match score0.get(id) {
            None => "new",
            Some(_) if mql1[id] == "true" && mql0[id] == "false" => "became_mql",
            Some(_) if mql1[id] == "false" && mql0[id] == "true" => "left_mql",
            Some(_) if band_rank(&band1[id]) > band_rank(&band0[id]) => "band_up",
            Some(_) if band_rank(&band1[id]) < band_rank(&band0[id]) => "band_down",
            Some(_) => "unchanged",
        };
        assert_eq!(status[id], expected, "lead {id}");
        let moved: f64 = s1.parse::<f64>().unwrap() - score0[id].parse::<f64>().unwrap();
        assert_eq!(change[id].parse::<f64>().unwrap(), moved, "lead {id}");
        *counts.entry(expected).or_default() += 1;
    }
    // A week of activity moves leads: some cross 60, none is new.
    assert!(counts.get("became_mql").copied().unwrap_or(0) > 5, "{counts:?}");
    assert_eq!(counts.get("new"), None);
    // The leads whose score crossed 60 are exactly the became_mql ones (MQL at 60).
    let crossed: Vec<&String> = (score1.keys())
        .filter(|id| score0[*id].parse::<f64>().unwrap() < 60.0 && score1[*id].parse::<f64>().unwrap() >= 60.0)
        .collect();
    assert_eq!(crossed.len(), counts["became_mql"]);
    assert!(crossed.iter().all(|id| status[*id] == "became_mql"));
    // The summary counts them.
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains(&format!("{} became_mql", counts["became_mql"])),
        "{stdout}"
    );
    // The triggers file: the leads that became MQLs or moved up a band, and only them.
    let triggers = read_csv(&b.dir.join("to-call.csv"));
    assert_eq!(
        triggers.0,
        [
            "lead_id",
            "previous_score",
            "score",
            "change",
            "status",
            "band",
            "reasons"
        ]
    );
    let mut fired: Vec<&str> = triggers.1.iter().map(|r| r[0].as_str()).collect();
    let mut wanted: Vec<&str> = (status.iter())
        .filter(|(_, s)| *s == "became_mql" || *s == "band_up")
        .map(|(id, _)| id.as_str())
        .collect();
    fired.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(fired, wanted);
    assert!(triggers.1.iter().all(|r| !r[6].is_empty()), "every trigger says why");

    // Other crossings and a least change: leads that fell by 10 points or more out of a band or the MQLs.
    let output = score(
        &b,
        "after",
        "after2.csv",
        &[
            "--previous",
            previous.to_str().unwrap(),
            "--triggers",
            b.dir.join("fell.csv").to_str().unwrap(),
            "--trigger-on",
            "left_mql,band_down",
            "--min-change",
            "10",
        ],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let fell = read_csv(&b.dir.join("fell.csv"));
    let mut fired: Vec<&str> = fell.1.iter().map(|r| r[0].as_str()).collect();
    let mut wanted: Vec<&str> = (status.iter())
        .filter(|(id, s)| (*s == "left_mql" || *s == "band_down") && change[*id].parse::<f64>().unwrap().abs() >= 10.0)
        .map(|(id, _)| id.as_str())
        .collect();
    fired.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(fired, wanted);

    // Earlier scores written as Parquet give the same changes.
    let output = score(&b, "before", "before.parquet", &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let output = score(
        &b,
        "after",
        "after3.csv",
        &["--previous", b.dir.join("before.parquet").to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        std::fs::read(b.dir.join("after3.csv")).unwrap(),
        std::fs::read(b.dir.join("after.csv")).unwrap()
    );
}

#[test]
fn new_leads_repeated_ids_and_unusable_earlier_files() {
    let b = batches();
    let output = score(&b, "before", "before.csv", &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    // An earlier file of two leads, one of them twice (the last row counts).
    let before = read_csv(&b.dir.join("before.csv"));
    let mut text = before.0.join(",") + "\n";
    let quote = |r: &Vec<String>| {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(r).unwrap();
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    };
    let mut first = before.1[0].clone();
    let score_at = before.0.iter().position(|h| h == "score").unwrap();
    first[score_at] = "0".into();
    text += &quote(&first);
    text += &quote(&before.1[0]);
    text += &quote(&before.1[1]);
    let earlier = common::write(&b.dir, "earlier.csv", text);
    let output = score(&b, "before", "again.csv", &["--previous", earlier.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let again = read_csv(&b.dir.join("again.csv"));
    let status = by_id(&again, "status");
    assert_eq!(
        status[&before.1[0][0]], "unchanged",
        "the last row of a repeated id counts"
    );
    assert_eq!(status[&before.1[1][0]], "unchanged");
    assert_eq!(status.values().filter(|s| *s == "new").count(), again.1.len() - 2);
    assert!(stdout_of(&output).contains(&format!("{} new", leadscore::output::thousands(again.1.len() - 2))));

    // A file that is not a scores file: exit 3, the column named, nothing written.
    let output = score(
        &b,
        "after",
        "not.csv",
        &["--previous", b.dir.join("before/leads.csv").to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("score"), "{}", stderr_of(&output));
    assert!(!b.dir.join("not.csv").exists());
    // Triggers need earlier scores; the earlier scores may not be overwritten.
    let output = score(
        &b,
        "after",
        "t.csv",
        &["--triggers", b.dir.join("t2.csv").to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let output = score(
        &b,
        "after",
        "before.csv",
        &["--previous", b.dir.join("before.csv").to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_eq!(
        read_csv(&b.dir.join("before.csv")),
        before,
        "the earlier scores are untouched"
    );
}

#[test]
fn explained_parts_add_up_to_the_log_odds_and_triggers_name_the_parts_that_moved() {
    let b = batches();
    // A model blended with rules, so that rule parts are among the parts.
    let model = b.dir.join("blended.lsm");
    common::train_synth(&b.dir.join("history"), &model, &["--rules", common::EXAMPLE_RULES]);
    let score = |folder: &str, out: &str, extra: &[&str]| {
        let output = leadscore()
            .args(["score", "--explain", "--as-of", "2026-12-01"])
            .args(common::batch_args(&model, &b.dir.join(folder), &b.dir.join(out)))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    score("before", "before.csv", &[]);
    let previous = b.dir.join("before.csv");
    let triggers = b.dir.join("to-call.csv");
    score(
        "after",
        "after.csv",
        &[
            "--previous",
            previous.to_str().unwrap(),
            "--triggers",
            triggers.to_str().unwrap(),
        ],
    );
    let (header, rows) = read_csv(&b.dir.join("after.csv"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let parts: Vec<usize> = (0..header.len()).filter(|&j| header[j].starts_with("part: ")).collect();
    assert!(
        parts.iter().any(|&j| header[j].starts_with("part: rule ")),
        "{header:?}"
    );
    assert!(
        parts.iter().any(|&j| header[j] == "part: events: webinar"),
        "{header:?}"
    );
    for row in &rows {
        let log_odds: f64 = row[at("log_odds")].parse().unwrap();
        let sum: f64 = parts.iter().map(|&j| row[j].parse::<f64>().unwrap()).sum();
        assert!(
            (sum - log_odds).abs() < 1e-9,
            "lead {}: parts {sum} against {log_odds}",
            row[0]
        );
        // With Platt's calibration the log-odds is the score's own.
        let probability: f64 = row[at("probability")].parse().unwrap();
        assert!(
            (1.0 / (1.0 + (-log_odds).exp()) - probability).abs() < 5e-7,
            "lead {}",
            row[0]
        );
    }
    // A trigger's reasons are the parts that moved most, by as much as the two files say.
    let before = read_csv(&previous);
    let earlier = |id: &str, name: &str| -> f64 {
        let row = before.1.iter().find(|r| r[0] == id).unwrap();
        row[before.0.iter().position(|h| h == name).unwrap()].parse().unwrap()
    };
    let fired = read_csv(&triggers);
    assert!(!fired.1.is_empty());
    for trigger in &fired.1 {
        let row = rows.iter().find(|r| r[0] == trigger[0]).unwrap();
        let first = trigger[6].split("; ").next().unwrap();
        let (_sign, named) = first.split_once(' ').unwrap();
        let (name, moved) = named.rsplit_once(" (").unwrap_or_else(|| panic!("{first}"));
        let moved: f64 = moved.trim_end_matches(')').parse().unwrap();
        let column = format!("part: {name}");
        let now: f64 = row[at(&column)].parse().unwrap();
        assert!(
            (now - earlier(&trigger[0], &column) - moved).abs() < 0.006,
            "lead {}: {first}",
            trigger[0]
        );
        // The largest move comes first.
        for &j in &parts[1..] {
            let d = row[j].parse::<f64>().unwrap() - earlier(&trigger[0], &header[j]);
            assert!(
                d.abs() <= moved.abs() + 0.006,
                "lead {}: {} moved {d}",
                trigger[0],
                header[j]
            );
        }
    }
}

/// `leads.csv` of `folder` with a `status` column: every third lead won, every third lost.
fn with_status(b: &Batches, folder: &str) -> PathBuf {
    let (header, rows) = read_csv(&b.dir.join(folder).join("leads.csv"));
    let mut writer = csv::Writer::from_path(b.dir.join(folder).join("with-status.csv")).unwrap();
    writer
        .write_record(header.iter().map(String::as_str).chain(["status"]))
        .unwrap();
    for (k, row) in rows.iter().enumerate() {
        let status = ["open", "Closed Won", "closed lost"][k % 3];
        writer
            .write_record(row.iter().map(String::as_str).chain([status]))
            .unwrap();
    }
    writer.flush().unwrap();
    b.dir.join(folder).join("with-status.csv")
}

#[test]
fn closed_leads_are_listed_not_scored_and_never_triggers() {
    let b = batches();
    let before = with_status(&b, "before");
    let after = with_status(&b, "after");
    let run = |data: &Path, out: &str, extra: &[&str]| {
        let output = leadscore()
            .args(["score", "--as-of", "2026-12-01", "--model"])
            .arg(&b.model)
            .arg("--data")
            .arg(data)
            .arg("--events")
            .arg(b.dir.join("before/events.csv"))
            .arg("--out")
            .arg(b.dir.join(out))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        output
    };
    run(&before, "before.csv", &[]);
    let output = run(
        &after,
        "after.csv",
        &[
            "--closed",
            "status",
            "--closed-values",
            "closed won,Closed Lost",
            "--previous",
            b.dir.join("before.csv").to_str().unwrap(),
            "--triggers",
            b.dir.join("to-call.csv").to_str().unwrap(),
        ],
    );
    let all = read_csv(&before).1;
    let closed_ids: Vec<&str> = (all.iter().enumerate())
        .filter(|(k, _)| k % 3 != 0)
        .map(|(_, r)| r[0].as_str())
        .collect();
    let scored = read_csv(&b.dir.join("after.csv"));
    assert_eq!(scored.1.len(), all.len() - closed_ids.len());
    assert!(scored.1.iter().all(|r| !closed_ids.contains(&r[0].as_str())));
    let listed = read_csv(&b.dir.join("after.closed.csv"));
    assert_eq!(listed.0, ["lead_id", "status"]);
    let listed_ids: Vec<&str> = listed.1.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(listed_ids, closed_ids, "every closed lead listed, in file order");
    let triggers = read_csv(&b.dir.join("to-call.csv"));
    assert!(triggers.1.iter().all(|r| !closed_ids.contains(&r[0].as_str())));
    assert!(
        stdout_of(&output).contains(&format!(
            "closed: {} leads",
            leadscore::output::thousands(closed_ids.len())
        )),
        "{}",
        stdout_of(&output)
    );
    // The same column read as yes/no: only "yes"-like values close a lead, so none here.
    run(&after, "after2.csv", &["--closed", "status"]);
    assert_eq!(read_csv(&b.dir.join("after2.closed.csv")).1.len(), 0);
    assert_eq!(read_csv(&b.dir.join("after2.csv")).1.len(), all.len());
    // A column the leads lack: exit 3, nothing written.
    let output = leadscore()
        .args(["score", "--closed", "stage", "--model"])
        .arg(&b.model)
        .arg("--data")
        .arg(&after)
        .arg("--events")
        .arg(b.dir.join("before/events.csv"))
        .arg("--out")
        .arg(b.dir.join("after3.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert!(!b.dir.join("after3.csv").exists() && !b.dir.join("after3.closed.csv").exists());
}

#[test]
fn sales_adjustments_add_points_show_in_reasons_expire_and_are_audited() {
    let b = batches();
    let model = b.dir.join("blended.lsm");
    common::train_synth(&b.dir.join("history"), &model, &["--rules", common::EXAMPLE_RULES]);
    let leads = read_csv(&b.dir.join("before/leads.csv"));
    let converted_at = leads.0.iter().position(|h| h == "converted").unwrap();
    // Right: 120 leads that did convert. Useless: 300 leads taken blindly (every 13th).
    let mut text = String::from("lead_id,points,reason,who,expires\n");
    let converted: Vec<&Vec<String>> = leads.1.iter().filter(|r| r[converted_at] == "1").take(120).collect();
    for row in &converted {
        text += &format!("{},20,met at trade show,ana,\n", row[0]);
    }
    for row in leads.1.iter().step_by(13).take(300) {
        text += &format!("{},20,liked the chat,ben,\n", row[0]);
    }
    // One that expired before the cutoff, one that has not yet.
    let (first, second) = (&leads.1[1][0], &leads.1[2][0]);
    text += &format!("{first},50,old promise,ana,2026-11-01\n{second},-15,asked to wait,ben,2027-01-31\n");
    let adjustments = common::write(&b.dir, "adjustments.csv", text);
    let run = |command: &str, out: &str, extra: &[&str]| {
        let output = leadscore()
            .args([command, "--as-of", "2026-12-01"])
            .args(common::batch_args(&model, &b.dir.join("before"), &b.dir.join(out)))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        output
    };
    run("score", "plain.csv", &["--explain"]);
    let output = run(
        "score",
        "adjusted.csv",
        &["--explain", "--adjustments", adjustments.to_str().unwrap()],
    );
    assert!(
        stdout_of(&output).contains("sales' adjustments: 421 counted, 1 expired"),
        "{}",
        stdout_of(&output)
    );
    let (plain, adjusted) = (
        read_csv(&b.dir.join("plain.csv")),
        read_csv(&b.dir.join("adjusted.csv")),
    );
    let points = |file: &(Vec<String>, Vec<Vec<String>>), id: &str, column: &str| -> String {
        let at = file.0.iter().position(|h| h == column).unwrap();
        file.1.iter().find(|r| r[0] == id).unwrap()[at].clone()
    };
    let number = |text: String| text.parse::<f64>().unwrap();
    // Hand-computed: each adjusted lead's rule points move by its adjustments, and no other's.
    let lead = &converted[0][0];
    let expected_move = if leads.1.iter().step_by(13).take(300).any(|r| &r[0] == lead) {
        40.0
    } else {
        20.0
    };
    assert_eq!(
        number(points(&adjusted, lead, "rule_points")) - number(points(&plain, lead, "rule_points")),
        expected_move
    );
    assert_eq!(
        points(&adjusted, first, "rule_points"),
        points(&plain, first, "rule_points"),
        "expired"
    );
    assert_eq!(
        number(points(&adjusted, second, "rule_points")) - number(points(&plain, second, "rule_points")),
        -15.0
    );
    assert!(points(&adjusted, lead, "reasons").contains("+ sales: met at trade show (+20)"));
    assert!(points(&adjusted, second, "reasons").contains("− sales: asked to wait (-15)"));
    // The sales part is the blend's weight of the points; the parts still add up.
    let sales_part = number(points(&adjusted, second, "part: sales adjustments"));
    assert!(sales_part < 0.0);
    assert_eq!(number(points(&plain, second, "part: sales adjustments")), 0.0);
    let at = |name: &str| adjusted.0.iter().position(|h| h == name).unwrap();
    for row in &adjusted.1 {
        let sum: f64 = (0..adjusted.0.len())
            .filter(|&j| adjusted.0[j].starts_with("part: "))
            .map(|j| row[j].parse::<f64>().unwrap())
            .sum();
        assert!((sum - row[at("log_odds")].parse::<f64>().unwrap()).abs() < 1e-9);
    }

    // evaluate audits each reason like a rule: the blind boost is flagged, the right one is not.
    let out = b.dir.join("report");
    leadscore()
        .args(["evaluate", "--as-of", "2026-12-01", "--adjustments"])
        .arg(&adjustments)
        .args(common::batch_args(&model, &b.dir.join("before"), &out))
        .output()
        .map(|o| assert!(o.status.success(), "{}", stderr_of(&o)))
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let row = |name: &str| {
        (report["rule_audit"]["rules"].as_array().unwrap().iter())
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no audit row {name}"))
            .clone()
    };
    let (right, blind) = (row("sales: met at trade show"), row("sales: liked the chat"));
    assert_eq!(right["kind"], "sales");
    assert_eq!(right["fired"], 120);
    assert_eq!(right["verdict"], "agrees", "{right}");
    assert!(
        ["fewer", "opposite"].contains(&blind["verdict"].as_str().unwrap()),
        "{blind}"
    );

    // A model without rule points has nothing to add them to: exit 2.
    let output = leadscore()
        .args(["score", "--adjustments"])
        .arg(&adjustments)
        .args(common::batch_args(
            &b.model,
            &b.dir.join("before"),
            &b.dir.join("no.csv"),
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("--rules"));
}
