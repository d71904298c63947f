//! The report opened as a reviewer opens it: `report.html` in headless Chromium renders without
//! console errors, with its six charts, and a screenshot is saved for people to look at.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it and sets `LEADSCORE_REQUIRE_BROWSER=1`, so
//! there the test cannot be skipped); elsewhere it is skipped with a notice when Chromium is
//! missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{leadscore, stderr_of};

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("LEADSCORE_CHROMIUM").ok(),
        Some("/usr/bin/chromium".into()),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() && std::env::var("LEADSCORE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("LEADSCORE_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Chromium, headless and offline, on `page`, with `extra` flags: (stdout, stderr).
fn open(browser: &Path, profile: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium");
    assert!(output.status.success(), "chromium failed: {}", stderr_of(&output));
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr_of(&output))
}

/// The page as the browser built it: every chart of `charts` is there as SVG (and no other),
/// and nothing went wrong.
fn rendered(browser: &Path, profile: &Path, page: &Path, charts: &[&str]) {
    let (dom, log) = open(browser, profile, page, &["--dump-dom"]);
    for chart in charts {
        let start = dom
            .find(&format!("<figure id=\"chart-{chart}\">"))
            .unwrap_or_else(|| panic!("chart {chart} is missing from the rendered page"));
        let figure = &dom[start..start + dom[start..].find("</figure>").unwrap()];
        assert!(
            figure.contains("<svg") && figure.contains("<line"),
            "chart {chart} is empty"
        );
    }
    assert_eq!(dom.matches("<svg").count(), charts.len());
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
}

#[test]
fn the_report_renders_in_chromium_with_its_charts() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: Chromium is not installed (set LEADSCORE_REQUIRE_BROWSER=1 to require it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let output = leadscore()
        .args(["demo", "--leads", "20000", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let page = out.join("report/report.html").canonicalize().unwrap();
    let profile = dir.path().join("chromium-profile");

    rendered(
        &browser,
        &profile,
        &page,
        &["reliability", "histogram", "roc", "gains", "buckets", "capacity"],
    );

    // A screenshot of the top of the report, for people (target/tmp/report.png).
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    open(
        &browser,
        &profile,
        &page,
        &[
            "--window-size=1280,2600",
            &format!("--screenshot={}", screenshot.display()),
        ],
    );
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert_eq!(&png[1..4], b"PNG");
    // A blank page compresses to a few kilobytes; a page of tables and charts does not.
    assert!(
        png.len() > 100_000,
        "the screenshot is nearly empty ({} bytes)",
        png.len()
    );
    eprintln!("screenshot of the report: {}", screenshot.display());
}

#[test]
fn the_comparison_and_the_backtest_render_in_chromium_with_their_charts() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: Chromium is not installed (set LEADSCORE_REQUIRE_BROWSER=1 to require it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let output = leadscore()
        .args(["synth", "--drift", "--leads", "12000", "--out"])
        .arg(&history)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    let run = |args: &[&std::ffi::OsStr]| {
        let output = leadscore().args(args).output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    let (leads, events) = (history.join("leads.csv"), history.join("events.csv"));
    let (with_events, without) = (dir.path().join("a.lsm"), dir.path().join("b.lsm"));
    for (model, extra) in [
        (&with_events, vec!["--events".as_ref(), events.as_os_str()]),
        (&without, vec![]),
    ] {
        let mut args: Vec<&std::ffi::OsStr> = vec!["train".as_ref(), "--config".as_ref(), config.as_ref()];
        args.extend([
            "--data".as_ref(),
            leads.as_os_str(),
            "--out".as_ref(),
            model.as_os_str(),
        ]);
        args.extend(extra);
        run(&args);
    }
    let compared = dir.path().join("compare");
    run(&[
        "compare".as_ref(),
        "--model".as_ref(),
        without.as_os_str(),
        "--model".as_ref(),
        with_events.as_os_str(),
        "--data".as_ref(),
        leads.as_os_str(),
        "--events".as_ref(),
        events.as_os_str(),
        "--out".as_ref(),
        compared.as_os_str(),
    ]);
    let backtest = dir.path().join("backtest");
    run(&[
        "backtest".as_ref(),
        "--config".as_ref(),
        config.as_ref(),
        "--periods".as_ref(),
        "3".as_ref(),
        "--data".as_ref(),
        leads.as_os_str(),
        "--events".as_ref(),
        events.as_os_str(),
        "--out".as_ref(),
        backtest.as_os_str(),
    ]);
    let profile = dir.path().join("chromium-profile");
    rendered(
        &browser,
        &profile,
        &compared.join("compare.html").canonicalize().unwrap(),
        &["roc", "gains"],
    );
    rendered(
        &browser,
        &profile,
        &backtest.join("backtest.html").canonicalize().unwrap(),
        &["auc", "ece"],
    );
}

#[test]
fn a_report_with_segments_renders_each_segments_charts_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: Chromium is not installed (set LEADSCORE_REQUIRE_BROWSER=1 to require it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let run = |args: &[&std::ffi::OsStr]| {
        let output = leadscore().args(args).output().unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    run(&[
        "synth".as_ref(),
        "--segments".as_ref(),
        "--leads".as_ref(),
        "12000".as_ref(),
        "--out".as_ref(),
        history.as_os_str(),
    ]);
    // A model per product line; CRM's sales team calls leads from a lower score.
    let config = common::segments_config(dir.path());
    let (leads, model, report) = (
        history.join("leads.csv"),
        dir.path().join("segments.lsm"),
        dir.path().join("report"),
    );
    run(&[
        "train".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data".as_ref(),
        leads.as_os_str(),
        "--out".as_ref(),
        model.as_os_str(),
    ]);
    run(&[
        "evaluate".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--data".as_ref(),
        leads.as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
        "--segment-capacity".as_ref(),
        "CRM=15".as_ref(),
    ]);
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("MQL thresholds for each segment"),
        "the CRM team's threshold"
    );
    rendered(
        &browser,
        &dir.path().join("chromium-profile"),
        &report.join("report.html").canonicalize().unwrap(),
        &[
            "reliability",
            "histogram",
            "roc",
            "gains",
            "buckets",
            "capacity",
            "segment_reliability",
            "segment_gains",
        ],
    );
}
