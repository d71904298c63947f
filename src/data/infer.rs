//! Typing text columns: numeric, boolean, date/time or categorical, with missing-value tokens.
//!
//! Inference reads every cell, so a column whose first rows say `2` and later rows `2.5` is
//! numeric, and a column that is numeric except for a few stray words is reported with the row
//! of the first stray value instead of silently becoming a category.

use super::read::{RawFrame, TextCells};
use super::values::{Categorical, Values, MISSING};
use crate::config::ColumnType;
use crate::error::{Error, Result};
#[cfg(test)]
use crate::formats::parse_plain_timestamp;
pub use crate::formats::parse_timestamp;
use crate::formats::{detect_date, detect_number, parse_number_as, CellFormat, DateEvidence};

/// Cell values that mean "missing", compared after trimming and ignoring case.
#[derive(Debug, Clone)]
pub struct MissingTokens(Vec<String>);

impl MissingTokens {
    /// From the configured list.
    pub fn new(tokens: &[String]) -> Self {
        MissingTokens(tokens.iter().map(|t| t.trim().to_string()).collect())
    }

    /// The cell with surrounding space removed, or `None` when it is missing.
    pub fn clean<'a>(&self, cell: Option<&'a str>) -> Option<&'a str> {
        let cell = cell?.trim();
        if cell.is_empty() || self.0.iter().any(|t| t.eq_ignore_ascii_case(cell)) {
            None
        } else {
            Some(cell)
        }
    }
}

/// Cells read as yes (lower case).
pub const TRUE_WORDS: [&str; 5] = ["1", "true", "yes", "y", "1.0"];
/// Cells read as no (lower case).
pub const FALSE_WORDS: [&str; 5] = ["0", "false", "no", "n", "0.0"];

/// Parses a yes/no cell: `1/0, true/false, yes/no, y/n`, ignoring case.
pub fn parse_bool(cell: &str) -> Option<bool> {
    if TRUE_WORDS.iter().any(|t| t.eq_ignore_ascii_case(cell)) {
        Some(true)
    } else if FALSE_WORDS.iter().any(|t| t.eq_ignore_ascii_case(cell)) {
        Some(false)
    } else {
        None
    }
}

/// Parses every cell of a text column that must be filled: a missing cell is rejected as
/// "the {what} is missing", one `parse` refuses as "{what} "x" is not {expected}", each with
/// its row and the `fix`.
pub fn parse_required_cells<T>(
    frame: &RawFrame,
    name: &str,
    text: &TextCells,
    missing: &MissingTokens,
    (what, expected, fix): (&str, &str, &str),
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>> {
    text.iter()
        .enumerate()
        .map(|(row, cell)| match missing.clean(cell) {
            None => Err(Error::rejected(
                frame.locate(name, Some(row)),
                format!("the {what} is missing"),
                fix,
            )),
            Some(cell) => parse(cell).ok_or_else(|| {
                Error::rejected(
                    frame.locate(name, Some(row)),
                    format!("{what} \"{cell}\" is not {expected}"),
                    fix,
                )
            }),
        })
        .collect()
}

/// A number as a cell writes it; with `decimal_comma` (a `;`-separated file, as spreadsheets
/// in most of Europe save them) also `3,49`, `-0,5` and `1.250,5`.
pub fn parse_number(cell: &str, decimal_comma: bool) -> Option<f64> {
    if let Ok(x) = cell.parse::<f64>() {
        return Some(x);
    }
    if !decimal_comma {
        return None;
    }
    let (whole, fraction) = cell.split_once(',')?;
    let digits = whole.strip_prefix(['-', '+']).unwrap_or(whole);
    // Dots group thousands: 1.250,5 (and every group after the first has three digits).
    let mut groups = digits.split('.');
    let first = groups.next()?;
    let grouped_ok = (1..=3).contains(&first.len()) || !digits.contains('.');
    if digits.is_empty()
        || !grouped_ok
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || groups.any(|g| g.len() != 3)
        || fraction.is_empty()
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    format!("{}.{fraction}", whole.replace('.', "")).parse().ok()
}

/// A bad cell stops the run, or (when scoring, with `bad_cells`) rejects its row and reads as
/// missing.
fn bad_cell(
    frame: &RawFrame,
    name: &str,
    bad_cells: &mut Option<&mut Vec<BadCell>>,
    row: usize,
    value: &str,
    problem: String,
) -> Result<()> {
    match bad_cells.as_deref_mut() {
        Some(cells) => {
            cells.push(BadCell {
                row,
                line: frame.line(row),
                column: name.to_string(),
                value: value.to_string(),
                problem,
            });
            Ok(())
        }
        None => Err(Error::rejected(
            frame.locate(name, Some(row)),
            problem,
            format!(
                "correct the value, add it to [data] missing_values, or set [features.types] \"{name}\" = \"categorical\" in the config"
            ),
        )),
    }
}

/// Checks a column a Parquet file typed, as a text column is checked: an infinite number is a
/// bad cell (NaN, like the `NaN` token, is missing).
pub fn check_typed_column(
    frame: &RawFrame,
    name: &str,
    mut values: Values,
    mut bad_cells: Option<&mut Vec<BadCell>>,
) -> Result<Values> {
    if let Values::Numeric(numbers) = &mut values {
        for (row, x) in numbers.iter_mut().enumerate() {
            if x.is_infinite() {
                let value = if *x > 0.0 { "inf" } else { "-inf" };
                let problem = format!("{value} is not a finite number (leave the cell empty if it is unknown)");
                bad_cell(frame, name, &mut bad_cells, row, value, problem)?;
                *x = f64::NAN;
            }
        }
    }
    Ok(values)
}

/// What is known of a column before it is typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    /// Its type, when configured or a model's.
    pub forced: Option<ColumnType>,
    /// How its numbers or dates are written, when configured or a model's.
    pub format: Option<CellFormat>,
    /// Whether a format may be looked for (training), or the type and format are all there is
    /// to know (a model's columns).
    pub find: bool,
}

impl Reading {
    /// A column whose type (if any) is configured and whose format may be found.
    pub fn found(forced: Option<ColumnType>, format: Option<CellFormat>) -> Reading {
        Reading {
            forced,
            format,
            find: true,
        }
    }
}

/// Turns a text column into typed values: the forced type when one is configured, otherwise
/// the narrowest type every present cell fits.
///
/// `format` is how the column's numbers or dates are written (the model file's, or `[data]
/// formats`); without one, a format is looked for when the plain reading does not fit every
/// cell, and returned with the values.
pub fn type_text_column(
    frame: &RawFrame,
    name: &str,
    text: &TextCells,
    reading: Reading,
    missing: &MissingTokens,
    mut bad_cells: Option<&mut Vec<BadCell>>,
) -> Result<(Values, Option<CellFormat>)> {
    let cells = || text.iter().map(|cell| missing.clean(cell));
    let decimal_comma = frame.decimal_comma();
    let Reading { forced, format, find } = reading;
    let (kind, format) = match (forced, format) {
        // A model's column without a format is read plainly, whatever its cells look like.
        (Some(kind), None) if !find => (kind, None),
        (Some(kind), Some(format)) => (kind, Some(format)),
        (None, Some(format)) if format.is_number() => (ColumnType::Numeric, Some(format)),
        (None, Some(format)) => (ColumnType::Datetime, Some(format)),
        (Some(kind @ (ColumnType::Numeric | ColumnType::Datetime)), None) => {
            let plain = |cell: &str| match kind {
                ColumnType::Numeric => parse_number(cell, decimal_comma).is_some(),
                _ => parse_timestamp(cell).is_some(),
            };
            match cells().all(|cell| cell.is_none_or(plain)) {
                true => (kind, None),
                false => (kind, find_format(frame, name, &cells, kind, true)?),
            }
        }
        (Some(kind), None) => (kind, None),
        (None, None) => infer_kind(frame, name, &cells)?,
    };
    let number = |cell: &str| match format {
        Some(CellFormat::Number(f)) => parse_number_as(cell, f),
        _ => parse_number(cell, decimal_comma),
    };
    let time = |cell: &str| crate::formats::parse_time_as(cell, format);
    let mut bad = |row: usize, value: &str, problem: String| bad_cell(frame, name, &mut bad_cells, row, value, problem);
    let values = match kind {
        ColumnType::Numeric => {
            let mut numbers = Vec::with_capacity(text.len());
            for (row, cell) in cells().enumerate() {
                numbers.push(match cell {
                    None => f64::NAN,
                    Some(cell) => match number(cell).ok_or(()) {
                        Ok(x) if x.is_finite() => x,
                        Ok(_) => {
                            bad(
                                row,
                                cell,
                                format!("\"{cell}\" is not a finite number (leave the cell empty if it is unknown)"),
                            )?;
                            f64::NAN
                        }
                        Err(_) => {
                            let problem = match format {
                                Some(format) => format!("\"{cell}\" is not a {format}"),
                                None => format!("\"{cell}\" is not a number"),
                            };
                            bad(row, cell, problem)?;
                            f64::NAN
                        }
                    },
                });
            }
            Values::Numeric(numbers)
        }
        ColumnType::Boolean => {
            // A yes/no column repeats a few texts: each distinct one is cleaned and read once.
            let words = Categorical::from_raw(text.iter(), |raw| missing.clean(Some(raw)));
            let read: Vec<Option<f64>> = (words.levels.iter())
                .map(|word| parse_bool(word).map(|flag| f64::from(u8::from(flag))))
                .collect();
            let mut flags = Vec::with_capacity(text.len());
            for (row, &code) in words.codes.iter().enumerate() {
                flags.push(match code {
                    MISSING => f64::NAN,
                    code => match read[code as usize] {
                        Some(flag) => flag,
                        None => {
                            let cell = &words.levels[code as usize];
                            bad(row, cell, format!("\"{cell}\" is not yes/no, true/false, y/n or 1/0"))?;
                            f64::NAN
                        }
                    },
                });
            }
            Values::Boolean(flags)
        }
        ColumnType::Datetime => {
            let mut times = Vec::with_capacity(text.len());
            for (row, cell) in cells().enumerate() {
                times.push(match cell.map(|c| (c, time(c))) {
                    None => None,
                    Some((_, Some(t))) => Some(t),
                    Some((cell, None)) => {
                        let problem = match format {
                            Some(format) => format!("\"{cell}\" is not a {format} (nor YYYY-MM-DD)"),
                            None => format!("\"{cell}\" is not a date (YYYY-MM-DD) or timestamp"),
                        };
                        bad(row, cell, problem)?;
                        None
                    }
                });
            }
            Values::Datetime(times)
        }
        ColumnType::Categorical | ColumnType::MultiValued => {
            Values::Categorical(Categorical::from_raw(text.iter(), |raw| missing.clean(Some(raw))))
        }
    };
    Ok((values, format))
}

/// The format of a column of `kind` (`declared` so in the config, or found by its cells)
/// whose cells the plain reading does not all fit: `None` when
/// no format fits them either (the cells are then reported one by one), an error when the
/// cells are dates that do not say which number is the day.
fn find_format<'a, I>(
    frame: &RawFrame,
    name: &str,
    cells: &impl Fn() -> I,
    kind: ColumnType,
    declared: bool,
) -> Result<Option<CellFormat>>
where
    I: Iterator<Item = Option<&'a str>> + Clone,
{
    let present = || cells().flatten();
    if kind == ColumnType::Numeric {
        return Ok(detect_number(present(), frame.decimal_comma()).map(CellFormat::Number));
    }
    let declare = |order: &str| format!("say it in the config: [data] formats = {{ \"{name}\" = \"{order}\" }}");
    match detect_date(cells().enumerate().filter_map(|(row, cell)| Some((row, cell?)))) {
        DateEvidence::Found(order) => Ok(Some(CellFormat::Date(order))),
        // Declared a date, a column of whole numbers is a spreadsheet's serial dates.
        DateEvidence::NotDates
            if declared && present().all(|c| crate::formats::parse_time_as(c, Some(CellFormat::ExcelSerial)).is_some()) =>
        {
            Ok(Some(CellFormat::ExcelSerial))
        }
        DateEvidence::NotDates => Ok(None),
        DateEvidence::Ambiguous => Err(Error::rejected(
            frame.locate(name, None),
            "the column holds dates such as 12/6/2024, and no day above 12 tells whether the month or the day comes first",
            format!("{} (12/6/2024 is 6 December), or \"day-first\" (12 June)", declare("month-first")),
        )),
        DateEvidence::Conflict((day_row, day_cell), (month_row, month_cell)) => Err(Error::rejected(
            frame.locate(name, Some(day_row)),
            format!(
                "the column's dates are written both ways: \"{day_cell}\" here has the day first, \"{month_cell}\" on line {} the month first",
                frame.line(month_row).map_or_else(|| format!("row {}", month_row + 1), |l| l.to_string())
            ),
            format!("export the column again in one format, or {}", declare("month-first")),
        )),
    }
}

/// A cell that could not be read as its column's type (scoring rejects its row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCell {
    /// 0-based data row.
    pub row: usize,
    /// The line of a CSV file where its row starts.
    pub line: Option<u64>,
    /// Column name.
    pub column: String,
    /// The cell as written.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

fn infer_kind<'a, I>(frame: &RawFrame, name: &str, cells: &impl Fn() -> I) -> Result<(ColumnType, Option<CellFormat>)>
where
    I: Iterator<Item = Option<&'a str>> + Clone,
{
    let (kind, mostly_numbers) = infer_plain_kind(frame, name, cells());
    if kind != ColumnType::Categorical {
        return Ok((kind, None));
    }
    // Not a column of plain numbers or dates: perhaps of numbers or dates as exports write them.
    for kind in [ColumnType::Numeric, ColumnType::Datetime] {
        if let Some(format) = find_format(frame, name, cells, kind, false)? {
            return Ok((kind, Some(format)));
        }
    }
    match mostly_numbers {
        Some(error) => Err(error),
        None => Ok((ColumnType::Categorical, None)),
    }
}

/// The narrowest plain type every present cell fits, and for a column of numbers but a few
/// words (categorical, unless a format reads them) the error that says so.
fn infer_plain_kind<'a>(
    frame: &RawFrame,
    name: &str,
    cells: impl Iterator<Item = Option<&'a str>>,
) -> (ColumnType, Option<Error>) {
    let (mut present, mut numeric, mut boolean_words, mut boolean, mut dates) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut first_non_numeric: Option<(usize, &str)> = None;
    for (row, cell) in cells.enumerate() {
        let Some(cell) = cell else { continue };
        present += 1;
        if parse_number(cell, frame.decimal_comma()).is_some() {
            numeric += 1;
        } else if first_non_numeric.is_none() {
            first_non_numeric = Some((row, cell));
        }
        if parse_bool(cell).is_some() {
            boolean += 1;
            if cell.bytes().any(|b| b.is_ascii_alphabetic()) {
                boolean_words += 1;
            }
        }
        if parse_timestamp(cell).is_some() {
            dates += 1;
        }
    }
    if present == 0 {
        return (ColumnType::Categorical, None);
    }
    if numeric == present {
        return (ColumnType::Numeric, None);
    }
    if boolean == present && boolean_words > 0 {
        return (ColumnType::Boolean, None);
    }
    if dates == present {
        return (ColumnType::Datetime, None);
    }
    // Mostly numbers with a few words is almost always a placeholder the config should name.
    if numeric as f64 >= 0.95 * present as f64 {
        if let Some((row, value)) = first_non_numeric {
            let error = Error::rejected(
                frame.locate(name, Some(row)),
                format!("the column is numeric except for values such as \"{value}\""),
                format!(
                    "add \"{value}\" to [data] missing_values if it means missing, or set [features.types] \"{name}\" = \"categorical\""
                ),
            );
            return (ColumnType::Categorical, Some(error));
        }
    }
    (ColumnType::Categorical, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_commas_are_numbers_in_semicolon_files_only() {
        for (cell, number) in [
            ("3,49", 3.49),
            ("-0,5", -0.5),
            ("1.250,5", 1250.5),
            ("12.345.678,25", 12345678.25),
            ("2.5", 2.5),
        ] {
            assert_eq!(parse_number(cell, true), Some(number), "{cell}");
        }
        for cell in ["3,", ",5", "1,2,3", "12.34,5", "1.2345,6", "a,5", "1 250,5", "3,4e2"] {
            assert_eq!(parse_number(cell, true), None, "{cell}");
        }
        assert_eq!(parse_number("3,49", false), None);
        assert_eq!(parse_number("7", false), Some(7.0));
    }
    use crate::data::read::{read_frame, RawCells};

    #[test]
    fn yes_no_cells_are_read_once_per_text_and_bad_ones_rejected_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, "id,email_ok\n1,Yes\n2, no \n3,\n4,Select\n5,maybe\n6,Y\n").unwrap();
        let frame = read_frame(&path).unwrap();
        let RawCells::Text(text) = &frame.columns[1].cells else {
            panic!()
        };
        let missing = MissingTokens::new(&["Select".to_string()]);
        let mut bad = Vec::new();
        let values = type_text_column(
            &frame,
            "email_ok",
            text,
            Reading::found(Some(ColumnType::Boolean), None),
            &missing,
            Some(&mut bad),
        )
        .unwrap();
        let (Values::Boolean(flags), None) = values else {
            panic!("{values:?}")
        };
        let shown: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        assert_eq!(shown, ["1", "0", "NaN", "NaN", "NaN", "1"]);
        assert_eq!(bad.len(), 1);
        assert_eq!((bad[0].row, bad[0].line, bad[0].value.as_str()), (4, Some(6), "maybe"));
        assert!(bad[0].problem.contains("is not yes/no"), "{}", bad[0].problem);
        // Without a rejects file (training), the bad cell stops the run and names its line.
        let error = type_text_column(
            &frame,
            "email_ok",
            text,
            Reading::found(Some(ColumnType::Boolean), None),
            &missing,
            None,
        )
        .unwrap_err();
        assert!(error.to_string().contains("line 6"), "{error}");
    }

    #[test]
    fn a_column_declared_a_date_reads_spreadsheet_serial_dates_and_an_undeclared_one_stays_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, "id,Created\n1,45632\n2,45632.5\n3,\n4,2024-12-07\n").unwrap();
        let frame = read_frame(&path).unwrap();
        let RawCells::Text(text) = &frame.columns[1].cells else {
            panic!()
        };
        let missing = MissingTokens::new(&[]);
        let read = |forced| type_text_column(&frame, "Created", text, Reading::found(forced, None), &missing, None);
        let (Values::Datetime(times), Some(CellFormat::ExcelSerial)) = read(Some(ColumnType::Datetime)).unwrap() else {
            panic!("a declared date column of serials")
        };
        let day = parse_timestamp("2024-12-06").unwrap();
        assert_eq!(times, vec![Some(day), Some(day + 43_200), None, Some(day + 86_400)]);
        // Undeclared, the same cells are not all numbers: they are read as they are.
        assert!(!matches!(read(None).unwrap().0, Values::Datetime(_)));
    }

    #[test]
    fn booleans_and_timestamps_parse() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("n"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400));
        assert_eq!(parse_timestamp("1970-01-01 00:01:00"), Some(60));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("2026-13-01"), None);
        assert_eq!(parse_timestamp("Google"), None);
        assert_eq!(parse_timestamp("2026-02-30 10:00:00"), None);
        assert_eq!(parse_timestamp("2026-02-10 24:00:00"), None);
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let mut t = -86_400 * 400;
        while t < 4_102_444_800 {
            let text = chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            assert_eq!(parse_plain_timestamp(text.as_bytes()), Some(t), "{text}");
            t += 86_400 * 13 + 3_607;
        }
    }

    #[test]
    fn missing_tokens_ignore_case_and_space() {
        let tokens = MissingTokens::new(&["Select".to_string(), "NA".to_string()]);
        assert_eq!(tokens.clean(Some(" select ")), None);
        assert_eq!(tokens.clean(Some("")), None);
        assert_eq!(tokens.clean(None), None);
        assert_eq!(tokens.clean(Some(" Google ")), Some("Google"));
    }
}
