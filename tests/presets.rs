//! `--source` presets on the exports `synth --format` writes: for each tool, the same synthetic
//! leads written as that tool exports them train as they come to the ROC AUC of the tidy files
//! (within 0.005), and a model trained on them scores that tool's next exports.

mod common;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{inspect_json, leadscore, stderr_of, stdout_of, write};

const LEADS: &str = "8000";
const SEED: &str = "11";

/// The competitor domains the synthetic leads plant, as a team would list its own: the one
/// setting a preset cannot know.
const COMPETITORS: &str = "[features]\ncompetitor_domains = [\"rivalsoft.com\", \"competico.io\"]\n";

/// A folder that lives as long as the test binary.
fn work() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// Runs leadscore with `args` (words and paths), which must succeed; returns what it said.
fn run(args: &[&dyn AsRef<OsStr>]) -> String {
    let args: Vec<OsString> = args.iter().map(|a| a.as_ref().to_os_string()).collect();
    let output = leadscore().args(&args).output().unwrap();
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{args:?}\n{said}");
    said
}

/// `--events` for each file.
fn events_args(files: &[PathBuf]) -> Vec<OsString> {
    files
        .iter()
        .flat_map(|f| ["--events".into(), f.clone().into_os_string()])
        .collect()
}

fn synth(out: &Path, format: Option<&str>) {
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"synth", &"--leads", &LEADS, &"--seed", &SEED, &"--out", &out];
    if let Some(format) = &format {
        args.extend([&"--format" as &dyn AsRef<OsStr>, format]);
    }
    run(&args);
}

fn validation_auc(model: &Path) -> f64 {
    inspect_json(model)["artifact"]["training"]["validation"]["roc_auc"]
        .as_f64()
        .expect("validation ROC AUC")
}

/// The tidy files' validation ROC AUC: the leads alone, and with their events.
fn tidy_aucs() -> (f64, f64) {
    static AUCS: OnceLock<(f64, f64)> = OnceLock::new();
    *AUCS.get_or_init(|| {
        let dir = work().join("tidy");
        synth(&dir, None);
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/synth.toml");
        let leads = dir.join("leads.csv");
        let mut aucs = [0.0; 2];
        for (i, events) in [vec![], vec![dir.join("events.csv")]].iter().enumerate() {
            let model = dir.join(format!("model{i}.lsm"));
            let mut args: Vec<&dyn AsRef<OsStr>> =
                vec![&"train", &"--config", &config, &"--data", &leads, &"--out", &model];
            let events = events_args(events);
            args.extend(events.iter().map(|e| e as &dyn AsRef<OsStr>));
            run(&args);
            aucs[i] = validation_auc(&model);
        }
        (aucs[0], aucs[1])
    })
}

/// Trains on a tool's synthetic exports with `--source` and only the competitor domains set;
/// returns the folder, the model and what train said.
fn train_tool(tool: &str, leads: &str, events: &[&str]) -> (PathBuf, PathBuf, String) {
    let dir = work().join(tool);
    synth(&dir, Some(tool));
    let config = write(&dir, "leadscore.toml", COMPETITORS);
    let model = dir.join("model.lsm");
    let data = dir.join(leads);
    let events = events_args(&events.iter().map(|e| dir.join(e)).collect::<Vec<_>>());
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"train", &"--source", &tool, &"--config", &config, &"--data", &data];
    args.extend(events.iter().map(|e| e as &dyn AsRef<OsStr>));
    args.extend([&"--out" as &dyn AsRef<OsStr>, &model]);
    let said = run(&args);
    (dir, model, said)
}

fn assert_close(tool: &str, auc: f64, tidy: f64) {
    assert!(
        (auc - tidy).abs() <= 0.005,
        "{tool}: ROC AUC {auc:.4} against {tidy:.4} on the tidy files"
    );
}

#[test]
fn hubspot_contacts_train_as_they_come() {
    let (_, model, said) = train_tool("hubspot", "contacts.csv", &[]);
    assert_close("hubspot", validation_auc(&model), tidy_aucs().0);
    // Create Date is written 8/21/2025 11:17 AM: read month first, as the preset says.
    assert!(said.contains("Create Date: date, month first"), "{said}");
    assert!(said.contains("\"HubSpot Score\" is left out"), "{said}");
    let artifact = inspect_json(&model)["artifact"].clone();
    assert_eq!(artifact["schema"]["target_column"], "Lifecycle Stage");
    assert_eq!(artifact["config"]["data"]["source"], "hubspot");
}

#[test]
fn salesforce_leads_train_as_they_come() {
    let (_, model, said) = train_tool("salesforce", "leads.csv", &[]);
    assert_close("salesforce", validation_auc(&model), tidy_aucs().0);
    assert!(said.contains("\"Lead Status\" is left out"), "{said}");
}

#[test]
fn mautic_contacts_and_five_activity_tables_train_as_they_come() {
    let tables = [
        "page_hits.csv",
        "email_stats.csv",
        "form_submissions.csv",
        "asset_downloads.csv",
        "do_not_contact.csv",
    ];
    let (_, model, said) = train_tool("mautic", "contacts.csv", &tables);
    assert_close("mautic", validation_auc(&model), tidy_aucs().1);
    // E-mails sent but never opened have no read date: they are not events.
    assert!(
        said.contains("email_stats.csv (Mautic e-mail stats)") && said.contains("rows without a time"),
        "{said}"
    );
    // The model scores the next exports of the same shapes, and `events` writes them as one file
    // that scores the same.
    let next = work().join("mautic-next");
    synth(&next, Some("mautic"));
    let contacts = next.join("contacts.csv");
    let tables = events_args(&tables.iter().map(|t| next.join(t)).collect::<Vec<_>>());
    let score = |events: &[OsString], out: &Path| {
        let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"score", &"--as-of", &"2027-01-01", &"--model", &model];
        args.extend([&"--data" as &dyn AsRef<OsStr>, &contacts, &"--out", &out]);
        args.extend(events.iter().map(|e| e as &dyn AsRef<OsStr>));
        run(&args);
    };
    let shaped_out = next.join("scored.csv");
    score(&tables, &shaped_out);
    let events = next.join("events.csv");
    let mut rewrite: Vec<&dyn AsRef<OsStr>> = vec![&"events", &"--model", &model, &"--out", &events];
    rewrite.extend(tables.iter().map(|e| e as &dyn AsRef<OsStr>));
    run(&rewrite);
    let plain_out = next.join("scored-plain.csv");
    score(&events_args(&[events]), &plain_out);
    let scored = std::fs::read(&shaped_out).unwrap();
    assert_eq!(scored, std::fs::read(&plain_out).unwrap());
    assert!(scored.len() > 100_000, "{} bytes of scores", scored.len());
}

#[test]
fn pardot_prospects_and_visitor_activities_train_as_they_come() {
    let (_, model, said) = train_tool("pardot", "prospects.csv", &["visitor_activities.csv"]);
    assert_close("pardot", validation_auc(&model), tidy_aucs().1);
    // Times written 8/29/2025 5:48:39 AM; e-mails sent are not activity the model reads.
    assert!(said.contains("left out: Email Sent"), "{said}");
    assert!(said.contains("times date, month first"), "{said}");
}

#[test]
fn marketo_leads_and_activity_log_train_as_they_come() {
    let (_, model, said) = train_tool("marketo", "leads.csv", &["activities.csv"]);
    assert_close("marketo", validation_auc(&model), tidy_aucs().1);
    assert!(said.contains("left out: Send Email"), "{said}");
    for left_out in ["\"Lead Score\" is left out", "\"Lead Status\" is left out"] {
        assert!(said.contains(left_out), "{said}");
    }
}

#[test]
fn an_export_no_shape_fits_is_refused_with_what_each_shape_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(
        dir.path(),
        "leads.csv",
        common::small_leads_csv(400)
            .replace("lead_id", "Id")
            .replace("converted", "Revenue Stage"),
    );
    let events = write(dir.path(), "visits.csv", "Lead,When,Page\n1,2024-01-01,/pricing\n");
    let output = leadscore()
        .args(["train", "--source", "marketo", "--data"])
        .arg(&leads)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(dir.path().join("m.lsm"))
        .output()
        .unwrap();
    let said = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{said}");
    assert!(said.contains("visits.csv"), "{said}");
    assert!(
        said.contains("Marketo activity log lacks") && said.contains("\"Lead ID\""),
        "{said}"
    );
    assert!(!dir.path().join("m.lsm").exists());
}

/// `data/examples/TOOL/` is what `synth --leads 300 --seed 42 --format TOOL` writes, and each
/// trains with its preset.
#[test]
fn the_example_exports_are_synths_and_train_with_their_presets() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/examples");
    for tool in ["hubspot", "salesforce", "mautic", "pardot", "marketo"] {
        let fresh = work().join(format!("example-{tool}"));
        run(&[
            &"synth",
            &"--leads",
            &"300",
            &"--seed",
            &"42",
            &"--format",
            &tool,
            &"--out",
            &fresh,
        ]);
        let mut files: Vec<String> = std::fs::read_dir(&fresh)
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        for file in &files {
            assert_eq!(
                std::fs::read(examples.join(tool).join(file)).ok(),
                Some(std::fs::read(fresh.join(file)).unwrap()),
                "data/examples/{tool}/{file} is not what synth writes: write it again with synth"
            );
        }
        let leads = ["contacts.csv", "leads.csv", "prospects.csv"]
            .into_iter()
            .find(|f| files.iter().any(|g| g == f))
            .unwrap();
        let events: Vec<PathBuf> = (files.iter())
            .filter(|f| !["truth.csv", leads].contains(&f.as_str()))
            .map(|f| examples.join(tool).join(f))
            .collect();
        let events = events_args(&events);
        let model = fresh.join("model.lsm");
        let data = examples.join(tool).join(leads);
        let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"train", &"--source", &tool, &"--data", &data, &"--out", &model];
        args.extend(events.iter().map(|e| e as &dyn AsRef<OsStr>));
        let said = run(&args);
        assert!(said.contains("only 300 leads"), "{tool}: {said}");
    }
}
