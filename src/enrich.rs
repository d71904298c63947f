//! Leads made ready for the model and the rules: the event features of every lead and its rule
//! points, from one pass over the events (which are streamed, never held in memory).

use crate::data::events::{aggregate_and, EventCounts, EventFeatureSpec, EventSource};
use crate::data::infer::MissingTokens;
use crate::data::LeadTable;
use crate::error::Result;
use crate::rules::engine::{self, Points};
use crate::rules::RuleSet;

/// The event features of `table`'s leads (with `spec`, when the model has events) and their rule
/// points, from one pass over the events; the features are added to `table`. Returns what
/// happened to the events (when aggregated) and the points (when there are rules).
pub fn events_and_points(
    table: &mut LeadTable,
    events: Option<EventSource>,
    spec: Option<&EventFeatureSpec>,
    rules: Option<&RuleSet>,
    missing: &MissingTokens,
) -> Result<(Option<EventCounts>, Option<Points>)> {
    let (Some(source), Some(spec)) = (events, spec) else {
        let points = rules.map(|r| engine::score(r, table, events, missing)).transpose()?;
        return Ok((None, points));
    };
    let mut tally = rules
        .map(|r| engine::EventTally::new(r, table.n_rows).resetting(table))
        .transpose()?;
    let cutoff = &table.cutoff;
    let (columns, counts) = aggregate_and(source, missing, spec, &table.ids, cutoff, |lead, event| {
        if let Some(tally) = tally.as_mut() {
            tally.add(lead, cutoff[lead], event);
        }
    })?;
    table.features.extend(columns);
    let points = match (rules, tally) {
        (Some(rules), Some(tally)) => Some(engine::points(rules, table, Some((source, tally)))?),
        _ => None,
    };
    Ok((Some(counts), points))
}
