//! Bad input is rejected with exit code 3 and a message naming the file, column, row and fix;
//! no model file is left behind.

mod common;

use std::path::Path;

use common::{leadscore, small_leads_csv, stderr_of, write};

/// Runs `train` on `data` (plus `extra` flags) and returns the error message; checks exit code
/// 3 and that no model file was written.
fn rejected(dir: &Path, data: &Path, extra: &[&str]) -> String {
    let model = dir.join("model.lsm");
    let output = leadscore()
        .args(["train", "--data"])
        .arg(data)
        .args(extra)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "expected exit 3, got {:?}: {message}",
        output.status.code()
    );
    assert!(!model.exists(), "no model file after a rejected run");
    assert!(!message.contains("panicked"), "{message}");
    message
}

#[test]
fn missing_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let message = rejected(dir.path(), &dir.path().join("nope.csv"), &[]);
    assert!(
        message.contains("nope.csv") && message.contains("no such file"),
        "{message}"
    );
    let empty = write(dir.path(), "empty.csv", "");
    assert!(rejected(dir.path(), &empty, &[]).contains("the file is empty"));
    let header_only = write(dir.path(), "header.csv", "lead_id,visits,converted\n");
    assert!(rejected(dir.path(), &header_only, &[]).contains("no rows"));
}

#[test]
fn outcome_problems_name_column_row_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(50));
    let message = rejected(dir.path(), &data, &["--target", "won"]);
    assert!(
        message.contains("column \"won\"") && message.contains("converted"),
        "lists the columns: {message}"
    );

    let no_target = write(dir.path(), "no_target.csv", "lead_id,visits\nL1,3\nL2,4\n");
    assert!(rejected(dir.path(), &no_target, &[]).contains("--target"));

    let one_class = write(dir.path(), "one.csv", small_leads_csv(50).replace(",1\n", ",0\n"));
    assert!(rejected(dir.path(), &one_class, &[]).contains("same outcome"));

    let mut text = small_leads_csv(50);
    text = text.replacen(",0\n", ",maybe\n", 1);
    let bad = write(dir.path(), "bad.csv", &text);
    let message = rejected(dir.path(), &bad, &[]);
    let row = text.lines().skip(1).position(|l| l.ends_with(",maybe")).unwrap() + 1;
    assert!(
        message.contains(&format!("row {row}"))
            && message.contains("\"maybe\"")
            && message.contains("column \"converted\""),
        "{message}"
    );
}

#[test]
fn column_problems() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead_id,visits,fax,converted\n");
    for i in 0..60 {
        csv.push_str(&format!("L{i},{},,{}\n", i % 7, i % 2));
    }
    let all_missing = write(dir.path(), "fax.csv", &csv);
    let message = rejected(dir.path(), &all_missing, &[]);
    assert!(
        message.contains("column \"fax\"") && message.contains("--exclude \"fax\""),
        "{message}"
    );

    let infinite = write(
        dir.path(),
        "inf.csv",
        csv.replace("L7,0,", "L7,inf,").replace(",,", ",1,"),
    );
    let message = rejected(dir.path(), &infinite, &[]);
    assert!(
        message.contains("column \"visits\"") && message.contains("row 8") && message.contains("finite"),
        "{message}"
    );

    let unknown = rejected(dir.path(), &all_missing, &["--exclude", "Faxx"]);
    assert!(
        unknown.contains("column \"Faxx\"") && unknown.contains("\"fax\""),
        "{unknown}"
    );
}

#[test]
fn config_problems_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(50));
    let config = write(
        dir.path(),
        "leadscore.toml",
        "[data]\ntarget = \"converted\"\n\n[model]\nfoldz = 3\n",
    );
    let message = rejected(dir.path(), &data, &["--config", config.to_str().unwrap()]);
    assert!(
        message.contains("leadscore.toml") && message.contains("line 5") && message.contains("foldz"),
        "{message}"
    );

    let unknown_column = write(dir.path(), "cols.toml", "[features]\nexclude = [\"Tagz\"]\n");
    let message = rejected(dir.path(), &data, &["--config", unknown_column.to_str().unwrap()]);
    assert!(message.contains("Tagz"), "{message}");
}

#[test]
fn malformed_rows_and_bad_bytes_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = small_leads_csv(40);
    text = text.replacen("L5,", "L5,1,extra,", 1);
    let ragged = write(dir.path(), "ragged.csv", &text);
    let message = rejected(dir.path(), &ragged, &[]);
    assert!(message.contains("line 7") && message.contains("fields"), "{message}");

    let mut bytes = small_leads_csv(40).into_bytes();
    let at = bytes.windows(3).position(|w| w == b"L9,").unwrap();
    bytes.splice(at..at + 2, [b'L', 0xff, 0xfe]);
    let latin = write(dir.path(), "latin.csv", &bytes);
    let message = rejected(dir.path(), &latin, &[]);
    assert!(message.contains("UTF-8") && message.contains("line 11"), "{message}");
}

#[test]
fn usage_errors_exit_2() {
    let output = leadscore().args(["train", "--data", "x.csv"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--out"));
    let output = leadscore()
        .args(["synth", "--leads", "0", "--out", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
