//! Writing output files atomically: a failed run never leaves a half-written file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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
        write(&mut writer).map_err(|e| Error::io(path, "writing", e))?;
        writer.flush().map_err(|e| Error::io(path, "writing", e))?;
    }
    file.publish()
}

/// A file being written: a hidden temporary file beside its final path (`.NAME.XXXX.tmp`)
/// until [`AtomicFile::publish`] renames it into place. Dropped unpublished, it is removed, so
/// a failed run leaves neither a half-written file nor a changed old one.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (its folder is created when missing).
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the folder", e))?;
        let temp = tempfile::Builder::new()
            .prefix(&format!(
                ".{}.",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("leadscore")
            ))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, "creating a temporary file in", e))?;
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
            .map_err(|e| Error::io(&self.path, "writing", e))
    }

    /// A second handle on the temporary file, for writers that want to own one (Parquet).
    pub fn handle(&self) -> Result<std::fs::File> {
        self.temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::io(&self.path, "opening", e))
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
                .map_err(|e| Error::io(&self.path, "setting permissions of", e))?;
        }
        let path = self.path;
        self.temp
            .persist(&path)
            .map_err(|e| Error::io(&path, "renaming the finished file to", e.error))?;
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
