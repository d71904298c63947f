//! Hostile input for the readers and parsers, generated: the CSV reader (whole and in chunks)
//! and the typing of its columns, Parquet columns of any numbers, `leadscore.toml` and rules
//! files, and the model-file decoder. Each must answer with a result — a table or a clear
//! error — and never panic. Cases that once failed are kept in `proptest-regressions/` and
//! replayed first. Set LEADSCORE_FUZZ_CASES to run more cases than CI does.

mod common;

use std::path::Path;

use leadscore::artifact::ModelArtifact;
use leadscore::config::Config;
use leadscore::data::read::{read_frame, CsvChunks};
use leadscore::data::{load_leads, ColumnChoice};
use leadscore::rules::RuleSet;
use proptest::prelude::*;

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("LEADSCORE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Bytes that look like a CSV export gone wrong: separators, quotes, line breaks, a BOM,
/// numbers, dates, words and a few bytes that are not UTF-8.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just("\u{feff}".as_bytes().to_vec()),
        Just(b"lead_id".to_vec()),
        Just(b"converted".to_vec()),
        Just(b"1".to_vec()),
        Just(b"0".to_vec()),
        Just(b"yes".to_vec()),
        Just(b"3,49".to_vec()),
        Just(b"1.5e308".to_vec()),
        Just(b"-inf".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"2026-02-30".to_vec()),
        Just(b"2025-06-01 12:00:00".to_vec()),
        Just(b"Select".to_vec()),
        Just(b"\"1,250\"".to_vec()),
        Just(b"$1,200.50".to_vec()),
        Just(b"12%".to_vec()),
        Just(b"12/6/2024 5:14 AM".to_vec()),
        Just(b"25.12.2024".to_vec()),
        Just(vec![0xff, 0xfe]),
        "[a-z]{1,8}".prop_map(String::into_bytes),
        "[0-9]{1,6}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    file
}

/// Reads `path` as `train` and `score` would; whatever happens must be a result.
fn read_every_way(path: &Path) {
    let frame = read_frame(path);
    if let Ok(mut chunks) = CsvChunks::open(path, 64) {
        while let Ok(Some(_)) = chunks.next_frame() {}
    }
    if frame.is_ok() {
        let config = Config::default();
        let _ = load_leads(path, &ColumnChoice::default(), &config, false, None);
        let lenient = ColumnChoice {
            lenient: true,
            ..ColumnChoice::default()
        };
        let _ = load_leads(path, &lenient, &config, false, Some(0));
    }
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn the_csv_reader_answers_any_bytes(bytes in csv_like()) {
        let file = temp_file(&bytes);
        read_every_way(file.path());
    }

    #[test]
    fn the_csv_reader_answers_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let file = temp_file(&bytes);
        read_every_way(file.path());
    }

    #[test]
    fn config_and_rules_parsers_answer_any_text(text in toml_like()) {
        let path = Path::new("fuzz.toml");
        if let Ok(config) = Config::parse(&text, path) {
            let _ = RuleSet::from_config(&config, &text, path);
        }
        let _ = RuleSet::parse(&text, path);
    }
}

/// Text that looks like a config or rules file: sections, keys, values of every type.
fn toml_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[data]".to_string()),
        Just("[model]".to_string()),
        Just("[[rules]]".to_string()),
        Just("[bands]".to_string()),
        Just("[decay]".to_string()),
        Just("[points]".to_string()),
        Just("[score]".to_string()),
        Just("name = \"r\"".to_string()),
        Just("points = 10".to_string()),
        Just("event = \"page_view\"".to_string()),
        Just("column = \"job_level\"".to_string()),
        Just("regex = \"(\"".to_string()),
        Just("at_least = -1e308".to_string()),
        Just("within_days = -5".to_string()),
        Just("cap = 0".to_string()),
        Just("cuts = [50, 10]".to_string()),
        Just("names = [\"a\"]".to_string()),
        Just("mql = 1e999".to_string()),
        Just("per_days = 0".to_string()),
        Just("c_grid = []".to_string()),
        Just("folds = 0".to_string()),
        Just("max_iterations = 0".to_string()),
        Just("as_of = \"2026-99-99\"".to_string()),
        Just("split = \"time\"".to_string()),
        "[a-z_]{1,10} = [0-9.e+-]{1,6}",
        "[a-z_]{1,10} = \"[ -~]{0,10}\"",
    ];
    proptest::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

/// A small model's file bytes, trained once.
fn model_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("lead_id,visits,source,converted\n");
        for i in 0..400 {
            csv.push_str(&format!(
                "L{i},{},{},{}\n",
                i % 9,
                ["a", "b", "c"][i % 3],
                u8::from(i % 9 + i % 3 > 6)
            ));
        }
        let data = dir.path().join("leads.csv");
        std::fs::write(&data, csv).unwrap();
        let model = dir.path().join("m.lsm");
        common::train(&data, &model);
        std::fs::read(model).unwrap()
    })
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn the_model_decoder_refuses_damaged_files(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = model_bytes().to_vec();
        for (at, mask) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= mask;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let decoded = ModelArtifact::from_bytes(&bytes, Path::new("m.lsm"));
        prop_assert!(decoded.is_err(), "a damaged model file was accepted");
        prop_assert_eq!(decoded.err().map(|e| e.exit_code()), Some(3));
    }

    #[test]
    fn the_model_decoder_answers_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut file = b"LEADSCOR".to_vec();
        file.extend(bytes);
        prop_assert!(ModelArtifact::from_bytes(&file, Path::new("m.lsm")).is_err());
    }
}

/// A Parquet lead file whose numbers are anything: infinities, NaN, the largest doubles.
fn parquet_numbers() -> impl Strategy<Value = Vec<f64>> {
    let number = prop_oneof![
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(-0.0),
        -1e6..1e6f64,
        any::<f64>(),
    ];
    proptest::collection::vec(number, 1..60)
}

proptest! {
    #![proptest_config(cases(60))]

    #[test]
    fn parquet_columns_of_any_numbers_are_typed_or_refused(visits in parquet_numbers()) {
        use polars::prelude::*;
        let n = visits.len();
        let mut frame = DataFrame::new(n, vec![
            Column::new("visits".into(), visits),
            Column::new("converted".into(), (0..n).map(|i| (i % 2) as i64).collect::<Vec<i64>>()),
        ]).unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        ParquetWriter::new(std::fs::File::create(file.path()).unwrap()).finish(&mut frame).unwrap();
        read_every_way(file.path());
    }
}

proptest! {
    #![proptest_config(cases(40))]

    /// Training ends, with a model or an error, whatever numbers the leads hold.
    #[test]
    fn training_ends_on_any_numbers(
        visits in proptest::collection::vec(prop_oneof![Just(f64::MAX), Just(-1e300), Just(0.0), -1e3..1e3f64, any::<f64>()], 40..120),
        seed in any::<u64>(),
    ) {
        use leadscore::progress::Silent;
        use leadscore::training::{train, TrainSettings};
        let mut csv = String::from("lead_id,visits,source,converted\n");
        for (i, v) in visits.iter().enumerate() {
            let converted = (seed >> (i % 64)) & 1;
            let cell = if v.is_finite() { format!("{v:e}") } else { String::new() };
            csv.push_str(&format!("L{i},{cell},{},{converted}\n", ["a", "b"][i % 2]));
        }
        let file = temp_file(csv.as_bytes());
        let mut config = Config::default();
        config.data.target = Some("converted".into());
        let started = std::time::Instant::now();
        let _ = train(&TrainSettings::new(file.path(), config), &Silent);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(20), "training took {:?}", started.elapsed());
    }
}
