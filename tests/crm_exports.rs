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
            "{},p{i}@example.com,{}/{day}/2024 5:14 AM,{stage},{pageviews},{source},{score},{converted}\n",
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
    let data = hubspot_contacts(dir.path(), 1500);
    let model = dir.path().join("model.lsm");
    let output = train(&data, &model, None);
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{said}");
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
