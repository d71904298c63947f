//! Ctrl-C, SIGTERM and kill -9 while scoring with events in batches: nothing may be left in
//! TMPDIR or beside --out, and after a kill -9 the next run removes what the killed one left.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Synthetic leads with events, and a model of them that uses events; large enough that
/// splitting the events by batch and scoring take a few seconds.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let (history, batch) = common::history_and_batch(dir, 20_000, 400_000, 11);
    let model = dir.join("model.lsm");
    common::train_synth(&history, &model, &[]);
    (model, batch)
}

/// `score` with events in 1 MiB batches, its temporary files in `tmp`.
fn start_scoring(model: &Path, batch: &Path, out: &Path, tmp: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("leadscore"))
        .args(["score", "--batch-mib", "1"])
        .args(common::batch_args(model, batch, out))
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start score")
}

/// Everything in `dir` (not in its subfolders).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Waits until `ready` holds (or fails after a minute).
fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "never saw {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn interrupted_or_killed_scoring_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (model, batch) = setup(dir.path());
    let tmp = dir.path().join("tmp");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("scored.csv");

    // Ctrl-C or SIGTERM while the events are split, and while the scores are written.
    for (signal_name, moment) in [
        ("INT", "split"),
        ("TERM", "split"),
        ("INT", "scores"),
        ("TERM", "scores"),
    ] {
        let mut child = start_scoring(&model, &batch, &out, &tmp);
        match moment {
            "split" => wait_for("the events split", || !entries(&tmp).is_empty()),
            _ => wait_for("the scores being written", || !entries(&out_dir).is_empty()),
        }
        signal(&child, signal_name);
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(130),
            "SIGINT/SIGTERM during the {moment}: {status:?}"
        );
        assert!(entries(&tmp).is_empty(), "left in TMPDIR: {:?}", entries(&tmp));
        assert!(
            entries(&out_dir).is_empty(),
            "left beside --out: {:?}",
            entries(&out_dir)
        );
    }

    // kill -9 cannot be caught: what it leaves, the next run removes.
    let mut child = start_scoring(&model, &batch, &out, &tmp);
    wait_for("the scores being written", || !entries(&out_dir).is_empty());
    signal(&child, "KILL");
    child.wait().unwrap();
    assert!(!entries(&out_dir).is_empty() || !entries(&tmp).is_empty());
    let status = start_scoring(&model, &batch, &out, &tmp).wait().unwrap();
    assert!(status.success());
    assert!(entries(&tmp).is_empty(), "left in TMPDIR: {:?}", entries(&tmp));
    assert_eq!(entries(&out_dir), ["scored.csv"]);
}
