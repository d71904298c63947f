//! Reading a lead or event file (CSV or Parquet) into raw columns.
//!
//! CSV files are split into records by the `csv` crate, chunk by chunk on a thread of their own,
//! and only the columns wanted are kept, as text: `data::infer` types them, so that placeholders
//! such as `Select`, numbers written as `2` and `2.5` in one column, and bad values are handled
//! with messages that name the row. Parquet files are read by polars, and their columns keep the
//! types they were written with.

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

/// The cells of one text column, end to end in one string: cell `i` ends at `ends[i]` and starts
/// where cell `i - 1` ends. An empty cell is missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextCells {
    text: String,
    ends: CellEnds,
}

/// Where each cell of a column ends in its text: four bytes a cell while the text is shorter than
/// 4 GiB (a lead file's columns are held whole when training), eight beyond.
#[derive(Debug, Clone, PartialEq)]
enum CellEnds {
    Short(Vec<u32>),
    Long(Vec<usize>),
}

impl Default for CellEnds {
    fn default() -> Self {
        CellEnds::Short(Vec::new())
    }
}

impl CellEnds {
    fn with_capacity(cells: usize) -> CellEnds {
        CellEnds::Short(Vec::with_capacity(cells))
    }

    fn len(&self) -> usize {
        match self {
            CellEnds::Short(ends) => ends.len(),
            CellEnds::Long(ends) => ends.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&mut self) {
        match self {
            CellEnds::Short(ends) => ends.clear(),
            CellEnds::Long(_) => *self = CellEnds::Short(Vec::new()),
        }
    }

    fn reserve(&mut self, more: usize) {
        match self {
            CellEnds::Short(ends) => ends.reserve(more),
            CellEnds::Long(ends) => ends.reserve(more),
        }
    }

    fn push(&mut self, end: usize) {
        match self {
            CellEnds::Short(ends) => match u32::try_from(end) {
                Ok(end) => ends.push(end),
                Err(_) => {
                    let mut long: Vec<usize> = ends.iter().map(|&e| e as usize).collect();
                    long.push(end);
                    *self = CellEnds::Long(long);
                }
            },
            CellEnds::Long(ends) => ends.push(end),
        }
    }

    /// The end of cell `i`.
    fn get(&self, i: usize) -> usize {
        match self {
            CellEnds::Short(ends) => ends[i] as usize,
            CellEnds::Long(ends) => ends[i],
        }
    }

    /// The first cell that ends after byte `at`.
    fn first_ending_after(&self, at: usize) -> usize {
        match self {
            CellEnds::Short(ends) => ends.partition_point(|&end| end as usize <= at),
            CellEnds::Long(ends) => ends.partition_point(|&end| end <= at),
        }
    }
}

impl TextCells {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i`, or `None` when it is empty.
    pub fn get(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { self.ends.get(i - 1) };
        Some(&self.text[start..self.ends.get(i)]).filter(|cell| !cell.is_empty())
    }

    /// The cells in order, `None` for the empty ones.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + Clone + '_ {
        let mut start = 0;
        (0..self.ends.len()).map(move |i| {
            let end = self.ends.get(i);
            let cell = &self.text[start..end];
            start = end;
            Some(cell).filter(|cell| !cell.is_empty())
        })
    }
}

impl<'a> FromIterator<Option<&'a str>> for TextCells {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(cells: I) -> Self {
        let mut column = TextCells::default();
        for cell in cells {
            column.text.push_str(cell.unwrap_or(""));
            column.ends.push(column.text.len());
        }
        column
    }
}

/// Records being split into columns: the cells so far, the lines of their rows, and where the
/// rows of the last chunk start in it.
struct Split {
    columns: Vec<TextBytes>,
    starts: Vec<usize>,
    lines: Lines,
    rows: usize,
}

impl Split {
    /// Empties the split (keeping its memory) for records from line `first_line` on.
    fn clear(&mut self, first_line: u64) {
        for column in &mut self.columns {
            column.bytes.clear();
            column.ends.clear();
        }
        self.lines = Lines {
            first: first_line,
            shifts: Vec::new(),
        };
        self.rows = 0;
    }

    /// Adds the rows of `next`, split from the records that follow these.
    fn append(&mut self, next: &Split) {
        for (column, more) in self.columns.iter_mut().zip(&next.columns) {
            let base = column.bytes.len();
            column.bytes.extend_from_slice(&more.bytes);
            (0..more.ends.len()).for_each(|i| column.ends.push(more.ends.get(i) + base));
        }
        // Row `rows + r` starts on line `next.lines.of(r)`: a shift of `base` plus next's own.
        let (lines, rows) = (&mut self.lines, self.rows);
        let base = next.lines.first.saturating_sub(lines.first + rows as u64);
        if lines.shifts.last().map_or(0, |&(_, shift)| shift) != base {
            lines.shifts.push((rows, base));
        }
        (lines.shifts).extend(
            next.lines
                .shifts
                .iter()
                .map(|&(from, shift)| (rows + from, base + shift)),
        );
        self.rows += next.rows;
    }
}

/// A text column being filled from the bytes of CSV fields.
struct TextBytes {
    bytes: Vec<u8>,
    ends: CellEnds,
}

impl TextBytes {
    /// A column with room for `cells` cells of `bytes` bytes in all.
    fn with_capacity(cells: usize, bytes: usize) -> TextBytes {
        TextBytes {
            bytes: Vec::with_capacity(bytes),
            ends: CellEnds::with_capacity(cells),
        }
    }

    /// Makes room for `ratio` times the cells and bytes held now.
    fn reserve(&mut self, ratio: f64) {
        let more = |n: usize| (n as f64 * (ratio - 1.0)).ceil().max(0.0) as usize;
        self.bytes.reserve(more(self.bytes.len()));
        self.ends.reserve(more(self.ends.len()));
    }

    fn push(&mut self, field: &[u8]) {
        self.bytes.extend_from_slice(field);
        self.ends.push(self.bytes.len());
    }

    /// The column as text, or the row of its first cell that is not UTF-8.
    fn finish(self) -> std::result::Result<TextCells, usize> {
        let ends = self.ends;
        match String::from_utf8(self.bytes) {
            Ok(text) => Ok(TextCells { text, ends }),
            Err(e) => Err(ends.first_ending_after(e.utf8_error().valid_up_to())),
        }
    }
}

/// One column as read, before typing.
pub enum RawCells {
    /// Text cells (all CSV columns, Parquet string columns).
    Text(TextCells),
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
    /// Where the rows are in a CSV file: the line of the first row, and from which rows on
    /// (records holding line breaks, blank lines) the line is how many more than one a row.
    lines: Lines,
}

/// The lines of a CSV frame's rows (see [`RawFrame::line`]).
#[derive(Debug, Clone, Default)]
struct Lines {
    first: u64,
    shifts: Vec<(usize, u64)>,
}

impl Lines {
    /// The line where row `row` starts.
    fn of(&self, row: usize) -> u64 {
        let shift = match self.shifts.partition_point(|&(from, _)| from <= row) {
            0 => 0,
            k => self.shifts[k - 1].1,
        };
        self.first + row as u64 + shift
    }
}

impl RawFrame {
    /// Whether numbers may be written with a decimal comma: the file is `;`-separated, as
    /// spreadsheets save CSV where the comma is the decimal separator.
    pub fn decimal_comma(&self) -> bool {
        matches!(self.format, FileFormat::Csv { separator: b';' })
    }

    /// The location of `column` (and `row`, 0-based) in this file, for messages.
    pub fn locate(&self, column: &str, row: Option<usize>) -> Location {
        let mut location = Location::file(&self.path).column(column);
        if let Some(row) = row {
            location = location.row(row + self.row_offset + 1);
            if let Some(line) = self.line(row) {
                location = location.line(line);
            }
        }
        location
    }

    /// The line of the CSV file where row `row` (0-based, in this frame) starts.
    pub fn line(&self, row: usize) -> Option<u64> {
        match self.format {
            FileFormat::Csv { .. } => Some(self.lines.of(row)),
            FileFormat::Parquet => None,
        }
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

/// The column names of a CSV or Parquet file, without reading its rows (a Parquet file's
/// schema is read).
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    if is_parquet(path) {
        return Ok(read_frame(path)?.columns.into_iter().map(|c| c.name).collect());
    }
    Ok(CsvChunks::open(path, 1)?.names)
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
        read_csv(path)?
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

/// Bytes read first, to tell CSV from Parquet and to find the header line and its separator.
const HEAD_BYTES: usize = 64 * 1024;

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
    let mut head = vec![0u8; HEAD_BYTES];
    let mut filled = 0;
    loop {
        let n = file.read(&mut head[filled..]).map_err(|e| Error::io(path, "read", e))?;
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

/// Longest header line read (a few thousand columns with long names fit).
const MAX_HEADER_BYTES: usize = 16 * 1024 * 1024;

/// The file's first bytes, read on until they hold the whole header line (or the file ends).
fn read_header(path: &Path) -> Result<Vec<u8>> {
    let mut head = read_head(path)?;
    if head.len() < HEAD_BYTES || record_ends(&head).next().is_some() {
        return Ok(head);
    }
    let mut file = File::open(path).map_err(|e| Error::io(path, "read", e))?;
    head.clear();
    let mut block = vec![0u8; HEAD_BYTES];
    loop {
        let n = file.read(&mut block).map_err(|e| Error::io(path, "read", e))?;
        head.extend_from_slice(&block[..n]);
        // The whole head is searched: a quoted name may hold a line break.
        if n == 0 || record_ends(&head).next().is_some() {
            return Ok(head);
        }
        if head.len() > MAX_HEADER_BYTES {
            return Err(Error::rejected(
                Location::file(path).line(1),
                format!("the header line is longer than {} MiB", MAX_HEADER_BYTES >> 20),
                "the first line must name the columns; check that this is a CSV export",
            ));
        }
    }
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

/// What to do about a file that is not UTF-8.
const SAVE_AS_UTF8: &str =
    "save the file as UTF-8 (in Excel: \"CSV UTF-8\"), or convert it with `iconv -f latin1 -t utf-8`";

/// Bytes of a CSV file split into records at a time when it is read whole: the file is never
/// held in memory twice, as bytes and as cells, and one buffer serves every chunk.
const WHOLE_FILE_CHUNK_BYTES: usize = 16 << 20;

/// Reads a whole CSV file.
fn read_csv(path: &Path) -> Result<RawFrame> {
    read_csv_by(path, WHOLE_FILE_CHUNK_BYTES)
}

/// Reads a whole CSV file, `chunk_bytes` at a time: each chunk's records are split straight
/// into the file's columns.
fn read_csv_by(path: &Path, chunk_bytes: usize) -> Result<RawFrame> {
    let size = std::fs::metadata(path).map_err(|e| Error::io(path, "read", e))?.len();
    let mut chunks = CsvChunks::open(path, chunk_bytes)?;
    let mut whole = Split {
        columns: (chunks.positions.iter())
            .map(|_| TextBytes::with_capacity(0, 0))
            .collect(),
        starts: Vec::new(),
        lines: Lines {
            first: chunks.line,
            shifts: Vec::new(),
        },
        rows: 0,
    };
    // The second half of each chunk is split into `half` on another thread, then appended.
    let mut half = Split {
        columns: (chunks.positions.iter())
            .map(|_| TextBytes::with_capacity(0, 0))
            .collect(),
        starts: Vec::new(),
        lines: Lines::default(),
        rows: 0,
    };
    let mut reserved = false;
    while chunks
        .next_chunk(|chunks, records, lines_in| chunks.split_in_halves(records, lines_in, &mut whole, &mut half))?
    {
        // Room for the whole file at once, estimated from its first chunk.
        if !reserved && chunks.consumed_bytes < size {
            let ratio = size as f64 / chunks.consumed_bytes.max(1) as f64 * 1.02;
            whole.columns.iter_mut().for_each(|c| c.reserve(ratio));
        }
        reserved = true;
    }
    let rows = whole.rows;
    let (cells, lines) = chunks.finish(whole)?;
    chunks.frame(cells, rows, lines)
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

/// A CSV file read a chunk of whole records at a time, so that a file of any length is processed
/// in bounded memory.
pub struct CsvChunks {
    path: PathBuf,
    file: File,
    /// Records read from the file but not yet parsed: one buffer, reused from chunk to chunk.
    buffer: Vec<u8>,
    /// The column names of the header line.
    names: Vec<String>,
    /// The columns kept (positions in the header, in file order).
    positions: Vec<usize>,
    chunk_bytes: usize,
    rows_before: usize,
    /// The line of the file where `buffer` starts.
    line: u64,
    /// Bytes of the file cut into chunks so far (the header included).
    consumed_bytes: u64,
    done: bool,
    /// The detected separator.
    pub separator: u8,
}

impl CsvChunks {
    /// Opens `path` (a CSV file) to read about `chunk_bytes` at a time.
    pub fn open(path: &Path, chunk_bytes: usize) -> Result<CsvChunks> {
        let head = read_header(path)?;
        let separator = detect_separator(&head);
        let header_len = match record_ends(&head).next() {
            Some(end) => end,
            // A header without a line break ends the file.
            None if !head.is_empty() => head.len(),
            None => {
                return Err(Error::rejected(
                    Location::file(path).line(1),
                    "no complete header line",
                    "the first line must name the columns",
                ))
            }
        };
        let names = header_names(path, separator, &head[..header_len])?;
        let mut file = File::open(path).map_err(|e| Error::io(path, "read", e))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(header_len as u64))
            .map_err(|e| Error::io(path, "read", e))?;
        Ok(CsvChunks {
            path: path.to_path_buf(),
            file,
            buffer: Vec::new(),
            positions: (0..names.len()).collect(),
            names,
            chunk_bytes,
            rows_before: 0,
            line: 2,
            consumed_bytes: header_len as u64,
            done: false,
            separator,
        })
    }

    /// Keeps only the columns called `wanted` (in file order) when the header names each of
    /// them once and has no unnamed column; otherwise every column, so that the usual
    /// messages about the header are given.
    pub fn only(mut self, wanted: &[String]) -> CsvChunks {
        if wanted.is_empty() {
            return self;
        }
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let clean = !names.iter().any(|n| n.trim().is_empty()) && {
            names.sort_unstable();
            names.windows(2).all(|w| w[0] != w[1])
        };
        let positions: Vec<usize> = (self.names.iter().enumerate())
            .filter(|(_, n)| wanted.contains(n))
            .map(|(k, _)| k)
            .collect();
        if clean && positions.len() == wanted.len() {
            self.positions = positions;
        }
        self
    }

    /// Reads until the buffer holds `want` bytes or the file ends.
    fn fill(&mut self, want: usize) -> Result<()> {
        let wanted = want.saturating_sub(self.buffer.len());
        // Room for all of it at once: growing the buffer while reading would copy it.
        self.buffer.reserve(wanted);
        let n = (&mut self.file)
            .take(wanted as u64)
            .read_to_end(&mut self.buffer)
            .map_err(|e| Error::io(&self.path, "read", e))?;
        self.done = n < wanted;
        Ok(())
    }

    /// The next chunk read into a frame, or `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>> {
        let mut frame = None;
        self.next_chunk(|chunks, records, lines_in| {
            frame = Some(chunks.parse(records, lines_in)?);
            Ok(())
        })?;
        if let Some(frame) = &frame {
            self.rows_before += frame.n_rows;
        }
        Ok(frame)
    }

    /// Cuts the next chunk of whole records and hands them to `parse` with the number of line
    /// breaks they hold; false at the end of the file. Chunks of blank lines only are skipped.
    fn next_chunk(&mut self, mut parse: impl FnMut(&CsvChunks, &[u8], usize) -> Result<()>) -> Result<bool> {
        loop {
            crate::interrupt::check()?;
            let mut want = self.buffer.len() + self.chunk_bytes;
            let cut = loop {
                if !self.done {
                    self.fill(want)?;
                }
                // Cut after the last line break outside quotes; the rest waits for the next chunk.
                match record_ends(&self.buffer).last() {
                    last if self.done => {
                        // At the end of the file, the last record must not be inside quotes.
                        let tail = last.unwrap_or(0);
                        if memchr::memchr_iter(b'"', &self.buffer[tail..]).count() % 2 == 1 {
                            let line = self.line + memchr::memchr_iter(b'\n', &self.buffer[..tail]).count() as u64;
                            return Err(Error::rejected(
                                Location::file(&self.path).line(line),
                                "a double quote opened on this row is never closed, so the lines after it read as one field",
                                "close the quote (a quote inside a quoted field is written twice: \"\"), or remove it",
                            ));
                        }
                        break self.buffer.len();
                    }
                    Some(end) => break end,
                    // One record longer than a chunk: read on until it ends.
                    None => want += self.chunk_bytes,
                }
            };
            let records = &self.buffer[..cut];
            let lines = memchr::memchr_iter(b'\n', records).count();
            let blank = records.iter().all(u8::is_ascii_whitespace);
            if !blank {
                parse(self, records, lines)?;
            }
            self.line += lines as u64;
            self.consumed_bytes += cut as u64;
            // What follows the cut moves to the front, for the next chunk.
            self.buffer.drain(..cut);
            match blank {
                false => return Ok(true),
                // Only blank lines: the end of the file, or more records after them.
                true if self.done => return Ok(false),
                true => continue,
            }
        }
    }

    /// Splits whole records (starting at line `self.line`, `lines_in` lines) into the kept columns.
    fn parse(&self, records: &[u8], lines_in: usize) -> Result<RawFrame> {
        // Room for every cell at once (a record takes a line or more), and for the bytes of an
        // average cell: growing the columns would copy them and touch new memory.
        let (cells, bytes) = (lines_in + 1, records.len() / self.names.len().max(1) + 64);
        let mut split = Split {
            columns: (self.positions.iter())
                .map(|_| TextBytes::with_capacity(cells, bytes))
                .collect(),
            starts: Vec::with_capacity(cells),
            lines: Lines {
                first: self.line,
                shifts: Vec::new(),
            },
            rows: 0,
        };
        self.split_into(records, lines_in, self.line, &mut split)?;
        let rows = split.rows;
        let (text, lines) = self.finish(split)?;
        self.frame(text, rows, lines)
    }

    /// Splits whole records, starting at line `first_line` and taking `lines_in` lines, into the
    /// kept columns of `split`, after the rows it holds.
    fn split_into(&self, records: &[u8], lines_in: usize, first_line: u64, split: &mut Split) -> Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(records);
        let mut record = csv::ByteRecord::new();
        // Where each row starts in `records`, for its line.
        let starts = &mut split.starts;
        starts.clear();
        let line_at = |at: usize| first_line + memchr::memchr_iter(b'\n', &records[..at]).count() as u64;
        loop {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                let at = e.position().map_or(0, |p| p.byte() as usize);
                Error::rejected(
                    Location::file(&self.path).line(line_at(at)),
                    format!("malformed CSV: {e}"),
                    "fix the row, or export the file again",
                )
            })?;
            if !more {
                break;
            }
            // Where the record's first field starts: the csv reader may count the line breaks
            // before it (a CRLF's LF, blank lines) as the record's.
            let mut start = record.position().map_or(0, |p| p.byte() as usize);
            while matches!(records.get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            if record.len() != self.names.len() {
                if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                    continue; // a line of spaces
                }
                // A quote never closed reads the rest of the file (or chunk) as one field.
                let end = reader.position().byte() as usize;
                let spans_lines = line_at(end.min(records.len())) > line_at(start) + 1;
                if spans_lines && records[start..end.min(records.len())].contains(&b'"') {
                    return Err(Error::rejected(
                        Location::file(&self.path).line(line_at(start)),
                        "a double quote opened on this row is never closed, so the lines after it read as one field",
                        "close the quote (a quote inside a quoted field is written twice: \"\"), or remove it",
                    ));
                }
                return Err(Error::rejected(
                    Location::file(&self.path).line(line_at(start)),
                    format!(
                        "this row has {} fields but the header has {}",
                        record.len(),
                        self.names.len()
                    ),
                    "fix the row: a field holding the separator or a line break must be in double quotes",
                ));
            }
            for (column, &k) in split.columns.iter_mut().zip(&self.positions) {
                column.push(&record[k]);
            }
            starts.push(start);
        }
        let (before, rows) = (split.rows, starts.len());
        let lines = &mut split.lines;
        let mut note = |row: usize, line: u64| {
            if line != lines.of(row) {
                lines.shifts.push((row, line - lines.first - row as u64));
            }
        };
        if lines_in == rows || (lines_in + 1 == rows && !records.ends_with(b"\n")) {
            // Every row is one line: only the first may start elsewhere than the rows before say.
            if rows > 0 {
                note(before, first_line);
            }
        } else {
            let (mut line, mut counted) = (first_line, 0);
            for (row, &start) in starts.iter().enumerate() {
                line += memchr::memchr_iter(b'\n', &records[counted..start]).count() as u64;
                counted = start;
                note(before + row, line);
            }
        }
        split.rows += rows;
        Ok(())
    }

    /// [`CsvChunks::split_into`] `whole`, the two halves of the records at once.
    fn split_in_halves(&self, records: &[u8], lines_in: usize, whole: &mut Split, half: &mut Split) -> Result<()> {
        let middle = record_ends(records)
            .find(|&end| end >= records.len() / 2)
            .unwrap_or(records.len());
        let (first, second) = records.split_at(middle);
        let first_lines = memchr::memchr_iter(b'\n', first).count();
        let second_line = self.line + first_lines as u64;
        half.clear(second_line);
        let (a, b) = rayon::join(
            || self.split_into(first, first_lines, self.line, whole),
            || self.split_into(second, lines_in - first_lines, second_line, half),
        );
        a?;
        b?;
        whole.append(half);
        Ok(())
    }

    /// The columns of `split` as text, with the lines of their rows.
    fn finish(&self, split: Split) -> Result<(Vec<TextCells>, Lines)> {
        let lines = split.lines;
        let mut text = Vec::with_capacity(split.columns.len());
        for (column, &k) in split.columns.into_iter().zip(&self.positions) {
            text.push(column.finish().map_err(|row| {
                Error::rejected(
                    Location::file(&self.path).column(&self.names[k]).line(lines.of(row)),
                    "the cell is not valid UTF-8 text",
                    SAVE_AS_UTF8,
                )
            })?);
        }
        Ok((text, lines))
    }

    /// A frame of the kept columns.
    fn frame(&self, cells: Vec<TextCells>, n_rows: usize, lines: Lines) -> Result<RawFrame> {
        let columns: Vec<RawColumn> = (self.positions.iter().zip(cells))
            .map(|(&k, cells)| RawColumn {
                name: self.names[k].clone(),
                cells: RawCells::Text(cells),
            })
            .collect();
        check_header(&self.path, &columns)?;
        Ok(RawFrame {
            path: self.path.clone(),
            format: FileFormat::Csv {
                separator: self.separator,
            },
            n_rows,
            columns,
            row_offset: self.rows_before,
            lines,
        })
    }

    /// Reads and parses the chunks on a thread of their own, one chunk ahead of the caller.
    pub fn ahead(mut self) -> CsvFrames {
        let total = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        // The next frame waits in the thread until the caller takes it: two frames at most are
        // held at once, the one being used and the one read ahead.
        let (send, frames) = std::sync::mpsc::sync_channel(0);
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

/// The ends (exclusive) of the records in `bytes`, in order: just after each line break outside
/// quotes.
fn record_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut quoted = false;
    memchr::memchr2_iter(b'"', b'\n', bytes).filter_map(move |i| match bytes[i] {
        b'"' => {
            quoted = !quoted;
            None
        }
        _ => (!quoted).then_some(i + 1),
    })
}

/// The column names of the header line `line`.
fn header_names(path: &Path, separator: u8, line: &[u8]) -> Result<Vec<String>> {
    let mut record = csv::ByteRecord::new();
    let read = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .from_reader(line)
        .read_byte_record(&mut record);
    if !matches!(read, Ok(true)) {
        return Err(Error::rejected(
            Location::file(path).line(1),
            "the header line is empty",
            "the first line must name the columns",
        ));
    }
    (record.iter().enumerate())
        .map(|(k, name)| {
            let name = std::str::from_utf8(name).map_err(|_| {
                Error::rejected(
                    Location::file(path).line(1),
                    format!("the name of column {} is not valid UTF-8 text", k + 1),
                    SAVE_AS_UTF8,
                )
            })?;
            Ok(if k == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            }
            .to_string())
        })
        .collect()
}

fn read_parquet(path: &Path) -> Result<RawFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, "read", e))?;
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
        lines: Lines::default(),
    })
}

fn typed_cells(column: &Column) -> PolarsResult<RawCells> {
    let dtype = column.dtype();
    Ok(match dtype {
        DataType::String => RawCells::Text(column.str()?.iter().collect()),
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
    fn cell_ends_past_4_gib_are_kept_whole() {
        let mut ends = CellEnds::default();
        ends.push(5);
        ends.push(u32::MAX as usize);
        assert!(matches!(ends, CellEnds::Short(_)));
        ends.push(u32::MAX as usize + 10);
        assert!(matches!(ends, CellEnds::Long(_)), "an end past 4 GiB widens the column");
        assert_eq!(
            (0..ends.len()).map(|i| ends.get(i)).collect::<Vec<_>>(),
            [5, u32::MAX as usize, u32::MAX as usize + 10]
        );
        assert_eq!(ends.first_ending_after(5), 1);
        assert_eq!(ends.first_ending_after(u32::MAX as usize + 1), 2);
    }

    #[test]
    fn a_file_read_in_chunks_is_the_file_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let mut text = String::from("id,note,visits\n");
        for i in 0..60 {
            // Records over two lines, blank lines and CRLF line ends move the lines of later rows.
            match i % 5 {
                0 => text.push_str(&format!("{i},\"two\nlines\",{i}\n")),
                1 => text.push_str(&format!("{i},plain,\n\n")),
                2 => text.push_str(&format!("{i},crlf,{i}\r\n")),
                _ => text.push_str(&format!("{i},,{i}\n")),
            }
        }
        std::fs::write(&path, &text).unwrap();
        let once = read_csv_by(&path, 1 << 20).unwrap();
        let chunked = read_csv_by(&path, 40).unwrap();
        assert_eq!(chunked.n_rows, 60);
        assert_eq!(chunked.n_rows, once.n_rows);
        for (a, b) in once.columns.iter().zip(&chunked.columns) {
            let (RawCells::Text(a), RawCells::Text(b)) = (&a.cells, &b.cells) else {
                panic!("CSV columns are text")
            };
            assert_eq!(a, b, "the same cells");
        }
        for row in 0..60 {
            assert_eq!(once.line(row), chunked.line(row), "row {row} starts on the same line");
        }
        // Row 1 (0-based) follows a record of two lines; row 2 follows a blank line.
        assert_eq!(chunked.line(1), Some(4));
        assert_eq!(chunked.line(2), Some(6));
    }

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
    fn rows_know_their_lines_across_chunks_line_breaks_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let mut text = String::from("id,note\r\n");
        let mut starts = Vec::new();
        for i in 0..40 {
            starts.push(text.matches('\n').count() as u64 + 1);
            match i % 5 {
                0 => text.push_str(&format!("{i},\"two\nlines\"\r\n")),
                1 => text.push_str(&format!("{i},plain\r\n\r\n   \r\n")),
                _ => text.push_str(&format!("{i},\"a, b\"\r\n")),
            }
        }
        std::fs::write(&path, &text).unwrap();
        let mut chunks = CsvChunks::open(&path, 48).unwrap();
        let mut seen = Vec::new();
        while let Some(frame) = chunks.next_frame().unwrap() {
            let RawCells::Text(ids) = &frame.columns[0].cells else {
                panic!()
            };
            let RawCells::Text(notes) = &frame.columns[1].cells else {
                panic!()
            };
            for row in 0..frame.n_rows {
                let id: usize = ids.get(row).unwrap().parse().unwrap();
                assert_eq!(frame.row_offset + row, id, "blank lines are not rows");
                assert_eq!(frame.line(row), Some(starts[id]), "the line of lead {id}");
                let note = notes.get(row).unwrap();
                assert!(
                    ["two\nlines", "plain", "a, b"].contains(&note),
                    "{note:?}: quotes and line ends removed"
                );
                seen.push(id);
            }
        }
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn bad_rows_and_bytes_are_reported_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let read = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            let mut chunks = CsvChunks::open(&path, 16).unwrap();
            std::iter::from_fn(|| chunks.next_frame().transpose()).collect::<Result<Vec<_>>>()
        };
        let message = read(b"id,note\n1,\"a\nb\"\n2,b\n3,c,extra\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            message.contains("line 5") && message.contains("3 fields but the header has 2"),
            "{message}"
        );
        let message = read(b"id,note\n1,a\n2,\xffb\n").err().unwrap().to_string();
        assert!(
            message.contains("line 3") && message.contains("column \"note\"") && message.contains("not valid UTF-8"),
            "{message}"
        );
        // A quote never closed swallows the lines after it.
        let message = read(b"id,note\n1,\"a\n2,b\n3,c\n").err().unwrap().to_string();
        assert!(
            message.contains("line 2") && message.contains("never closed"),
            "{message}"
        );
        // A header alone, without a line break: a file without rows, not an error.
        std::fs::write(&path, "id,note").unwrap();
        let frame = read_csv(&path).unwrap();
        assert_eq!((frame.n_rows, frame.columns.len()), (0, 2));
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
        std::fs::write(&path, "id,a,a,c\n1,x,2,y\n").unwrap();
        let repeated = CsvChunks::open(&path, 1 << 20)
            .unwrap()
            .only(&["c".into(), "id".into()])
            .next_frame();
        assert!(matches!(repeated, Err(e) if e.to_string().contains("two columns have this name")));
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
