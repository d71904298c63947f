//! TOML text deserialised with errors that point at the file, line and character, for
//! `leadscore.toml` and rules files alike.

use std::path::Path;

use crate::error::{Error, Location, Result};

/// Deserialises TOML text; a syntax error, a wrong type or an unknown key is rejected with the
/// file, line and character where it is, and `fix`.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, path: &Path, fix: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let mut location = Location::file(path);
        if let Some(span) = e.span() {
            let (line, column) = line_and_column(text, span.start);
            location = location.line(line as u64).character(column);
        }
        Error::rejected(location, e.message().trim().to_string(), fix)
    })
}

/// 1-based line and column of a byte offset in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, column)
}
