//! Reading a lead or event file (CSV or Parquet) with polars into raw columns.
//!
//! CSV cells are read as text and typed by `data::infer`, so that placeholders such as `Select`,
//! numbers written as `2` and `2.5` in one column, and bad values are handled with messages that
//! name the row. Parquet columns keep the types they were written with.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::values::Values;
use crate::error::{Error, Location, Result};

/// The file formats leadscore reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Delimited text with a header line.
    Csv {
        /// The detected field separator.
        separator: u8,
    },
    /// Apache Parquet.
    Parquet,
}

/// One column as read, before typing.
pub enum RawCells {
    /// Text cells (all CSV columns, Parquet string columns); `None` is an empty cell.
    Text(StringChunked),
    /// Cells that arrived typed (Parquet numbers, booleans, dates).
    Typed(Values),
}

/// A named raw column.
pub struct RawColumn {
    /// Column name from the header.
    pub name: String,
    /// Its cells.
    pub cells: RawCells,
}

/// A whole input file, read but not yet typed.
pub struct RawFrame {
    /// Where it came from.
    pub path: PathBuf,
    /// How it was read.
    pub format: FileFormat,
    /// Number of data rows.
    pub n_rows: usize,
    /// The columns in file order.
    pub columns: Vec<RawColumn>,
    /// Data rows of the file before this frame's first row (when a file is read in chunks).
    pub row_offset: usize,
}

impl RawFrame {
    /// The location of `column` (and `row`, 0-based) in this file, for messages.
    pub fn locate(&self, column: &str, row: Option<usize>) -> Location {
        let mut location = Location::file(&self.path).column(column);
        if let Some(row) = row {
            let row = row + self.row_offset;
            location = location.row(row + 1);
            if let FileFormat::Csv { .. } = self.format {
                location = location.line(row as u64 + 2);
            }
        }
        location
    }

    /// Index of the column called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column called `name`, or an error naming the columns that exist.
    pub fn require(&self, name: &str, what: &str, flag: &str) -> Result<usize> {
        self.position(name).ok_or_else(|| {
            Error::rejected(
                Location::file(&self.path).column(name),
                format!("the {what} column is not in the file"),
                format!(
                    "pass the right name with {flag}; the file has: {}",
                    self.columns
                        .iter()
                        .map(|c| format!("\"{}\"", c.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

/// Whether `path` starts with Parquet's magic bytes.
pub fn is_parquet(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| &head == b"PAR1")
        .unwrap_or(false)
}

/// Reads a CSV or Parquet file (detected from its first bytes).
pub fn read_frame(path: &Path) -> Result<RawFrame> {
    let head = read_head(path)?;
    if head.is_empty() {
        return Err(Error::rejected(
            Location::file(path),
            "the file is empty",
            "export the leads again with a header line and at least one row",
        ));
    }
    let frame = if head.starts_with(b"PAR1") {
        read_parquet(path)?
    } else {
        read_csv(path, &head)?
    };
    if frame.n_rows == 0 {
        return Err(Error::rejected(
            Location::file(path),
            "the file has a header but no rows",
            "check the export: it should hold one row per lead",
        ));
    }
    Ok(frame)
}

fn read_head(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| {
        Error::rejected(
            Location::file(path),
            format!("cannot open the file: {e}"),
            "check the path and that the file is readable",
        )
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::rejected(
            Location::file(path),
            "is a directory, not a file",
            "name the CSV or Parquet file itself",
        ));
    }
    let mut head = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        let n = file
            .read(&mut head[filled..])
            .map_err(|e| Error::io(path, "reading", e))?;
        if n == 0 {
            break;
        }
        filled += n;
        if filled == head.len() {
            break;
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// The separator of the header line: the most frequent of `,` `;` tab `|` outside quotes.
pub fn detect_separator(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(entry) = counts.iter_mut().find(|(c, _)| *c == byte) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map(|(c, _)| *c)
        .unwrap_or(b',')
}

/// polars' options for reading every CSV cell as text.
fn text_csv_options(separator: u8) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|options| options.with_separator(separator).with_missing_is_null(true))
}

fn read_csv(path: &Path, head: &[u8]) -> Result<RawFrame> {
    let separator = detect_separator(head);
    let result = text_csv_options(separator)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish());
    match result {
        Ok(df) => csv_frame(path, df, separator, 0),
        Err(polars_error) => Err(diagnose_csv(path, separator, &polars_error.to_string())),
    }
}

/// Reads one chunk of a CSV file: `bytes` holds the header line and whole records;
/// `row_offset` data rows of the file come before them.
pub fn read_csv_chunk(
    path: &Path,
    separator: u8,
    bytes: &[u8],
    row_offset: usize,
    projection: Option<Arc<Vec<usize>>>,
) -> Result<RawFrame> {
    let result = text_csv_options(separator)
        .with_projection(projection)
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish();
    match result {
        Ok(df) => csv_frame(path, df, separator, row_offset),
        Err(polars_error) => Err(diagnose_csv(path, separator, &polars_error.to_string())),
    }
}

fn csv_frame(path: &Path, df: DataFrame, separator: u8, row_offset: usize) -> Result<RawFrame> {
    let n_rows = df.height();
    let mut columns = Vec::with_capacity(df.width());
    for (index, column) in df.into_columns().into_iter().enumerate() {
        // polars strips a quoted name's outer quotes but leaves its doubled inner ones.
        let mut name = column.name().replace("\"\"", "\"");
        if index == 0 {
            name = name.trim_start_matches('\u{feff}').to_string();
        }
        let text = column
            .str()
            .map_err(|e| Error::Runtime(format!("{}: column \"{name}\": {e}", path.display())))?
            .clone();
        columns.push(RawColumn {
            name,
            cells: RawCells::Text(text),
        });
    }
    check_header(path, &columns)?;
    Ok(RawFrame {
        path: path.to_path_buf(),
        format: FileFormat::Csv { separator },
        n_rows,
        columns,
        row_offset,
    })
}

fn check_header(path: &Path, columns: &[RawColumn]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for (index, column) in columns.iter().enumerate() {
        if column.name.trim().is_empty() {
            // A trailing separator on every line makes an unnamed empty last column; say so plainly.
            return Err(Error::rejected(
                Location::file(path).line(1),
                format!("column {} of the header has no name", index + 1),
                "give every column a name in the header line (a trailing separator makes an unnamed last column)",
            ));
        }
        if !seen.insert(column.name.as_str()) {
            return Err(Error::rejected(
                Location::file(path).column(&column.name).line(1),
                "two columns have this name",
                "rename one of them in the header line",
            ));
        }
    }
    Ok(())
}

/// A CSV file read a chunk of whole records at a time, each chunk with the header line in
/// front, so that a file of any length is processed in bounded memory.
pub struct CsvChunks {
    path: PathBuf,
    file: File,
    /// The header line, then the records not yet parsed (one buffer, reused from chunk to
    /// chunk); `filled` is its length.
    buffer: Vec<u8>,
    header_len: usize,
    filled: usize,
    /// The column names of the header line.
    names: Vec<String>,
    /// Columns parsed (positions in the header), or all of them.
    projection: Option<Arc<Vec<usize>>>,
    chunk_bytes: usize,
    rows_before: usize,
    /// Bytes of the file cut into chunks so far (the header included).
    consumed_bytes: u64,
    done: bool,
    /// The detected separator.
    pub separator: u8,
}

impl CsvChunks {
    /// Opens `path` (a CSV file) to read about `chunk_bytes` at a time.
    pub fn open(path: &Path, chunk_bytes: usize) -> Result<CsvChunks> {
        let head = read_head(path)?;
        let separator = detect_separator(&head);
        let header_len = record_end(&head, 0).ok_or_else(|| {
            Error::rejected(
                Location::file(path).line(1),
                "no complete header line",
                "the first line must name the columns",
            )
        })?;
        let names: Vec<String> = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .from_reader(&head[..header_len])
            .records()
            .next()
            .and_then(|record| record.ok())
            .map(|record| record.iter().map(str::to_string).collect())
            .unwrap_or_default();
        let mut file = File::open(path).map_err(|e| Error::io(path, "reading", e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(header_len as u64))
            .map_err(|e| Error::io(path, "reading", e))?;
        Ok(CsvChunks {
            path: path.to_path_buf(),
            file,
            buffer: head[..header_len].to_vec(),
            header_len,
            filled: header_len,
            names,
            projection: None,
            chunk_bytes,
            rows_before: 0,
            consumed_bytes: header_len as u64,
            done: false,
            separator,
        })
    }

    /// Parses only the columns called `wanted` (in file order) when the header names each of
    /// them once and has no unnamed column; otherwise every column, so that the usual
    /// messages about the header are given.
    pub fn only(mut self, wanted: &[String]) -> CsvChunks {
        if wanted.is_empty() {
            return self;
        }
        let mut names: Vec<&str> = self.names.iter().map(|n| n.trim_start_matches('\u{feff}')).collect();
        let clean = !names.iter().any(|n| n.trim().is_empty()) && {
            names.sort_unstable();
            names.windows(2).all(|w| w[0] != w[1])
        };
        let positions: Vec<usize> = (self.names.iter().enumerate())
            .filter(|(_, n)| wanted.iter().any(|w| w == n.trim_start_matches('\u{feff}')))
            .map(|(k, _)| k)
            .collect();
        if clean && positions.len() == wanted.len() {
            self.projection = Some(Arc::new(positions));
        }
        self
    }

    /// Reads until the buffer holds `want` bytes or the file ends.
    fn fill(&mut self, want: usize) -> Result<()> {
        let wanted = want.saturating_sub(self.filled);
        // Room for all of it at once: growing the buffer while reading would copy it.
        self.buffer.reserve(wanted);
        let n = (&mut self.file)
            .take(wanted as u64)
            .read_to_end(&mut self.buffer)
            .map_err(|e| Error::io(&self.path, "reading", e))?;
        self.filled = self.buffer.len();
        self.done = n < wanted;
        Ok(())
    }

    /// The next chunk read into a frame, or `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>> {
        let start = self.header_len;
        loop {
            let mut want = self.filled + self.chunk_bytes;
            let (mut rows, cut) = loop {
                if !self.done {
                    self.fill(want)?;
                }
                // Cut after the last line break outside quotes; the rest waits for the next chunk.
                match scan_records(&self.buffer[start..self.filled]) {
                    (rows, _) if self.done => break (rows, self.filled),
                    (rows, Some(end)) => break (rows, start + end),
                    // One record longer than a chunk: read on until it ends.
                    (_, None) => want += self.chunk_bytes,
                }
            };
            let records = &self.buffer[start..cut];
            let blank = records.iter().all(|b| b.is_ascii_whitespace());
            if self.done && !records.ends_with(b"\n") {
                rows += 1;
            }
            let frame = (!blank).then(|| {
                let offset = self.rows_before;
                self.rows_before += rows;
                self.consumed_bytes += (cut - start) as u64;
                read_csv_chunk(
                    &self.path,
                    self.separator,
                    &self.buffer[..cut],
                    offset,
                    self.projection.clone(),
                )
            });
            // What follows the cut moves up behind the header, for the next chunk.
            self.buffer.copy_within(cut..self.filled, start);
            self.filled = start + (self.filled - cut);
            self.buffer.truncate(self.filled);
            match frame {
                Some(frame) => return frame.map(Some),
                // Only blank lines: the end of the file, or more records after them.
                None if self.done => return Ok(None),
                None => continue,
            }
        }
    }

    /// Reads and parses the chunks on a thread of their own, one chunk ahead of the caller.
    pub fn ahead(mut self) -> CsvFrames {
        let total = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        let (send, frames) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || loop {
            let next = self.next_frame();
            let last = !matches!(next, Ok(Some(_)));
            // A closed channel means the caller stopped reading.
            if send.send((next, self.consumed_bytes)).is_err() || last {
                break;
            }
        });
        CsvFrames {
            frames,
            consumed: 0,
            total,
            ended: false,
        }
    }
}

/// The frames of a [`CsvChunks`] read ahead on another thread.
pub struct CsvFrames {
    frames: std::sync::mpsc::Receiver<(Result<Option<RawFrame>>, u64)>,
    /// Bytes of the file in the frames handed out so far.
    pub consumed: u64,
    /// Bytes in the file.
    pub total: u64,
    /// Whether the end of the file (or an error) came.
    ended: bool,
}

impl CsvFrames {
    /// The next chunk's frame, or `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>> {
        match self.frames.recv() {
            Ok((frame, consumed)) => {
                self.consumed = consumed;
                self.ended = !matches!(frame, Ok(Some(_)));
                frame
            }
            Err(_) if self.ended => Ok(None),
            // The reading thread stopped without saying so: never take that for the end of the file.
            Err(_) => Err(Error::Runtime("reading the leads stopped unexpectedly".into())),
        }
    }
}

/// End (exclusive) of the record starting at `from`: just after its line break outside quotes.
fn record_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quoted = false;
    for i in memchr::memchr2_iter(b'"', b'\n', &bytes[from..]) {
        match bytes[from + i] {
            b'"' => quoted = !quoted,
            _ if !quoted => return Some(from + i + 1),
            _ => {}
        }
    }
    None
}

/// The line breaks outside quotes in `bytes`: how many, and the end (exclusive) of the last.
fn scan_records(bytes: &[u8]) -> (usize, Option<usize>) {
    let (mut quoted, mut records, mut last) = (false, 0, None);
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        match bytes[i] {
            b'"' => quoted = !quoted,
            _ if !quoted => {
                records += 1;
                last = Some(i + 1);
            }
            _ => {}
        }
    }
    (records, last)
}

/// Finds the first malformed row of a CSV file that polars refused, for a message that names it.
fn diagnose_csv(path: &Path, separator: u8, polars_message: &str) -> Error {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return Error::io(path, "reading", e),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut record = csv::ByteRecord::new();
    let mut expected_fields = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                if let Some(bad) = record.iter().position(|field| std::str::from_utf8(field).is_err()) {
                    return Error::rejected(
                        Location::file(path).line(line),
                        format!("field {} is not valid UTF-8 text", bad + 1),
                        "save the file as UTF-8 (in Excel: \"CSV UTF-8\"), or convert it with `iconv -f latin1 -t utf-8`",
                    );
                }
                match expected_fields {
                    None => expected_fields = Some(record.len()),
                    Some(n) if n != record.len() => {
                        return Error::rejected(
                            Location::file(path).line(line),
                            format!("this row has {} fields but the header has {n}", record.len()),
                            "fix the row: a field holding the separator or a line break must be in double quotes",
                        )
                    }
                    Some(_) => {}
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Error::rejected(
                    Location::file(path).line(line),
                    format!("malformed CSV: {e}"),
                    "fix the row, or export the file again",
                );
            }
        }
    }
    Error::rejected(
        Location::file(path),
        format!("cannot read the CSV file: {polars_message}"),
        "check that it is a CSV file with a header line",
    )
}

fn read_parquet(path: &Path) -> Result<RawFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, "reading", e))?;
    let df = ParquetReader::new(file).finish().map_err(|e| {
        Error::rejected(
            Location::file(path),
            format!("cannot read the Parquet file: {e}"),
            "check that the file is complete and was written as Parquet",
        )
    })?;
    let n_rows = df.height();
    let mut columns = Vec::with_capacity(df.width());
    for column in df.into_columns() {
        let name = column.name().to_string();
        let cells = typed_cells(&column).map_err(|e| {
            Error::rejected(
                Location::file(path).column(&name),
                format!("unsupported Parquet column type {}: {e}", column.dtype()),
                "write the column as a number, boolean, string, date or timestamp",
            )
        })?;
        columns.push(RawColumn { name, cells });
    }
    check_header(path, &columns)?;
    Ok(RawFrame {
        path: path.to_path_buf(),
        format: FileFormat::Parquet,
        n_rows,
        columns,
        row_offset: 0,
    })
}

fn typed_cells(column: &Column) -> PolarsResult<RawCells> {
    let dtype = column.dtype();
    Ok(match dtype {
        DataType::String => RawCells::Text(column.str()?.clone()),
        DataType::Boolean => RawCells::Typed(Values::Boolean(
            column
                .bool()?
                .iter()
                .map(|v| v.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 }))
                .collect(),
        )),
        DataType::Date => {
            let days = column.cast(&DataType::Int32)?;
            RawCells::Typed(Values::Datetime(
                days.i32()?.iter().map(|d| d.map(|d| d as i64 * 86_400)).collect(),
            ))
        }
        DataType::Datetime(unit, _) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            let raw = column.cast(&DataType::Int64)?;
            RawCells::Typed(Values::Datetime(
                raw.i64()?.iter().map(|t| t.map(|t| t.div_euclid(per_second))).collect(),
            ))
        }
        dtype if dtype.is_primitive_numeric() => {
            let floats = column.cast(&DataType::Float64)?;
            RawCells::Typed(Values::Numeric(
                floats.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            ))
        }
        other => polars_bail!(ComputeError: "{other} columns are not read"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_between_records_and_keep_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let mut text = String::from("id,note\n");
        for i in 0..50 {
            // Every seventh record is longer than a chunk.
            let long = if i % 7 == 0 { "x".repeat(150) } else { String::new() };
            text.push_str(&format!("{i},\"line one\nline, two {i}{long}\"\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let mut chunks = CsvChunks::open(&path, 64).unwrap();
        let mut rows = 0;
        while let Some(frame) = chunks.next_frame().unwrap() {
            let offset = frame.row_offset;
            assert_eq!(frame.columns[0].name, "id");
            let RawCells::Text(ids) = &frame.columns[0].cells else {
                panic!()
            };
            assert_eq!(
                ids.get(0),
                Some(rows.to_string().as_str()),
                "records stay whole and in order"
            );
            assert_eq!(offset, rows, "the offset counts records, not line breaks");
            rows += frame.n_rows;
        }
        assert_eq!(rows, 50);

        // A run of blank lines longer than a chunk does not end the file.
        std::fs::write(&path, format!("id,note\n1,a\n{}2,b\n", "\n".repeat(200))).unwrap();
        let mut chunks = CsvChunks::open(&path, 64).unwrap();
        let mut ids = Vec::new();
        while let Some(frame) = chunks.next_frame().unwrap() {
            let RawCells::Text(text) = &frame.columns[0].cells else {
                panic!()
            };
            ids.extend(text.iter().flatten().map(str::to_string));
        }
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn chunks_parse_only_the_wanted_columns_when_the_header_allows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let first_frame = |text: &str, wanted: &[&str]| {
            std::fs::write(&path, text).unwrap();
            let wanted: Vec<String> = wanted.iter().map(|w| w.to_string()).collect();
            CsvChunks::open(&path, 1 << 20)
                .unwrap()
                .only(&wanted)
                .next_frame()
                .unwrap()
                .unwrap()
        };
        let frame = first_frame("id,a,b,c\n1,x,2,y\n2,z,3,w", &["c", "id"]);
        let names: Vec<&str> = frame.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "c"]);
        assert_eq!(frame.n_rows, 2, "an unterminated last line is a record");
        // A repeated name (even of a column not wanted) keeps every column, so that it is reported.
        assert_eq!(first_frame("id,a,a,c\n1,x,2,y\n", &["c", "id"]).columns.len(), 4);
        // A wanted column that is not there keeps every column, for the message naming them.
        assert_eq!(first_frame("id,a,b,c\n1,x,2,y\n", &["d"]).columns.len(), 4);
    }

    #[test]
    fn separator_is_detected_outside_quotes() {
        assert_eq!(detect_separator(b"a,b,c\n1,2,3"), b',');
        assert_eq!(detect_separator(b"\"a,x\";\"b\";c\n"), b';');
        assert_eq!(detect_separator(b"\xef\xbb\xbfid\tname\tscore\n"), b'\t');
        assert_eq!(detect_separator(b"single\n1\n"), b',');
    }
}
