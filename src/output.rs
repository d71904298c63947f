//! Writing output files atomically: a failed run never leaves a half-written file behind.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |writer| writer.write_all(bytes))
}

/// Streams into a temporary file beside `path` with `write`, then renames it into place; on
/// any error the temporary file is removed and `path` is untouched.
pub fn write_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the folder", e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("leadscore")
        ))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "creating a temporary file in", e))?;
    {
        let mut writer = std::io::BufWriter::new(temp.as_file_mut());
        write(&mut writer).map_err(|e| Error::io(path, "writing", e))?;
        writer.flush().map_err(|e| Error::io(path, "writing", e))?;
    }
    publish(temp, path)
}

/// Gives a finished temporary file ordinary permissions (temporary files are private) and
/// renames it to `path`.
pub fn publish(temp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, "setting permissions of", e))?;
    }
    temp.persist(path)
        .map_err(|e| Error::io(path, "renaming the finished file to", e.error))?;
    Ok(())
}
