//! The catalogue of bad and awkward inputs: every case writes a small fixture, runs the binary
//! on it and checks the exit code, a fragment of what it says, that it did not panic, that no
//! temporary file is left in its folder, and that the files it must not touch keep their bytes.
//! README's "What leadscore promises" names the cases that prove each promise.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{leadscore, small_leads_csv};

/// A last check on a case's folder: why it failed.
type Check = fn(&Path) -> Result<(), String>;

/// One bad or awkward input.
struct Case {
    name: &'static str,
    /// Writes the case's files into its folder.
    setup: fn(&Path),
    /// The command line, split on spaces: `{f}` is the shared fixtures' folder, `{d}` the case's.
    args: &'static str,
    /// The exit code expected.
    code: i32,
    /// What the output (standard error and output) must say.
    says: &'static str,
    /// Files of the case's folder that must keep their bytes.
    unchanged: &'static [&'static str],
    /// A last check on the case's folder.
    then: Option<Check>,
}

/// Shared fixtures, made once: small leads and a model of them, synthetic leads with events
/// and a model that uses the events and the example rules.
fn fixtures() -> &'static Path {
    static FIXTURES: OnceLock<PathBuf> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::fs::write(dir.join("leads.csv"), small_leads_csv(800)).unwrap();
        common::train(&dir.join("leads.csv"), &dir.join("model.lsm"));
        common::synth(&dir.join("synth"), 3000, 3);
        common::train_synth(
            &dir.join("synth"),
            &dir.join("synth.lsm"),
            &["--rules", common::EXAMPLE_RULES],
        );
        std::fs::copy(common::EXAMPLE_RULES, dir.join("rules.toml")).unwrap();
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml"),
            dir.join("synth.toml"),
        )
        .unwrap();
        dir
    })
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), content).unwrap();
}

/// The small leads with `change` applied to every data line (0-based).
fn leads_with(dir: &Path, name: &str, change: impl Fn(usize, &str) -> String) {
    let text = small_leads_csv(800);
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for (k, line) in lines.enumerate() {
        out.push_str(&change(k, line));
        out.push('\n');
    }
    write(dir, name, out);
}

/// Leads whose `visits` column comes from `visits(k)`, as Parquet.
fn parquet_leads(dir: &Path, name: &str, visits: impl Fn(usize) -> f64) {
    use polars::prelude::*;
    let n = 800;
    let ids: Vec<String> = (0..n).map(|i| format!("L{i}")).collect();
    let converted: Vec<i64> = (0..n).map(|i| i64::from(i % 3 == 0 || i % 7 == 0)).collect();
    let source: Vec<&str> = (0..n).map(|i| ["Referral", "Organic", "Paid"][i % 3]).collect();
    let level: Vec<&str> = (0..n)
        .map(|i| ["Manager", "Select", "Director", "Student"][i % 4])
        .collect();
    let mut frame = DataFrame::new(
        n,
        vec![
            Column::new("lead_id".into(), ids),
            Column::new("visits".into(), (0..n).map(&visits).collect::<Vec<f64>>()),
            Column::new("source".into(), source),
            Column::new("job_level".into(), level),
            Column::new("converted".into(), converted),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

fn nothing(_: &Path) {}

fn rules(dir: &Path, text: &str) {
    write(dir, "rules.toml", text);
}

const EVENT_RULE: &str = "[[rules]]\nname = \"demo\"\npoints = 20\nevent = \"form_submit\"\n";

fn cases() -> Vec<Case> {
    let case = |name, setup: fn(&Path), args, code, says| Case {
        name,
        setup,
        args,
        code,
        says,
        unchanged: &[],
        then: None,
    };
    vec![
        // Outputs never destroy inputs: a usage error before any work.
        Case {
            unchanged: &["leads.csv"],
            ..case("score --out is --data", |d| write(d, "leads.csv", small_leads_csv(50)),
                "score --model {f}/model.lsm --data {d}/leads.csv --out {d}/leads.csv", 2, "is the file given to --data")
        },
        Case {
            unchanged: &["events.csv"],
            ..case("score --out is --events", |d| write(d, "events.csv", "lead_id,timestamp,event_type\n"),
                "score --model {f}/synth.lsm --data {f}/synth/leads.csv --events {d}/events.csv --out {d}/events.csv", 2, "given to --events")
        },
        case("score --out is --model", nothing, "score --model {f}/model.lsm --data {f}/leads.csv --out {f}/model.lsm", 2, "given to --model"),
        case("score --rejects is --out", nothing,
            "score --model {f}/model.lsm --data {f}/leads.csv --out {d}/s.csv --rejects {d}/s.csv", 2, "--rejects and --out are one file"),
        case("score --rejects is --data", nothing,
            "score --model {f}/model.lsm --data {f}/leads.csv --out {d}/s.csv --rejects {f}/leads.csv", 2, "given to --data"),
        Case {
            unchanged: &["leads.csv"],
            ..case("train --out is --data", |d| write(d, "leads.csv", small_leads_csv(50)),
                "train --data {d}/leads.csv --out {d}/leads.csv", 2, "given to --data")
        },
        Case {
            unchanged: &["c.toml"],
            ..case("train --out is --config", |d| write(d, "c.toml", "[data]\ntarget = \"converted\"\n"),
                "train --data {f}/leads.csv --config {d}/c.toml --out {d}/c.toml", 2, "given to --config")
        },
        Case {
            unchanged: &["report/leads.csv"],
            ..case("evaluate --out holds --data", |d| {
                std::fs::create_dir(d.join("report")).unwrap();
                write(d, "report/leads.csv", small_leads_csv(100));
            }, "evaluate --model {f}/model.lsm --data {d}/report/leads.csv --out {d}/report", 2, "holds the file given to --data")
        },
        case("recalibrate --out is --model", nothing,
            "recalibrate --model {f}/model.lsm --data {f}/leads.csv --out {f}/model.lsm", 2, "given to --model"),
        Case {
            unchanged: &["leads.csv"],
            ..case("points --out is --data", |d| write(d, "leads.csv", small_leads_csv(50)),
                "points --rules {f}/rules.toml --data {d}/leads.csv --out {d}/leads.csv", 2, "given to --data")
        },
        case("export-sql --out is --model", nothing,
            "export-sql --model {f}/model.lsm --dialect duckdb --out {f}/model.lsm", 2, "given to --model"),
        Case {
            unchanged: &["leads.csv"],
            ..case("score --out is a link to --data", |d| {
                write(d, "leads.csv", small_leads_csv(50));
                std::os::unix::fs::symlink(d.join("leads.csv"), d.join("link.csv")).unwrap();
            }, "score --model {f}/model.lsm --data {d}/leads.csv --out {d}/link.csv", 2, "given to --data")
        },
        // Numbers are checked once, whatever the format; training always ends.
        case("train: two values near the largest double", |d| leads_with(d, "big.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            if k == 3 || k == 9 { cells[1] = format!("1.{}e308", 5 + k % 2); }
            cells.join(",")
        }), "train --data {d}/big.csv --out {d}/m.lsm", 0, "extreme values"),
        case("train: one outlier of 1e200", |d| leads_with(d, "outlier.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            if k == 5 { cells[1] = "1e200".into(); }
            cells.join(",")
        }), "train --data {d}/outlier.csv --out {d}/m.lsm", 0, "\"visits\" has extreme values (1e200"),
        case("train: Parquet +inf", |d| parquet_leads(d, "inf.parquet", |i| if i == 4 { f64::INFINITY } else { (i % 13) as f64 }),
            "train --data {d}/inf.parquet --target converted --out {d}/m.lsm", 3, "column \"visits\", row 5: inf is not a finite number"),
        Case {
            then: Some(|d| expect_in(&d.join("s.rejects.csv"), "inf is not a finite number")),
            ..case("score: Parquet +inf goes to the rejects", |d| parquet_leads(d, "inf.parquet", |i| if i == 4 { f64::INFINITY } else { (i % 13) as f64 }),
                "score --model {f}/model.lsm --data {d}/inf.parquet --out {d}/s.csv", 0, "1 leads could not be scored")
        },
        case("score: Parquet NaN is missing", |d| parquet_leads(d, "nan.parquet", |i| if i % 5 == 0 { f64::NAN } else { (i % 13) as f64 }),
            "score --model {f}/model.lsm --data {d}/nan.parquet --out {d}/s.csv", 0, "scored 800 leads"),
        case("train: a CSV cell of inf", |d| leads_with(d, "inf.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            if k == 2 { cells[1] = "inf".into(); }
            cells.join(",")
        }), "train --data {d}/inf.csv --out {d}/m.lsm", 3, "not a finite number"),
        // Nothing is left behind, and an old rejects file goes.
        case("score: a ragged row", |d| leads_with(d, "ragged.csv", |k, line| if k == 20 { format!("{line},extra") } else { line.to_string() }),
            "score --model {f}/model.lsm --data {d}/ragged.csv --out {d}/s.csv", 3, "this row has 6 fields but the header has 5"),
        case("score: a missing column", |d| write(d, "l.csv", "lead_id,visits,converted\nL1,3,0\nL2,4,1\n"),
            "score --model {f}/model.lsm --data {d}/l.csv --out {d}/s.csv", 3, "the model reads this"),
        Case {
            then: Some(|d| if d.join("s.rejects.csv").exists() { Err("the old rejects file is still there".into()) } else { Ok(()) }),
            ..case("score: an old rejects file is removed", |d| write(d, "s.rejects.csv", "row,line,lead_id,column,value,reason\n1,2,L0,visits,x,old\n"),
                "score --model {f}/model.lsm --data {f}/leads.csv --out {d}/s.csv", 0, "scored 800 leads")
        },
        Case {
            then: Some(|d| if d.join("report").exists() { Err("a report folder was left".into()) } else { Ok(()) }),
            ..case("evaluate: leads of one outcome leave no report", |d| leads_with(d, "one.csv", |_, line| format!("{}0", &line[..line.len() - 1])),
                "evaluate --model {f}/model.lsm --data {d}/one.csv --out {d}/report", 3, "have the same outcome")
        },
        // Exit codes a pipeline can trust.
        case("score: every row unreadable (decimal commas in a comma file)", |d| leads_with(d, "words.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            cells[1] = format!("\"{k},5\"");
            cells.join(",")
        }), "score --model {f}/model.lsm --data {d}/words.csv --out {d}/s.csv", 3, "none of the 800 leads could be scored"),
        case("train: three conversions in 2,000 leads", |d| {
            let mut csv = String::from("lead_id,visits,source,converted\n");
            for i in 0..2000 { csv.push_str(&format!("L{i},{},{},{}\n", i % 9, ["a", "b"][i % 2], u8::from(i % 700 == 1))); }
            write(d, "few.csv", csv);
        }, "train --data {d}/few.csv --out {d}/m.lsm", 3, "only 3 of 2,000 leads converted"),
        case("a folder as the model", |d| std::fs::create_dir(d.join("m.lsm")).unwrap(),
            "score --model {d}/m.lsm --data {f}/leads.csv --out {d}/s.csv", 3, "is a folder, not a model file"),
        case("config: max_iterations = 0", |d| write(d, "c.toml", "[model]\nmax_iterations = 0\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "column \"model.max_iterations\""),
        case("config: a bad as_of", |d| write(d, "c.toml", "[data]\nas_of = \"yesterday\"\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "column \"data.as_of\""),
        case("config: split = time without [data] time", |d| write(d, "c.toml", "[model]\nsplit = \"time\"\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "column \"model.split\""),
        case("--split time without [data] time", nothing, "train --data {f}/leads.csv --split time --out {d}/m.lsm", 2, "--split time needs"),
        case("--as-of that is not a date", nothing, "score --model {f}/model.lsm --data {f}/leads.csv --as-of 2026-13-45 --out {d}/s.csv", 2, "not a date"),
        // Decimal commas in a ;-separated file.
        case("train: decimal commas in a ; file", |d| {
            let mut csv = String::from("lead_id;visits;source;converted\n");
            for i in 0..800 { csv.push_str(&format!("L{i};{},{};{};{}\n", i % 13, i % 10, ["a", "b", "c"][i % 3], u8::from((i % 13) + (i % 7) > 12))); }
            write(d, "semi.csv", csv);
        }, "train --data {d}/semi.csv --out {d}/m.lsm", 0, "model saved"),
        Case {
            then: Some(|d| {
                let size = std::fs::metadata(d.join("m.lsm")).map_err(|e| e.to_string())?.len();
                if size > 200_000 { Err(format!("the model file holds the long cell: {size} bytes")) } else { Ok(()) }
            }),
            ..case("train: a 1 MB cell is not copied into the model", |d| leads_with(d, "long.csv", |k, line| {
                let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                if k == 10 { cells[3] = "x".repeat(1 << 20); }
                cells.join(",")
            }), "train --data {d}/long.csv --out {d}/m.lsm", 0, "model saved")
        },
        // Rules and config values that cannot work.
        case("rules: min_total above max_total", |d| rules(d, &format!("[points]\nmin_total = 50\nmax_total = 10\n\n{EVENT_RULE}")),
            "points --rules {d}/rules.toml --data {f}/synth/leads.csv --events {f}/synth/events.csv --out {d}/p.csv", 3, "min_total 50 is above max_total 10"),
        case("rules: within_days below 0", |d| rules(d, &format!("{EVENT_RULE}within_days = -3\n")),
            "points --rules {d}/rules.toml --data {f}/synth/leads.csv --events {f}/synth/events.csv --out {d}/p.csv", 3, "within_days -3 must be a positive"),
        case("rules: at_least on a text column", |d| rules(d, "[[rules]]\nname = \"senior\"\npoints = 5\ncolumn = \"job_level\"\nat_least = 3\n"),
            "points --rules {d}/rules.toml --data {f}/synth/leads.csv --out {d}/p.csv", 3, "compares numbers"),
        case("rules: a file without rules", |d| rules(d, "[bands]\nnames = [\"cold\", \"hot\"]\ncuts = [50]\nmql = 50\n"),
            "points --rules {d}/rules.toml --data {f}/leads.csv --out {d}/p.csv", 3, "has no [[rules]]"),
        case("config: an MQL threshold above 100", |d| write(d, "c.toml", "[score]\nnames = [\"cold\", \"hot\"]\ncuts = [50]\nmql = 120\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "120 is outside 0–100"),
        case("rules: a bad regular expression names its rule's line", |d| rules(d, "# rules\n\n[[rules]]\nname = \"x\"\npoints = 1\ncolumn = \"job_level\"\nregex = \"(\"\n"),
            "points --rules {d}/rules.toml --data {f}/leads.csv --out {d}/p.csv", 3, "line 3"),
        case("rules: two rules of one name", |d| rules(d, "[[rules]]\nname = \"a\"\npoints = 1\nevent = \"x\"\n\n[[rules]]\nname = \"a\"\npoints = 2\nevent = \"y\"\n"),
            "points --rules {d}/rules.toml --data {f}/leads.csv --out {d}/p.csv", 3, "two rules are called \"a\""),
        case("rules: an unknown section", |d| rules(d, "[bandz]\nmql = 5\n"),
            "points --rules {d}/rules.toml --data {f}/leads.csv --out {d}/p.csv", 3, "unknown key `bandz`"),
        case("rules: an event type no event has", |d| rules(d, "[[rules]]\nname = \"ghost\"\npoints = 5\nevent = \"telepathy\"\n"),
            "points --rules {d}/rules.toml --data {f}/synth/leads.csv --events {f}/synth/events.csv --out {d}/p.csv", 3, "counts \"telepathy\" events"),
        case("rules: no event before any lead's cutoff", |d| {
            rules(d, EVENT_RULE);
            write(d, "ev.csv", "lead_id,timestamp,event_type\nL0000001,2099-01-01 00:00:00,form_submit\n");
        }, "points --rules {d}/rules.toml --data {f}/synth/leads.csv --events {d}/ev.csv --config {f}/synth.toml --out {d}/p.csv", 3, "no event of these leads is before its cutoff"),
        case("evaluate: every row unreadable", |d| leads_with(d, "words.csv", |_, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            cells[1] = "many".into();
            cells.join(",")
        }), "evaluate --model {f}/model.lsm --data {d}/words.csv --out {d}/report", 3, "none of the 800 leads could be scored"),
        case("config: a negative C", |d| write(d, "c.toml", "[model]\nc_grid = [-1.0]\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "model.c_grid"),
        case("config: an unknown key names its line and character", |d| write(d, "c.toml", "[model]\nfoldz = 3\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "line 2, character 1"),
        // Messages that say where and what.
        case("a header of more than 64 KiB", |d| {
            let long = "n".repeat(70_000);
            let mut csv = format!("lead_id,visits,{long},converted\n");
            for i in 0..800 { csv.push_str(&format!("L{i},{},{},{}\n", i % 13, ["a", "b"][i % 2], u8::from((i * 7) % 13 > 8))); }
            write(d, "wide.csv", csv);
        }, "train --data {d}/wide.csv --out {d}/m.lsm", 0, "model saved"),
        case("a quote that is never closed", |d| leads_with(d, "quote.csv", |k, line| if k == 30 { line.replacen(",", ",\"", 1) } else { line.to_string() }),
            "train --data {d}/quote.csv --out {d}/m.lsm", 3, "never closed"),
        case("bytes that are not UTF-8 name their column", |d| {
            let mut bytes = small_leads_csv(100).into_bytes();
            let at = bytes.iter().position(|&b| b == b'R').unwrap();
            bytes[at] = 0xff;
            write(d, "latin.csv", bytes);
        }, "train --data {d}/latin.csv --out {d}/m.lsm", 3, "column \"source\""),
        case("a pipe as --data", |d| {
            let status = std::process::Command::new("mkfifo").arg(d.join("pipe.csv")).status().unwrap();
            assert!(status.success());
        }, "train --data {d}/pipe.csv --out {d}/m.lsm", 3, "is a pipe or a device"),
        case("a folder as --data", |d| std::fs::create_dir(d.join("leads")).unwrap(),
            "train --data {d}/leads --out {d}/m.lsm", 3, "is a folder, not a file"),
        case("train: repeated lead ids are counted", |d| leads_with(d, "twice.csv", |k, line| if k % 100 == 1 { line.replacen(&format!("L{k},"), "L0,", 1) } else { line.to_string() }),
            "train --data {d}/twice.csv --id lead_id --out {d}/m.lsm", 0, "8 leads have an id that an earlier lead"),
        case("score: repeated lead ids are counted and kept", |d| leads_with(d, "twice.csv", |k, line| if k % 100 == 1 { line.replacen(&format!("L{k},"), "L0,", 1) } else { line.to_string() }),
            "score --model {f}/model.lsm --data {d}/twice.csv --out {d}/s.csv", 0, "8 leads have an id that an earlier lead"),
        // Files that are missing, empty or not what they claim to be.
        case("a missing file", nothing, "train --data {d}/nope.csv --out {d}/m.lsm", 3, "no such file"),
        case("an empty file", |d| write(d, "e.csv", ""), "train --data {d}/e.csv --out {d}/m.lsm", 3, "the file is empty"),
        case("a header without rows", |d| write(d, "h.csv", "lead_id,visits,converted\n"), "train --data {d}/h.csv --out {d}/m.lsm", 3, "no rows"),
        case("an outcome that is not binary", |d| leads_with(d, "maybe.csv", |k, line| if k == 16 { format!("{}maybe", &line[..line.len() - 1]) } else { line.to_string() }),
            "train --data {d}/maybe.csv --out {d}/m.lsm", 3, "row 17"),
        case("leads of one outcome", |d| leads_with(d, "one.csv", |_, line| format!("{}1", &line[..line.len() - 1])),
            "train --data {d}/one.csv --out {d}/m.lsm", 3, "all converted"),
        case("two columns of one name", |d| write(d, "dup.csv", "lead_id,visits,visits,converted\nL1,1,2,0\n"),
            "train --data {d}/dup.csv --out {d}/m.lsm", 3, "two columns have this name"),
        case("an unnamed column", |d| write(d, "unnamed.csv", "lead_id,visits,,converted\nL1,1,2,0\n"),
            "train --data {d}/unnamed.csv --out {d}/m.lsm", 3, "has no name"),
        case("a truncated model file", |d| {
            let bytes = std::fs::read(fixtures().join("model.lsm")).unwrap();
            write(d, "m.lsm", &bytes[..bytes.len() / 2]);
        }, "inspect {d}/m.lsm", 3, "truncated"),
        case("a model file with a flipped byte", |d| {
            let mut bytes = std::fs::read(fixtures().join("model.lsm")).unwrap();
            let at = bytes.len() - 10;
            bytes[at] ^= 0x55;
            write(d, "m.lsm", bytes);
        }, "inspect {d}/m.lsm", 3, "corrupted"),
        case("a model file from a newer leadscore", |d| {
            let mut bytes = std::fs::read(fixtures().join("model.lsm")).unwrap();
            bytes[8] = 99;
            write(d, "m.lsm", bytes);
        }, "inspect {d}/m.lsm", 3, "format version 99"),
        case("not a model file", |d| write(d, "m.lsm", "lead_id,visits\n"), "inspect {d}/m.lsm", 3, "not a leadscore model file"),
        case("events without an event_type column", |d| write(d, "ev.csv", "lead_id,timestamp\nL0000001,2025-01-01 00:00:00\n"),
            "score --model {f}/synth.lsm --data {f}/synth/leads.csv --events {d}/ev.csv --out {d}/s.csv", 3, "column \"event_type\""),
        case("an event time that is not a time", |d| write(d, "ev.csv", "lead_id,timestamp,event_type\nL0000001,soon,page_view\n"),
            "score --model {f}/synth.lsm --data {f}/synth/leads.csv --events {d}/ev.csv --out {d}/s.csv", 3, "is not a time"),
        case("events for leads without ids", nothing,
            "train --data {f}/synth/leads.csv --target converted --id missing_id --events {f}/synth/events.csv --out {d}/m.lsm", 3, "column \"missing_id\""),
        case("a model with events scored without them", nothing,
            "score --model {f}/synth.lsm --data {f}/synth/leads.csv --out {d}/s.csv", 2, "pass the events of these leads with --events"),
        case("evaluate with a capacity of 0", nothing,
            "evaluate --model {f}/model.lsm --data {f}/leads.csv --capacity 0 --out {d}/r", 2, "--capacity 0"),
        case("--keep of an output column", nothing,
            "score --model {f}/model.lsm --data {f}/leads.csv --keep lead_id --out {d}/s.csv", 2, "already has a column"),
        case("leakage = error stops on a leaky column", |d| {
            leads_with(d, "leaky.csv", |_, line| {
                let outcome = line.ends_with('1');
                format!("{line},{}", if outcome { "Won" } else { "Lost" })
            });
            let text = std::fs::read_to_string(d.join("leaky.csv")).unwrap().replacen("converted\n", "converted,sales_outcome\n", 1);
            write(d, "leaky.csv", text);
            write(d, "c.toml", "[features]\nleakage = \"error\"\n");
        }, "train --data {d}/leaky.csv --config {d}/c.toml --out {d}/m.lsm", 3, "possible leakage"),
        case("a word in a numeric column while training", |d| leads_with(d, "word.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            if k == 40 { cells[1] = "lots".into(); }
            cells.join(",")
        }), "train --data {d}/word.csv --out {d}/m.lsm", 3, "numeric except for values such as \"lots\""),
        Case {
            then: Some(|d| expect_in(&d.join("s.rejects.csv"), "L40,visits,lots,")),
            ..case("a word in a numeric column while scoring", |d| leads_with(d, "word.csv", |k, line| {
                let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                if k == 40 { cells[1] = "lots".into(); }
                cells.join(",")
            }), "score --model {f}/model.lsm --data {d}/word.csv --out {d}/s.csv", 0, "1 leads could not be scored")
        },
        case("drift past 0.25 with --fail-on-drift writes nothing", |d| leads_with(d, "drift.csv", |k, line| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            cells[1] = format!("{}", 50 + k % 3);
            cells[2] = "Paid".into();
            cells.join(",")
        }), "score --model {f}/model.lsm --data {d}/drift.csv --fail-on-drift --out {d}/s.csv", 3, "drifted from the training leads"),
        // CRM exports: outcomes from stages, activity exports of other shapes, presets.
        case("converted values no lead has", |d| write(d, "c.toml", "[data]\ntarget = \"source\"\nconverted_values = [\"Customer\"]\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "the column holds \"Organic\", \"Paid\", \"Referral\""),
        case("window_days without a creation column", |d| write(d, "c.toml", "[data]\nwindow_days = 45\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "[data] time names no creation column"),
        case("an events shape without a time column", |d| write(d, "c.toml", "[[events.files]]\nname = \"hits\"\ncolumns = { lead_id = \"who\" }\nevent_type = \"page_view\"\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "names no column for timestamp"),
        case("an events shape mapping an unknown field", |d| write(d, "c.toml", "[[events.files]]\nname = \"hits\"\ncolumns = { lead_id = \"who\", timestamp = \"when\", page = \"url\" }\nevent_type = \"page_view\"\n"),
            "train --data {f}/leads.csv --config {d}/c.toml --out {d}/m.lsm", 3, "maps \"page\", which is not an event field"),
        case("event times whose day and month cannot be told apart", |d| {
            write(d, "c.toml", "[data]\nsnapshot = \"snapshot_at\"\n[[events.files]]\nname = \"hits\"\ncolumns = { lead_id = \"who\", timestamp = \"when\" }\nevent_type = \"page_view\"\n");
            write(d, "hits.csv", "who,when\nL0000001,3/4/2025\nL0000002,5/6/2025 1:00 PM\n");
        }, "train --data {f}/synth/leads.csv --target converted --id lead_id --config {d}/c.toml --events {d}/hits.csv --out {d}/m.lsm", 3, "timestamp_format = \"month-first\""),
        case("an unknown --source", nothing,
            "train --data {f}/leads.csv --source zoho --out {d}/m.lsm", 2, "possible values: hubspot, salesforce, mautic, pardot, marketo"),
        case("a preset's outcome column the file lacks", nothing,
            "train --data {f}/leads.csv --source salesforce --out {d}/m.lsm", 3, "column \"Converted\": the outcome (target) column is not in the file"),
    ]
}

/// Whether the file at `path` holds `text`.
fn expect_in(path: &Path, text: &str) -> Result<(), String> {
    let content = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if content.contains(text) {
        Ok(())
    } else {
        Err(format!("{} does not say {text:?}:\n{content}", path.display()))
    }
}

/// Files under `dir` whose names mark them as temporary.
fn debris(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            found.push(path.clone());
        }
        if path.is_dir() {
            found.extend(debris(&path));
        }
    }
    found
}

/// Runs one case; the reason when it fails.
fn run(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path();
    (case.setup)(d);
    let before: Vec<Vec<u8>> = case
        .unchanged
        .iter()
        .map(|f| std::fs::read(d.join(f)).unwrap_or_default())
        .collect();
    let f = fixtures().display().to_string();
    let args: Vec<String> = case
        .args
        .split(' ')
        .map(|a| a.replace("{f}", &f).replace("{d}", &d.display().to_string()))
        .collect();
    let output = leadscore()
        .args(&args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .map_err(|e| e.to_string())?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let mut problems = Vec::new();
    if output.status.code() != Some(case.code) {
        problems.push(format!("exit {:?}, expected {}", output.status.code(), case.code));
    }
    if !said.contains(case.says) {
        problems.push(format!("does not say {:?}", case.says));
    }
    if said.contains("panicked") {
        problems.push("panicked".into());
    }
    let left = debris(d);
    if !left.is_empty() {
        problems.push(format!("left {left:?}"));
    }
    for (file, bytes) in case.unchanged.iter().zip(&before) {
        if std::fs::read(d.join(file)).unwrap_or_default() != *bytes {
            problems.push(format!("{file} changed"));
        }
    }
    if let Some(then) = case.then {
        if let Err(problem) = then(d) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n    output: {}", problems.join("; "), said.trim()))
    }
}

#[test]
fn every_case_of_the_catalogue() {
    let cases = cases();
    assert!(cases.len() >= 60, "the catalogue holds {} cases", cases.len());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|case| run(case).err().map(|why| format!("{}: {why}", case.name)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
