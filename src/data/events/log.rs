//! An events file as it is read: one record per activity, streamed from CSV or read whole from
//! Parquet, each routed to its lead (or left out when its lead is unknown or it is after the
//! lead's cutoff) before the rest of it is read.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::infer::{parse_bool, parse_required_cells, parse_timestamp, MissingTokens};
use crate::data::read::{read_frame, RawCells, RawFrame, TextCells};
use crate::data::values::{Categorical, Values, MISSING};
use crate::data::Location;
use crate::error::{Error, Result};

pub(crate) const EVENT_TYPE: &str = "event_type";
pub(crate) const COLUMNS_FIX: &str =
    "events need the columns lead_id, timestamp and event_type (url, form_id, email_id, asset, user_agent and is_mpp are optional)";

/// An events file, read and typed.
pub struct EventLog {
    frame_path: std::path::PathBuf,
    lead_ids: TextCells,
    timestamps: Vec<i64>,
    event_types: Categorical,
    urls: Option<TextCells>,
    forms: Option<Categorical>,
    emails: Option<Categorical>,
    assets: Option<Categorical>,
    privacy_proxy: Vec<bool>,
}

/// What happened to the events during aggregation, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Events read.
    pub read: usize,
    /// Events used (matched a lead, at or before its cutoff).
    pub used: usize,
    /// Events whose lead id is not in the lead file.
    pub unmatched: usize,
    /// Events after their lead's cutoff.
    pub after_cutoff: usize,
}

/// Whether an e-mail open came from Apple Mail Privacy Protection or a bot: an `is_mpp` flag,
/// or a user agent that says so.
pub fn is_privacy_proxy(flag: Option<&str>, user_agent: Option<&str>) -> bool {
    flag.and_then(parse_bool).unwrap_or(false)
        || user_agent.is_some_and(|a| {
            let a = a.to_ascii_lowercase();
            a.contains("mpp") || a.contains("bot") || a.contains("privacy proxy")
        })
}

/// Lead ids → lead rows, and the bookkeeping of which events belong to a lead before its cutoff.
pub(crate) struct LeadIndex<'a> {
    rows: HashMap<&'a str, u32>,
    cutoff: &'a [i64],
    pub(crate) counts: EventCounts,
    /// Every event counts, whatever its lead (as lead 0): for learning what the file holds.
    every_event: bool,
}

impl<'a> LeadIndex<'a> {
    pub(crate) fn new(lead_ids: &'a [String], cutoff: &'a [i64]) -> Self {
        let mut rows = HashMap::with_capacity(lead_ids.len());
        for (i, id) in lead_ids.iter().enumerate() {
            rows.entry(id.as_str()).or_insert(i as u32);
        }
        LeadIndex {
            rows,
            cutoff,
            counts: EventCounts::default(),
            every_event: false,
        }
    }

    pub(crate) fn every_event() -> Self {
        LeadIndex {
            rows: HashMap::new(),
            cutoff: &[],
            counts: EventCounts::default(),
            every_event: true,
        }
    }

    /// The lead row of an event, when its lead is known and it is not after the cutoff.
    pub(crate) fn locate(&mut self, lead_id: Option<&str>, time: i64) -> Option<usize> {
        self.counts.read += 1;
        if self.every_event {
            self.counts.used += 1;
            return Some(0);
        }
        let Some(&lead) = lead_id.and_then(|id| self.rows.get(id.trim())) else {
            self.counts.unmatched += 1;
            return None;
        };
        if time > self.cutoff[lead as usize] {
            self.counts.after_cutoff += 1;
            return None;
        }
        self.counts.used += 1;
        Some(lead as usize)
    }
}

/// Where an event read from a file goes, decided from its lead id and time before the rest of
/// the event is read.
pub(crate) trait Route {
    /// What the event is routed to.
    type To;
    /// `None` when the event is not wanted.
    fn route(&mut self, lead_id: Option<&str>, time: i64) -> Option<Self::To>;
}

impl Route for LeadIndex<'_> {
    type To = usize;
    fn route(&mut self, lead_id: Option<&str>, time: i64) -> Option<usize> {
        self.locate(lead_id, time)
    }
}

/// One event as read.
#[derive(Debug, Clone, Copy)]
pub struct EventRecord<'a> {
    /// Seconds since 1970 UTC.
    pub time: i64,
    /// Event type as written (compare ignoring case).
    pub event_type: &'a str,
    /// URL, when present.
    pub url: Option<&'a str>,
    /// Form id, when present.
    pub form: Option<&'a str>,
    /// E-mail id, when present.
    pub email: Option<&'a str>,
    /// Asset, when present.
    pub asset: Option<&'a str>,
    /// An Apple Mail Privacy Protection or bot open.
    pub privacy_proxy: bool,
}

/// Opens a CSV events file (its separator detected) and reads its header.
pub(crate) fn open_csv(path: &Path) -> Result<(csv::Reader<std::io::BufReader<std::fs::File>>, Vec<String>)> {
    let unreadable = |e: std::io::Error| {
        Error::rejected(
            Location::file(path),
            format!("cannot open the events file: {e}"),
            "check the path given to --events",
        )
    };
    let mut head = vec![0u8; 64 * 1024];
    let n = std::io::Read::read(&mut std::fs::File::open(path).map_err(unreadable)?, &mut head).map_err(unreadable)?;
    if n == 0 {
        return Err(Error::rejected(
            Location::file(path),
            "the events file is empty",
            COLUMNS_FIX,
        ));
    }
    let separator = crate::data::read::detect_separator(&head[..n]);
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| {
            Error::rejected(
                Location::file(path).line(1),
                format!("malformed header: {e}"),
                COLUMNS_FIX,
            )
        })?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h).trim().to_string();
            if i == 0 {
                h.trim_start_matches('\u{feff}').to_string()
            } else {
                h
            }
        })
        .collect();
    Ok((reader, headers))
}

/// Streams a CSV events file record by record: each event's lead id and time go to `route`,
/// and the events it wants, read whole, to `visit` with where they go and their lead id.
pub(crate) fn stream_csv<R: Route>(
    path: &Path,
    missing: &MissingTokens,
    route: &mut R,
    mut visit: impl FnMut(R::To, &str, &EventRecord),
) -> Result<()> {
    let (mut reader, headers) = open_csv(path)?;
    let find = |name: &str| headers.iter().position(|h| h == name);
    let require = |name: &str| {
        find(name).ok_or_else(|| {
            Error::rejected(
                Location::file(path).column(name),
                "the events file has no such column",
                COLUMNS_FIX,
            )
        })
    };
    let (lead_at, time_at, type_at) = (require("lead_id")?, require("timestamp")?, require(EVENT_TYPE)?);
    let optional = ["url", "form_id", "email_id", "asset", "is_mpp", "user_agent"].map(find);
    let mut record = csv::ByteRecord::new();
    for read in 0u64.. {
        // A signal is looked for every so many events: checking costs an atomic load.
        if read % (1 << 16) == 0 {
            crate::interrupt::check()?;
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(Error::rejected(
                    Location::file(path).line(line),
                    format!("malformed CSV: {e}"),
                    "fix the row, or export the events again",
                ));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let at = |column: &str| Location::file(path).column(column).line(line);
        let field = |index: usize| -> Result<Option<&str>> {
            match record.get(index) {
                None => Ok(None),
                Some(bytes) => std::str::from_utf8(bytes)
                    .map(|text| missing.clean(Some(text)))
                    .map_err(|_| {
                        Error::rejected(
                            at(&headers[index]),
                            "the field is not valid UTF-8 text",
                            "save the file as UTF-8",
                        )
                    }),
            }
        };
        let time = match field(time_at)? {
            Some(text) => parse_timestamp(text).ok_or_else(|| {
                Error::rejected(
                    at("timestamp"),
                    format!("event time \"{text}\" is not a time"),
                    "write event times as YYYY-MM-DD HH:MM:SS or RFC 3339",
                )
            })?,
            None => {
                return Err(Error::rejected(
                    at("timestamp"),
                    "the event time is missing",
                    "every event needs a time",
                ))
            }
        };
        let lead_id = field(lead_at)?;
        let Some(to) = route.route(lead_id, time) else {
            continue;
        };
        let event_type = field(type_at)?.ok_or_else(|| {
            Error::rejected(
                at(EVENT_TYPE),
                "the event type is empty",
                "every event needs a type such as page_view or form_submit",
            )
        })?;
        let get = |k: usize| optional[k].map(field).transpose().map(Option::flatten);
        let event = EventRecord {
            time,
            event_type,
            url: get(0)?,
            form: get(1)?,
            email: get(2)?,
            asset: get(3)?,
            privacy_proxy: is_privacy_proxy(get(4)?, get(5)?),
        };
        visit(to, lead_id.unwrap_or_default().trim(), &event);
    }
    Ok(())
}

impl EventLog {
    /// Reads an events file: `lead_id, timestamp, event_type` and optional `url`, `form_id`,
    /// `email_id`, `user_agent`, `is_mpp`.
    pub fn load(path: &Path, missing: &MissingTokens) -> Result<EventLog> {
        let frame = read_frame(path)?;
        let text = |name: &str, required: bool| -> Result<Option<TextCells>> {
            match frame.position(name) {
                None if required => Err(Error::rejected(
                    Location::file(path).column(name),
                    "the events file has no such column",
                    COLUMNS_FIX,
                )),
                None => Ok(None),
                Some(i) => match &frame.columns[i].cells {
                    RawCells::Text(t) => Ok(Some(t.clone())),
                    RawCells::Typed(values) => Ok(Some(typed_as_text(values))),
                },
            }
        };
        let lead_ids = text("lead_id", true)?.unwrap_or_default();
        let timestamps = parse_times(&frame, missing)?;
        let categorical = |column: Option<TextCells>| {
            column.map(|c| Categorical::from_values(c.iter().map(|v| missing.clean(v).map(str::trim))))
        };
        let event_types = {
            let raw = text(EVENT_TYPE, true)?.unwrap_or_default();
            let lower: Vec<Option<String>> = raw.iter().map(|v| missing.clean(v).map(|v| v.to_lowercase())).collect();
            if let Some(row) = lower.iter().position(Option::is_none) {
                return Err(Error::rejected(
                    frame.locate(EVENT_TYPE, Some(row)),
                    "the event type is empty",
                    "every event needs a type such as page_view or form_submit",
                ));
            }
            Categorical::from_values(lower.iter().map(|v| v.as_deref()))
        };
        let user_agents = text("user_agent", false)?;
        let flags = text("is_mpp", false)?;
        let mut privacy_proxy = vec![false; frame.n_rows];
        if let Some(flags) = &flags {
            for (proxy, flag) in privacy_proxy.iter_mut().zip(flags.iter()) {
                *proxy |= is_privacy_proxy(flag, None);
            }
        }
        if let Some(agents) = &user_agents {
            for (proxy, agent) in privacy_proxy.iter_mut().zip(agents.iter()) {
                *proxy |= is_privacy_proxy(None, agent);
            }
        }
        Ok(EventLog {
            frame_path: path.to_path_buf(),
            lead_ids,
            timestamps,
            event_types,
            urls: text("url", false)?,
            forms: categorical(text("form_id", false)?),
            emails: categorical(text("email_id", false)?),
            assets: categorical(text("asset", false)?),
            privacy_proxy,
        })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Calls `visit(lead, row)` for every event of a lead in `lead_ids` at or before that lead's
    /// cutoff, and counts what was used and why the rest was not.
    pub fn visit(&self, lead_ids: &[String], cutoff: &[i64], mut visit: impl FnMut(usize, usize)) -> EventCounts {
        let mut leads = LeadIndex::new(lead_ids, cutoff);
        for (row, lead_id) in self.lead_ids.iter().enumerate() {
            if let Some(lead) = leads.locate(lead_id, self.timestamps[row]) {
                visit(lead, row);
            }
        }
        leads.counts
    }

    /// Distinct event types, lower case.
    pub fn event_types(&self) -> &[String] {
        &self.event_types.levels
    }

    /// Index into [`EventLog::event_types`] of event `row`.
    pub fn event_type_code(&self, row: usize) -> usize {
        self.event_types.codes[row] as usize
    }

    /// Lead id of event `row`, as written.
    pub fn lead_id(&self, row: usize) -> Option<&str> {
        self.lead_ids.get(row)
    }

    /// Time of event `row` (seconds since 1970 UTC).
    pub fn time(&self, row: usize) -> i64 {
        self.timestamps[row]
    }

    /// URL of event `row`, when there is one.
    pub fn url(&self, row: usize) -> Option<&str> {
        self.urls.as_ref().and_then(|u| u.get(row))
    }

    /// Form id of event `row`.
    pub fn form(&self, row: usize) -> Option<&str> {
        self.forms.as_ref().and_then(|f| f.get(row))
    }

    /// E-mail id of event `row`.
    pub fn email(&self, row: usize) -> Option<&str> {
        self.emails.as_ref().and_then(|e| e.get(row))
    }

    /// Asset of event `row`.
    pub fn asset(&self, row: usize) -> Option<&str> {
        self.assets.as_ref().and_then(|a| a.get(row))
    }

    /// Whether event `row` is an Apple Mail Privacy Protection or bot open.
    pub fn is_privacy_proxy(&self, row: usize) -> bool {
        self.privacy_proxy[row]
    }

    /// The file the events came from.
    pub fn path(&self) -> &Path {
        &self.frame_path
    }

    /// How often each form id was submitted.
    pub fn form_counts(&self) -> HashMap<String, usize> {
        let mut form_counts: HashMap<String, usize> = HashMap::new();
        if let Some(forms) = &self.forms {
            for &code in forms.codes.iter().filter(|&&c| c != MISSING) {
                *form_counts.entry(forms.levels[code as usize].clone()).or_default() += 1;
            }
        }
        form_counts
    }

    /// Event `row` as a record.
    pub fn record(&self, row: usize) -> EventRecord<'_> {
        EventRecord {
            time: self.time(row),
            event_type: &self.event_types()[self.event_type_code(row)],
            url: self.url(row),
            form: self.form(row),
            email: self.email(row),
            asset: self.asset(row),
            privacy_proxy: self.is_privacy_proxy(row),
        }
    }
}

fn typed_as_text(values: &Values) -> TextCells {
    let cells: Vec<Option<String>> = match values {
        Values::Numeric(v) | Values::Boolean(v) => v
            .iter()
            .map(|x| {
                if x.is_nan() {
                    None
                } else if x.fract() == 0.0 {
                    Some(format!("{}", *x as i64))
                } else {
                    Some(x.to_string())
                }
            })
            .collect(),
        Values::Categorical(c) => (0..c.codes.len()).map(|i| c.get(i).map(str::to_string)).collect(),
        Values::Datetime(t) => t.iter().map(|t| t.map(|t| t.to_string())).collect(),
    };
    cells.iter().map(Option::as_deref).collect()
}

fn parse_times(frame: &RawFrame, missing: &MissingTokens) -> Result<Vec<i64>> {
    let name = "timestamp";
    let index = frame.position(name).ok_or_else(|| {
        Error::rejected(
            Location::file(&frame.path).column(name),
            "the events file has no such column",
            "events need the columns lead_id, timestamp and event_type",
        )
    })?;
    let fix = "write event times as YYYY-MM-DD HH:MM:SS or RFC 3339";
    match &frame.columns[index].cells {
        RawCells::Text(text) => parse_required_cells(
            frame,
            name,
            text,
            missing,
            ("event time", "a time", fix),
            parse_timestamp,
        ),
        RawCells::Typed(Values::Datetime(t)) => t
            .iter()
            .enumerate()
            .map(|(row, t)| {
                t.ok_or_else(|| Error::rejected(frame.locate(name, Some(row)), "the event time is missing", fix))
            })
            .collect(),
        RawCells::Typed(other) => Err(Error::rejected(
            frame.locate(name, None),
            format!("event times are {} values", other.kind()),
            fix,
        )),
    }
}
