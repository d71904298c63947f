//! Helpers shared by the CLI tests: run the real binary on files in a temporary folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `leadscore` binary.
pub fn leadscore() -> Command {
    Command::cargo_bin("leadscore").expect("the leadscore binary is built")
}

/// Writes `content` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write fixture");
    path
}

/// `data/synth.toml` with a model per product line (segments of 300+ leads and 30+
/// conversions, pulls 1 and 16), whose CRM sales team calls leads from a lower score in bands of
/// its own (cut at 5 and 12, MQL at 9): written to `dir/segments.toml`.
pub fn segments_config(dir: &Path) -> PathBuf {
    write(
        dir,
        "segments.toml",
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml")).unwrap()
            + "\n[segments]\nby = \"product_line\"\nmin_leads = 300\nmin_conversions = 30\npull = [1, 16]\n"
            + "\n[[segments.override]]\nvalue = \"CRM\"\ncuts = [5, 12]\nmql = 9\n",
    )
}

/// A small lead file whose outcome depends on `visits` and `source`, `n` rows.
pub fn small_leads_csv(n: usize) -> String {
    let mut csv = String::from("lead_id,visits,source,job_level,converted\n");
    for i in 0..n {
        let visits = (i * 7) % 13;
        let source = ["Referral", "Organic", "Paid"][i % 3];
        let level = ["Manager", "Select", "Director", "Student"][i % 4];
        // Deterministic but noisy outcome: more visits and referrals convert more.
        let score = visits as i64 + if source == "Referral" { 4 } else { 0 } + ((i * 31) % 11) as i64;
        let converted = u8::from(score > 14);
        csv.push_str(&format!("L{i},{visits},{source},{level},{converted}\n"));
    }
    csv
}

/// Standard error of a finished command as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output of a finished command as text.
pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `leadscore inspect MODEL --json`, parsed.
pub fn inspect_json(model: &Path) -> serde_json::Value {
    let output = leadscore()
        .arg("inspect")
        .arg(model)
        .arg("--json")
        .output()
        .expect("run inspect");
    assert!(output.status.success(), "inspect failed: {}", stderr_of(&output));
    serde_json::from_slice(&output.stdout).expect("inspect --json prints JSON")
}

/// `leadscore train --data DATA --out MODEL`, which must succeed.
pub fn train(data: &Path, model: &Path) {
    let output = leadscore()
        .args(["train", "--data"])
        .arg(data)
        .arg("--out")
        .arg(model)
        .output()
        .expect("run train");
    assert!(output.status.success(), "train failed: {}", stderr_of(&output));
}

/// `leadscore synth --leads N --seed S --out DIR`, which must succeed.
pub fn synth(out: &Path, leads: usize, seed: u64) {
    let output = leadscore()
        .args([
            "synth",
            "--leads",
            &leads.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run synth");
    assert!(output.status.success(), "synth failed: {}", stderr_of(&output));
}

/// Trains on synthetic `history` (leads and events) with `data/synth.toml` and `extra` flags;
/// must succeed. Returns what train printed.
pub fn train_synth(history: &Path, model: &Path, extra: &[&str]) -> String {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    let output = leadscore()
        .args(["train", "--config", config])
        .args(extra)
        .arg("--data")
        .arg(history.join("leads.csv"))
        .arg("--events")
        .arg(history.join("events.csv"))
        .arg("--out")
        .arg(model)
        .output()
        .expect("run train");
    assert!(output.status.success(), "train failed: {}", stderr_of(&output));
    stdout_of(&output)
}

/// Synthetic historical leads (`history/`, `leads` of them, seed `seed`) and a new batch
/// (`batch/`, seed `seed + 1`) under `dir`.
pub fn history_and_batch(dir: &Path, leads: usize, batch: usize, seed: u64) -> (PathBuf, PathBuf) {
    let (history_dir, batch_dir) = (dir.join("history"), dir.join("batch"));
    synth(&history_dir, leads, seed);
    synth(&batch_dir, batch, seed + 1);
    (history_dir, batch_dir)
}

/// The shipped example rules.
pub const EXAMPLE_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules/example.toml");

/// `--model MODEL --data BATCH/leads.csv --events BATCH/events.csv --out OUT`: a synthetic
/// batch of leads with their events, as `score` and `evaluate` take it.
pub fn batch_args(model: &Path, batch: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "--model".into(),
        model.into(),
        "--data".into(),
        batch.join("leads.csv").into(),
        "--events".into(),
        batch.join("events.csv").into(),
        "--out".into(),
        out.into(),
    ]
}

/// `leadscore score` of a synthetic `batch` (leads and events) with `model` into `out`.
pub fn score_with_events(model: &Path, batch: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    leadscore()
        .arg("score")
        .args(extra)
        .args(batch_args(model, batch, out))
        .output()
        .unwrap()
}

/// `leadscore score --as-of AS_OF --model MODEL --data DATA --out OUT`, which must succeed: the
/// scores file's bytes.
pub fn scored_bytes(model: &Path, data: &Path, out: &Path, as_of: &str) -> Vec<u8> {
    let output = leadscore()
        .args(["score", "--as-of", as_of, "--model"])
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(output.status.success(), "score failed: {}", stderr_of(&output));
    std::fs::read(out).unwrap()
}
