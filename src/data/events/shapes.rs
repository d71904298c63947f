//! Activity exports as they come: each `--events` file is matched to a shape by its header
//! (`[[events.files]]`, or a preset's), and every row becomes one event of the form the rest
//! of leadscore reads — `lead_id, timestamp, event_type, url, form_id, email_id, asset,
//! user_agent, is_mpp` — its time read in the file's own date format, its activity name mapped
//! to an event type. One file already of that form is read as it is; several files, or files of
//! other shapes, are written together into one such file in TMPDIR (removed when dropped, and
//! by the next run after a `kill -9`), checked as they are read: a bad cell is named by its
//! file, column and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::log::{open_csv, COLUMNS_FIX};
use crate::config::event_files::EVENT_FIELDS;
use crate::config::EventFileShape;
use crate::data::infer::MissingTokens;
use crate::data::read::{is_parquet, read_frame};
use crate::error::{Error, Location, Result};
use crate::formats::{detect_date, parse_date_as, parse_timestamp, CellFormat, DateEvidence, DayOrder};

/// The start of the temporary folder's name, in TMPDIR.
const EVENTS_FOLDER: &str = "leadscore-shaped-events";
/// The columns of the events file written: every event field but `detail` (the last), whose
/// meaning is put in one of the others.
const WRITTEN: &[&str] = EVENT_FIELDS.split_last().expect("event fields").1;

/// What became of one file's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRead {
    /// The file, as given.
    pub path: PathBuf,
    /// The shape it was read by (`None`: already `lead_id, timestamp, event_type, …`).
    pub shape: Option<String>,
    /// Rows read.
    pub rows: usize,
    /// Rows that became events.
    pub events: usize,
    /// Rows without a time (an e-mail sent but never opened): not events.
    pub without_time: usize,
    /// Rows whose activity has no event type in the shape, by activity, most frequent first.
    pub left_out: Vec<(String, usize)>,
    /// How the times were written, when not ISO 8601.
    pub time_format: Option<CellFormat>,
}

impl std::fmt::Display for FileRead {
    /// `page_hits.csv (Mautic page hits): 1,204 rows → 1,204 events`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::output::thousands;
        let name = self
            .path
            .file_name()
            .map_or(self.path.display().to_string(), |n| n.to_string_lossy().into_owned());
        write!(f, "{name}")?;
        if let Some(shape) = &self.shape {
            write!(f, " ({shape})")?;
        }
        write!(f, ": {} rows → {} events", thousands(self.rows), thousands(self.events))?;
        if self.without_time > 0 {
            write!(f, "; {} rows without a time", thousands(self.without_time))?;
        }
        if !self.left_out.is_empty() {
            let shown: Vec<String> = (self.left_out.iter().take(4))
                .map(|(activity, n)| format!("{activity} ({})", thousands(*n)))
                .collect();
            let more = if self.left_out.len() > 4 { ", …" } else { "" };
            write!(f, "; left out: {}{more}", shown.join(", "))?;
        }
        if let Some(format) = self.time_format {
            write!(f, "; times {format}")?;
        }
        Ok(())
    }
}

/// The events of the `--events` files, ready to be read: the one file as given, or the rows of
/// all of them written as one file.
pub struct ShapedEvents {
    path: PathBuf,
    /// Holds the written file; removed when dropped.
    _folder: Option<tempfile::TempDir>,
    /// What became of each file (empty when the one file was taken as it is).
    pub files: Vec<FileRead>,
}

impl ShapedEvents {
    /// The events file to read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// [`ShapedEvents::prepare`] as a step of `progress`, which hears how each file was read.
    pub fn prepare_noted(
        files: &[PathBuf],
        shapes: &[EventFileShape],
        missing: &MissingTokens,
        progress: &dyn crate::progress::Progress,
    ) -> Result<Option<ShapedEvents>> {
        if files.len() < 2 && shapes.is_empty() {
            return ShapedEvents::prepare(files, shapes, missing);
        }
        let shaped = crate::progress::step(progress, "reading the activity exports", || {
            ShapedEvents::prepare(files, shapes, missing)
        })?;
        for read in shaped.iter().flat_map(|s| &s.files) {
            progress.noted(&format!("events from {read}"));
        }
        Ok(shaped)
    }

    /// Matches each file to a shape and, unless there is one file already of the events form,
    /// writes their events as one file. `None` when no file is given.
    pub fn prepare(
        files: &[PathBuf],
        shapes: &[EventFileShape],
        missing: &MissingTokens,
    ) -> Result<Option<ShapedEvents>> {
        let shaped: Vec<(&PathBuf, Option<&EventFileShape>)> = (files.iter())
            .map(|path| Ok((path, shape_of(path, shapes)?)))
            .collect::<Result<_>>()?;
        match shaped.as_slice() {
            [] => Ok(None),
            [(path, None)] => Ok(Some(ShapedEvents {
                path: path.to_path_buf(),
                _folder: None,
                files: Vec::new(),
            })),
            _ => ShapedEvents::write(shaped, missing).map(Some),
        }
    }

    /// Every file's events written as one file of the events form, whatever their shapes.
    pub fn rewrite(files: &[PathBuf], shapes: &[EventFileShape], missing: &MissingTokens) -> Result<ShapedEvents> {
        let shaped: Vec<(&PathBuf, Option<&EventFileShape>)> = (files.iter())
            .map(|path| Ok((path, shape_of(path, shapes)?)))
            .collect::<Result<_>>()?;
        ShapedEvents::write(shaped, missing)
    }

    fn write(shaped: Vec<(&PathBuf, Option<&EventFileShape>)>, missing: &MissingTokens) -> Result<ShapedEvents> {
        crate::output::remove_stale(&std::env::temp_dir(), EVENTS_FOLDER);
        let folder = tempfile::Builder::new()
            .prefix(&crate::output::temp_prefix(EVENTS_FOLDER))
            .suffix(".tmp")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in this folder", e))?;
        let path = folder.path().join("events.csv");
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, "create", e))?;
        let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        let written = |e: csv::Error| Error::Runtime(format!("cannot write the events into {}: {e}", path.display()));
        out.write_record(WRITTEN).map_err(written)?;
        let mut reads = Vec::new();
        for (file, shape) in shaped {
            let identity;
            let shape = match shape {
                Some(shape) => shape,
                None => {
                    identity = as_given(file)?;
                    &identity
                }
            };
            let mut read = FileRead {
                path: file.clone(),
                shape: (!shape.name.is_empty()).then(|| shape.name.clone()),
                ..FileRead::default()
            };
            let mut left_out: BTreeMap<String, usize> = BTreeMap::new();
            let time_format = time_format(file, shape, missing)?;
            read.time_format = time_format;
            let mut write_row = |row: &dyn Fn(&str) -> Option<String>, line: u64| -> Result<bool> {
                read.rows += 1;
                if read.rows.is_multiple_of(1 << 16) {
                    crate::interrupt::check()?;
                }
                let Some(event) = event_of(file, shape, time_format, row, line, &mut left_out)? else {
                    read.without_time += 1;
                    return Ok(true);
                };
                let Some(event) = event else { return Ok(true) };
                read.events += 1;
                out.write_record(&event).map_err(written)?;
                Ok(true)
            };
            for_each_row(file, shape, missing, &mut write_row)?;
            read.left_out = left_out.into_iter().collect();
            read.left_out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            reads.push(read);
        }
        out.flush().map_err(|e| Error::io(&path, "write", e))?;
        Ok(ShapedEvents {
            path,
            _folder: Some(folder),
            files: reads,
        })
    }
}

/// The shape a file is read by: the first whose columns its header has; `None` when it has
/// the columns of the events form itself.
fn shape_of<'s>(path: &Path, shapes: &'s [EventFileShape]) -> Result<Option<&'s EventFileShape>> {
    let header = header_of(path)?;
    if let Some(shape) = shapes.iter().find(|s| s.fits(&header)) {
        return Ok(Some(shape));
    }
    if ["lead_id", "timestamp", "event_type"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
    {
        return Ok(None);
    }
    let plain: Vec<&str> = ["lead_id", "timestamp", "event_type"]
        .into_iter()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if shapes.is_empty() {
        return Err(Error::rejected(
            Location::file(path).column(plain[0]),
            "the events file has no such column",
            format!("{COLUMNS_FIX}; an export of another shape is described in [[events.files]] (docs/crm-exports.md), or read by the --source preset of the tool that exported it"),
        ));
    }
    let mut tried: Vec<String> = (shapes.iter())
        .map(|s| format!("{} lacks {}", s.name, quoted(&s.missing_from(&header))))
        .collect();
    tried.push(format!("the events form lacks {}", quoted(&plain)));
    Err(Error::rejected(
        Location::file(path),
        format!("no events shape fits its columns ({}): {}", quoted_all(&header), tried.join("; ")),
        format!("{COLUMNS_FIX}; or describe the file in [[events.files]] (docs/crm-exports.md), or train with the --source of the tool that exported it"),
    ))
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

fn quoted_all(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
    quoted(&shown) + if names.len() > 12 { ", …" } else { "" }
}

/// A file's column names.
fn header_of(path: &Path) -> Result<Vec<String>> {
    if is_parquet(path) {
        return crate::data::read::column_names(path);
    }
    Ok(open_csv(path)?.1)
}

/// The shape of a file already of the events form: each field its own column, when present.
fn as_given(path: &Path) -> Result<EventFileShape> {
    let header = header_of(path)?;
    Ok(EventFileShape {
        name: String::new(),
        columns: (EVENT_FIELDS.iter())
            .filter(|f| **f != "detail" && header.iter().any(|h| h == *f))
            .map(|f| (f.to_string(), f.to_string()))
            .collect(),
        event_type: None,
        types: BTreeMap::new(),
        timestamp_format: None,
    })
}

/// What [`for_each_row`] calls with each row (a cell by event field) and its line; `false` stops.
type RowVisitor<'a> = dyn FnMut(&dyn Fn(&str) -> Option<String>, u64) -> Result<bool> + 'a;

/// Calls `row(get, line)` for every row of a file, where `get(field)` is the cleaned cell of
/// the column the shape maps `field` to.
fn for_each_row(path: &Path, shape: &EventFileShape, missing: &MissingTokens, row: &mut RowVisitor) -> Result<()> {
    if is_parquet(path) {
        let frame = read_frame(path)?;
        let columns: BTreeMap<&str, Vec<String>> = (shape.columns.iter())
            .map(|(field, column)| {
                Ok((
                    field.as_str(),
                    crate::data::column_as_text(&frame, column, "events", "[[events.files]]")?,
                ))
            })
            .collect::<Result<_>>()?;
        for i in 0..frame.n_rows {
            let get = |field: &str| -> Option<String> {
                columns
                    .get(field)
                    .and_then(|c| missing.clean(Some(c[i].as_str())).map(|v| v.trim().to_string()))
            };
            if !row(&get, i as u64 + 2)? {
                break;
            }
        }
        return Ok(());
    }
    let (mut reader, header) = open_csv(path)?;
    let at: BTreeMap<&str, usize> = (shape.columns.iter())
        .filter_map(|(field, column)| Some((field.as_str(), header.iter().position(|h| h == column)?)))
        .collect();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let problem = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "a field is not valid UTF-8 text: save the file as UTF-8".to_string()
                    }
                    _ => format!("malformed CSV: {e}"),
                };
                return Err(Error::rejected(
                    Location::file(path).line(line),
                    problem,
                    "fix the row, or export the events again",
                ));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let get = |field: &str| -> Option<String> {
            let cell = record.get(*at.get(field)?)?;
            missing.clean(Some(cell)).map(|v| v.trim().to_string())
        };
        if !row(&get, line)? {
            return Ok(());
        }
    }
}

/// How a file writes its times: the shape's `timestamp_format`, else ISO 8601, else the date
/// order its cells show (read up to the first cell that tells).
fn time_format(path: &Path, shape: &EventFileShape, missing: &MissingTokens) -> Result<Option<CellFormat>> {
    if let Some(format) = shape.date_format() {
        return Ok(Some(format));
    }
    let column = shape.column("timestamp").unwrap_or("timestamp");
    // A file whose first time is ISO 8601 is read so (a later cell that is not is a bad cell);
    // otherwise every time of the file says which date order it has.
    let mut cells: Vec<(usize, String)> = Vec::new();
    let mut collect = |get: &dyn Fn(&str) -> Option<String>, line: u64| -> Result<bool> {
        let Some(cell) = get("timestamp") else { return Ok(true) };
        if cells.is_empty() && parse_timestamp(&cell).is_some() {
            return Ok(false);
        }
        cells.push((line as usize, cell));
        Ok(true)
    };
    for_each_row(path, shape, missing, &mut collect)?;
    if cells.is_empty() {
        return Ok(None);
    }
    match detect_date(cells.iter().map(|(line, cell)| (*line, cell.as_str()))) {
        DateEvidence::Found(order) => Ok(Some(CellFormat::Date(order))),
        DateEvidence::Ambiguous => Err(Error::rejected(
            Location::file(path).column(column),
            "its dates never say whether the day or the month comes first (no number above 12)",
            format!(
                "say it in the shape of {}: timestamp_format = \"month-first\" (or \"day-first\")",
                if shape.name.is_empty() { "the file ([[events.files]])" } else { shape.name.as_str() }
            ),
        )),
        DateEvidence::Conflict((line_a, a), (line_b, b)) => Err(Error::rejected(
            Location::file(path).column(column),
            format!("its dates are written both ways: \"{a}\" (line {line_a}) has the day first, \"{b}\" (line {line_b}) the month"),
            "export the events again with one date format",
        )),
        DateEvidence::NotDates => {
            let (line, cell) = (cells.iter())
                .find(|(_, c)| parse_timestamp(c).is_none() && parse_date_as(c, DayOrder::MonthFirst).is_none() && parse_date_as(c, DayOrder::DayFirst).is_none())
                .cloned()
                .unwrap_or_default();
            Err(Error::rejected(
                Location::file(path).column(column).line(line as u64),
                format!("event time \"{cell}\" is not a time"),
                "write event times as YYYY-MM-DD HH:MM:SS, RFC 3339, or M/D/YYYY h:mm AM",
            ))
        }
    }
}

/// One row as an event (`lead_id, timestamp, event_type, …`, as written); `Ok(None)` for a
/// row without a time, `Ok(Some(None))` for one whose activity is left out.
fn event_of(
    path: &Path,
    shape: &EventFileShape,
    time_format: Option<CellFormat>,
    get: &dyn Fn(&str) -> Option<String>,
    line: u64,
    left_out: &mut BTreeMap<String, usize>,
) -> Result<Option<Option<[String; 9]>>> {
    let at = |field: &str| {
        Location::file(path)
            .column(shape.column(field).unwrap_or(field))
            .line(line)
    };
    let Some(cell) = get("timestamp") else {
        return Ok(None);
    };
    let time = crate::formats::parse_time_as(&cell, time_format);
    let Some(time) = time else {
        return Err(Error::rejected(
            at("timestamp"),
            format!("event time \"{cell}\" is not a time"),
            match time_format {
                Some(format) => {
                    format!("the file's times are written {format}: fix the row or export the events again")
                }
                None => "write event times as YYYY-MM-DD HH:MM:SS or RFC 3339".into(),
            },
        ));
    };
    let activity = get("event_type");
    let event_type = match (&activity, shape.types.is_empty()) {
        (Some(activity), _) if shape.types.contains_key(activity) => Some(shape.types[activity].clone()),
        (Some(activity), true) if shape.event_type.is_none() => Some(activity.clone()),
        _ => shape.event_type.clone(),
    };
    let Some(event_type) = event_type else {
        let activity = activity.unwrap_or_else(|| "(empty)".into());
        *left_out.entry(activity).or_default() += 1;
        return Ok(Some(None));
    };
    let field = |name: &str| get(name).unwrap_or_default();
    let (mut url, mut form, mut email, mut asset) = (field("url"), field("form_id"), field("email_id"), field("asset"));
    // The detail column means what the event's type says.
    if let Some(detail) = get("detail") {
        let slot = match event_type.to_lowercase().as_str() {
            "page_view" => Some(&mut url),
            "form_submit" => Some(&mut form),
            kind if kind.starts_with("email") => Some(&mut email),
            "download" => Some(&mut asset),
            _ => None,
        };
        if let Some(slot) = slot.filter(|s| s.is_empty()) {
            *slot = detail;
        }
    }
    Ok(Some(Some([
        get("lead_id").unwrap_or_default(),
        crate::formats::format_timestamp(time),
        event_type,
        url,
        form,
        email,
        asset,
        field("user_agent"),
        field("is_mpp"),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn shape(name: &str, columns: &[(&str, &str)], event_type: Option<&str>, types: &[(&str, &str)]) -> EventFileShape {
        EventFileShape {
            name: name.into(),
            columns: columns.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect(),
            event_type: event_type.map(String::from),
            types: types.iter().map(|(a, t)| (a.to_string(), t.to_string())).collect(),
            timestamp_format: None,
        }
    }

    fn missing() -> MissingTokens {
        MissingTokens::new(&crate::config::DataConfig::default().missing_values)
    }

    #[test]
    fn one_file_of_the_events_form_is_read_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let events = write(
            dir.path(),
            "events.csv",
            "lead_id,timestamp,event_type\nL1,2024-01-02,page_view\n",
        );
        let shaped = ShapedEvents::prepare(std::slice::from_ref(&events), &[], &missing())
            .unwrap()
            .unwrap();
        assert_eq!(shaped.path(), events);
        assert!(ShapedEvents::prepare(&[], &[], &missing()).unwrap().is_none());
    }

    #[test]
    fn exports_of_other_shapes_become_one_events_file() {
        let dir = tempfile::tempdir().unwrap();
        let hits = write(
            dir.path(),
            "page_hits.csv",
            "id,date_hit,url,lead_id,email_id,source\n1,2024-03-01 10:00:00,/pricing,7,,\n2,2024-03-02 11:00:00,/r/c-1,7,c-1,email\n",
        );
        let stats = write(
            dir.path(),
            "email_stats.csv",
            "id,email_id,lead_id,date_sent,date_read\n1,c-1,7,2024-03-01 09:00:00,2024-03-01 12:30:00\n2,c-2,8,2024-03-08 09:00:00,\n",
        );
        let activities = write(
            dir.path(),
            "activities.csv",
            "Lead ID,Activity Date,Activity Type,Primary Attribute Value\n9,3/14/2024 2:05 PM,Fill Out Form,demo_request\n9,3/15/2024 9:00 AM,Send Email,c-3\n9,3/16/2024 9:00 AM,Send Email,c-4\n",
        );
        let shapes = [
            shape(
                "page hits",
                &[
                    ("lead_id", "lead_id"),
                    ("timestamp", "date_hit"),
                    ("url", "url"),
                    ("email_id", "email_id"),
                    ("event_type", "source"),
                ],
                Some("page_view"),
                &[("email", "email_click")],
            ),
            shape(
                "e-mail stats",
                &[
                    ("lead_id", "lead_id"),
                    ("timestamp", "date_read"),
                    ("email_id", "email_id"),
                ],
                Some("email_open"),
                &[],
            ),
            shape(
                "activity log",
                &[
                    ("lead_id", "Lead ID"),
                    ("timestamp", "Activity Date"),
                    ("event_type", "Activity Type"),
                    ("detail", "Primary Attribute Value"),
                ],
                None,
                &[("Fill Out Form", "form_submit")],
            ),
        ];
        let shaped = ShapedEvents::prepare(&[hits, stats, activities], &shapes, &missing())
            .unwrap()
            .unwrap();
        let written = std::fs::read_to_string(shaped.path()).unwrap();
        assert_eq!(
            written,
            "lead_id,timestamp,event_type,url,form_id,email_id,asset,user_agent,is_mpp\n\
             7,2024-03-01 10:00:00,page_view,/pricing,,,,,\n\
             7,2024-03-02 11:00:00,email_click,/r/c-1,,c-1,,,\n\
             7,2024-03-01 12:30:00,email_open,,,c-1,,,\n\
             9,2024-03-14 14:05:00,form_submit,,demo_request,,,,\n"
        );
        let reads = &shaped.files;
        assert_eq!((reads[1].rows, reads[1].events, reads[1].without_time), (2, 1, 1));
        assert_eq!(reads[2].left_out, vec![("Send Email".to_string(), 2)]);
        assert_eq!(reads[2].time_format, Some(CellFormat::Date(DayOrder::MonthFirst)));
        assert!(
            reads[2].to_string().contains("left out: Send Email (2)"),
            "{}",
            reads[2]
        );
        let folder = shaped.path().parent().unwrap().to_path_buf();
        drop(shaped);
        assert!(!folder.exists(), "the written events are removed with them");
    }

    #[test]
    fn a_file_no_shape_fits_is_refused_with_what_each_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "visits.csv", "who,when\n1,2024-01-01\n");
        let shapes = [shape(
            "page hits",
            &[("lead_id", "lead_id"), ("timestamp", "date_hit")],
            Some("page_view"),
            &[],
        )];
        let err = ShapedEvents::prepare(&[file], &shapes, &missing()).err().unwrap();
        let message = err.to_string();
        assert_eq!(err.exit_code(), 3);
        assert!(
            message.contains("page hits lacks \"lead_id\", \"date_hit\""),
            "{message}"
        );
        assert!(
            message.contains("the events form lacks \"lead_id\", \"timestamp\", \"event_type\""),
            "{message}"
        );
    }

    #[test]
    fn bad_and_ambiguous_times_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let shapes = [shape(
            "hits",
            &[("lead_id", "lead_id"), ("timestamp", "date_hit")],
            Some("page_view"),
            &[],
        )];
        let ambiguous = write(dir.path(), "a.csv", "lead_id,date_hit\n1,3/4/2024\n2,5/6/2024\n");
        let message = ShapedEvents::prepare(&[ambiguous], &shapes, &missing())
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("timestamp_format"), "{message}");
        let bad = write(dir.path(), "b.csv", "lead_id,date_hit\n1,2024-01-01\n2,yesterday\n");
        let message = ShapedEvents::prepare(&[bad], &shapes, &missing())
            .err()
            .unwrap()
            .to_string();
        assert!(
            message.contains("\"yesterday\"") && message.contains("line 3"),
            "{message}"
        );
    }
}
