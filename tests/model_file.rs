//! The model file refuses truncated, corrupted, hostile and newer files without panicking.

mod common;

use common::{leadscore, small_leads_csv, stderr_of, write};

fn trained_model(dir: &std::path::Path) -> Vec<u8> {
    let data = write(dir, "leads.csv", small_leads_csv(300));
    let model = dir.join("good.lsm");
    common::train(&data, &model);
    std::fs::read(model).unwrap()
}

fn inspect_rejects(dir: &std::path::Path, name: &str, bytes: &[u8], expected: &str) {
    let path = write(dir, name, bytes);
    let output = leadscore().arg("inspect").arg(&path).output().unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(3), "{name}: {message}");
    assert!(message.contains(expected), "{name}: {message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn damaged_model_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let good = trained_model(dir.path());
    leadscore()
        .arg("inspect")
        .arg(dir.path().join("good.lsm"))
        .assert()
        .success();

    inspect_rejects(dir.path(), "truncated.lsm", &good[..good.len() - 10], "truncated");
    inspect_rejects(dir.path(), "header.lsm", &good[..20], "truncated");
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    inspect_rejects(dir.path(), "flipped.lsm", &flipped, "checksum");
    inspect_rejects(
        dir.path(),
        "csv.lsm",
        b"lead_id,score\n1,2\n",
        "not a leadscore model file",
    );

    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&99u32.to_le_bytes());
    inspect_rejects(dir.path(), "newer.lsm", &newer, "format version 99");
    let mut older = good.clone();
    older[8..12].copy_from_slice(&2u32.to_le_bytes());
    inspect_rejects(dir.path(), "older.lsm", &older, "older leadscore");
}

#[test]
fn hostile_length_prefixes_do_not_allocate() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    // A payload whose first string claims to be ~2^62 bytes long, with a valid checksum.
    let mut payload = vec![0u8; 64];
    payload[0] = 3; // format_version = 3 (varint)
    payload[1] = 253; // bincode varint tag for a u64 length
    payload[2..10].copy_from_slice(&(1u64 << 62).to_le_bytes());
    let mut bytes = b"LEADSCOR".to_vec();
    bytes.extend_from_slice(&3u32.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    inspect_rejects(dir.path(), "hostile.lsm", &bytes, "cannot be decoded");
}

/// Model files written by the leadscore of earlier formats (`tests/fixtures/model_vN.lsm`,
/// trained on `leads_vN.csv`), with the scores that leadscore gave those leads
/// (`score --as-of 2026-01-01`): this one loads them and gives the same bytes. Format 3 is a
/// plain model; format 4 reads dates written 4/10/2024 2:46 PM and numbers written 1,250, and
/// blends two rules; format 5 has a model per product line, whose inputs were laid out the way
/// they were then (every lead sets the shared inputs and its segment's copy besides).
#[test]
fn model_files_written_by_the_leadscore_before_score_as_they_did() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for version in [3u32, 4, 5] {
        let model = fixtures.join(format!("model_v{version}.lsm"));
        let header = std::fs::read(&model).unwrap();
        assert_eq!(
            u32::from_le_bytes(header[8..12].try_into().unwrap()),
            version,
            "the fixture is format {version}"
        );
        let inspected = leadscore().arg("inspect").arg(&model).output().unwrap();
        assert!(
            common::stdout_of(&inspected).contains(&format!("(file format {version})")),
            "{}",
            stderr_of(&inspected)
        );
        let dir = tempfile::tempdir().unwrap();
        let scored = common::scored_bytes(
            &model,
            &fixtures.join(format!("leads_v{version}.csv")),
            &dir.path().join("s.csv"),
            "2026-01-01",
        );
        assert_eq!(
            scored,
            std::fs::read(fixtures.join(format!("scores_v{version}.csv"))).unwrap(),
            "format {version}"
        );
    }
    // The model with segments from before each segment had its own drift reference: evaluated,
    // its segments have no drift figure rather than a wrong one.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let output = leadscore()
        .arg("evaluate")
        .arg("--model")
        .arg(fixtures.join("model_v5.lsm"))
        .arg("--data")
        .arg(fixtures.join("leads_v5.csv"))
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    let rows = json["segments"]["rows"].as_array().unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["score_psi"].is_null()),
        "{rows:?}"
    );
}
