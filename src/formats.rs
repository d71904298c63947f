//! How cells write numbers and dates: ISO timestamps, the plain reading of every column, and
//! the formats CRM exports and spreadsheets use: `1,250`, `1.250,5`, `€1,200`, `12%`,
//! `12/6/2024 5:14 AM`, `6.12.2024`. It depends on nothing else in leadscore.
//!
//! A format is chosen for a whole column, only when the plain reading (`1250.5`, ISO dates)
//! does not fit every cell, and it is kept in the model file so that every batch scored later is
//! read the same way. A date column whose cells never say which number is the day (no day above
//! 12) is refused unless `[data] formats` says it.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.f]]`, the same with `T`, or RFC 3339 with an
/// offset, into seconds since 1970-01-01 UTC (times without an offset are taken as UTC).
pub fn parse_timestamp(cell: &str) -> Option<i64> {
    let bytes = cell.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    if let Some(t) = parse_plain_timestamp(bytes) {
        return Some(t);
    }
    if bytes.len() == 10 {
        return NaiveDate::parse_from_str(cell, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(cell, format) {
            return Some(t.and_utc().timestamp());
        }
    }
    DateTime::parse_from_rfc3339(cell)
        .ok()
        .map(|t| t.timestamp())
        .or_else(|| {
            DateTime::parse_from_str(cell, "%Y-%m-%d %H:%M:%S%.f%#z")
                .ok()
                .map(|t| t.timestamp())
        })
}

/// Fast path for the most common export format, `YYYY-MM-DD HH:MM:SS` (or with `T`): event
/// files have millions of them. Anything else (or an impossible date) returns `None` and goes
/// through chrono.
pub(crate) fn parse_plain_timestamp(bytes: &[u8]) -> Option<i64> {
    if bytes.len() != 19 || !(bytes[10] == b' ' || bytes[10] == b'T') || bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        bytes[range]
            .iter()
            .try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `YYYY-MM-DD HH:MM:SS` for seconds since 1970 (UTC), without a date library in the hot loop.
pub fn format_timestamp(t: i64) -> String {
    const DAY: i64 = 86_400;
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// How the cells of a column are written, beyond the plain forms every column accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellFormat {
    /// Numbers with a thousands separator and a decimal mark; a currency symbol before or after
    /// and a trailing `%` are allowed (`12%` reads as 12).
    Number(NumberFormat),
    /// Dates as `A/B/YYYY`, `A.B.YYYY` or `A-B-YYYY`, with an optional time `H:MM[:SS]` and
    /// `AM`/`PM`.
    Date(DayOrder),
    /// Dates as spreadsheets keep them: days since 1899-12-30 (`45632` is 6 December 2024; a
    /// fraction is the time of day). Read only in a column declared a date.
    ExcelSerial,
}

/// The separators of a number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    /// Between groups of three digits, if any (`,` `.` space `'`).
    pub group: Option<char>,
    /// Before the fraction (`.` or `,`).
    pub decimal: char,
}

/// Which number of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    /// `12/6/2024` is 6 December (United States, HubSpot and Salesforce in US locales).
    MonthFirst,
    /// `12/6/2024` is 12 June (most of the world).
    DayFirst,
}

/// The number formats tried, as written (the decimal mark last).
const NUMBER_FORMATS: [(Option<char>, char); 8] = [
    (Some(','), '.'),
    (Some(' '), '.'),
    (Some('\''), '.'),
    (None, '.'),
    (Some('.'), ','),
    (Some(' '), ','),
    (Some('\''), ','),
    (None, ','),
];

/// Symbols a money amount may carry.
const CURRENCY: [char; 6] = ['€', '$', '£', '¥', '₹', '₩'];

impl CellFormat {
    /// The word kept in the model file and written in `[data] formats`: `month-first`,
    /// `day-first`, or a number as it would be written (`1,234.5`, `1.234,5`, `1 234,5`).
    pub fn word(&self) -> String {
        match self {
            CellFormat::Date(DayOrder::MonthFirst) => "month-first".into(),
            CellFormat::Date(DayOrder::DayFirst) => "day-first".into(),
            CellFormat::ExcelSerial => "excel-date".into(),
            CellFormat::Number(n) => match n.group {
                Some(g) => format!("1{g}234{}5", n.decimal),
                None => format!("1234{}5", n.decimal),
            },
        }
    }

    /// The format a word names (see [`CellFormat::word`]).
    pub fn from_word(word: &str) -> Option<CellFormat> {
        match word.trim() {
            "month-first" => return Some(CellFormat::Date(DayOrder::MonthFirst)),
            "day-first" => return Some(CellFormat::Date(DayOrder::DayFirst)),
            "excel-date" => return Some(CellFormat::ExcelSerial),
            _ => {}
        }
        NUMBER_FORMATS
            .iter()
            .map(|&(group, decimal)| CellFormat::Number(NumberFormat { group, decimal }))
            .find(|f| f.word() == word.trim())
    }

    /// Every word [`CellFormat::from_word`] takes, for messages.
    pub fn words() -> String {
        let mut words = vec![
            "\"month-first\"".to_string(),
            "\"day-first\"".to_string(),
            "\"excel-date\"".to_string(),
        ];
        words.extend(
            NUMBER_FORMATS
                .iter()
                .map(|&(group, decimal)| format!("\"{}\"", CellFormat::Number(NumberFormat { group, decimal }).word())),
        );
        words.join(", ")
    }

    /// Whether cells of this format are numbers (else dates).
    pub fn is_number(&self) -> bool {
        matches!(self, CellFormat::Number(_))
    }
}

/// Columns' formats kept by their words (`{"Create Date": "month-first"}`), as the model
/// file's settings hold them.
pub mod words {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::CellFormat;

    /// Writes each format as its word.
    pub fn serialize<S: Serializer>(formats: &BTreeMap<String, CellFormat>, serializer: S) -> Result<S::Ok, S::Error> {
        let words: BTreeMap<&String, String> = formats.iter().map(|(c, f)| (c, f.word())).collect();
        words.serialize(serializer)
    }

    /// Reads each format from its word.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, CellFormat>, D::Error> {
        let words = BTreeMap::<String, String>::deserialize(deserializer)?;
        (words.into_iter())
            .map(|(column, word)| {
                CellFormat::from_word(&word)
                    .map(|format| (column, format))
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown format \"{word}\"")))
            })
            .collect()
    }
}

impl fmt::Display for CellFormat {
    /// As `train` and `inspect` say it: `date, month first`, `number, written 1,234.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellFormat::Date(DayOrder::MonthFirst) => write!(f, "date, month first"),
            CellFormat::Date(DayOrder::DayFirst) => write!(f, "date, day first"),
            CellFormat::ExcelSerial => write!(f, "date, as an Excel serial number"),
            CellFormat::Number(_) => write!(f, "number, written {}", self.word()),
        }
    }
}

/// A cell as a number of `format`: `1,250`, `-1.250,5`, `$1,200.50`, `1 200 €`, `12%`, and the
/// plain forms (`1250`, `1250.5` or `1250,5` by the decimal mark).
pub fn parse_number_as(cell: &str, format: NumberFormat) -> Option<f64> {
    let mut body = cell.trim();
    let (mut negative, rest) = sign(body);
    body = rest;
    if let Some(rest) = body.strip_prefix(CURRENCY) {
        body = rest.trim_start();
        if !negative {
            (negative, body) = sign(body);
        }
    } else if let Some(rest) = body.strip_suffix(CURRENCY) {
        body = rest.trim_end();
    } else if let Some(rest) = body.strip_suffix('%') {
        body = rest.trim_end();
    }
    let (whole, fraction) = match body.split_once(format.decimal) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if whole.is_empty() || !whole.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut digits = String::with_capacity(body.len() + 1);
    match format.group {
        Some(group) if whole.contains(group) => {
            let mut groups = whole.split(group);
            let first = groups.next()?;
            if !(1..=3).contains(&first.len()) {
                return None;
            }
            digits.push_str(first);
            for g in groups {
                if g.len() != 3 {
                    return None;
                }
                digits.push_str(g);
            }
        }
        _ => digits.push_str(whole),
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push('.');
        digits.push_str(fraction);
    }
    let x: f64 = digits.parse().ok()?;
    Some(if negative { -x } else { x })
}

/// A leading sign taken off: whether it was `-`, and the rest.
fn sign(body: &str) -> (bool, &str) {
    match (body.strip_prefix('-'), body.strip_prefix('+')) {
        (Some(rest), _) => (true, rest.trim_start()),
        (_, Some(rest)) => (false, rest.trim_start()),
        _ => (false, body),
    }
}

/// The three numbers of a date cell (`A/B/YYYY`, `A.B.YYYY`, `A-B-YYYY`) with the time of day
/// in seconds, or `None` when the cell is not written so.
fn date_parts(cell: &str) -> Option<(u32, u32, i32, i64)> {
    let cell = cell.trim();
    let (date, time) = match cell.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (cell, None),
    };
    let separator = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut parts = date.split(separator);
    let (a, b, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !(1..=2).contains(&a.len()) || !(1..=2).contains(&b.len()) || year.len() != 4 {
        return None;
    }
    let seconds = match time {
        None => 0,
        Some(time) => time_of_day(time)?,
    };
    Some((a.parse().ok()?, b.parse().ok()?, year.parse().ok()?, seconds))
}

/// `H:MM`, `H:MM:SS`, each with an optional `AM`/`PM`, as seconds into the day.
fn time_of_day(time: &str) -> Option<i64> {
    let upper = time.to_ascii_uppercase();
    let (clock, half) = if let Some(clock) = upper.strip_suffix("AM") {
        (clock.trim_end(), Some(false))
    } else if let Some(clock) = upper.strip_suffix("PM") {
        (clock.trim_end(), Some(true))
    } else {
        (upper.as_str(), None)
    };
    let mut fields = clock.split(':');
    let hour: i64 = fields.next()?.parse().ok()?;
    let minute: i64 = fields.next()?.parse().ok()?;
    let second: i64 = match fields.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if fields.next().is_some() || minute > 59 || second > 59 {
        return None;
    }
    let hour = match half {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if hour <= 23 => hour,
        None => return None,
    };
    Some(hour * 3600 + minute * 60 + second)
}

/// A date cell read with `order`, as seconds since 1970-01-01 UTC.
pub fn parse_date_as(cell: &str, order: DayOrder) -> Option<i64> {
    let (a, b, year, seconds) = date_parts(cell)?;
    let (month, day) = match order {
        DayOrder::MonthFirst => (a, b),
        DayOrder::DayFirst => (b, a),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + seconds)
}

/// Days from Excel's day 0 (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH_DAYS: f64 = 25_569.0;
/// Excel's last day, 9999-12-31.
const EXCEL_LAST_DAY: f64 = 2_958_465.0;

/// A spreadsheet's serial date (`45632`, `45632.25`) as seconds since 1970-01-01 UTC.
pub fn parse_excel_serial(cell: &str) -> Option<i64> {
    let days: f64 = cell.trim().parse().ok()?;
    (days.is_finite() && (1.0..=EXCEL_LAST_DAY).contains(&days))
        .then(|| ((days - EXCEL_EPOCH_DAYS) * 86_400.0).round() as i64)
}

/// A time cell read with `format` (or as ISO 8601 whatever the format).
pub fn parse_time_as(cell: &str, format: Option<CellFormat>) -> Option<i64> {
    parse_timestamp(cell).or_else(|| match format? {
        CellFormat::Date(order) => parse_date_as(cell, order),
        CellFormat::ExcelSerial => parse_excel_serial(cell),
        CellFormat::Number(_) => None,
    })
}

/// What the cells of a column say about a date format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateEvidence {
    /// Every present cell is a date of this order.
    Found(DayOrder),
    /// Every cell is a date, but none has a day above 12: either order reads them.
    Ambiguous,
    /// One cell needs the day first (row, cell) and another the month first.
    Conflict((usize, String), (usize, String)),
    /// Some cell is not written as such a date.
    NotDates,
}

/// Looks at every present cell (with its row) for a date format.
pub fn detect_date<'a>(cells: impl Iterator<Item = (usize, &'a str)>) -> DateEvidence {
    // The first cell that needs the day first, and the first that needs the month first.
    let mut day_first: Option<(usize, &str)> = None;
    let mut month_first: Option<(usize, &str)> = None;
    let (mut dots, mut any) = (false, false);
    for (row, cell) in cells {
        let Some((a, b, year, _)) = date_parts(cell) else {
            return DateEvidence::NotDates;
        };
        any = true;
        dots |= cell.split([' ', 'T']).next().is_some_and(|date| date.contains('.'));
        if a > 12 && day_first.is_none() {
            day_first = Some((row, cell));
        }
        if b > 12 && month_first.is_none() {
            month_first = Some((row, cell));
        }
        // A date in one order at least (the cell's parts are already read).
        let fits_one = NaiveDate::from_ymd_opt(year, a, b).is_some() || NaiveDate::from_ymd_opt(year, b, a).is_some();
        if !fits_one {
            return DateEvidence::NotDates;
        }
    }
    match (day_first, month_first) {
        _ if !any => DateEvidence::NotDates,
        (Some(d), Some(m)) => DateEvidence::Conflict((d.0, d.1.to_string()), (m.0, m.1.to_string())),
        (Some(_), None) => DateEvidence::Found(DayOrder::DayFirst),
        (None, Some(_)) => DateEvidence::Found(DayOrder::MonthFirst),
        // Dotted dates (6.12.2024) are day first wherever they are written.
        (None, None) if dots => DateEvidence::Found(DayOrder::DayFirst),
        (None, None) => DateEvidence::Ambiguous,
    }
}

/// The number format every present cell fits, when the plain reading does not fit them all:
/// formats with the file's own decimal mark first (`,` in `;`-separated files, else `.`), and
/// only one that some cell needs (a separator, a symbol or a `%`).
pub fn detect_number<'a>(cells: impl Iterator<Item = &'a str> + Clone, decimal_comma: bool) -> Option<NumberFormat> {
    let mut formats: Vec<NumberFormat> = NUMBER_FORMATS
        .iter()
        .map(|&(group, decimal)| NumberFormat { group, decimal })
        .collect();
    if decimal_comma {
        formats.sort_by_key(|f| f.decimal != ',');
    }
    let mut present = cells.clone().peekable();
    present.peek()?;
    formats
        .into_iter()
        .find(|&format| cells.clone().all(|cell| parse_number_as(cell, format).is_some()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn spreadsheet_serial_dates_count_days_from_1899_12_30() {
        let day = parse_timestamp("2024-12-06").unwrap();
        assert_eq!(parse_excel_serial("45632"), Some(day));
        assert_eq!(parse_excel_serial(" 45632.25 "), Some(day + 6 * 3600));
        assert_eq!(parse_excel_serial("25569"), Some(0));
        assert_eq!(parse_excel_serial("1"), parse_timestamp("1899-12-31"));
        for cell in ["0", "-3", "2958466", "NaN", "12/6/2024", ""] {
            assert_eq!(parse_excel_serial(cell), None, "{cell}");
        }
        assert_eq!(CellFormat::from_word("excel-date"), Some(CellFormat::ExcelSerial));
        assert_eq!(parse_time_as("45632", Some(CellFormat::ExcelSerial)), Some(day));
        assert_eq!(parse_time_as("45632", None), None);
    }

    use super::*;

    fn number(group: Option<char>, decimal: char) -> NumberFormat {
        NumberFormat { group, decimal }
    }

    #[test]
    fn numbers_read_as_their_format_writes_them() {
        let us = number(Some(','), '.');
        for (cell, x) in [
            ("1,250", 1250.0),
            ("1,234,567.25", 1_234_567.25),
            ("999", 999.0),
            ("-1,200.5", -1200.5),
            ("$1,200.50", 1200.5),
            ("-$1,200", -1200.0),
            ("€1,200", 1200.0),
            ("12%", 12.0),
            ("12.5 %", 12.5),
            ("1200 €", 1200.0),
        ] {
            assert_eq!(parse_number_as(cell, us), Some(x), "{cell}");
        }
        for cell in [
            "1,25",
            "12,34,567",
            "1,2345",
            "$",
            "abc",
            "1.2.3",
            "1,250.",
            ",250",
            "12%%",
        ] {
            assert_eq!(parse_number_as(cell, us), None, "{cell}");
        }
        let european = number(Some('.'), ',');
        assert_eq!(parse_number_as("1.250,5", european), Some(1250.5));
        assert_eq!(parse_number_as("€ 1.200,50", european), Some(1200.5));
        assert_eq!(parse_number_as("3,49", european), Some(3.49));
        assert_eq!(parse_number_as("1.25", european), None, "a dot groups three digits");
        assert_eq!(parse_number_as("1 250,5", number(Some(' '), ',')), Some(1250.5));
        assert_eq!(parse_number_as("1'250.5", number(Some('\''), '.')), Some(1250.5));
    }

    #[test]
    fn a_column_gets_the_number_format_all_its_cells_fit() {
        let cells = ["12", "1,250", "999", "3,400,000"];
        assert_eq!(
            detect_number(cells.iter().copied(), false),
            Some(number(Some(','), '.'))
        );
        // In a ;-separated file 1,250 is more likely one and a quarter: the decimal comma wins.
        assert_eq!(
            detect_number(cells[..2].iter().copied(), true),
            Some(number(Some('.'), ','))
        );
        // 1,25 cannot be grouped thousands: only a decimal comma reads it.
        assert_eq!(
            detect_number(["1,25", "3"].iter().copied(), false),
            Some(number(Some('.'), ','))
        );
        assert_eq!(detect_number(["12", "twelve"].iter().copied(), false), None);
        assert_eq!(detect_number(std::iter::empty(), false), None);
    }

    #[test]
    fn dates_are_read_in_either_order_with_times_and_am_pm() {
        let seconds = |y, m, d, s| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
                + s
        };
        assert_eq!(
            parse_date_as("12/6/2024 5:14 AM", DayOrder::MonthFirst),
            Some(seconds(2024, 12, 6, 5 * 3600 + 14 * 60))
        );
        assert_eq!(
            parse_date_as("12/6/2024 5:14 PM", DayOrder::MonthFirst),
            Some(seconds(2024, 12, 6, 17 * 3600 + 14 * 60))
        );
        assert_eq!(
            parse_date_as("12/6/2024 12:05 AM", DayOrder::MonthFirst),
            Some(seconds(2024, 12, 6, 5 * 60))
        );
        assert_eq!(
            parse_date_as("12/6/2024", DayOrder::DayFirst),
            Some(seconds(2024, 6, 12, 0))
        );
        assert_eq!(
            parse_date_as("06.12.2024 14:30:15", DayOrder::DayFirst),
            Some(seconds(2024, 12, 6, 52_215))
        );
        assert_eq!(
            parse_date_as("31/12/2024", DayOrder::MonthFirst),
            None,
            "there is no month 31"
        );
        assert_eq!(parse_date_as("2/30/2024", DayOrder::MonthFirst), None);
        assert_eq!(parse_date_as("12/6/2024 13:00 PM", DayOrder::MonthFirst), None);
        assert_eq!(
            parse_date_as("12/6/24", DayOrder::MonthFirst),
            None,
            "two-digit years are not guessed"
        );
    }

    #[test]
    fn a_day_above_12_decides_the_order_and_nothing_else_does() {
        let rows = |cells: &[&'static str]| cells.iter().copied().enumerate().collect::<Vec<_>>().into_iter();
        assert_eq!(
            detect_date(rows(&["12/6/2024 5:14 AM", "1/25/2024 3:00 PM"])),
            DateEvidence::Found(DayOrder::MonthFirst)
        );
        assert_eq!(
            detect_date(rows(&["12/6/2024", "25/1/2024"])),
            DateEvidence::Found(DayOrder::DayFirst)
        );
        assert_eq!(detect_date(rows(&["12/6/2024", "1/2/2024"])), DateEvidence::Ambiguous);
        assert_eq!(
            detect_date(rows(&["06.12.2024", "01.02.2024"])),
            DateEvidence::Found(DayOrder::DayFirst)
        );
        assert_eq!(
            detect_date(rows(&["25/1/2024", "1/25/2024"])),
            DateEvidence::Conflict((0, "25/1/2024".into()), (1, "1/25/2024".into()))
        );
        assert_eq!(detect_date(rows(&["12/6/2024", "soon"])), DateEvidence::NotDates);
        assert_eq!(detect_date(rows(&["2024-06-12"])), DateEvidence::NotDates);
    }

    #[test]
    fn words_name_each_format_and_read_back() {
        for word in [
            "month-first",
            "day-first",
            "1,234.5",
            "1.234,5",
            "1 234,5",
            "1'234.5",
            "1234,5",
        ] {
            assert_eq!(
                CellFormat::from_word(word).map(|f| f.word()),
                Some(word.to_string()),
                "{word}"
            );
        }
        assert_eq!(CellFormat::from_word("US"), None);
        assert_eq!(CellFormat::Date(DayOrder::MonthFirst).to_string(), "date, month first");
        assert_eq!(
            CellFormat::from_word("1,234.5").unwrap().to_string(),
            "number, written 1,234.5"
        );
    }
}
