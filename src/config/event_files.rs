//! `[[events.files]]`: the shape of an activity export that is not already one row per event
//! as `lead_id, timestamp, event_type, …` — which of its columns hold the lead, the time and the
//! kind of activity, and what its activity names mean. `crate::data::events` reads files by it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::formats::CellFormat;

/// What each column of an events file may be mapped to (`columns = { lead_id = "Lead ID" }`).
pub const EVENT_FIELDS: [&str; 10] = [
    "lead_id",
    "timestamp",
    "event_type",
    "url",
    "form_id",
    "email_id",
    "asset",
    "user_agent",
    "is_mpp",
    "detail",
];

/// One `[[events.files]]` entry: how one kind of activity export becomes events.
///
/// A file is read with the first shape whose columns it has (the shapes of the config file
/// first, then those of its `[data] source` preset); a file with `lead_id`, `timestamp` and
/// `event_type` columns needs none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFileShape {
    /// What the export is, for messages and the summary (`Mautic page hits`).
    pub name: String,
    /// The file's column for each event field: `lead_id` and `timestamp` always; `event_type`
    /// unless every row is one type; optionally `url`, `form_id`, `email_id`, `asset`,
    /// `user_agent`, `is_mpp`, and `detail` (a column whose meaning follows the type, as
    /// Marketo's Primary Attribute Value: the page of a page view, the form of a form
    /// submission, the e-mail of an open or click, the asset of a download).
    pub columns: BTreeMap<String, String>,
    /// The event type of rows whose type column is absent, or holds a value not in `types`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The type column's values and the event types they are (`"Visit Webpage" =
    /// "page_view"`). When set, rows of other values are left out (and counted), unless
    /// `event_type` gives them a type; when empty, the values are the event types.
    #[serde(default)]
    pub types: BTreeMap<String, String>,
    /// How the timestamp column writes dates when it is not ISO 8601 and its cells do not say
    /// it (`month-first` or `day-first`).
    #[serde(default)]
    pub timestamp_format: Option<String>,
}

impl EventFileShape {
    /// The file column mapped to `field`.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns.get(field).map(String::as_str)
    }

    /// The date order of `timestamp_format`, once validated.
    pub fn date_format(&self) -> Option<CellFormat> {
        self.timestamp_format.as_deref().and_then(CellFormat::from_word)
    }

    /// Whether a file with these column names can be read with this shape.
    pub fn fits(&self, header: &[String]) -> bool {
        self.columns.values().all(|c| header.iter().any(|h| h == c))
    }

    /// The mapped columns a header lacks.
    pub fn missing_from(&self, header: &[String]) -> Vec<&str> {
        (self.columns.values())
            .filter(|c| !header.iter().any(|h| h == *c))
            .map(String::as_str)
            .collect()
    }
}

/// Checks every `[[events.files]]` entry of a config file (`path`, for messages).
pub fn validate(shapes: &[EventFileShape], path: &Path) -> Result<()> {
    let mut names = BTreeSet::new();
    for (i, shape) in shapes.iter().enumerate() {
        let key = format!("events.files[{}] \"{}\"", i + 1, shape.name);
        let bad = |problem: String, fix: &str| Err(Error::rejected(Location::file(path).column(&key), problem, fix));
        if shape.name.trim().is_empty() {
            return bad("has no name".into(), "give each [[events.files]] a name = \"…\"");
        }
        if !names.insert(shape.name.as_str()) {
            return bad("is named twice".into(), "give each [[events.files]] its own name");
        }
        if let Some(field) = shape.columns.keys().find(|f| !EVENT_FIELDS.contains(&f.as_str())) {
            return bad(
                format!("maps \"{field}\", which is not an event field"),
                &format!("map columns to {}", EVENT_FIELDS.join(", ")),
            );
        }
        for needed in ["lead_id", "timestamp"] {
            if shape.column(needed).is_none() {
                return bad(
                    format!("names no column for {needed}"),
                    &format!("add {needed} = \"COLUMN\" to its columns"),
                );
            }
        }
        if shape.column("event_type").is_none() && shape.event_type.is_none() {
            return bad(
                "says neither which column holds the event type nor which type every row is".into(),
                "add event_type = \"COLUMN\" to its columns, or event_type = \"page_view\" (say) to the entry",
            );
        }
        if !shape.types.is_empty() && shape.column("event_type").is_none() {
            return bad(
                "has types but no event_type column to read them from".into(),
                "add event_type = \"COLUMN\" to its columns",
            );
        }
        if let Some((value, _)) = (shape.types.iter()).find(|(_, t)| t.trim().is_empty()) {
            return bad(
                format!("gives \"{value}\" an empty event type"),
                "name an event type such as page_view",
            );
        }
        if let Some(word) = &shape.timestamp_format {
            if !matches!(
                CellFormat::from_word(word),
                Some(CellFormat::Date(_) | CellFormat::ExcelSerial)
            ) {
                return bad(
                    format!("timestamp_format \"{word}\" is not a date format"),
                    "use \"month-first\", \"day-first\" or \"excel-date\"",
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(columns: &[(&str, &str)]) -> EventFileShape {
        EventFileShape {
            name: "page hits".into(),
            columns: columns.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect(),
            event_type: Some("page_view".into()),
            types: BTreeMap::new(),
            timestamp_format: None,
        }
    }

    #[test]
    fn a_shape_fits_a_header_with_all_its_columns() {
        let hits = shape(&[("lead_id", "lead_id"), ("timestamp", "date_hit"), ("url", "url")]);
        let header: Vec<String> = ["id", "date_hit", "url", "lead_id"].map(String::from).to_vec();
        assert!(hits.fits(&header));
        assert!(!hits.fits(&header[..3]));
        assert_eq!(hits.missing_from(&header[..3]), vec!["lead_id"]);
    }

    #[test]
    fn shapes_are_validated() {
        let path = Path::new("leadscore.toml");
        let good = shape(&[("lead_id", "lead_id"), ("timestamp", "date_hit")]);
        assert!(validate(std::slice::from_ref(&good), path).is_ok());
        let message = |shapes: &[EventFileShape]| validate(shapes, path).unwrap_err().to_string();
        assert!(message(&[shape(&[("lead_id", "lead_id")])]).contains("no column for timestamp"));
        assert!(message(&[shape(&[("lead_id", "a"), ("timestamp", "b"), ("page", "c")])]).contains("\"page\""));
        assert!(message(&[good.clone(), good.clone()]).contains("named twice"));
        let mut typeless = good.clone();
        typeless.event_type = None;
        assert!(message(&[typeless]).contains("neither"));
        let mut types_without_column = good.clone();
        types_without_column.types.insert("Visit".into(), "page_view".into());
        assert!(message(&[types_without_column]).contains("no event_type column"));
        let mut number_format = good;
        number_format.timestamp_format = Some("1,234.5".into());
        assert!(message(&[number_format]).contains("not a date format"));
    }
}
