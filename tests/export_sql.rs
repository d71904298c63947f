//! `leadscore export-sql`: the query scores leads on DuckDB, PostgreSQL and Spark SQL exactly as
//! `leadscore score` does — probabilities to 1e-9, the same 0–100 score, band, MQL flag and rule
//! points — on synthetic leads (dates, e-mail domains, snapshots, column rules of every kind) and
//! on leads whose column names and values need escaping.
//!
//! The engines run through tests/sql/run_query.py: DuckDB and Spark (`local[2]`) from PyPI,
//! PostgreSQL from Debian in a throw-away cluster. Where one is not installed its check is skipped with a notice, unless
//! `LEADSCORE_REQUIRE_SQL_ENGINES=1` (set by `.ci/run`).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{leadscore, stderr_of, write};

const ENGINES: [&str; 3] = ["duckdb", "postgres", "spark"];

/// One scored lead: score, probability, band, mql, model probability, rule points.
#[derive(Debug, Clone, PartialEq)]
struct Scored {
    score: i64,
    probability: f64,
    band: String,
    mql: bool,
    model_probability: f64,
    rule_points: Option<f64>,
}

fn flag(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "true" | "t" | "1")
}

/// `leadscore score` to Parquet (doubles kept exactly), by lead id.
fn score_with_leadscore(model: &Path, data: &Path, events: Option<&Path>, dir: &Path) -> HashMap<String, Scored> {
    use polars::prelude::*;
    let out = dir.join("scored.parquet");
    let mut command = leadscore();
    command
        .args(["score", "--as-of", "2026-01-01", "--model"])
        .arg(model)
        .arg("--data")
        .arg(data);
    if let Some(events) = events {
        command.arg("--events").arg(events);
    }
    let output = command.arg("--out").arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let frame = ParquetReader::new(std::fs::File::open(&out).unwrap()).finish().unwrap();
    let column = |name: &str| frame.column(name).unwrap().as_materialized_series().clone();
    let ids = column(frame.get_column_names()[0].as_str());
    let (score, probability, band, mql, model_probability) = (
        column("score"),
        column("probability"),
        column("band"),
        column("mql"),
        column("model_probability"),
    );
    let points = frame
        .column("rule_points")
        .ok()
        .map(|c| c.as_materialized_series().clone());
    (0..frame.height())
        .map(|r| {
            let text = |s: &Series| s.str_value(r).unwrap().to_string();
            let number = |s: &Series| s.get(r).unwrap().extract::<f64>().unwrap();
            (
                text(&ids),
                Scored {
                    score: number(&score) as i64,
                    probability: number(&probability),
                    band: text(&band),
                    mql: flag(&text(&mql)),
                    model_probability: number(&model_probability),
                    rule_points: points.as_ref().map(number),
                },
            )
        })
        .collect()
}

/// The query on `engine`, by lead id; `None` when the engine is not installed here.
fn score_with_sql(
    engine: &str,
    model: &Path,
    data: &Path,
    events: Option<&Path>,
    dir: &Path,
) -> Option<HashMap<String, Scored>> {
    let sql = dir.join(format!("score-{engine}.sql"));
    let mut command = leadscore();
    command.args([
        "export-sql",
        "--as-of",
        "2026-01-01",
        "--table",
        "leads",
        "--dialect",
        engine,
        "--model",
    ]);
    command.arg(model).arg("--out").arg(&sql);
    if events.is_some() {
        command.args(["--events-table", "events"]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let result = dir.join(format!("result-{engine}.csv"));
    let mut command = std::process::Command::new("python3");
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sql/run_query.py"))
        .args(["--engine", engine, "--sql"])
        .arg(&sql)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(&result);
    if let Some(events) = events {
        command.arg("--events").arg(events);
    }
    let output = command.output().expect("python3 runs");
    if output.status.code() == Some(2) {
        assert!(
            std::env::var("LEADSCORE_REQUIRE_SQL_ENGINES").as_deref() != Ok("1"),
            "LEADSCORE_REQUIRE_SQL_ENGINES=1 but {engine} is not installed: {}",
            stderr_of(&output)
        );
        eprintln!("skipped {engine}: {}", stderr_of(&output).trim());
        return None;
    }
    assert!(
        output.status.success(),
        "{engine} failed on the query:\n{}",
        stderr_of(&output)
    );
    let mut reader = csv::Reader::from_path(&result).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let at = |name: &str| headers.iter().position(|h| h == name);
    Some(
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                let number = |k: usize| r[k].parse::<f64>().unwrap();
                (
                    r[0].to_string(),
                    Scored {
                        score: number(at("score").unwrap()) as i64,
                        probability: number(at("probability").unwrap()),
                        band: r[at("band").unwrap()].to_string(),
                        mql: flag(&r[at("mql").unwrap()]),
                        model_probability: number(at("model_probability").unwrap()),
                        rule_points: at("rule_points").map(number),
                    },
                )
            })
            .collect(),
    )
}

/// Every lead scores the same with the query on every installed engine.
fn assert_parity(model: &Path, data: &Path, events: Option<&Path>, dir: &Path) -> usize {
    let expected = score_with_leadscore(model, data, events, dir);
    let mut engines = 0;
    for engine in ENGINES {
        let Some(got) = score_with_sql(engine, model, data, events, dir) else {
            continue;
        };
        engines += 1;
        assert_eq!(got.len(), expected.len(), "{engine}: one row per lead");
        for (id, want) in &expected {
            let have = got.get(id).unwrap_or_else(|| panic!("{engine}: lead {id} is missing"));
            assert!(
                (have.probability - want.probability).abs() < 1e-9
                    && (have.model_probability - want.model_probability).abs() < 1e-9,
                "{engine}, lead {id}: {have:?} vs {want:?}"
            );
            // The 0–100 score may differ by one only at an exact .5 tie.
            let tie = (100.0 * want.probability).fract() == 0.5;
            assert!(
                have.score == want.score || (tie && (have.score - want.score).abs() == 1),
                "{engine}, lead {id}: score {} vs {}",
                have.score,
                want.score
            );
            assert_eq!((&have.band, have.mql), (&want.band, want.mql), "{engine}, lead {id}");
            assert_eq!(have.rule_points, want.rule_points, "{engine}, lead {id}");
        }
    }
    engines
}

/// Trains on the synthetic `history` leads alone (no events) with `config` and `extra` flags.
fn train_without_events(history: &Path, model: &Path, config: &Path, extra: &[&str]) {
    let output = leadscore()
        .args(["train", "--config"])
        .arg(config)
        .args(extra)
        .arg("--data")
        .arg(history.join("leads.csv"))
        .arg("--out")
        .arg(model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn synthetic_leads_with_column_rules_score_the_same_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = common::history_and_batch(dir.path(), 6000, 1500, 31);
    let model = dir.path().join("model.lsm");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/column_rules.toml");
    train_without_events(&history, &model, Path::new(config), &["--rules", rules]);
    let engines = assert_parity(&model, &batch.join("leads.csv"), None, dir.path());
    eprintln!("parity checked on {engines} engines");

    // Isotonic calibration becomes a CASE over its thresholds with interpolation.
    let isotonic = write(
        dir.path(),
        "isotonic.toml",
        format!(
            "{}\n[blend]\ncalibration = \"isotonic\"\n",
            std::fs::read_to_string(config).unwrap()
        ),
    );
    let model = dir.path().join("isotonic.lsm");
    train_without_events(&history, &model, &isotonic, &[]);
    assert!(common::inspect_json(&model)["artifact"]["scorer"]["calibration"]["Isotonic"].is_object());
    assert_parity(&model, &batch.join("leads.csv"), None, dir.path());
}

#[test]
fn column_names_and_values_that_need_escaping() {
    // Spaces, quotes and percent signs in names; quotes, % and _ in values; numbers with
    // missing-value tokens; a yes/no column; a rule on a number and one on a flag.
    let mut csv = String::from("Lead ID,Lead Source,\"Total \"\"Visits\"\"\",Do Not Email,Spend %,converted\n");
    let sources = ["O'Brien & Co", "100% organic", "partner_x", "Referral", "Select"];
    for i in 0..1200 {
        let source = sources[i % 5];
        let visits = match i % 11 {
            0 => "NA".to_string(),
            1 => String::new(),
            k => (k * 3 + i % 7).to_string(),
        };
        let no_email = if i % 4 == 0 { "Yes" } else { "No" };
        let spend = format!("{:.2}", (i % 37) as f64 * 1.5);
        let score = (i % 11) as i64 + if source == "Referral" { 5 } else { 0 } - if no_email == "Yes" { 3 } else { 0 }
            + ((i * 31) % 13) as i64;
        let converted = u8::from(score > 14);
        let source = if source.contains(['\'', '&']) {
            format!("\"{source}\"")
        } else {
            source.to_string()
        };
        csv.push_str(&format!("L{i},{source},{visits},{no_email},{spend},{converted}\n"));
    }
    let data = write(dir_path(), "tricky.csv", &csv);
    let rules = write(
        dir_path(),
        "rules.toml",
        r#"
[[rules]]
name = "many visits"
column = 'Total "Visits"'
at_least = 20
points = 10

[[rules]]
name = "emailable"
column = "Do Not Email"
equals = "no"
points = 5

[[rules]]
name = "irish"
column = "Lead Source"
contains = "o'brien"
points = 7

[[rules]]
name = "percent"
column = "Lead Source"
regex = "^100% org"
points = 3
"#,
    );
    let model = dir_path().join("tricky.lsm");
    let output = leadscore()
        .args(["train", "--target", "converted", "--id", "Lead ID", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_parity(&model, &data, None, dir_path());
}

fn dir_path() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

#[test]
fn events_and_event_rules_aggregate_in_sql_as_of_each_cutoff() {
    // Engagement features from events, and the example rules: events counted once or each time
    // up to a cap, within days, by form, URL and e-mail, privacy-proxy opens left out, and decay
    // since the last human activity.
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = common::history_and_batch(dir.path(), 6000, 1500, 33);
    let model = dir.path().join("events.lsm");
    common::train_synth(&history, &model, &["--rules", common::EXAMPLE_RULES]);
    assert_parity(
        &model,
        &batch.join("leads.csv"),
        Some(&batch.join("events.csv")),
        dir.path(),
    );

    // Without the events table the query cannot be written; it says what to add.
    let out = dir.path().join("score.sql");
    let output = leadscore()
        .args(["export-sql", "--dialect", "duckdb", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr_of(&output).contains("--events-table"), "{}", stderr_of(&output));
    assert!(!out.exists());
}

#[test]
fn each_dialect_avoids_its_traps() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", common::small_leads_csv(600));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);
    let query = |dialect: &str| {
        let out = dir.path().join(format!("{dialect}.sql"));
        let output = leadscore()
            .args(["export-sql", "--dialect", dialect, "--model"])
            .arg(&model)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        std::fs::read_to_string(out).unwrap()
    };
    // The query without its header comment.
    let body = |sql: String| -> String {
        sql.lines()
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (spark, postgres, duckdb) = (body(query("spark")), body(query("postgres")), body(query("duckdb")));
    // Spark reads "x" as a string literal: identifiers are in backticks there, and only there.
    assert!(spark.contains("`visits`") && !spark.contains("\"visits\""));
    assert!(postgres.contains("\"visits\"") && !postgres.contains('`'));
    // Never LOG (base 10 in DuckDB and PostgreSQL), never DOUBLE PRECISION in Spark, doubles
    // written with an exponent (a bare 0.1 is DECIMAL), and EXP only of a clamped value.
    for sql in [&spark, &postgres, &duckdb] {
        assert!(!sql.contains("LOG("));
        assert!(sql.contains("EXP(-(LEAST(GREATEST("));
        assert!(sql.contains("E0"));
        assert!(!sql.contains("--"), "nothing in the query may read as a comment");
    }
    assert!(!spark.contains("DOUBLE PRECISION"));
    assert!(postgres.contains("AS DOUBLE PRECISION)"));
    assert!(spark.contains("TRY_CAST") && duckdb.contains("TRY_CAST") && !postgres.contains("TRY_CAST"));
}

#[test]
fn two_thousand_rules_stay_within_every_engine_s_limits() {
    // One sum of ~500 CASE terms overflows Spark's stack and ~2,000 exceed DuckDB's expression
    // depth; a parser fed one expression of thousands of terms runs out of memory. The query
    // sums rules in small parts, each a balanced tree.
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = common::history_and_batch(dir.path(), 3000, 500, 35);
    let fragments = [
        "soft", "ware", "fin", "ance", "media", "health", "care", "retail", "gov", "educ",
    ];
    let mut rules = String::new();
    for k in 0..2000 {
        let fragment = format!("{}{}", fragments[k % 10], &fragments[(k / 10) % 10][..2]);
        let points = (k % 11) as i64 - 5;
        rules.push_str(&format!(
            "[[rules]]\nname = \"r{k}\"\ncolumn = \"industry\"\ncontains = \"{fragment}\"\npoints = {points}\n\n"
        ));
    }
    let rules = write(dir.path(), "many.toml", rules);
    let model = dir.path().join("many.lsm");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml");
    train_without_events(
        &history,
        &model,
        Path::new(config),
        &["--rules", &rules.display().to_string()],
    );
    assert_parity(&model, &batch.join("leads.csv"), None, dir.path());
}

/// A Mautic-shaped model: each lead taken 45 days after its creation ([data] window_days, at
/// the latest --as-of), its events read from five activity tables; the warehouse holds them as
/// `leadscore events` writes them.
#[test]
fn a_window_after_creation_and_activity_exports_score_the_same_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let tables = [
        "page_hits.csv",
        "email_stats.csv",
        "form_submissions.csv",
        "asset_downloads.csv",
        "do_not_contact.csv",
    ];
    let exported = |name: &str, leads: &str, seed: &str| {
        let out = dir.path().join(name);
        let output = leadscore()
            .args(["synth", "--format", "mautic", "--leads", leads, "--seed", seed, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        out
    };
    let (history, batch) = (exported("history", "5000", "41"), exported("batch", "1500", "42"));
    let model = dir.path().join("model.lsm");
    let mut train = leadscore();
    train
        .args(["train", "--source", "mautic", "--data"])
        .arg(history.join("contacts.csv"));
    for table in tables {
        train.arg("--events").arg(history.join(table));
    }
    let output = train.arg("--out").arg(&model).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let events = batch.join("events.csv");
    let mut rewrite = leadscore();
    rewrite.args(["events", "--model"]).arg(&model);
    for table in tables {
        rewrite.arg("--events").arg(batch.join(table));
    }
    let output = rewrite.arg("--out").arg(&events).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let sql = dir.path().join("query.sql");
    let output = leadscore()
        .args([
            "export-sql",
            "--dialect",
            "duckdb",
            "--events-table",
            "events",
            "--model",
        ])
        .arg(&model)
        .arg("--out")
        .arg(&sql)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let query = std::fs::read_to_string(&sql).unwrap();
    assert!(query.contains("45 days after its date_added"), "{query}");
    assert!(query.contains("LEAST("), "{query}");
    assert_parity(&model, &batch.join("contacts.csv"), Some(&events), dir.path());
}

/// A multi-valued column (labels separated by `;`, with and without spaces, empty and missing
/// cells) becomes one 0/1 input per label in SQL as in `leadscore score`.
#[test]
fn labels_of_a_multi_valued_column_score_the_same_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let labels = ["Analytics", "CRM", "Email Marketing", "Ads", "O'Reilly SEO"];
    let mut csv = String::from("lead_id,Interests,visits,converted\n");
    for i in 0..2400usize {
        let chosen: Vec<&str> = (0..labels.len())
            .filter(|l| (i * 7 + l * 3) % (l + 2) == 0)
            .map(|l| labels[l])
            .collect();
        let cell = match i % 9 {
            0 => String::new(),
            1 => "NA".to_string(),
            2 => chosen.join(" ; "),
            _ => chosen.join(";"),
        };
        let visits = (i * 13) % 11;
        let score = visits as i64 + if chosen.contains(&"CRM") { 4 } else { 0 }
            - if chosen.contains(&"Ads") { 3 } else { 0 }
            + ((i * 31) % 9) as i64;
        let converted = u8::from(score > 10);
        csv.push_str(&format!("L{i},\"{cell}\",{visits},{converted}\n"));
    }
    let data = write(dir.path(), "multi.csv", &csv);
    // Rules read a multi-valued column's whole cells.
    let rules = write(
        dir.path(),
        "rules.toml",
        "[[rules]]\nname = \"crm\"\ncolumn = \"Interests\"\ncontains = \"CRM\"\npoints = 10\n\n\
         [[rules]]\nname = \"ads_only\"\ncolumn = \"Interests\"\nequals = \"Ads\"\npoints = -5\n",
    );
    let model = dir.path().join("multi.lsm");
    let output = leadscore()
        .args(["train", "--target", "converted", "--id", "lead_id", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let inputs = common::inspect_json(&model)["artifact"]["input_names"].to_string();
    for label in labels {
        assert!(inputs.contains(&format!("Interests: {label}")), "{inputs}");
    }
    assert_parity(&model, &data, None, dir.path());
}

/// A model per product line: the query scores each lead by its segment's model, leads of other
/// product lines (renamed here) by the shared one, on every engine as `leadscore score` does.
#[test]
fn segments_route_each_lead_to_its_segments_model_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let output = leadscore()
        .args(["synth", "--segments", "--leads", "20000", "--seed", "5", "--out"])
        .arg(&history)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    // A model per product line; CRM's sales team calls leads from a lower score.
    let config = common::segments_config(dir.path());
    let model = dir.path().join("segments.lsm");
    train_without_events(&history, &model, &config, &[]);
    assert!(
        !common::inspect_json(&model)["artifact"]["segments"].is_null(),
        "the segments were kept"
    );
    let text = std::fs::read_to_string(history.join("leads.csv")).unwrap();
    let batch = write(dir.path(), "batch.csv", text.replacen(",Analytics,", ",Quantum,", 25));
    // leadscore gives CRM's leads their own bands and MQL flag, the others the shared ones.
    let scored = score_with_leadscore(&model, &batch, None, dir.path());
    let product: HashMap<String, String> = (text.lines().skip(1))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[9].to_string())
        })
        .collect();
    let mut crm_warm_or_hot = 0;
    for (id, s) in &scored {
        let (cuts, mql) = if product[id] == "CRM" {
            ([5, 12], 9)
        } else {
            ([25, 60], 60)
        };
        let band = ["cold", "warm", "hot"][cuts.iter().filter(|&&c| s.score >= c).count()];
        assert_eq!(
            (s.band.as_str(), s.mql),
            (band, s.score >= mql),
            "lead {id} ({})",
            product[id]
        );
        crm_warm_or_hot += usize::from(product[id] == "CRM" && band != "cold");
    }
    assert!(
        crm_warm_or_hot > 100,
        "{crm_warm_or_hot} CRM leads above its own first cut"
    );
    let engines = assert_parity(&model, &batch, None, dir.path());
    eprintln!("parity checked on {engines} engines");
}
