//! `leadscore score`: calibrated scores, bands and reasons for a new batch; bad rows go to the
//! rejects file; missing columns stop the run.

mod common;

use common::{leadscore, small_leads_csv, stderr_of, stdout_of, write};

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

#[test]
fn a_synthetic_batch_gets_calibrated_scores_bands_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = (dir.path().join("history"), dir.path().join("batch"));
    common::synth(&history, 20000, 1);
    common::synth(&batch, 4000, 2);
    let model = dir.path().join("model.lsm");
    common::train_synth(&history, &model, &[]);

    let scored = dir.path().join("scored.csv");
    let score = || {
        leadscore()
            .args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(batch.join("leads.csv"))
            .arg("--events")
            .arg(batch.join("events.csv"))
            .arg("--out")
            .arg(&scored)
            .output()
            .unwrap()
    };
    let output = score();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output).contains("scored 4,000 leads"),
        "{}",
        stdout_of(&output)
    );
    let (headers, rows) = read_csv(&scored);
    assert_eq!(
        headers,
        [
            "lead_id",
            "score",
            "probability",
            "percentile",
            "band",
            "mql",
            "model_probability",
            "fit",
            "engagement",
            "reasons"
        ]
    );
    assert_eq!(rows.len(), 4000);
    let outcome: std::collections::HashMap<String, bool> = read_csv(&batch.join("leads.csv"))
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[10] == "1"))
        .collect();
    let mut conversions_by_band: std::collections::HashMap<String, (usize, usize)> = Default::default();
    let (mut predicted, mut converted) = (0.0, 0usize);
    for row in &rows {
        let score: f64 = row[1].parse().unwrap();
        let probability: f64 = row[2].parse().unwrap();
        assert_eq!(
            score,
            (100.0 * probability).round(),
            "score is 100 × calibrated probability"
        );
        let expected_band = if score >= 60.0 {
            "hot"
        } else if score >= 25.0 {
            "warm"
        } else {
            "cold"
        };
        assert_eq!(row[4], expected_band);
        assert_eq!(row[5] == "true", score >= 60.0);
        assert!(["A", "B", "C", "D", "F"].contains(&row[7].as_str()));
        let entry = conversions_by_band.entry(row[4].clone()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(outcome[&row[0]]);
        predicted += probability;
        converted += usize::from(outcome[&row[0]]);
    }
    // Calibrated: the mean probability is close to the batch's conversion rate.
    let (mean_p, rate) = (predicted / 4000.0, converted as f64 / 4000.0);
    assert!(
        (mean_p - rate).abs() < 0.02,
        "mean probability {mean_p} vs conversion rate {rate}"
    );
    // Hot/cold separation: warm leads convert far more often than cold ones.
    let rate_of = |band: &str| {
        conversions_by_band
            .get(band)
            .map(|(n, k)| *k as f64 / *n as f64)
            .unwrap_or(f64::NAN)
    };
    assert!(rate_of("warm") > 3.0 * rate_of("cold"), "{conversions_by_band:?}");
    // Reasons name features in the field's words, with a sign.
    assert!(
        rows.iter().any(|r| r[9].contains("+ events: form demo_request: 1")),
        "a demo request is a reason"
    );
    assert!(rows
        .iter()
        .all(|r| r[9].is_empty() || r[9].starts_with('+') || r[9].starts_with('−')));

    // The same model and file give the same scores.
    let first = std::fs::read(&scored).unwrap();
    assert!(score().status.success());
    assert_eq!(first, std::fs::read(&scored).unwrap());
}

#[test]
fn bad_rows_go_to_the_rejects_file_and_missing_columns_stop() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(600));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);

    // L3 has 3 × 7 mod 13 = 8 visits; write a word instead.
    let plain = small_leads_csv(20).replacen("\nL3,8,", "\nL3,lots,", 1);
    // The same with a record holding a line break and a blank line before L3: the rejects file
    // still gives the line of the file where L3 is.
    let shifted = plain
        .replacen(",Manager,", ",\"Man\nager\",", 1)
        .replacen("\nL3,", "\n\nL3,", 1);
    for batch in [plain, shifted] {
        let line = batch.lines().position(|l| l.starts_with("L3,")).unwrap() + 1;
        let batch = write(dir.path(), "batch.csv", &batch);
        let out = dir.path().join("scored.csv");
        let output = leadscore()
            .args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&batch)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert!(
            stderr_of(&output).contains("1 leads could not be scored"),
            "{}",
            stderr_of(&output)
        );
        let (_, scored) = read_csv(&out);
        assert_eq!(scored.len(), 19);
        assert!(!scored.iter().any(|r| r[0] == "L3"));
        let (headers, rejects) = read_csv(&dir.path().join("scored.rejects.csv"));
        assert_eq!(headers, ["row", "line", "lead_id", "column", "value", "reason"]);
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0][..2], ["4".to_string(), line.to_string()]);
        assert_eq!(
            (rejects[0][2].as_str(), rejects[0][3].as_str(), rejects[0][4].as_str()),
            ("L3", "visits", "lots")
        );
        assert!(rejects[0][5].contains("not a number"));
    }

    let no_visits = write(
        dir.path(),
        "no_visits.csv",
        "lead_id,source,job_level\nL1,Referral,VP\n",
    );
    let out = dir.path().join("never.csv");
    let output = leadscore()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&no_visits)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr_of(&output).contains("visits"), "{}", stderr_of(&output));
    assert!(!out.exists());
}

#[test]
fn rules_are_blended_into_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = (dir.path().join("history"), dir.path().join("batch"));
    common::synth(&history, 20000, 3);
    common::synth(&batch, 2000, 4);
    let model = dir.path().join("model.lsm");
    let printed = common::train_synth(&history, &model, &["--rules", common::EXAMPLE_RULES]);
    let blend_line = printed
        .lines()
        .find(|l| l.trim_start().starts_with("blend"))
        .expect("train prints the blend");
    let aucs: Vec<f64> = blend_line
        .split("ROC AUC")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split('·')
        .map(|part| part.split_whitespace().last().unwrap().parse().unwrap())
        .collect();
    let (model_auc, rules_auc, blend_auc) = (aucs[0], aucs[1], aucs[2]);
    assert!(rules_auc > 0.6 && rules_auc < model_auc, "{blend_line}");
    assert!(blend_auc >= model_auc.max(rules_auc) - 0.002, "{blend_line}");

    let scored = dir.path().join("scored.csv");
    let output = common::score_with_events(&model, &batch, &scored, &[]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (headers, rows) = read_csv(&scored);
    let points_at = headers
        .iter()
        .position(|h| h == "rule_points")
        .expect("a rule_points column");
    assert!(
        rows.iter().any(|r| r[points_at].parse::<f64>().unwrap() >= 50.0),
        "some lead requested a demo"
    );
    assert!(rows
        .iter()
        .any(|r| r.last().unwrap().contains("rule demo_request_form (+50)")));

    // A lead file read in chunks meets its events split by chunk on disk: the same scores as
    // when it is read whole with the events streamed once.
    let score_history = |mib: &str, out: &std::path::Path| {
        leadscore()
            .args(["score", "--as-of", "2026-01-01", "--batch-mib", mib, "--model"])
            .arg(&model)
            .arg("--data")
            .arg(history.join("leads.csv"))
            .arg("--events")
            .arg(history.join("events.csv"))
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let (chunked, whole) = (dir.path().join("chunked.csv"), dir.path().join("whole.csv"));
    let output = score_history("1", &chunked);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(score_history("64", &whole).status.success());
    let chunked = std::fs::read(&chunked).unwrap();
    assert!(
        std::fs::metadata(history.join("leads.csv")).unwrap().len() > 2 << 20,
        "more than two chunks"
    );
    assert_eq!(chunked, std::fs::read(&whole).unwrap(), "chunks change nothing");
    assert_eq!(chunked.iter().filter(|&&b| b == b'\n').count(), 20_001);

    // Without --events the rules (and the model) cannot be computed.
    let output = leadscore()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(batch.join("leads.csv"))
        .arg("--out")
        .arg(&scored)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn drift_is_reported_and_can_stop_a_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(1000));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);
    let out = dir.path().join("scored.csv");
    let score = |batch: &std::path::Path| {
        leadscore()
            .args(["score", "--fail-on-drift", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(batch)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    // The same population: stable, scored.
    let same = write(dir.path(), "same.csv", small_leads_csv(1000));
    let output = score(&same);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("(stable)"), "{}", stderr_of(&output));
    std::fs::remove_file(&out).unwrap();
    // Every lead now has 12 visits: the visits feature and the score drift.
    let shifted: String = small_leads_csv(1000)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                format!("{line}\n")
            } else {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[1] = "12";
                format!("{}\n", fields.join(","))
            }
        })
        .collect();
    let shifted = write(dir.path(), "shifted.csv", shifted);
    let output = score(&shifted);
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    assert!(
        message.contains("\"visits\" PSI") && message.contains("act"),
        "{message}"
    );
    assert!(!out.exists(), "nothing written when drift stops the run");
}

#[test]
fn a_large_file_is_scored_in_batches_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(1000));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);
    // About 2.6 MB: three batches of 1 MiB. One bad row in the last batch.
    let mut big = small_leads_csv(100_000);
    big = big.replacen("\nL99990,", "\nL99990,x", 1);
    let big = write(dir.path(), "big.csv", &big);
    let score = |mib: &str, out: &std::path::Path| {
        leadscore()
            .args(["score", "--batch-mib", mib, "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&big)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let (batched, whole) = (dir.path().join("batched.csv"), dir.path().join("whole.csv"));
    let output = score("1", &batched);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(score("64", &whole).status.success());
    assert_eq!(
        std::fs::read(&batched).unwrap(),
        std::fs::read(&whole).unwrap(),
        "batches change nothing"
    );
    let (_, rows) = read_csv(&batched);
    assert_eq!(rows.len(), 99_999);
    let (_, rejects) = read_csv(&dir.path().join("batched.rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(
        (rejects[0][0].as_str(), rejects[0][1].as_str(), rejects[0][2].as_str()),
        ("99991", "99992", "L99990")
    );

    // Without an id column, leads are numbered through the file, not within each batch.
    let without_id = |csv: String| -> String {
        csv.lines()
            .map(|l| format!("{}\n", &l[l.find(',').unwrap() + 1..]))
            .collect()
    };
    let small = write(dir.path(), "small.csv", without_id(small_leads_csv(1000)));
    common::train(&small, &model);
    // Over the file `score` reads.
    write(dir.path(), "big.csv", without_id(small_leads_csv(100_000)));
    let numbered = dir.path().join("numbered.csv");
    let output = score("1", &numbered);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (headers, rows) = read_csv(&numbered);
    assert_eq!(headers[0], "row");
    let ids: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, (1..=100_000).collect::<Vec<_>>());
}

/// Reads a Parquet file into rows of text, as the CSV reader gives them.
fn read_parquet(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
    use polars::prelude::*;
    let frame = ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap();
    let headers = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    let kinds = frame.dtypes().iter().map(|d| d.to_string()).collect();
    let rows = (0..frame.height())
        .map(|r| {
            frame
                .columns()
                .iter()
                .map(|c| match c.get(r).unwrap() {
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::Float64(x) => format!("{x}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    (headers, rows, kinds)
}

#[test]
fn kept_columns_pass_through_and_parquet_output_holds_the_same_scores() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "leads.csv", small_leads_csv(600));
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);
    let mut batch = String::from("lead_id,visits,source,job_level,owner,email\n");
    for (i, line) in small_leads_csv(30).lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').take(4).collect();
        batch.push_str(&format!("{},\"Smith, Ann {i}\",ann{i}@example.com\n", fields.join(",")));
    }
    let batch = write(dir.path(), "batch.csv", batch);
    let score = |out: &std::path::Path, keep: &[&str]| {
        let mut command = leadscore();
        command
            .args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&batch)
            .arg("--out")
            .arg(out);
        for column in keep {
            command.args(["--keep", column]);
        }
        command.output().unwrap()
    };

    let csv_out = dir.path().join("scored.csv");
    let output = score(&csv_out, &["email", "owner"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (headers, rows) = read_csv(&csv_out);
    assert_eq!(&headers[..4], ["lead_id", "email", "owner", "score"]);
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[7][1], "ann7@example.com");
    assert_eq!(rows[7][2], "Smith, Ann 7");

    let parquet_out = dir.path().join("scored.parquet");
    let output = score(&parquet_out, &["email", "owner"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (parquet_headers, parquet_rows, kinds) = read_parquet(&parquet_out);
    assert_eq!(parquet_headers, headers);
    assert_eq!(kinds[3], "i32", "the score is a whole number");
    assert_eq!(kinds[7], "bool", "mql is a flag");
    for (csv_row, parquet_row) in rows.iter().zip(&parquet_rows) {
        for (k, (a, b)) in csv_row.iter().zip(parquet_row).enumerate() {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert!((a - b).abs() <= 5e-6, "{}: {a} vs {b}", headers[k]),
                _ => assert_eq!(a, b, "{}", headers[k]),
            }
        }
    }

    // A kept column that is not in the file stops the run, naming it; one that repeats an
    // output column is refused before anything is read.
    let never = dir.path().join("never.csv");
    let output = score(&never, &["phone"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr_of(&output).contains("phone"), "{}", stderr_of(&output));
    let output = score(&never, &["score"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--keep score"), "{}", stderr_of(&output));
    assert!(!never.exists());
}

#[test]
fn a_model_that_leaves_out_its_time_column_still_reads_it_when_scoring() {
    // [data] time names the creation time (for --split time and the rules' inactivity decay);
    // a model trained with that column excluded from its features still needs it to score.
    let dir = tempfile::tempdir().unwrap();
    let (history, batch) = common::history_and_batch(dir.path(), 3000, 1000, 5);
    let model = dir.path().join("model.lsm");
    common::train_synth(&history, &model, &["--exclude", "created_at"]);
    let inspected = common::inspect_json(&model);
    let columns = inspected["artifact"]["schema"]["columns"].to_string();
    assert!(!columns.contains("created_at"), "{columns}");
    for mib in ["1", "32"] {
        let scored = dir.path().join(format!("scored-{mib}.csv"));
        let output = common::score_with_events(&model, &batch, &scored, &["--batch-mib", mib]);
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert_eq!(read_csv(&scored).1.len(), 1000);
    }
}

#[test]
fn without_as_of_leads_are_scored_as_of_today_so_a_day_gives_one_answer() {
    // Leads with a creation date and no snapshot: their age is measured to the cutoff, which
    // without --as-of is today at 00:00 UTC, not the current second.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead_id,created_at,visits,converted\n");
    for i in 0..600 {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let converted = u8::from((i % 7) + month > 9);
        csv.push_str(&format!(
            "L{i},2026-{month:02}-{day:02} 10:00:00,{},{converted}\n",
            i % 9
        ));
    }
    let data = write(dir.path(), "leads.csv", csv);
    let model = dir.path().join("m.lsm");
    common::train(&data, &model);
    let score = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let output = leadscore()
            .args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&data)
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        (std::fs::read(out).unwrap(), stdout_of(&output))
    };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (first, said) = score("a.csv", &[]);
    assert!(said.contains(&format!("cutoff: {today} 00:00 UTC")), "{said}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(first, score("b.csv", &[]).0, "scored twice a second apart");
    assert_eq!(
        first,
        score("c.csv", &["--as-of", &today]).0,
        "the same as --as-of today"
    );
}
