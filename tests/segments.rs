//! `[segments]`: one model per segment, pulled toward the shared model.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{inspect_json, leadscore, stderr_of, stdout_of, write};

/// A folder that lives as long as the test binary.
fn work() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let output = leadscore().args(args.iter().map(|a| a.as_ref())).output().unwrap();
    let said = stdout_of(&output) + &stderr_of(&output);
    assert!(output.status.success(), "{said}");
    said
}

/// The report folder's `report.json`, checked against its schema.
fn report_json(folder: &Path) -> serde_json::Value {
    checked_json(
        &folder.join("report.json"),
        include_str!("../src/report/report.schema.json"),
    )
}

/// The JSON file `file`, which must match the JSON Schema whose text is `schema`.
fn checked_json(file: &Path, schema: &str) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{} against its schema: {errors:#?}", file.display());
    json
}

/// Synthetic leads with product lines that convert differently (`synth --segments`), and a
/// model with a model per product line: the folder, the model and what train said.
fn segmented() -> &'static (PathBuf, PathBuf, String) {
    static TRAINED: OnceLock<(PathBuf, PathBuf, String)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let data = work().join("synth");
        run(&[
            &"synth",
            &"--segments",
            &"--leads",
            &"60000",
            &"--seed",
            &"21",
            &"--out",
            &data,
        ]);
        let config = write(
            work(),
            "segments.toml",
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/synth.toml")).unwrap()
                + "\n[segments]\nby = \"product_line\"\n",
        );
        let model = work().join("segmented.lsm");
        let (leads, events) = (data.join("leads.csv"), data.join("events.csv"));
        let said = run(&[
            &"train",
            &"--config",
            &config,
            &"--data",
            &leads,
            &"--events",
            &events,
            &"--out",
            &model,
        ]);
        (data, model, said)
    })
}

/// The coefficient of `input` in the shared model and in each segment's, by segment.
fn coefficient(model: &Path, input: &str) -> (f64, Vec<(String, f64)>) {
    let artifact = inspect_json(model)["artifact"].clone();
    let names: Vec<String> = serde_json::from_value(artifact["input_names"].clone()).unwrap();
    let coefficients: Vec<f64> = serde_json::from_value(artifact["model"]["coefficients"].clone()).unwrap();
    let j = names.iter().position(|n| n == input).expect("the input");
    let w = artifact["segments"]["base_width"].as_u64().unwrap() as usize;
    let segments = artifact["segments"]["segments"].as_array().unwrap();
    let own = (segments.iter().enumerate())
        .map(|(s, segment)| {
            (
                segment["value"].as_str().unwrap().to_string(),
                coefficients[j] + coefficients[w + s * w + j],
            )
        })
        .collect();
    (coefficients[j], own)
}

#[test]
fn a_planted_reversed_effect_is_recovered_by_its_segment() {
    let (_, model, said) = segmented();
    assert!(said.contains("segments      by \"product_line\""), "{said}");
    for segment in ["Analytics", "CRM", "Marketing Cloud", "Data Platform"] {
        assert!(said.contains(segment), "{said}");
    }
    // Small companies convert less in every product line but Marketing Cloud, where company
    // size works the other way.
    let (shared, own) = coefficient(model, "company_size = 1-10");
    assert!(shared < 0.0, "shared {shared}");
    // The product lines planted to convert differently have models of their own.
    for planted in ["Marketing Cloud", "CRM"] {
        assert!(
            own.iter().any(|(s, _)| s == planted),
            "{planted} has no model of its own: {said}"
        );
    }
    for (segment, w) in &own {
        match segment.as_str() {
            "Marketing Cloud" => assert!(*w > 0.0, "{segment}: {w}"),
            _ => assert!(*w < 0.0, "{segment}: {w}"),
        }
    }
    // A demo request weighs most for CRM.
    let (_, demo) = coefficient(model, "events: form demo_request");
    let crm = demo.iter().find(|(s, _)| s == "CRM").unwrap().1;
    assert!(demo.iter().all(|(s, w)| s == "CRM" || *w < crm), "{demo:?}");
}

#[test]
fn each_lead_is_scored_by_its_segments_model_and_unseen_ones_by_the_shared_one() {
    let (data, model, _) = segmented();
    let text = std::fs::read_to_string(data.join("leads.csv")).unwrap();
    let leads = write(
        work(),
        "renamed.csv",
        text.replacen(",Data Platform,", ",Quantum Computing,", 40),
    );
    let out = work().join("scored.csv");
    run(&[
        &"score",
        &"--as-of",
        &"2027-01-01",
        &"--model",
        model,
        &"--data",
        &leads,
        &"--events",
        &data.join("events.csv"),
        &"--out",
        &out,
    ]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (segment, reasons) = (at("segment"), at("reasons"));
    let (mut renamed, mut own) = (0, 0);
    let product = std::fs::read_to_string(&leads).unwrap();
    let products: Vec<&str> = product.lines().skip(1).map(|l| l.split(',').nth(9).unwrap()).collect();
    for (record, product) in reader.records().zip(products) {
        let record = record.unwrap();
        if &record[segment] == "shared" {
            assert!(record[reasons].contains("scored by the shared model"), "{record:?}");
            renamed += usize::from(product == "Quantum Computing");
        } else {
            assert_eq!(&record[segment], product, "a lead is scored by its own segment's model");
            own += 1;
        }
    }
    assert_eq!(
        renamed, 40,
        "the leads of a product line unseen in training are scored by the shared model"
    );
    assert!(own > 10_000, "{own} leads scored by their segment's model");
}

#[test]
fn the_report_shows_each_segment_by_its_model_and_by_the_shared_one() {
    let (_, model, _) = segmented();
    let next = work().join("next");
    run(&[
        &"synth",
        &"--segments",
        &"--leads",
        &"20000",
        &"--seed",
        &"23",
        &"--out",
        &next,
    ]);
    let report = work().join("report");
    run(&[
        &"evaluate",
        &"--as-of",
        &"2027-01-01",
        &"--model",
        model,
        &"--data",
        &next.join("leads.csv"),
        &"--events",
        &next.join("events.csv"),
        &"--out",
        &report,
    ]);
    let json = report_json(&report);
    let rows = json["segments"]["rows"].as_array().expect("a segments section").clone();
    assert_eq!(json["segments"]["column"], "product_line");
    let leads: u64 = rows.iter().map(|r| r["leads"].as_u64().unwrap()).sum();
    assert_eq!(leads, json["data"]["leads"].as_u64().unwrap());
    // The MQLs of the segments add up to the MQLs of all leads (no segment has bands of its own).
    let mqls: u64 = rows.iter().map(|r| r["mqls"].as_u64().unwrap()).sum();
    assert_eq!(mqls, json["bands"]["mql"]["leads"].as_u64().unwrap());
    let converted: u64 = rows.iter().map(|r| r["mql_conversions"].as_u64().unwrap()).sum();
    assert!(converted <= mqls && mqls > 0);
    // Marketing Cloud, where company size works the other way, gains most on the shared model.
    let marketing = rows.iter().find(|r| r["segment"] == "Marketing Cloud").unwrap();
    let gain = marketing["roc_auc"].as_f64().unwrap() - marketing["shared_roc_auc"].as_f64().unwrap();
    assert!(gain > 0.005, "{marketing}");
    // Each segment's bands, reliability bins and deciles hold all its leads and conversions.
    for row in &rows {
        let total = |key: &str, field: &str| -> u64 {
            (row[key].as_array().unwrap().iter())
                .map(|r| r[field].as_u64().unwrap())
                .sum()
        };
        let (n, k) = (row["leads"].as_u64().unwrap(), row["conversions"].as_u64().unwrap());
        assert_eq!(
            (total("bands", "leads"), total("bands", "conversions")),
            (n, k),
            "{row}"
        );
        assert_eq!(total("reliability", "leads"), n, "{row}");
        assert_eq!(
            (total("gains", "leads"), total("gains", "conversions")),
            (n, k),
            "{row}"
        );
        assert_eq!(row["gains"].as_array().unwrap().len(), 10);
    }
    // Every lead is in the band its score falls in (no segment has bands of its own here):
    // count them from scores.csv and the leads' product lines.
    let product: std::collections::HashMap<String, String> =
        (std::fs::read_to_string(next.join("leads.csv")).unwrap().lines().skip(1))
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[0].to_string(), cells[9].to_string())
            })
            .collect();
    let scores = std::fs::read_to_string(report.join("scores.csv")).unwrap();
    // scores.csv names the segment whose model scored each lead.
    assert!(scores.lines().next().unwrap().ends_with(",segment"), "{scores:.200}");
    for row in &rows {
        let segment = row["segment"].as_str().unwrap();
        let named = (scores.lines().skip(1))
            .filter(|l| l.ends_with(&format!(",{segment}")))
            .count();
        assert_eq!(named as u64, row["leads"].as_u64().unwrap(), "{segment}");
    }
    for row in &rows {
        let segment = row["segment"].as_str().unwrap();
        let of_row = |id: &str| {
            let value = product[id].as_str();
            if segment == "shared" {
                !rows.iter().any(|r| r["segment"] == value)
            } else {
                value == segment
            }
        };
        for band in row["bands"].as_array().unwrap() {
            let (from, to) = (band["from"].as_f64().unwrap(), band["to"].as_f64().unwrap());
            let counted = (scores.lines().skip(1))
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|c| of_row(c[0]))
                .filter(|c| {
                    let score: f64 = c[2].parse().unwrap();
                    score >= from && score < to + 1.0
                })
                .count() as u64;
            assert_eq!(counted, band["leads"].as_u64().unwrap(), "{segment}: {band}");
        }
    }
    // Where Marketing Cloud's model differs: company size, the other way round, with the
    // weights the model file holds.
    let differs = marketing["differs"].as_array().unwrap();
    let small = (differs.iter())
        .find(|d| d["input"] == "company_size = 1-10")
        .unwrap_or_else(|| panic!("{differs:?}"));
    let (shared, own) = coefficient(model, "company_size = 1-10");
    let own = own.iter().find(|(s, _)| s == "Marketing Cloud").unwrap().1;
    assert!((small["shared"].as_f64().unwrap() - shared).abs() < 1e-9, "{small}");
    assert!((small["own"].as_f64().unwrap() - own).abs() < 1e-9, "{small}");
    assert!(shared < 0.0 && own > 0.0, "{small}");
    let shared_row = rows.iter().find(|r| r["segment"] == "shared");
    assert!(shared_row.is_none_or(|r| r["differs"].as_array().unwrap().is_empty()));
    let markdown = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(markdown.contains("9. Segments by"), "{markdown}");
    assert!(markdown.contains("Bands and MQLs in each segment"), "{markdown}");
    assert!(markdown.contains("Where each segment's model differs"), "{markdown}");
    // Each segment's MQLs per week: its MQLs over the weeks the leads cover.
    let weeks = json["capacity"]["periods"].as_f64().unwrap();
    let per_week = format!("{:.1}", marketing["mqls"].as_f64().unwrap() / weeks);
    let cells: Vec<Vec<String>> = (markdown.lines())
        .map(|l| l.split('|').map(|c| c.trim().trim_matches('*').to_string()).collect())
        .collect();
    let header = (cells.iter())
        .find(|c| c.iter().any(|h| h == "MQLs per week"))
        .expect("a column of MQLs per week");
    let column = header.iter().position(|h| h == "MQLs per week").unwrap();
    let row = (cells.iter())
        .find(|c| c.get(1).is_some_and(|s| s == "Marketing Cloud") && c.len() == header.len())
        .expect("Marketing Cloud's row");
    assert_eq!(row[column], per_week, "{row:?}");
    for chart in ["segment_reliability.svg", "segment_gains.svg"] {
        assert!(markdown.contains(chart), "{chart} in {markdown}");
    }
}

/// A segment with bands of its own (`[[segments.override]]`): the report's segments section
/// counts its leads in its own bands, as `score` gives them.
#[test]
fn a_segments_own_bands_are_its_rows_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    run(&[
        &"synth",
        &"--segments",
        &"--leads",
        &"12000",
        &"--seed",
        &"5",
        &"--out",
        &history,
    ]);
    // A model per product line; CRM's sales team calls leads from a lower score.
    let config = common::segments_config(dir.path());
    let model = dir.path().join("segments.lsm");
    let leads = history.join("leads.csv");
    run(&[&"train", &"--config", &config, &"--data", &leads, &"--out", &model]);
    let report = dir.path().join("report");
    let said = run(&[&"evaluate", &"--model", &model, &"--data", &leads, &"--out", &report]);
    let json = report_json(&report);
    let rows = json["segments"]["rows"].as_array().unwrap();
    // CRM's row: its own model's, or the shared model's leads of CRM.
    let crm = (rows.iter())
        .find(|r| r["segment"] == "CRM" || r["segment"] == "CRM (shared model)")
        .expect("a row of CRM's leads");
    let ranges: Vec<(u64, u64)> = (crm["bands"].as_array().unwrap().iter())
        .map(|b| (b["from"].as_u64().unwrap(), b["to"].as_u64().unwrap()))
        .collect();
    assert_eq!(ranges, [(0, 4), (5, 11), (12, 100)]);
    // CRM's MQLs are its leads scored 9 or more; its bands hold its leads by its own cuts.
    let product: Vec<String> = (std::fs::read_to_string(&leads).unwrap().lines().skip(1))
        .map(|l| l.split(',').nth(9).unwrap().to_string())
        .collect();
    let scores = std::fs::read_to_string(report.join("scores.csv")).unwrap();
    let crm_scores: Vec<f64> = (scores.lines().skip(1).zip(&product))
        .filter(|(_, p)| p.as_str() == "CRM")
        .map(|(l, _)| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(crm["leads"].as_u64().unwrap() as usize, crm_scores.len());
    let mqls = crm_scores.iter().filter(|&&s| s >= 9.0).count();
    assert_eq!(crm["mqls"].as_u64().unwrap() as usize, mqls);
    for (band, (from, to)) in crm["bands"].as_array().unwrap().iter().zip(&ranges) {
        let within = (crm_scores.iter())
            .filter(|&&s| s >= *from as f64 && s < *to as f64 + 1.0)
            .count();
        assert_eq!(band["leads"].as_u64().unwrap() as usize, within, "{band}");
    }
    assert!(
        json["warnings"]
            .to_string()
            .contains("CRM have bands and an MQL threshold of their own"),
        "{said}"
    );

    // CRM's sales team can work half the MQLs a week it gets now: the threshold that fits,
    // counted by hand from its leads' scores.
    let weeks = json["capacity"]["periods"].as_f64().unwrap();
    let capacity = (mqls as f64 / weeks / 2.0 * 10.0).round() / 10.0;
    let outcome: Vec<bool> = (std::fs::read_to_string(&leads).unwrap().lines().skip(1))
        .zip(&product)
        .filter(|(_, p)| p.as_str() == "CRM")
        .map(|(l, _)| l.split(',').nth(10) == Some("1"))
        .collect();
    let at = |t: f64| crm_scores.iter().filter(|&&s| s >= t).count();
    let fits = (0..=100).find(|&t| at(t as f64) as f64 / weeks <= capacity).unwrap();
    assert!(fits > 9, "half the MQLs need a threshold above 9: {fits}");
    let found = (crm_scores.iter().zip(&outcome))
        .filter(|(&s, &y)| y && s >= fits as f64)
        .count();
    let with_capacity = dir.path().join("with-capacity");
    let said = run(&[
        &"evaluate",
        &"--model",
        &model,
        &"--data",
        &leads,
        &"--out",
        &with_capacity,
        &"--segment-capacity",
        &format!("CRM={capacity}"),
    ]);
    let json = report_json(&with_capacity);
    let rows = json["segments"]["rows"].as_array().unwrap();
    let crm = (rows.iter())
        .find(|r| r["segment"] == "CRM" || r["segment"] == "CRM (shared model)")
        .unwrap();
    let c = &crm["capacity"];
    assert_eq!(c["capacity"].as_f64(), Some(capacity), "{c}");
    assert_eq!(c["mql_threshold"].as_f64(), Some(9.0), "{c}");
    assert!(
        (c["mqls_per_period"].as_f64().unwrap() - mqls as f64 / weeks).abs() < 1e-9,
        "{c}"
    );
    assert_eq!(c["fitting_threshold"].as_u64(), Some(fits), "{c}");
    assert_eq!(c["at_fitting"]["leads"].as_u64(), Some(at(fits as f64) as u64), "{c}");
    let recall = found as f64 / outcome.iter().filter(|&&y| y).count() as f64;
    assert!(
        (c["at_fitting"]["recall"].as_f64().unwrap() - recall).abs() < 1e-12,
        "{c}"
    );
    assert!(
        rows.iter().filter(|r| !r["capacity"].is_null()).count() == 1,
        "only CRM's team was given"
    );
    assert!(
        said.contains(&format!("segment {}: ", crm["segment"].as_str().unwrap())),
        "{said}"
    );
    let markdown = std::fs::read_to_string(with_capacity.join("report.md")).unwrap();
    assert!(
        markdown.contains(&format!("value = \"CRM\", mql = {fits}")),
        "{markdown}"
    );

    // A value the model does not know is refused before anything is read.
    let output = leadscore()
        .args(["evaluate", "--segment-capacity", "Quantum=5", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&leads)
        .arg("--out")
        .arg(dir.path().join("refused"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("give one of: "), "{}", stderr_of(&output));
    assert!(!dir.path().join("refused").join("report.json").exists());
}

/// `[features] monotone` with segments: every segment's model is kept monotone, even the one
/// whose leads were planted to go the other way.
#[test]
fn every_segments_model_is_kept_monotone() {
    let dir = tempfile::tempdir().unwrap();
    // Two product lines; more visits raise conversion in line A and lower it in line B.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut csv = String::from("lead_id,line,visits,fit_index,converted\n");
    for k in 0..16_000 {
        let line = if k % 2 == 0 { "A" } else { "B" };
        let visits = (uniform() * 12.0).floor();
        let fit_index = (uniform() * 100.0).round();
        let slope = if line == "A" { 0.3 } else { -0.25 };
        let z = -1.5 + slope * (visits - 6.0) + 0.02 * (fit_index - 50.0);
        let converted = uniform() < 1.0 / (1.0 + (-z).exp());
        csv.push_str(&format!("L{k},{line},{visits},{fit_index},{}\n", u8::from(converted)));
    }
    let data = write(dir.path(), "leads.csv", csv);
    let train = |name: &str, features: &str| {
        let config = write(
            dir.path(),
            &format!("{name}.toml"),
            format!(
                "[data]\ntarget = \"converted\"\nid = \"lead_id\"\n\n[features]\n{features}\n\n[segments]\nby = \"line\"\nmin_leads = 1000\nmin_conversions = 100\n"
            ),
        );
        let model = dir.path().join(format!("{name}.lsm"));
        let said = run(&[&"train", &"--config", &config, &"--data", &data, &"--out", &model]);
        (model, said)
    };
    // Each line's leads with every number of visits, everything else the same.
    let mut grid = String::from("lead_id,line,visits,fit_index,converted\n");
    for line in ["A", "B"] {
        for v in 0..12 {
            grid.push_str(&format!("{line}{v},{line},{v},50,0\n"));
        }
    }
    let grid = write(dir.path(), "grid.csv", grid);
    let by_line = |model: &Path| -> Vec<Vec<f64>> {
        let out = dir.path().join("grid-scores.csv");
        run(&[&"score", &"--model", &model, &"--data", &grid, &"--out", &out]);
        let text = std::fs::read_to_string(&out).unwrap();
        let p: Vec<f64> = (text.lines().skip(1))
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        p.chunks(12).map(<[f64]>::to_vec).collect()
    };
    let (free, said) = train("free", "shape = \"linear\"");
    assert!(said.contains("segments      by \"line\""), "{said}");
    let p = by_line(&free);
    assert!(p[0][11] > p[0][0] + 0.2 && p[1][11] < p[1][0] - 0.1, "{p:?}");
    let (kept, said) = train("kept", "shape = \"linear\"\nmonotone = { visits = \"increasing\" }");
    assert!(said.contains("segments      by \"line\""), "{said}");
    assert!(said.contains("\"visits\" is kept monotone in segment \"B\""), "{said}");
    let p = by_line(&kept);
    for line in &p {
        assert!(line.windows(2).all(|w| w[1] >= w[0]), "{p:?}");
    }
    // Line A still rises as planted; in line B, where it fell, visits are held flat.
    assert!(p[0][11] > p[0][0] + 0.2, "{p:?}");
    assert!((p[1][11] - p[1][0]).abs() < 1e-3, "{p:?}");
}

#[test]
fn each_segments_model_is_exported_as_a_points_table_of_its_own() {
    let (data, model, _) = segmented();
    let (leads, events) = (data.join("leads.csv"), data.join("events.csv"));
    let export = |out: &Path, segment: Option<&str>| {
        let mut command = leadscore();
        command.arg("export-points").arg("--model").arg(model);
        command.arg("--data").arg(&leads).arg("--events").arg(&events);
        command.arg("--out").arg(out);
        if let Some(segment) = segment {
            command.args(["--segment", segment]);
        }
        command.output().unwrap()
    };
    // Without --segment: refused before writing, with the values to choose from.
    let out = work().join("points.toml");
    let output = export(&out, None);
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    let said = stderr_of(&output);
    assert!(said.contains("--segment") && said.contains("Marketing Cloud"), "{said}");
    assert!(!out.exists());

    let artifact = inspect_json(model)["artifact"].clone();
    let (_, own) = coefficient(model, "company_size = 1-10");
    let segments = artifact["segments"]["segments"].as_array().unwrap();
    let text = std::fs::read_to_string(&leads).unwrap();
    let mut points_by_segment = Vec::new();
    for (s, (value, weight)) in own.iter().enumerate() {
        assert_eq!(segments[s]["value"].as_str(), Some(value.as_str()));
        let out = work().join(format!("points-{s}.toml"));
        let output = export(&out, Some(value));
        assert!(output.status.success(), "{}", stderr_of(&output));
        assert!(
            stdout_of(&output).contains(&format!("segment \"{value}\" (its own model)")),
            "{}",
            stdout_of(&output)
        );
        // By hand: the segment's own coefficient (shared plus its deviation), at its own
        // calibration's slope; 20 points double the odds.
        let own_calibration = &artifact["segment_calibrations"][s];
        let calibration = if own_calibration.is_null() {
            &artifact["scorer"]["calibration"]
        } else {
            &own_calibration["calibration"]
        };
        let slope = calibration["Platt"]["slope"].as_f64().unwrap();
        let blend = if own_calibration.is_null() {
            &artifact["blend"]
        } else {
            &own_calibration["blend"]
        };
        let model_weight = blend["model_weight"].as_f64().unwrap_or(1.0);
        let expected = (20.0 / std::f64::consts::LN_2 * slope * model_weight * weight).round() as i64;
        let written = std::fs::read_to_string(&out).unwrap();
        let table: toml::Table = toml::from_str(&written).unwrap();
        let found = (table["rules"].as_array().unwrap().iter())
            .find(|r| {
                r["name"].as_str().is_some_and(|n| n.starts_with("company_size = "))
                    && (r.get("equals").and_then(|v| v.as_str()) == Some("1-10")
                        || (r.get("in").and_then(|v| v.as_array()))
                            .is_some_and(|values| values.iter().any(|v| v.as_str() == Some("1-10"))))
            })
            .map_or(0, |r| r["points"].as_integer().unwrap());
        assert_eq!(found, expected, "{value}: company_size = 1-10");
        points_by_segment.push((value.clone(), found));
        // Measured on that segment's leads only.
        let of_segment = text
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(9) == Some(value.as_str()))
            .count();
        assert!(
            written.contains(&format!("({} leads)", leadscore::output::thousands(of_segment))),
            "{value}: {of_segment} leads\n{written}"
        );
    }
    // Small companies convert more in Marketing Cloud only: the tables say so.
    for (value, points) in &points_by_segment {
        match value.as_str() {
            "Marketing Cloud" => assert!(*points > 0, "{points_by_segment:?}"),
            _ => assert!(*points < 0, "{points_by_segment:?}"),
        }
    }
}

#[test]
fn inspect_names_each_segments_top_factors_and_where_it_differs_most() {
    let (_, model, _) = segmented();
    let said = run(&[&"inspect", model]);
    let artifact = inspect_json(model)["artifact"].clone();
    let names: Vec<String> = serde_json::from_value(artifact["input_names"].clone()).unwrap();
    let coefficients: Vec<f64> = serde_json::from_value(artifact["model"]["coefficients"].clone()).unwrap();
    let w = artifact["segments"]["base_width"].as_u64().unwrap() as usize;
    let segments = artifact["segments"]["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    for (s, segment) in segments.iter().enumerate() {
        let value = segment["value"].as_str().unwrap();
        let deviation = &coefficients[w + s * w..w + (s + 1) * w];
        let own: Vec<f64> = (0..w).map(|j| coefficients[j] + deviation[j]).collect();
        let largest = |v: &[f64], by: fn(f64) -> f64| (0..w).max_by(|&a, &b| by(v[a]).total_cmp(&by(v[b]))).unwrap();
        let (up, down, moved) = (
            largest(&own, |x| x),
            largest(&own, |x| -x),
            largest(deviation, f64::abs),
        );
        let line = |start: String| {
            (said.lines().map(str::trim))
                .find(|l| l.starts_with(&start))
                .unwrap_or_else(|| panic!("no \"{start}\" in\n{said}"))
                .to_string()
        };
        let factors = line(format!("{value}: raising most "));
        assert!(
            factors.contains(&format!("raising most {} {:+.3},", names[up], own[up]))
                && factors.contains(&format!("lowering most {} {:+.3},", names[down], own[down])),
            "{factors}"
        );
        let differs = line(format!("{value}: differs most in "));
        assert!(
            differs.contains(&format!("in {} {:+.3}", names[moved], deviation[moved])),
            "{differs}"
        );
    }
}

#[test]
fn recalibrate_refits_each_segments_calibration_on_its_own_leads() {
    let (data, model, _) = segmented();
    // A recent batch where CRM leads convert half as often as they did: one converted CRM lead
    // in two is now lost. The other product lines are as they were.
    let text = std::fs::read_to_string(data.join("leads.csv")).unwrap();
    let mut lines = text.lines();
    let mut recent = format!("{}\n", lines.next().unwrap());
    let mut crm_converted = 0;
    for line in lines {
        let mut cells: Vec<&str> = line.split(',').collect();
        if cells[9] == "CRM" && cells[10] == "1" {
            crm_converted += 1;
            if crm_converted % 2 == 0 {
                cells[10] = "0";
            }
        }
        recent.push_str(&cells.join(","));
        recent.push('\n');
    }
    let recent = write(work(), "recent.csv", recent);
    let events = data.join("events.csv");
    let recalibrated = work().join("recalibrated.lsm");
    let said = run(&[
        &"recalibrate",
        &"--model",
        model,
        &"--data",
        &recent,
        &"--events",
        &events,
        &"--out",
        &recalibrated,
    ]);
    assert!(said.contains("per segment"), "{said}");
    assert!(
        (said.lines()).any(|l| l.trim_start().starts_with("CRM ") && l.contains("its own blend and calibration")),
        "{said}"
    );

    // Scored by the recalibrated model, each product line's mean probability is its rate in the
    // recent batch: CRM's halved, the others' as they were.
    let scored = work().join("recalibrated.csv");
    run(&[
        &"score",
        &"--model",
        &recalibrated,
        &"--data",
        &recent,
        &"--events",
        &events,
        &"--out",
        &scored,
    ]);
    let outcomes: Vec<(String, bool)> = (std::fs::read_to_string(&recent).unwrap().lines().skip(1))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[9].to_string(), cells[10] == "1")
        })
        .collect();
    let mut reader = csv::Reader::from_path(&scored).unwrap();
    let headers = reader.headers().unwrap().clone();
    let probability = headers.iter().position(|h| h == "probability").unwrap();
    let segment = headers.iter().position(|h| h == "segment").unwrap();
    let mut by_line: std::collections::BTreeMap<String, (f64, f64, usize)> = Default::default();
    for (record, (line, converted)) in reader.records().zip(&outcomes) {
        let record = record.unwrap();
        if &record[segment] != line {
            continue; // scored by the shared model
        }
        let entry = by_line.entry(line.clone()).or_default();
        entry.0 += record[probability].parse::<f64>().unwrap();
        entry.1 += f64::from(u8::from(*converted));
        entry.2 += 1;
    }
    assert!(by_line.contains_key("CRM"), "{by_line:?}");
    // Each segment's drift reference is the recent leads' now: they show no drift against it.
    let report = work().join("recalibrated-report");
    run(&[
        &"evaluate",
        &"--model",
        &recalibrated,
        &"--data",
        &recent,
        &"--events",
        &events,
        &"--out",
        &report,
    ]);
    let json = report_json(&report);
    for row in json["segments"]["rows"].as_array().unwrap() {
        let psi = row["score_psi"].as_f64().unwrap();
        assert!(psi < 0.01, "{}: {psi}", row["segment"]);
    }
    for (line, (probability, converted, leads)) in &by_line {
        let (mean, rate) = (probability / *leads as f64, converted / *leads as f64);
        assert!(
            (mean - rate).abs() < 0.004,
            "{line}: mean probability {mean:.4}, rate {rate:.4}"
        );
    }
}

#[test]
fn compare_shows_one_model_against_the_segmented_one_on_each_segment() {
    let (data, segmented_model, _) = segmented();
    let one = work().join("one.lsm");
    common::train_synth(data, &one, &[]);
    let batch = work().join("compare-batch");
    run(&[
        &"synth",
        &"--segments",
        &"--leads",
        &"10000",
        &"--seed",
        &"29",
        &"--out",
        &batch,
    ]);
    let out = work().join("compare");
    let said = run(&[
        &"compare",
        &"--model",
        &one,
        &"--model",
        segmented_model,
        &"--data",
        &batch.join("leads.csv"),
        &"--events",
        &batch.join("events.csv"),
        &"--out",
        &out,
    ]);
    assert!(said.contains("by \"product_line\" (ROC AUC difference): "), "{said}");
    let json = checked_json(
        &out.join("compare.json"),
        include_str!("../src/compare/compare.schema.json"),
    );
    let segments = &json["segments"];
    assert_eq!(segments["column"], "product_line");
    let rows = segments["rows"].as_array().unwrap();
    let leads: u64 = rows.iter().map(|r| r["leads"].as_u64().unwrap()).sum();
    assert_eq!(leads, json["data"]["leads"].as_u64().unwrap());

    // Each row's figures from scores.csv (each lead's score by both models) and the leads'
    // product lines: the ROC AUC of each model and the paired difference on the segment's leads.
    let own: Vec<String> = (inspect_json(segmented_model)["artifact"]["segments"]["segments"]
        .as_array()
        .unwrap()
        .iter())
    .map(|s| s["value"].as_str().unwrap().to_string())
    .collect();
    let product: std::collections::HashMap<String, String> = (std::fs::read_to_string(batch.join("leads.csv"))
        .unwrap()
        .lines()
        .skip(1))
    .map(|l| {
        let cells: Vec<&str> = l.split(',').collect();
        (cells[0].to_string(), cells[9].to_string())
    })
    .collect();
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    for row in rows {
        let segment = row["segment"].as_str().unwrap();
        let of_row = |id: &str| {
            let value = &product[id];
            if segment == "shared" {
                !own.contains(value)
            } else {
                value == segment
            }
        };
        let cells: Vec<Vec<&str>> = (scores.lines().skip(1))
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| of_row(c[0]))
            .collect();
        assert_eq!(cells.len() as u64, row["leads"].as_u64().unwrap(), "{segment}");
        let outcome: Vec<bool> = cells.iter().map(|c| c[1] == "1").collect();
        let score = |k: usize| -> Vec<f64> { cells.iter().map(|c| c[2 + k].parse().unwrap()).collect() };
        for k in 0..2 {
            let auc = leadscore::metrics::roc_auc(&outcome, &score(k)).unwrap();
            assert!(
                (row["roc_auc"][k].as_f64().unwrap() - auc).abs() < 1e-12,
                "{segment}: {row}"
            );
        }
        let paired = leadscore::metrics::delong_paired(&outcome, &score(0), &score(1)).unwrap();
        let written = &row["paired"][0];
        assert!(
            (written["difference"].as_f64().unwrap() - paired.difference).abs() < 1e-12,
            "{row}"
        );
        assert!((written["low"].as_f64().unwrap() - paired.low).abs() < 1e-12, "{row}");
    }
    // Marketing Cloud, where company size works the other way, is where the segmented model
    // gains most on one model.
    let gain = |segment: &str| {
        (rows.iter().find(|r| r["segment"] == segment))
            .map_or(f64::NEG_INFINITY, |r| r["paired"][0]["difference"].as_f64().unwrap())
    };
    assert!(gain("Marketing Cloud") > 0.0, "{rows:?}");
    let markdown = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(markdown.contains("### By \"product\\_line\""), "{markdown}");
}

#[test]
fn a_segment_whose_leads_changed_shows_drift_of_its_own() {
    let (data, model, _) = segmented();
    let (leads, events) = (data.join("leads.csv"), data.join("events.csv"));
    // The training leads, but of CRM only those scored at or above CRM's median: CRM's leads
    // changed, the other product lines' did not.
    let scored = work().join("training-scored.csv");
    run(&[
        &"score",
        &"--model",
        model,
        &"--data",
        &leads,
        &"--events",
        &events,
        &"--out",
        &scored,
    ]);
    let score: std::collections::HashMap<String, f64> = (std::fs::read_to_string(&scored).unwrap().lines().skip(1))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[1].parse().unwrap())
        })
        .collect();
    let text = std::fs::read_to_string(&leads).unwrap();
    let product = |l: &str| l.split(',').nth(9).unwrap().to_string();
    let id = |l: &str| l.split(',').next().unwrap().to_string();
    let mut crm: Vec<f64> = (text.lines().skip(1))
        .filter(|l| product(l) == "CRM")
        .map(|l| score[&id(l)])
        .collect();
    crm.sort_by(f64::total_cmp);
    let median = crm[crm.len() / 2];
    let mut changed = format!("{}\n", text.lines().next().unwrap());
    for line in text.lines().skip(1) {
        if product(line) != "CRM" || score[&id(line)] >= median {
            changed.push_str(line);
            changed.push('\n');
        }
    }
    let changed = write(work(), "changed.csv", changed);
    let report = work().join("drift-report");
    let said = run(&[
        &"evaluate",
        &"--model",
        model,
        &"--data",
        &changed,
        &"--events",
        &events,
        &"--out",
        &report,
    ]);
    assert!(said.contains("drift: segment CRM's score PSI"), "{said}");
    let json = report_json(&report);
    let rows = json["segments"]["rows"].as_array().unwrap();
    // The PSI by hand: each segment's probabilities (scores.csv) in the bins of its training
    // leads' distribution (the model file).
    let segmentation = &inspect_json(model)["artifact"]["segments"];
    let names: Vec<&str> = (segmentation["segments"].as_array().unwrap().iter())
        .map(|s| s["value"].as_str().unwrap())
        .chain(["shared"])
        .collect();
    let probabilities = std::fs::read_to_string(report.join("scores.csv")).unwrap();
    for row in rows {
        let segment = row["segment"].as_str().unwrap();
        let s = names.iter().position(|n| *n == segment).unwrap();
        let reference = &segmentation["score_reference"][s];
        let edges: Vec<f64> = serde_json::from_value(reference["edges"].clone()).unwrap();
        let shares: Vec<f64> = serde_json::from_value(reference["shares"].clone()).unwrap();
        let mut counts = vec![0usize; edges.len() + 1];
        for line in probabilities
            .lines()
            .skip(1)
            .filter(|l| l.ends_with(&format!(",{segment}")))
        {
            let p: f64 = line.split(',').nth(3).unwrap().parse().unwrap();
            counts[edges.iter().filter(|&&e| e < p).count()] += 1;
        }
        let n = counts.iter().sum::<usize>() as f64;
        let actual: Vec<f64> = counts.iter().map(|&c| c as f64 / n).collect();
        let psi = leadscore::metrics::psi(&shares, &actual);
        let written = row["score_psi"].as_f64().unwrap();
        assert!((written - psi).abs() < 1e-12, "{segment}: {written} against {psi}");
        if segment == "CRM" {
            assert!(psi > 0.25, "CRM's leads changed: {psi}");
        } else {
            assert!(psi < 0.01, "{segment}'s leads did not change: {psi}");
        }
    }
    let markdown = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(markdown.contains("### Drift in each segment"), "{markdown}");

    // `score` says so too, with the same figure when it reads the leads in several batches.
    let crm = (rows.iter().find(|r| r["segment"] == "CRM"))
        .map(|r| r["score_psi"].as_f64().unwrap())
        .unwrap();
    let said = run(&[
        &"score",
        &"--batch-mib",
        &"1",
        &"--model",
        model,
        &"--data",
        &changed,
        &"--events",
        &events,
        &"--out",
        &work().join("changed-scored.csv"),
    ]);
    assert!(
        said.contains(&format!(
            "segment CRM: score PSI {crm:.3} against its training leads (act"
        )),
        "{said}"
    );
    assert_eq!(said.matches("segment ").count(), 1, "only CRM drifted: {said}");
}

#[test]
fn the_rules_are_audited_on_each_segments_leads_alone() {
    let (data, model, _) = segmented();
    let (leads, events) = (data.join("leads.csv"), data.join("events.csv"));
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules/example.toml");
    let evaluate = |leads: &Path, out: &Path| {
        run(&[
            &"evaluate",
            &"--model",
            model,
            &"--data",
            &leads,
            &"--events",
            &events,
            &"--rules",
            &rules,
            &"--out",
            &out,
        ])
    };
    let all = work().join("audit-all");
    let said = evaluate(&leads, &all);
    let json = report_json(&all);
    // CRM's row is the audit of a file of CRM's leads alone.
    let text = std::fs::read_to_string(&leads).unwrap();
    let mut crm = format!("{}\n", text.lines().next().unwrap());
    for line in text.lines().skip(1).filter(|l| l.split(',').nth(9) == Some("CRM")) {
        crm.push_str(line);
        crm.push('\n');
    }
    let crm_only = work().join("audit-crm");
    evaluate(&write(work(), "crm.csv", crm), &crm_only);
    let alone = report_json(&crm_only)["rule_audit"].clone();
    let rows = json["segments"]["rows"].as_array().unwrap();
    let row = rows.iter().find(|r| r["segment"] == "CRM").unwrap();
    assert!(alone["rules"].as_array().is_some_and(|r| !r.is_empty()), "{alone}");
    assert_eq!(row["rule_audit"], alone);
    // Every row has its audit; the segments' fired counts add up to all leads'.
    let fired = |audit: &serde_json::Value| -> Vec<u64> {
        (audit["rules"].as_array().unwrap().iter())
            .map(|r| r["fired"].as_u64().unwrap())
            .collect()
    };
    let total = fired(&json["rule_audit"]);
    let mut summed = vec![0; total.len()];
    for row in rows {
        for (s, n) in summed.iter_mut().zip(fired(&row["rule_audit"])) {
            *s += n;
        }
    }
    assert_eq!(summed, total);
    // What the data disagrees with in a segment is said, and shown.
    let flagged: Vec<&str> = (row["rule_audit"]["rules"].as_array().unwrap().iter())
        .filter(|r| ["more", "fewer", "opposite"].contains(&r["verdict"].as_str().unwrap()))
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        !flagged.is_empty(),
        "the example rules are not all right for CRM: {row}"
    );
    assert!(
        said.contains(&format!(
            "rules the data disagrees with in segment CRM: {}",
            flagged.join(", ")
        )),
        "{said}"
    );
    let markdown = std::fs::read_to_string(all.join("report.md")).unwrap();
    assert!(markdown.contains("### Rule points in each segment"), "{markdown}");
}
