//! Events (one row per activity) aggregated per lead into engagement features, as of a cutoff.
//!
//! Only events at or before each lead's cutoff count, so nothing that happened after the moment
//! being predicted leaks into training. Apple Mail Privacy Protection and bot opens carry no
//! intent and are weighted by `[events] mpp_open_weight` (0 by default).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

mod log;
mod parts;
mod shapes;

pub use log::{is_privacy_proxy, EventCounts, EventLog, EventRecord};
pub use parts::{ChunkIndex, EventParts};
pub use shapes::{FileRead, ShapedEvents};

use crate::config::{EventsConfig, Role};
use crate::data::infer::MissingTokens;
use crate::data::values::Values;
use crate::data::FeatureColumn;
use crate::error::{Error, Result};
use log::{stream_csv, LeadIndex};

/// Which engagement features events become; learned at training, stored in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFeatureSpec {
    /// Event types counted (lower case), in output order.
    pub event_types: Vec<String>,
    /// Form ids counted one by one; other forms share one count.
    pub form_ids: Vec<String>,
    /// URL fragments of high-value pages.
    pub high_value_pages: Vec<String>,
    /// Weight of a privacy-proxy or bot e-mail open.
    pub mpp_open_weight: f64,
    /// Half-life of the recency-weighted activity, in days.
    pub half_life_days: f64,
}

impl EventFeatureSpec {
    /// The spec for a file holding `event_types` (lower case) and forms with their counts: every
    /// type, and the forms seen at least `min_form_count` times, both sorted.
    fn learned(
        mut event_types: Vec<String>,
        form_counts: HashMap<String, usize>,
        config: &EventsConfig,
    ) -> EventFeatureSpec {
        event_types.sort();
        let mut form_ids: Vec<String> = form_counts
            .into_iter()
            .filter(|(_, n)| *n >= config.min_form_count)
            .map(|(form, _)| form)
            .collect();
        form_ids.sort();
        EventFeatureSpec {
            event_types,
            form_ids,
            high_value_pages: config.high_value_pages.clone(),
            mpp_open_weight: config.mpp_open_weight,
            half_life_days: config.recency_half_life_days,
        }
    }
}

/// Where a batch of leads finds its events.
#[derive(Clone, Copy)]
pub enum EventSource<'a> {
    /// An events file, streamed whole.
    File(&'a Path),
    /// The events of chunk `.1` of the lead file, split off the events file by [`EventParts`].
    Part(&'a EventParts, usize),
}

impl EventSource<'_> {
    /// The events file, for messages.
    pub fn path(&self) -> &Path {
        match self {
            EventSource::File(path) => path,
            EventSource::Part(parts, _) => &parts.source,
        }
    }
}

/// Calls `visit(lead, event)` for every event of a lead in `lead_ids` at or before that lead's
/// cutoff. A CSV file is streamed record by record, so memory does not grow with the number of
/// events; a Parquet file is read whole.
pub fn for_each_event(
    source: EventSource,
    missing: &MissingTokens,
    lead_ids: &[String],
    cutoff: &[i64],
    mut visit: impl FnMut(usize, &EventRecord),
) -> Result<EventCounts> {
    let mut leads = LeadIndex::new(lead_ids, cutoff);
    match source {
        EventSource::Part(parts, chunk) => parts.replay(chunk, &mut leads, visit)?,
        EventSource::File(path) if crate::data::read::is_parquet(path) => {
            let log = EventLog::load(path, missing)?;
            return Ok(log.visit(lead_ids, cutoff, |lead, row| visit(lead, &log.record(row))));
        }
        EventSource::File(path) => stream_csv(path, missing, &mut leads, |lead, _, event| visit(lead, event))?,
    }
    Ok(leads.counts)
}

/// Sums engagement features per lead, one event at a time (see [`EventLog::aggregate`] for what
/// each feature is).
struct Aggregator<'a> {
    spec: &'a EventFeatureSpec,
    cutoff: &'a [i64],
    width: usize,
    sums: Vec<f64>,
    last_activity: Vec<Option<i64>>,
    /// (lead, e-mail, weight) of every e-mail open with an e-mail id.
    opens: Vec<(u32, u32, f64)>,
    emails: HashMap<String, u32>,
    decay: f64,
}

impl<'a> Aggregator<'a> {
    // Slots: types…, high-value pages, distinct e-mails opened, forms…, other forms,
    // recency-weighted activity; days since last activity is kept apart.
    fn high_value(&self) -> usize {
        self.spec.event_types.len()
    }
    fn distinct_opens(&self) -> usize {
        self.high_value() + 1
    }
    fn first_form(&self) -> usize {
        self.high_value() + 2
    }
    fn other_forms(&self) -> usize {
        self.first_form() + self.spec.form_ids.len()
    }
    fn recency(&self) -> usize {
        self.other_forms() + 1
    }

    fn new(spec: &'a EventFeatureSpec, cutoff: &'a [i64]) -> Aggregator<'a> {
        let width = spec.event_types.len() + spec.form_ids.len() + 4;
        Aggregator {
            spec,
            cutoff,
            width,
            sums: vec![0.0; cutoff.len() * width],
            last_activity: vec![None; cutoff.len()],
            opens: Vec::new(),
            emails: HashMap::new(),
            decay: std::f64::consts::LN_2 / spec.half_life_days,
        }
    }

    fn add(&mut self, lead: usize, event: &EventRecord) {
        let weight = if event.privacy_proxy {
            self.spec.mpp_open_weight
        } else {
            1.0
        };
        let (high_value, first_form, other_forms, recency) =
            (self.high_value(), self.first_form(), self.other_forms(), self.recency());
        let cells = &mut self.sums[lead * self.width..(lead + 1) * self.width];
        if let Some(slot) = (self.spec.event_types.iter()).position(|t| t.eq_ignore_ascii_case(event.event_type)) {
            cells[slot] += weight;
        }
        if weight > 0.0 {
            let age_days = (self.cutoff[lead] - event.time) as f64 / 86_400.0;
            cells[recency] += weight * (-self.decay * age_days).exp();
            self.last_activity[lead] = Some(self.last_activity[lead].map_or(event.time, |t| t.max(event.time)));
        }
        if let Some(url) = event.url {
            if self.spec.high_value_pages.iter().any(|p| url.contains(p.as_str())) {
                cells[high_value] += weight;
            }
        }
        if let Some(form) = event.form {
            match self.spec.form_ids.iter().position(|f| f == form) {
                Some(slot) => cells[first_form + slot] += weight,
                None => cells[other_forms] += weight,
            }
        }
        if event.event_type.eq_ignore_ascii_case("email_open") {
            if let Some(email) = event.email {
                let next = self.emails.len() as u32;
                let code = *self.emails.entry(email.to_string()).or_insert(next);
                self.opens.push((lead as u32, code, weight));
            }
        }
    }

    fn finish(mut self) -> Vec<FeatureColumn> {
        let n = self.cutoff.len();
        // A distinct e-mail counts once, at the weight of its most human open.
        let distinct_opens = self.distinct_opens();
        self.opens
            .sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.total_cmp(&a.2)));
        self.opens.dedup_by_key(|o| (o.0, o.1));
        for &(lead, _, weight) in &self.opens {
            self.sums[lead as usize * self.width + distinct_opens] += weight;
        }
        let mut names: Vec<String> = self.spec.event_types.iter().map(|t| format!("events: {t}")).collect();
        names.push("events: high-value page views".into());
        names.push("events: distinct e-mails opened".into());
        names.extend(self.spec.form_ids.iter().map(|f| format!("events: form {f}")));
        names.push("events: other forms".into());
        names.push("events: recency-weighted activity".into());
        let width = self.width;
        let mut columns: Vec<FeatureColumn> = names
            .into_iter()
            .enumerate()
            .map(|(slot, name)| FeatureColumn {
                source: name.clone(),
                name,
                derivation: crate::data::Derivation::Events,
                role: Role::Implicit,
                values: Values::Numeric((0..n).map(|i| self.sums[i * width + slot]).collect()),
            })
            .collect();
        columns.push(FeatureColumn {
            name: "events: days since last activity".into(),
            source: "events: days since last activity".into(),
            derivation: crate::data::Derivation::Events,
            role: Role::Implicit,
            values: Values::Numeric(
                self.last_activity
                    .iter()
                    .zip(self.cutoff)
                    .map(|(t, c)| t.map_or(f64::NAN, |t| (c - t) as f64 / 86_400.0))
                    .collect(),
            ),
        });
        columns
    }
}

/// Fails when events were read but none belongs to a lead before its cutoff.
pub fn check_matched(path: &Path, counts: &EventCounts) -> Result<()> {
    if counts.used == 0 && counts.read > 0 {
        return Err(Error::rejected(
            crate::data::Location::file(path).column("lead_id"),
            format!(
                "none of the {} events belongs to a lead in the lead file (before its cutoff)",
                counts.read
            ),
            "check that lead_id in the events matches the --id column of the leads, and the --as-of date",
        ));
    }
    Ok(())
}

/// Learns from every event of a file which event types and form ids become features; a CSV file
/// is streamed, so memory does not grow with the number of events.
pub fn learn_spec_from_file(path: &Path, missing: &MissingTokens, config: &EventsConfig) -> Result<EventFeatureSpec> {
    if crate::data::read::is_parquet(path) {
        return Ok(EventLog::load(path, missing)?.learn_spec(config));
    }
    let mut types: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut forms: HashMap<String, usize> = HashMap::new();
    stream_csv(path, missing, &mut LeadIndex::every_event(), |_, _, event| {
        if !types.contains(event.event_type) {
            types.insert(event.event_type.to_lowercase());
        }
        if let Some(form) = event.form {
            *forms.entry(form.to_string()).or_default() += 1;
        }
    })?;
    Ok(EventFeatureSpec::learned(types.into_iter().collect(), forms, config))
}

/// Per-lead engagement features of the leads `lead_ids`, each as of its `cutoff`, from events
/// streamed once (memory grows with the leads, not with the events); every event used is also
/// handed to `also(lead, event)`, so that the one pass serves other work too.
pub fn aggregate_and(
    source: EventSource,
    missing: &MissingTokens,
    spec: &EventFeatureSpec,
    lead_ids: &[String],
    cutoff: &[i64],
    mut also: impl FnMut(usize, &EventRecord),
) -> Result<(Vec<FeatureColumn>, EventCounts)> {
    let mut aggregator = Aggregator::new(spec, cutoff);
    let counts = for_each_event(source, missing, lead_ids, cutoff, |lead, event| {
        aggregator.add(lead, event);
        also(lead, event);
    })?;
    // A chunk of leads may have no events; the split file as a whole is checked by its reader.
    if let EventSource::File(path) = source {
        check_matched(path, &counts)?;
    }
    Ok((aggregator.finish(), counts))
}

impl EventLog {
    /// The feature spec training learns from these events.
    pub fn learn_spec(&self, config: &EventsConfig) -> EventFeatureSpec {
        EventFeatureSpec::learned(self.event_types().to_vec(), self.form_counts(), config)
    }

    /// Per-lead engagement features for the leads `lead_ids`, each as of its `cutoff`.
    pub fn aggregate(
        &self,
        spec: &EventFeatureSpec,
        lead_ids: &[String],
        cutoff: &[i64],
    ) -> Result<(Vec<FeatureColumn>, EventCounts)> {
        let mut aggregator = Aggregator::new(spec, cutoff);
        let counts = self.visit(lead_ids, cutoff, |lead, row| aggregator.add(lead, &self.record(row)));
        check_matched(self.path(), &counts)?;
        Ok((aggregator.finish(), counts))
    }
}
