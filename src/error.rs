//! Errors of the library, and the exit code each one maps to.
//!
//! Every message says what was wrong, where (file, column, row) and what to do about it.
//! The binary maps [`Error::exit_code`] to the process exit status in one place.

use std::fmt;
use std::path::{Path, PathBuf};

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found: any of file, column, row and line may be known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The input file.
    pub file: Option<PathBuf>,
    /// The column name.
    pub column: Option<String>,
    /// 1-based data row (the header is not counted).
    pub row: Option<usize>,
    /// 1-based line of a text file (the header is line 1), when it differs from the row.
    pub line: Option<u64>,
    /// 1-based character of that line (in a config or rules file).
    pub character: Option<usize>,
}

impl Location {
    /// A location in `file`.
    pub fn file(file: impl AsRef<Path>) -> Self {
        Location {
            file: Some(file.as_ref().to_path_buf()),
            ..Default::default()
        }
    }
    /// The same location narrowed to `column`.
    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
    /// The same location narrowed to 1-based data `row`.
    pub fn row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
    /// The same location narrowed to 1-based text `line`.
    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    /// The same location narrowed to 1-based `character` of its line.
    pub fn character(mut self, character: usize) -> Self {
        self.character = Some(character);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.display().to_string());
        }
        if let Some(column) = &self.column {
            parts.push(format!("column \"{column}\""));
        }
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(character) = self.character {
            parts.push(format!("character {character}"));
        }
        if parts.is_empty() {
            parts.push("input".to_string());
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// Why an input was rejected: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {problem}\n  fix: {fix}")]
pub struct Rejection {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong.
    pub problem: String,
    /// What the user can do about it.
    pub fix: String,
}

/// Everything that can go wrong in leadscore.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input data (leads, events, config, model file) was rejected: exit code 3.
    #[error("{0}")]
    Rejected(Box<Rejection>),
    /// The command line was wrong: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed for a reason outside the data: exit code 1.
    #[error("{path}: cannot {action}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What could not be done ("read", "write", ...).
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Anything else that failed while running: exit code 1.
    #[error("{0}")]
    Runtime(String),
    /// Stopped by SIGINT (Ctrl-C) or SIGTERM before the work was done; nothing was written:
    /// exit code 130.
    #[error("interrupted: nothing was written")]
    Interrupted,
}

impl Error {
    /// Input rejected at `location`: `problem` says what is wrong, `fix` what to do.
    pub fn rejected(location: Location, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Rejected(Box::new(Rejection {
            location,
            problem: problem.into(),
            fix: fix.into(),
        }))
    }

    /// An I/O failure on `path`.
    pub fn io(path: impl AsRef<Path>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            action,
            source,
        }
    }

    /// The process exit code for this error: 1 runtime, 2 usage, 3 input rejected, 130
    /// interrupted (as a shell reports a program stopped by Ctrl-C).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Rejected(_) => 3,
            Error::Usage(_) => 2,
            Error::Io { .. } | Error::Runtime(_) => 1,
            Error::Interrupted => 130,
        }
    }
}
