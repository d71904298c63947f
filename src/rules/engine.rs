//! Running a rule set over leads (and their events) in one pass: points per lead, with the
//! rules that fired.

use super::{ColumnTest, Count, Criterion, RuleSet};
use std::collections::{BTreeSet, HashMap};

use crate::data::events::{for_each_event, EventRecord, EventSource};
use crate::data::infer::parse_bool;
use crate::data::infer::MissingTokens;
use crate::data::values::Values;
use crate::data::{email_domain, Derivation, LeadTable};
use crate::error::{Error, Location, Result};

const DAY: f64 = 86_400.0;

/// The event type of a rule that counts events of every type.
pub const ANY_EVENT: &str = "*";

/// Points of every lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// Total points per lead (after decay, caps and floor).
    pub total: Vec<f64>,
    /// Rules that gave points, per lead: (rule index, points).
    pub fired: Vec<Vec<(usize, f64)>>,
    /// Points from inactivity decay per lead (0 or negative).
    pub decay: Vec<f64>,
}

impl Points {
    /// The fired rules of lead `i` as text: `pricing_page:+10; student_domain:-20`.
    pub fn explain(&self, rules: &RuleSet, i: usize) -> String {
        let mut parts: Vec<String> = self.fired[i]
            .iter()
            .map(|&(r, p)| format!("{}:{p:+}", rules.rules[r].rule.name))
            .collect();
        if self.decay[i] != 0.0 {
            parts.push(format!("inactivity:{:+}", self.decay[i]));
        }
        parts.join("; ")
    }
}

/// Scores every lead of `table` with `rules`; the events file (when given) is streamed once and
/// taken as of each lead's cutoff, so memory grows with the leads, not the events. Every column
/// and event type the rules name must exist.
pub fn score(
    rules: &RuleSet,
    table: &LeadTable,
    events: Option<EventSource>,
    missing: &MissingTokens,
) -> Result<Points> {
    let tally = match events {
        Some(source) => {
            let mut tally = EventTally::new(rules, table.n_rows).resetting(table)?;
            for_each_event(source, missing, &table.ids, &table.cutoff, |lead, event| {
                tally.add(lead, table.cutoff[lead], event)
            })?;
            Some((source, tally))
        }
        None => None,
    };
    points(rules, table, tally)
}

/// What the rules need from the events, gathered one event at a time (so that the pass over the
/// events can serve other work too): how many of each event rule's events each lead had, each
/// lead's last activity, and the event types seen.
pub struct EventTally<'a> {
    rules: &'a RuleSet,
    /// The rules that count events (indexes into the rule set).
    event_rules: Vec<usize>,
    /// Their event types, lower case.
    wanted: Vec<String>,
    /// The event rules of each event type, indexed: an event is tested only against the rules
    /// that can match it, however many rules there are.
    by_type: HashMap<String, TypeRules>,
    /// Per lead, its hits of each event rule it has hits of (position in `event_rules`, hits):
    /// memory grows with the hits, not with leads × rules.
    hits: Vec<Vec<(u32, u32)>>,
    /// The rules an event is tested against (reused from event to event).
    candidates: Vec<usize>,
    last_activity: Vec<Option<i64>>,
    seen_types: BTreeSet<String>,
    /// With `[points] reset_on`: per lead, the time after which its events count.
    since: Vec<i64>,
}

impl<'a> EventTally<'a> {
    /// An empty tally for `n` leads.
    pub fn new(rules: &'a RuleSet, n: usize) -> EventTally<'a> {
        let event_rules: Vec<usize> = (rules.rules.iter().enumerate())
            .filter(|(_, r)| matches!(r.criterion, Criterion::Event))
            .map(|(i, _)| i)
            .collect();
        let wanted: Vec<String> = (event_rules.iter())
            .map(|&r| rules.rules[r].rule.event.as_deref().unwrap_or_default().to_lowercase())
            .collect();
        let mut grouped: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, kind) in wanted.iter().enumerate() {
            grouped.entry(kind.clone()).or_default().push(k);
        }
        let by_type = (grouped.into_iter())
            .map(|(kind, ks)| (kind, TypeRules::new(rules, &event_rules, ks)))
            .collect();
        EventTally {
            rules,
            by_type,
            hits: vec![Vec::new(); n],
            candidates: Vec::new(),
            event_rules,
            wanted,
            last_activity: vec![None; n],
            seen_types: BTreeSet::new(),
            since: Vec::new(),
        }
    }

    /// With `[points] reset_on`: each lead of `table` counts only its events after its date in
    /// that column (its last stage change). The column is read as the leads' features read a
    /// date: as its age in days at the lead's cutoff.
    pub fn resetting(mut self, table: &LeadTable) -> Result<Self> {
        let Some(column) = &self.rules.file.points.reset_on else {
            return Ok(self);
        };
        let age = (table.features.iter())
            .find(|f| &f.source == column && f.derivation == Derivation::AgeDays)
            .ok_or_else(|| {
                Error::rejected(
                    Location::file(&table.path).column(column),
                    "[points] reset_on names a column the leads do not have as dates",
                    format!(
                        "name the date column of each lead's last stage change (YYYY-MM-DD); the file has: {}",
                        table.input_columns.join(", ")
                    ),
                )
            })?;
        let Values::Numeric(days) = &age.values else {
            return Ok(self);
        };
        self.since = (days.iter().zip(&table.cutoff))
            .map(|(&d, &cutoff)| {
                if d.is_nan() {
                    i64::MIN
                } else {
                    cutoff - (d * DAY).round() as i64
                }
            })
            .collect();
        Ok(self)
    }

    /// Counts an event of `lead`, whose cutoff is `cutoff`.
    pub fn add(&mut self, lead: usize, cutoff: i64, event: &EventRecord) {
        if !self.seen_types.contains(event.event_type) {
            self.seen_types.insert(event.event_type.to_lowercase());
        }
        if !event.privacy_proxy {
            self.last_activity[lead] = Some(self.last_activity[lead].map_or(event.time, |t| t.max(event.time)));
        }
        if self.since.get(lead).is_some_and(|&since| event.time <= since) {
            return;
        }
        let lower;
        let kind = if event.event_type.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = event.event_type.to_lowercase();
            lower.as_str()
        } else {
            event.event_type
        };
        let (of_type, of_any) = (self.by_type.get(kind), self.by_type.get(ANY_EVENT));
        if of_type.is_none() && of_any.is_none() {
            return;
        }
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        for rules in [of_type, of_any].into_iter().flatten() {
            rules.candidates(event, &mut candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        for &k in &candidates {
            let rule = &self.rules.rules[self.event_rules[k]].rule;
            if event.privacy_proxy && !rule.include_mpp {
                continue;
            }
            if let Some(days) = rule.within_days {
                if ((cutoff - event.time) as f64) > days * DAY {
                    continue;
                }
            }
            let matches = |wanted: &Option<String>, actual: Option<&str>| {
                wanted
                    .as_ref()
                    .is_none_or(|w| actual.is_some_and(|a| a.eq_ignore_ascii_case(w)))
            };
            if !matches(&rule.form_id, event.form)
                || !matches(&rule.asset, event.asset)
                || !matches(&rule.email_id, event.email)
            {
                continue;
            }
            if let Some(fragments) = &rule.url_contains {
                if !event
                    .url
                    .is_some_and(|url| fragments.iter().any(|f| url.contains(f.as_str())))
                {
                    continue;
                }
            }
            let hits = &mut self.hits[lead];
            match hits.iter_mut().find(|(rule, _)| *rule as usize == k) {
                Some((_, count)) => *count += 1,
                None => hits.push((k as u32, 1)),
            }
        }
        self.candidates = candidates;
    }
}

/// The points of every lead of `table`, with the tally of their events (from `source`) when the
/// rules were given events.
pub fn points(rules: &RuleSet, table: &LeadTable, events: Option<(EventSource, EventTally)>) -> Result<Points> {
    let n = table.n_rows;
    let mut fired: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let segments = segment_of_each_lead(rules, table)?;
    let applies = |rule: &super::ValidRule, lead: usize| match (&rule.rule.segment, &segments) {
        (Some(segment), Some(values)) => values[lead].as_deref().is_some_and(|v| v.eq_ignore_ascii_case(segment)),
        _ => true,
    };

    // A text column's test is decided once per distinct value, and its points go to the leads
    // of the values it holds for: the work grows with the rules' hits, not rules × leads.
    let mut by_column: HashMap<&str, TextIndex> = HashMap::new();
    for (index, rule) in rules.rules.iter().enumerate() {
        let Criterion::Column { column, test } = &rule.criterion else {
            continue;
        };
        let values = column_values(table, column, test, &rule.rule.name)?;
        let ColumnValues::Text(c) = values else {
            for (lead, fired) in fired.iter_mut().enumerate() {
                if values.holds(lead, test) && applies(rule, lead) {
                    fired.push((index, rule.rule.points));
                }
            }
            continue;
        };
        let text = by_column.entry(column.as_str()).or_insert_with(|| TextIndex::new(c));
        let mut give = |leads: &[u32]| {
            for &lead in leads {
                if applies(rule, lead as usize) {
                    fired[lead as usize].push((index, rule.rule.points));
                }
            }
        };
        for (level, leads) in text.leads.iter().enumerate() {
            if text.holds(level, test) {
                give(leads);
            }
        }
        if matches!(test, ColumnTest::NotIn(_) | ColumnTest::Missing(true)) {
            give(&text.missing);
        }
    }

    let mut last_activity: Vec<Option<i64>> = vec![None; n];
    if let Some((source, mut tally)) = events {
        if let EventSource::Part(parts, _) = source {
            // A chunk of leads need not have every type: the file as a whole decides.
            tally.seen_types.extend(parts.event_types.iter().cloned());
        }
        // A rule counting a type no event has is a typo, not a rule that never fires.
        if let Some((k, _)) =
            (tally.wanted.iter().enumerate()).find(|(_, w)| *w != ANY_EVENT && !tally.seen_types.contains(*w))
        {
            return Err(Error::rejected(
                Location::file(source.path()).column("event_type"),
                format!(
                    "rule \"{}\" counts \"{}\" events, and the events file has none",
                    rules.rules[tally.event_rules[k]].rule.name, tally.wanted[k]
                ),
                if tally.seen_types.is_empty() {
                    "no event of these leads is before its cutoff: check the events file and the leads' snapshot dates (or --as-of)".to_string()
                } else {
                    format!(
                        "the file's event types are: {}",
                        tally.seen_types.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
            ));
        }
        for (lead, (fired, lead_hits)) in fired.iter_mut().zip(&tally.hits).enumerate() {
            for &(k, hits) in lead_hits {
                let r = tally.event_rules[k as usize];
                let rule = &rules.rules[r];
                if !applies(rule, lead) {
                    continue;
                }
                if rule.rule.at_least.is_some_and(|least| f64::from(hits) < least) {
                    continue;
                }
                let times = if rule.rule.count == Count::Once || rule.rule.at_least.is_some() {
                    1.0
                } else {
                    f64::from(hits)
                };
                let mut points = times * rule.rule.points;
                if let Some(cap) = rule.rule.cap {
                    points = points.clamp(-cap, cap);
                }
                fired.push((r, points));
            }
        }
        last_activity = tally.last_activity;
    } else if rules.needs_events() {
        return Err(Error::Usage(
            "the rules count events or decay with inactivity: pass the events file with --events".into(),
        ));
    }

    // Fired rules are listed in the order the file gives them.
    for fired in &mut fired {
        fired.sort_by_key(|&(rule, _)| rule);
    }

    let decay = decay_points(rules, table, &last_activity);
    let total = fired
        .iter()
        .zip(&decay)
        .map(|(fired, decay)| {
            let base = rules.file.points.base.unwrap_or(0.0);
            let mut total = base + fired.iter().map(|(_, p)| p).sum::<f64>() + decay;
            if let Some(max) = rules.file.points.max_total {
                total = total.min(max);
            }
            if let Some(min) = rules.file.points.min_total {
                total = total.max(min);
            }
            total
        })
        .collect();
    Ok(Points { total, fired, decay })
}

/// The inactivity decay of every lead: it counts from the last activity (or, for a lead never
/// active, from its creation when the creation time is known).
fn decay_points(rules: &RuleSet, table: &LeadTable, last_activity: &[Option<i64>]) -> Vec<f64> {
    let n = table.n_rows;
    match &rules.file.decay {
        None => vec![0.0; n],
        Some(decay) => (0..n)
            .map(|lead| {
                let since = last_activity[lead].or_else(|| table.created.as_ref().and_then(|c| c[lead]));
                let Some(since) = since else { return 0.0 };
                let periods = (((table.cutoff[lead] - since) as f64 / DAY) / decay.per_days)
                    .floor()
                    .max(0.0);
                let points = periods * decay.points;
                decay.floor.map_or(points, |floor| points.max(floor))
            })
            .collect(),
    }
}

/// The event rules of one event type (positions in the tally's `event_rules`), indexed by
/// what they require: rules with a form, asset or e-mail id by that value, rules with URL
/// fragments by the fragments (matched all at once), and the rest tested on every event.
struct TypeRules {
    every: Vec<usize>,
    by_value: HashMap<(Field, String), Vec<usize>>,
    fragments: Option<(aho_corasick::AhoCorasick, Vec<usize>)>,
}

/// An event field a rule can require a value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Form,
    Asset,
    Email,
}

impl TypeRules {
    fn new(rules: &RuleSet, event_rules: &[usize], positions: Vec<usize>) -> TypeRules {
        let mut index = TypeRules {
            every: Vec::new(),
            by_value: HashMap::new(),
            fragments: None,
        };
        let (mut patterns, mut owners) = (Vec::new(), Vec::new());
        for k in positions {
            let rule = &rules.rules[event_rules[k]].rule;
            let keyed = [
                (Field::Form, &rule.form_id),
                (Field::Asset, &rule.asset),
                (Field::Email, &rule.email_id),
            ]
            .into_iter()
            .find_map(|(field, value)| value.as_ref().map(|v| (field, v.to_ascii_lowercase())));
            match (keyed, &rule.url_contains) {
                (Some(key), _) => index.by_value.entry(key).or_default().push(k),
                (None, Some(fragments)) => {
                    for fragment in fragments {
                        patterns.push(fragment.clone());
                        owners.push(k);
                    }
                }
                (None, None) => index.every.push(k),
            }
        }
        if !patterns.is_empty() {
            match aho_corasick::AhoCorasick::new(&patterns) {
                Ok(matcher) => index.fragments = Some((matcher, owners)),
                // Not expected for plain fragments; every such rule is then tested directly.
                Err(_) => index.every.extend(owners),
            }
        }
        index
    }

    /// Adds the rules `event` may match to `out`; the caller checks them fully, and puts them
    /// in rule order once each.
    fn candidates(&self, event: &EventRecord, out: &mut Vec<usize>) {
        out.extend_from_slice(&self.every);
        for (field, value) in [
            (Field::Form, event.form),
            (Field::Asset, event.asset),
            (Field::Email, event.email),
        ] {
            let Some(value) = value else { continue };
            if let Some(ks) = self.by_value.get(&(field, value.to_ascii_lowercase())) {
                out.extend_from_slice(ks);
            }
        }
        if let (Some((matcher, owners)), Some(url)) = (&self.fragments, event.url) {
            out.extend(
                matcher
                    .find_overlapping_iter(url)
                    .map(|m| owners[m.pattern().as_usize()]),
            );
        }
    }
}

/// A text column indexed for the rules that test it: each distinct value lower-cased (and its
/// e-mail domain) once, and the leads of each value.
struct TextIndex {
    levels: Vec<String>,
    lower: Vec<String>,
    domains: Vec<String>,
    leads: Vec<Vec<u32>>,
    missing: Vec<u32>,
}

impl TextIndex {
    fn new(c: &crate::data::values::Categorical) -> TextIndex {
        let mut leads = vec![Vec::new(); c.levels.len()];
        let mut missing = Vec::new();
        for (lead, &code) in c.codes.iter().enumerate() {
            match code {
                crate::data::values::MISSING => missing.push(lead as u32),
                code => leads[code as usize].push(lead as u32),
            }
        }
        TextIndex {
            lower: c.levels.iter().map(|l| l.to_lowercase()).collect(),
            domains: c.levels.iter().map(|l| email_domain(l)).collect(),
            levels: c.levels.clone(),
            leads,
            missing,
        }
    }

    /// Whether `test` holds for value `level`, as [`text_holds`] decides it.
    fn holds(&self, level: usize, test: &ColumnTest) -> bool {
        let lower = &self.lower[level];
        match test {
            ColumnTest::In(list) => list.contains(lower),
            ColumnTest::NotIn(list) => !list.contains(lower),
            ColumnTest::Contains(text) => lower.contains(text.as_str()),
            ColumnTest::Domain(patterns) => domain_matches(&self.domains[level], patterns),
            _ => text_holds(&self.levels[level], test),
        }
    }
}

/// Whether an e-mail `domain` matches one of `patterns` (`*.edu` matches any domain ending
/// `.edu`).
fn domain_matches(domain: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_prefix("*.") {
        Some(suffix) => {
            domain.ends_with(suffix)
                && (domain.len() == suffix.len() || domain[..domain.len() - suffix.len()].ends_with('.'))
        }
        None => domain == *p,
    })
}

/// Whether a column test holds for a present text value.
fn text_holds(value: &str, test: &ColumnTest) -> bool {
    let lower = value.to_lowercase();
    match test {
        ColumnTest::In(list) => list.contains(&lower),
        ColumnTest::NotIn(list) => !list.contains(&lower),
        ColumnTest::Range(low, high) => value.parse::<f64>().is_ok_and(|x| *low <= x && x <= *high),
        ColumnTest::Contains(text) => lower.contains(text.as_str()),
        ColumnTest::Regex(regex) => regex.is_match(value),
        ColumnTest::Domain(patterns) => domain_matches(&email_domain(value), patterns),
        ColumnTest::Missing(missing) => !missing,
    }
}

/// The values a column rule reads, as text or number per lead.
enum ColumnValues<'a> {
    Text(&'a crate::data::values::Categorical),
    Number(&'a [f64], bool),
}

impl ColumnValues<'_> {
    fn holds(&self, lead: usize, test: &ColumnTest) -> bool {
        match self {
            ColumnValues::Text(c) => match c.get(lead) {
                Some(value) => text_holds(value, test),
                None => matches!(test, ColumnTest::NotIn(_) | ColumnTest::Missing(true)),
            },
            ColumnValues::Number(values, boolean) => {
                let x = values[lead];
                if x.is_nan() {
                    return matches!(test, ColumnTest::NotIn(_) | ColumnTest::Missing(true));
                }
                let equals = |item: &String| {
                    if *boolean {
                        parse_bool(item).is_some_and(|b| f64::from(u8::from(b)) == x)
                    } else {
                        item.parse::<f64>().is_ok_and(|v| v == x)
                    }
                };
                match test {
                    ColumnTest::In(list) => list.iter().any(equals),
                    ColumnTest::NotIn(list) => !list.iter().any(equals),
                    ColumnTest::Range(low, high) => *low <= x && x <= *high,
                    ColumnTest::Contains(text) => x.to_string().contains(text.as_str()),
                    ColumnTest::Regex(regex) => regex.is_match(&x.to_string()),
                    ColumnTest::Domain(_) => false,
                    ColumnTest::Missing(missing) => !missing,
                }
            }
        }
    }
}

fn column_values<'a>(table: &'a LeadTable, column: &str, test: &ColumnTest, rule: &str) -> Result<ColumnValues<'a>> {
    let feature = table
        .features
        .iter()
        .find(|f| f.source == column && f.derivation == Derivation::Direct);
    // E-mail columns are kept as their domain; domain rules read that.
    let domain = table
        .features
        .iter()
        .find(|f| f.source == column && f.derivation == Derivation::Domain);
    // A multi-valued column's rules read its whole cells.
    let cells = table.multi_cells.get(column);
    match (feature.or(domain).map(|f| &f.values).or(cells), test) {
        (Some(Values::Categorical(c)), ColumnTest::Range(..))
            if !c.levels.iter().any(|l| l.trim().parse::<f64>().is_ok()) =>
        {
            Err(Error::rejected(
                Location::file(&table.path).column(column),
                format!(
                    "rule \"{rule}\" compares numbers (at_least / at_most), but the column holds text such as \"{}\"",
                    c.levels.first().map_or("", String::as_str)
                ),
                "test text with equals, in, contains or regex, or point the rule at a numeric column",
            ))
        }
        (Some(Values::Categorical(c)), _) => Ok(ColumnValues::Text(c)),
        (Some(Values::Numeric(v)), _) => Ok(ColumnValues::Number(v, false)),
        (Some(Values::Boolean(v)), _) => Ok(ColumnValues::Number(v, true)),
        (Some(Values::Datetime(_)), _) => Err(Error::rejected(
            Location::file(&table.path).column(column),
            format!("rule \"{rule}\" tests a date column"),
            "test engagement with event rules and inactivity with [decay]",
        )),
        (None, _) => Err(Error::rejected(
            Location::file(&table.path).column(column),
            format!("rule \"{rule}\" reads a column the lead file does not have"),
            format!("the file has: {}", table.input_columns.join(", ")),
        )),
    }
}

fn segment_of_each_lead(rules: &RuleSet, table: &LeadTable) -> Result<Option<Vec<Option<String>>>> {
    let Some(column) = &rules.file.points.segment_by else {
        return Ok(None);
    };
    let values = column_values(table, column, &ColumnTest::In(Vec::new()), "segment_by")?;
    Ok(Some(
        (0..table.n_rows)
            .map(|lead| match &values {
                ColumnValues::Text(c) => c.get(lead).map(str::to_string),
                ColumnValues::Number(v, _) => (!v[lead].is_nan()).then(|| v[lead].to_string()),
            })
            .collect(),
    ))
}
