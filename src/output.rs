//! Writing output files atomically: a failed run never leaves a half-written file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A path as the file system will resolve it: symlinks followed; a file that does not exist
/// yet, by its folder.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(absolute.clone(), |d| d.join(name)),
        _ => absolute,
    }
}

/// Whether two paths name one file: the same resolved path, or (both existing) the same
/// device and inode, which a hard link shares.
fn same_file(a: &Path, b: &Path) -> bool {
    if resolved(a) == resolved(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Refuses, before any work, outputs that would replace an input of the same run or each
/// other: `inputs` and `outputs` are `(path, flag)`. A usage error names both flags.
pub fn guard_outputs(inputs: &[(Option<&Path>, &str)], outputs: &[(Option<&Path>, &str)]) -> Result<()> {
    let inputs: Vec<(&Path, &str)> = inputs.iter().filter_map(|(p, f)| p.map(|p| (p, *f))).collect();
    let outputs: Vec<(&Path, &str)> = outputs.iter().filter_map(|(p, f)| p.map(|p| (p, *f))).collect();
    for (k, &(out, out_flag)) in outputs.iter().enumerate() {
        if let Some((_, in_flag)) = inputs.iter().find(|(input, _)| same_file(out, input)) {
            return Err(Error::Usage(format!(
                "{out_flag} {} is the file given to {in_flag}: writing it would destroy that input; write to another file",
                out.display()
            )));
        }
        if let Some((_, other)) = outputs[..k].iter().find(|(earlier, _)| same_file(out, earlier)) {
            return Err(Error::Usage(format!(
                "{out_flag} and {other} are one file ({}): give each output its own path",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Refuses, before any work, an output folder (`folder`, given to `flag`) that holds one of
/// the run's inputs: its files would be replaced.
pub fn guard_folder(folder: &Path, flag: &str, inputs: &[(Option<&Path>, &str)]) -> Result<()> {
    let folder = resolved(folder);
    for (input, in_flag) in inputs.iter().filter_map(|(p, f)| p.map(|p| (p, *f))) {
        if resolved(input).starts_with(&folder) {
            return Err(Error::Usage(format!(
                "{flag} {} holds the file given to {in_flag} ({}): the report would replace files in it; write the report to a folder of its own",
                folder.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |writer| writer.write_all(bytes))
}

/// Streams into a temporary file beside `path` with `write`, then renames it into place; on
/// any error the temporary file is removed and `path` is untouched.
pub fn write_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    {
        let mut writer = std::io::BufWriter::new(file.temp.as_file_mut());
        write(&mut writer).map_err(|e| Error::io(path, "write", e))?;
        writer.flush().map_err(|e| Error::io(path, "write", e))?;
    }
    file.publish()
}

/// The start of the name of a temporary file or folder this process makes for `name`:
/// `NAME.PID.`, so that one left by a killed run can be told from one still being written.
pub fn temp_prefix(name: &str) -> String {
    format!("{name}.{}.", std::process::id())
}

/// Whether process `pid` is still running (where the system can tell; otherwise yes).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Removes the temporary files and folders in `dir` that a run killed before it could clean up
/// left there for `name` (named `NAME.PID.….tmp` by [`temp_prefix`], the process gone).
pub fn remove_stale(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(name))
            .and_then(|n| n.strip_prefix('.'))
        else {
            continue;
        };
        let Some((pid, tail)) = rest.split_once('.') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if !tail.ends_with("tmp") || pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = entry.path();
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A file being written: a hidden temporary file beside its final path (`.NAME.PID.XXXX.tmp`)
/// until [`AtomicFile::publish`] renames it into place. Dropped unpublished, it is removed, so
/// a failed run leaves neither a half-written file nor a changed old one.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (its folder is created when missing).
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = folder_of(path);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create this folder", e))?;
        let name = format!(".{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("leadscore"));
        remove_stale(dir, &name);
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(&name))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, "create a temporary file in this folder", e))?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.temp
            .as_file_mut()
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, "write", e))
    }

    /// A second handle on the temporary file, for writers that want to own one (Parquet).
    pub fn handle(&self) -> Result<std::fs::File> {
        self.temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::io(&self.path, "open", e))
    }

    /// Gives the finished file ordinary permissions (temporary files are private) and renames
    /// it to its final path.
    pub fn publish(self) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io(&self.path, "set the permissions of", e))?;
        }
        let path = self.path;
        self.temp
            .persist(&path)
            .map_err(|e| Error::io(&path, "rename the finished file to this name", e.error))?;
        Ok(())
    }
}

/// Removes the output file `path` of an earlier run when this run has none to put there (a
/// rejects file when no row was rejected), so that it is not read as this run's.
pub fn remove_old(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, "remove", e)),
        _ => Ok(()),
    }
}

/// A folder of outputs being written (a report): its files go to a hidden temporary folder
/// beside it (`.NAME.PID.XXXX.tmp`) and are moved into the folder by [`AtomicFolder::publish`],
/// in the order written, only when all of them were written. A failed run (a full disk, say)
/// leaves the folder as it was; files of the folder that this run does not write are kept.
pub struct AtomicFolder {
    temp: tempfile::TempDir,
    path: PathBuf,
    written: Vec<String>,
}

impl AtomicFolder {
    /// Starts writing into `path` (created when published).
    pub fn create(path: &Path) -> Result<AtomicFolder> {
        if path.exists() && !path.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a file, not a folder: give the report a folder of its own",
                path.display()
            )));
        }
        let dir = folder_of(path);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create this folder", e))?;
        let name = format!(".{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("report"));
        remove_stale(dir, &name);
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(&name))
            .suffix(".tmp")
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, "create a temporary folder in this folder", e))?;
        Ok(AtomicFolder {
            temp,
            path: path.to_path_buf(),
            written: Vec::new(),
        })
    }

    /// Writes `bytes` as the folder's file `name` (which may hold a `/`: `charts/gains.svg`).
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let target = self.temp.path().join(name);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(self.path.join(name), "create this folder", e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| Error::io(self.path.join(name), "write", e))?;
        self.written.push(name.to_string());
        Ok(())
    }

    /// Moves every file written into the folder, in the order written.
    pub fn publish(self) -> Result<()> {
        for name in &self.written {
            let target = self.path.join(name);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create this folder", e))?;
            }
            let from = self.temp.path().join(name);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o644))
                    .map_err(|e| Error::io(&from, "set the permissions of", e))?;
            }
            std::fs::rename(&from, &target)
                .map_err(|e| Error::io(&target, "rename the finished file to this name", e))?;
        }
        Ok(())
    }
}

/// Appends `field` to a CSV line (comma-separated), in quotes when it holds a comma, a quote or
/// a line break, as the `csv` crate writes it.
pub fn push_csv_field(line: &mut Vec<u8>, field: &str) {
    let bytes = field.as_bytes();
    if memchr::memchr3(b',', b'"', b'\n', bytes).is_none() && memchr::memchr(b'\r', bytes).is_none() {
        line.extend_from_slice(bytes);
        return;
    }
    line.push(b'"');
    for &b in bytes {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// Appends `x` as `format!("{x}")` would: whole numbers without a decimal point.
pub fn push_number(line: &mut Vec<u8>, x: f64) {
    if x.fract() == 0.0 && (0.0..1e15).contains(&x) && x.is_sign_positive() {
        push_digits(line, x as u64);
    } else {
        write!(line, "{x}").expect("writing to memory");
    }
}

/// Appends the decimal digits of `n`.
fn push_digits(line: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    line.extend_from_slice(&digits[at..]);
}

/// Appends `x` with `decimals` digits after the point, exactly as `format!("{x:.decimals$}")`
/// would, without its cost in the common case.
pub fn push_fixed(line: &mut Vec<u8>, x: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    let scaled = x * scale as f64;
    // x × 10^d is off by at most half a unit in its last place (< 1e-9 here), so rounding it
    // gives the exact decimal unless the exact value lies that close to a half.
    let tie = (scaled - scaled.floor() - 0.5).abs() < 1e-6;
    if !x.is_finite() || !x.is_sign_positive() || scaled >= 1e12 || tie {
        write!(line, "{x:.*}", decimals as usize).expect("writing to memory");
        return;
    }
    let n = scaled.round() as u64;
    push_digits(line, n / scale);
    if decimals > 0 {
        line.push(b'.');
        let fraction = n % scale;
        let mut digit = scale / 10;
        while digit > 0 {
            line.push(b'0' + (fraction / digit % 10) as u8);
            digit /= 10;
        }
    }
}

/// A number as a person writes it: `3`, `2.5`, `0.125`.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A count with thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_may_not_be_an_input_or_another_output() {
        let dir = tempfile::tempdir().unwrap();
        let leads = dir.path().join("leads.csv");
        std::fs::write(&leads, "a\n1\n").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&leads, &link).unwrap();
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&leads, &hard).unwrap();
        let dotted = dir.path().join(".").join("leads.csv");
        let new = dir.path().join("scores.csv");
        for out in [&leads, &link, &hard, &dotted] {
            let err = guard_outputs(&[(Some(&leads), "--data")], &[(Some(out), "--out")]).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains("--data"), "{err}");
        }
        assert!(guard_outputs(&[(Some(&leads), "--data")], &[(Some(&new), "--out")]).is_ok());
        let err = guard_outputs(&[], &[(Some(&new), "--out"), (Some(&new), "--rejects")]).unwrap_err();
        assert!(err.to_string().contains("--rejects and --out"), "{err}");
        let err = guard_folder(dir.path(), "--out", &[(Some(&leads), "--data")]).unwrap_err();
        assert!(err.to_string().contains("holds the file given to --data"), "{err}");
        assert!(guard_folder(&dir.path().join("report"), "--out", &[(Some(&leads), "--data")]).is_ok());
    }

    #[test]
    fn temporary_files_of_killed_runs_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that is not running: beyond the kernel's largest.
        let dead = dir.path().join(".scores.csv.4194305.abc.tmp");
        let mine = dir.path().join(format!(".scores.csv.{}.def.tmp", std::process::id()));
        let other = dir.path().join(".other.csv.4194305.abc.tmp");
        let folder = dir.path().join(".report.4194305.xyz.tmp");
        for file in [&dead, &mine, &other] {
            std::fs::write(file, "x").unwrap();
        }
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("report.json"), "{}").unwrap();
        remove_stale(dir.path(), ".scores.csv");
        remove_stale(dir.path(), ".report");
        assert!(!dead.exists() && !folder.exists());
        assert!(mine.exists() && other.exists());
        let file = AtomicFile::create(&dir.path().join("scores.csv")).unwrap();
        drop(file);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    #[test]
    fn a_folder_is_filled_only_when_published() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report");
        std::fs::create_dir(&report).unwrap();
        std::fs::write(report.join("notes.txt"), "mine").unwrap();
        let mut folder = AtomicFolder::create(&report).unwrap();
        folder.write("charts/a.svg", b"<svg/>").unwrap();
        folder.write("report.html", b"<html/>").unwrap();
        assert!(!report.join("report.html").exists());
        folder.publish().unwrap();
        assert_eq!(std::fs::read(report.join("charts/a.svg")).unwrap(), b"<svg/>");
        assert!(report.join("notes.txt").exists() && report.join("report.html").exists());
        let mut unfinished = AtomicFolder::create(&report).unwrap();
        unfinished.write("report.json", b"{}").unwrap();
        drop(unfinished);
        assert!(!report.join("report.json").exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary folder left"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn fixed_decimals_equal_the_standard_formatting() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            0.5,
            0.0000005,
            0.0000015,
            0.9999995,
            0.9999994999,
            99.95,
            99.94999,
            100.0,
            0.05,
            0.15,
            0.25,
            1e-300,
            f64::NAN,
            f64::INFINITY,
            -1.5,
            12345.678,
            1e13,
        ];
        values.extend((0..200_000).map(|_| rng.gen::<f64>()));
        values.extend((0..200_000).map(|_| rng.gen_range(0..1_000_001) as f64 / 1e6));
        values.extend((0..200_000).map(|_| (rng.gen_range(0..2_000_000) as f64 + 1.0) / 2e6));
        values.extend((0..200_000).map(|_| rng.gen_range(0..2001) as f64 / 20.0));
        for x in values {
            for decimals in [0u32, 1, 2, 6] {
                let mut line = Vec::new();
                push_fixed(&mut line, x, decimals);
                assert_eq!(
                    String::from_utf8(line).unwrap(),
                    format!("{x:.*}", decimals as usize),
                    "{x:e}"
                );
            }
        }
    }

    #[test]
    fn numbers_equal_the_standard_formatting() {
        for x in [
            0.0,
            -0.0,
            1.0,
            7.0,
            85.0,
            100.0,
            12.5,
            -3.0,
            1e15,
            1e20,
            123456789.0,
            f64::NAN,
            0.1,
        ] {
            let mut line = Vec::new();
            push_number(&mut line, x);
            assert_eq!(String::from_utf8(line).unwrap(), format!("{x}"));
        }
    }

    #[test]
    fn csv_fields_are_quoted_as_the_csv_crate_quotes_them() {
        let fields = [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\rhere",
            " spaced ",
            "− unicode; x",
            "'",
        ];
        let mut ours = Vec::new();
        for (k, field) in fields.iter().enumerate() {
            if k > 0 {
                ours.push(b',');
            }
            push_csv_field(&mut ours, field);
        }
        ours.push(b'\n');
        let mut theirs = csv::Writer::from_writer(Vec::new());
        theirs.write_record(fields).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
    }
}
