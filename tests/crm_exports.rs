//! Lead files as CRMs export them: a HubSpot-shaped contacts export trained as it comes.

mod common;

use std::path::Path;

use common::{inspect_json, leadscore, stderr_of, stdout_of, write};

/// A contacts export shaped like HubSpot's: `Lifecycle Stage` records where each lead ended up
/// (customers and opportunities are the converted ones) and `HubSpot Score` is the CRM's own
/// score, raised once a lead converted; pageviews and the source carry the honest signal.
fn hubspot_contacts(dir: &Path, n: usize) -> std::path::PathBuf {
    let mut csv = String::from(
        "Record ID,Email,Create Date,Lifecycle Stage,Number of Pageviews,Original Source,HubSpot Score,Became a Customer\n",
    );
    let sources = ["Organic Search", "Paid Social", "Direct Traffic", "Email Marketing"];
    for i in 0..n {
        let pageviews = (i * 37) % 41;
        // Every tenth lead has read a thousand pages more: HubSpot writes "1,012" (quoted).
        let shown = if i % 10 == 0 {
            format!("\"1,{:03}\"", pageviews)
        } else {
            pageviews.to_string()
        };
        let source = sources[i % 4];
        let noise = (i * 53) % 17;
        let converted = pageviews + if source == "Organic Search" { 12 } else { 0 } + noise > 40;
        let stage = match (converted, i % 3) {
            (true, 0) => "opportunity",
            (true, _) => "customer",
            (false, 0) => "subscriber",
            (false, 1) => "lead",
            (false, _) => "marketingqualifiedlead",
        };
        let score = if converted { 80 + i % 20 } else { i % 60 };
        let day = 1 + i % 28;
        csv.push_str(&format!(
            "{},p{i}@example.com,{}/{day}/2024 5:14 AM,{stage},{shown},{source},{score},{converted}\n",
            100_000 + i,
            1 + i % 12,
        ));
    }
    write(dir, "contacts.csv", csv)
}

fn train(data: &Path, model: &Path, config: Option<&Path>) -> std::process::Output {
    let mut command = leadscore();
    command
        .args(["train", "--target", "Became a Customer", "--id", "Record ID", "--data"])
        .arg(data)
        .arg("--out")
        .arg(model);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().expect("run train")
}

/// Trains `data` into `model` with `args`, which must succeed: what train said.
fn trained(data: &Path, model: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let output = leadscore()
        .arg("train")
        .args(args.iter().map(|a| a.as_ref()))
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(model)
        .output()
        .unwrap();
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{said}");
    said
}

/// A contacts export of 1,500 leads trained with the defaults: its file, the model and what
/// `train` said.
fn trained_contacts(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let data = hubspot_contacts(dir, 1500);
    let model = dir.join("model.lsm");
    let output = train(&data, &model, None);
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{said}");
    (data, model, said)
}

fn input_names(model: &Path) -> Vec<String> {
    inspect_json(model)["artifact"]["input_names"]
        .as_array()
        .expect("input names")
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn stage_and_crm_score_columns_are_left_out_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (_, model, said) = trained_contacts(dir.path());
    assert!(said.contains("\"Lifecycle Stage\" is left out: a CRM stage"), "{said}");
    assert!(
        said.contains("\"HubSpot Score\" is left out: a score from the CRM"),
        "{said}"
    );
    let inputs = input_names(&model);
    assert!(
        inputs
            .iter()
            .all(|n| !n.starts_with("Lifecycle Stage") && !n.starts_with("HubSpot Score")),
        "{inputs:?}"
    );
    assert!(inputs.iter().any(|n| n == "Number of Pageviews"), "{inputs:?}");
    let left_out = inspect_json(&model)["artifact"]["training"]["left_out"].clone();
    assert!(
        left_out
            .as_array()
            .unwrap()
            .iter()
            .any(|pair| pair[0] == "Lifecycle Stage" && pair[1].as_str().unwrap().contains("where the lead ended up")),
        "{left_out}"
    );
}

#[test]
fn a_stage_column_listed_in_include_is_used_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = hubspot_contacts(dir.path(), 1500);
    let config = write(
        dir.path(),
        "leadscore.toml",
        "[features]\ninclude = [\"Lifecycle Stage\", \"Number of Pageviews\", \"Original Source\"]\n",
    );
    let model = dir.path().join("model.lsm");
    let output = train(&data, &model, Some(&config));
    let said = stdout_of(&output) + &stderr_of(&output);
    // Asked for, the stage is a feature; the leakage audit still says what it is.
    assert!(!said.contains("\"Lifecycle Stage\" is left out"), "{said}");
    if output.status.success() {
        assert!(input_names(&model).iter().any(|n| n.starts_with("Lifecycle Stage")));
        assert!(
            said.contains("possible leakage in \"Lifecycle Stage\""),
            "the audit names the stage: {said}"
        );
    } else {
        assert_eq!(output.status.code(), Some(3), "{said}");
        assert!(said.contains("Lifecycle Stage"), "{said}");
    }
}

#[test]
fn dates_and_numbers_are_read_as_the_export_writes_them_and_scored_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let (data, model, said) = trained_contacts(dir.path());
    assert!(said.contains("Create Date: date, month first"), "{said}");
    assert!(said.contains("Number of Pageviews: number, written 1,234.5"), "{said}");
    let inputs = input_names(&model);
    assert!(
        inputs.iter().any(|n| n == "Number of Pageviews"),
        "a number, not categories: {inputs:?}"
    );
    assert!(
        inputs.iter().any(|n| n.starts_with("Create Date: age")),
        "a date: {inputs:?}"
    );
    let columns = inspect_json(&model)["artifact"]["schema"]["columns"].clone();
    assert!(
        columns
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c[0] == "Create Date" && c[1] == "datetime month-first"),
        "the model file keeps the format: {columns}"
    );

    // The same leads with pageviews written plainly score exactly as the formatted ones.
    let text = std::fs::read_to_string(&data).unwrap();
    let plain: String = text
        .lines()
        .map(|line| match line.split_once(",\"1,") {
            Some((before, after)) => {
                let (digits, rest) = after.split_once('"').unwrap();
                format!("{before},1{digits}{rest}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert_ne!(plain, text);
    let plain = write(dir.path(), "plain.csv", plain);
    let score = |data: &Path, out: &str| common::scored_bytes(&model, data, &dir.path().join(out), "2025-01-01");
    assert_eq!(score(&data, "formatted.csv"), score(&plain, "plain-scored.csv"));
}

#[test]
fn dates_that_never_say_which_number_is_the_day_need_the_format_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead,signed up,visits,converted\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "L{i},{}/{}/2024,{},{}\n",
            1 + i % 12,
            1 + i % 12,
            i % 9,
            i % 3 == 0
        ));
    }
    let data = write(dir.path(), "leads.csv", csv);
    let model = dir.path().join("model.lsm");
    let mut command = leadscore();
    command
        .args(["train", "--target", "converted", "--id", "lead", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model);
    let output = command.output().unwrap();
    let said = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{said}");
    assert!(said.contains("signed up") && said.contains("no day above 12"), "{said}");
    assert!(
        said.contains("[data] formats = { \"signed up\" = \"month-first\" }"),
        "{said}"
    );
    assert!(!model.exists(), "no model is written");

    let config = write(
        dir.path(),
        "leadscore.toml",
        "[data]\nformats = { \"signed up\" = \"day-first\" }\n",
    );
    let output = train_with(&data, &model, &config, "converted", "lead");
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("signed up: date, day first"), "{said}");

    let bad = write(dir.path(), "bad.toml", "[data]\nformats = { \"signed up\" = \"US\" }\n");
    let output = train_with(&data, &model, &bad, "converted", "lead");
    let said = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{said}");
    assert!(said.contains("\"US\"") && said.contains("month-first"), "{said}");
}

fn train_with(data: &Path, model: &Path, config: &Path, target: &str, id: &str) -> std::process::Output {
    leadscore()
        .args(["train", "--target", target, "--id", id, "--data"])
        .arg(data)
        .arg("--out")
        .arg(model)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

/// ROC AUC by counting pairs: a converter above a lead that did not convert counts 1, a tie ½.
fn pairwise_auc(scores: &[f64], converted: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &a) in scores.iter().enumerate() {
        for (j, &b) in scores.iter().enumerate() {
            if converted[i] && !converted[j] {
                pairs += 1.0;
                wins += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    wins / pairs
}

#[test]
fn evaluate_ranks_the_crms_own_score_beside_leadscores() {
    let dir = tempfile::tempdir().unwrap();
    let (data, model, _) = trained_contacts(dir.path());
    let report = dir.path().join("report");
    let output = leadscore()
        .args(["evaluate", "--compare-column", "HubSpot Score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    let compared = (json["headline"].as_array().unwrap().iter())
        .find(|h| h["kind"] == "compared")
        .expect("a headline row for the compared column")
        .clone();
    assert_eq!(compared["label"], "HubSpot Score");
    assert!(
        compared["log_loss"].is_null() && compared["ece"].is_null(),
        "{compared}"
    );
    let mut reader = csv::Reader::from_path(&data).unwrap();
    let (mut scores, mut converted) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.unwrap();
        scores.push(record[6].parse::<f64>().unwrap());
        converted.push(&record[7] == "true");
    }
    let expected = pairwise_auc(&scores, &converted);
    let got = compared["roc_auc"].as_f64().unwrap();
    assert!(
        (got - expected).abs() < 1e-12,
        "{got} against {expected} counted by pairs"
    );
    assert!(json["gains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["kind"] == "compared"));
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("a score the CRM keeps updating"), "{warnings}");
    assert!(std::fs::read_to_string(report.join("report.md"))
        .unwrap()
        .contains("| HubSpot Score |"));

    // Not a number, or not there: the data is refused, and no report is left.
    for (column, says) in [
        ("Lifecycle Stage", "row 1: \"subscriber\" is not a number"),
        ("Score", "no such column"),
    ] {
        let out = dir.path().join(format!("bad-{column}"));
        let output = leadscore()
            .args(["evaluate", "--compare-column", column, "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
        assert!(stderr_of(&output).contains(says), "{}", stderr_of(&output));
        assert!(!out.exists());
    }
}

#[test]
fn a_column_declared_a_date_reads_spreadsheet_serial_dates() {
    let dir = tempfile::tempdir().unwrap();
    // First Contact as spreadsheets keep dates: days since 1899-12-30 (45292 is 1 January 2024).
    let mut csv = String::from("lead_id,First Contact,visits,converted\n");
    for i in 0..600 {
        let visits = (i * 7) % 13;
        let converted = u8::from(visits + (i * 31) % 11 > 14);
        csv.push_str(&format!("L{i},{},{visits},{converted}\n", 45292 + i % 300));
    }
    let data = write(dir.path(), "leads.csv", csv);
    let config = write(
        dir.path(),
        "leadscore.toml",
        "[data]\ntarget = \"converted\"\nas_of = \"2025-01-01\"\n[features]\ntypes = { \"First Contact\" = \"datetime\" }\n",
    );
    let model = dir.path().join("model.lsm");
    let said = trained(&data, &model, &[&"--id", &"lead_id", &"--config", &config]);
    assert!(
        said.contains("First Contact: date, as an Excel serial number"),
        "{said}"
    );
    assert!(
        input_names(&model)
            .iter()
            .any(|n| n.starts_with("First Contact: age in days")),
        "{said}"
    );
    // Leads first contacted 1 January 2024 (45292) to 26 October 2024 (45591), 366 to 67 days
    // before the cutoff: the median age is 216.5 days.
    let steps = inspect_json(&model)["artifact"]["pipeline"]["steps"].clone();
    let age = (steps.as_array().unwrap().iter())
        .find(|s| s["feature"] == "First Contact: age in days")
        .expect("an age feature");
    let encoding = &age["encoding"];
    let median = encoding["Numeric"]["median"]
        .as_f64()
        .or(encoding["Shaped"]["median"].as_f64());
    assert_eq!(median, Some(216.5), "{age}");
    let scored = common::scored_bytes(&model, &data, &dir.path().join("s.csv"), "2025-01-01");
    assert!(!dir.path().join("s.rejects.csv").exists());
    assert_eq!(String::from_utf8(scored).unwrap().lines().count(), 601);
}

/// Leads with `Interests` as HubSpot's multiple checkboxes write it: `CRM;Ads`, `CRM ; SEO`.
fn interests_leads(dir: &Path, name: &str, n: usize, offset: usize) -> std::path::PathBuf {
    let labels = ["Analytics", "CRM", "Ads", "SEO"];
    let mut csv = String::from("lead_id,Interests,visits,converted\n");
    for i in offset..offset + n {
        let chosen: Vec<&str> = (0..4)
            .filter(|l| ((i * 7919 + l * 104_729) / 7) % 3 == 0)
            .map(|l| labels[l])
            .collect();
        let separator = if i % 4 == 0 { " ; " } else { ";" };
        let visits = (i * 13) % 11;
        let score = visits as i64 + if chosen.contains(&"CRM") { 5 } else { 0 } + ((i * 31) % 9) as i64;
        csv.push_str(&format!(
            "L{i},{},{visits},{}\n",
            chosen.join(separator),
            u8::from(score > 10)
        ));
    }
    write(dir, name, csv)
}

#[test]
fn a_multi_valued_column_becomes_one_input_per_label() {
    let dir = tempfile::tempdir().unwrap();
    let data = interests_leads(dir.path(), "leads.csv", 1500, 0);
    let model = dir.path().join("model.lsm");
    let said = trained(&data, &model, &[&"--target", &"converted", &"--id", &"lead_id"]);
    assert!(
        said.contains("multi-valued  Interests: 4 labels (Ads, Analytics, CRM, SEO)"),
        "{said}"
    );
    let inputs = input_names(&model);
    for label in [
        "Interests: Ads",
        "Interests: Analytics",
        "Interests: CRM",
        "Interests: SEO",
    ] {
        assert!(inputs.iter().any(|n| n == label), "{inputs:?}");
    }
    let factors = inspect_json(&model)["factors"].to_string();
    assert!(factors.contains("Interests: CRM"), "{factors}");
    // A batch where nobody ticked SEO scores all the same: the label counts 0 for every lead.
    let batch = dir.path().join("batch.csv");
    let text = std::fs::read_to_string(interests_leads(dir.path(), "next.csv", 400, 1500)).unwrap();
    std::fs::write(
        &batch,
        text.replace(";SEO", "").replace(" ; SEO", "").replace("SEO", ""),
    )
    .unwrap();
    let scored = String::from_utf8(common::scored_bytes(
        &model,
        &batch,
        &dir.path().join("s.csv"),
        "2026-01-01",
    ))
    .unwrap();
    assert_eq!(scored.lines().count(), 401);
    assert!(scored.contains("Interests: CRM: yes"), "{scored}");
    assert!(!dir.path().join("s.rejects.csv").exists());
}

#[test]
fn a_column_declared_multi_valued_is_split_though_few_of_its_cells_hold_two_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead_id,Products,converted\n");
    for i in 0..600 {
        let products = match i % 40 {
            0 => "CRM;Analytics",
            k if k % 2 == 0 => "CRM",
            _ => "Analytics",
        };
        csv.push_str(&format!(
            "L{i},{products},{}\n",
            u8::from(i % 2 == 0 && i % 3 != 0 || i % 7 == 0)
        ));
    }
    let data = write(dir.path(), "leads.csv", csv);
    let train = |config: Option<&str>| {
        let model = dir.path().join("m.lsm");
        let config = write(dir.path(), "c.toml", config.unwrap_or_default());
        trained(
            &data,
            &model,
            &[&"--target", &"converted", &"--id", &"lead_id", &"--config", &config],
        );
        input_names(&model)
    };
    // Undeclared, one cell in forty holding a `;` is a category of its own.
    assert!(
        train(None).iter().any(|n| n == "Products = CRM;Analytics"),
        "{:?}",
        train(None)
    );
    let declared = train(Some("[features]\ntypes = { \"Products\" = \"multi\" }\n"));
    assert_eq!(
        declared
            .iter()
            .filter(|n| n.starts_with("Products"))
            .collect::<Vec<_>>(),
        ["Products: Analytics", "Products: CRM"]
    );
}
