//! The rules as a user writes them (`[points]`, `[bands]`, `[decay]` and `[[rules]]`, in a
//! rules file of their own or in `leadscore.toml`): their TOML shape only. `crate::rules`
//! validates and compiles them, and runs them.

use serde::{Deserialize, Serialize};

use crate::bands::Bands;

/// `[points]`: how rule points add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PointsSettings {
    /// Points every lead starts with, before its rules (a points table exported from a model
    /// starts each lead at the points of its model's baseline).
    pub base: Option<f64>,
    /// Column whose value picks the rules that apply (rules with `segment` set).
    pub segment_by: Option<String>,
    /// Total points are capped at this (after all rules and decay).
    pub max_total: Option<f64>,
    /// Total points never go below this (e.g. 0).
    pub min_total: Option<f64>,
    /// A date column of the leads (when the lead last changed stage): event rules count only
    /// the events after it, as Mautic resets a contact's points when its stage changes. Column
    /// rules and inactivity decay are not affected; a lead without a date counts all events.
    pub reset_on: Option<String>,
}

/// The rules: `[points]`, `[bands]`, `[decay]` and `[[rules]]`, in a rules file of their own or
/// in `leadscore.toml` beside its other sections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesFile {
    /// How points add up.
    pub points: PointsSettings,
    /// Bands and the MQL threshold.
    pub bands: Bands,
    /// Points per days without activity.
    pub decay: Option<Decay>,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// `[decay]`: `points` (negative) for every `per_days` days since the last activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decay {
    /// Points per period, e.g. -10.
    pub points: f64,
    /// Days per period, e.g. 30.
    pub per_days: f64,
    /// Decay never takes more than this in total (a negative number, e.g. -50).
    #[serde(default)]
    pub floor: Option<f64>,
}

/// How often an event rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Count {
    /// The first matching event only (e.g. the first e-mail open).
    Once,
    /// Every matching event, up to the rule's `cap`.
    #[default]
    Each,
}

/// One `[[rules]]` entry. Exactly one of `column` and `event` says what it looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Short name, shown in outputs (`pricing_page:+10`).
    pub name: String,
    /// Points when the criterion holds (negative for off-target leads).
    pub points: f64,
    /// Only for leads whose `segment_by` column has this value.
    #[serde(default)]
    pub segment: Option<String>,

    /// Lead column the criterion reads.
    #[serde(default)]
    pub column: Option<String>,
    /// Value equals this (ignoring case).
    #[serde(default)]
    pub equals: Option<String>,
    /// Value is one of these (ignoring case).
    #[serde(default, rename = "in")]
    pub in_list: Option<Vec<String>>,
    /// Value is none of these (ignoring case); a missing value is not in any list.
    #[serde(default)]
    pub not_in: Option<Vec<String>>,
    /// Number at least this; on an event rule, the lead has at least this many matching events
    /// (the rule then gives its points once).
    #[serde(default)]
    pub at_least: Option<f64>,
    /// Number at most this.
    #[serde(default)]
    pub at_most: Option<f64>,
    /// Value contains this text (ignoring case).
    #[serde(default)]
    pub contains: Option<String>,
    /// Value matches this regular expression.
    #[serde(default)]
    pub regex: Option<String>,
    /// The e-mail address's domain is one of these; `*.edu` matches any domain ending `.edu`.
    #[serde(default)]
    pub domain_in: Option<Vec<String>>,
    /// `true`: the value is missing (empty or a missing-value token); `false`: it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<bool>,

    /// Event type the criterion counts (`page_view`, `form_submit`, `email_open`, …; `*`: any).
    #[serde(default)]
    pub event: Option<String>,
    /// The event's URL contains one of these.
    #[serde(default)]
    pub url_contains: Option<Vec<String>>,
    /// The event's form id is this.
    #[serde(default)]
    pub form_id: Option<String>,
    /// The event's asset is this.
    #[serde(default)]
    pub asset: Option<String>,
    /// The event's e-mail id is this.
    #[serde(default)]
    pub email_id: Option<String>,
    /// Only events in the last N days before the cutoff.
    #[serde(default)]
    pub within_days: Option<f64>,
    /// Once or each time.
    #[serde(default)]
    pub count: Count,
    /// At most this many points from this rule (absolute value, for `each`).
    #[serde(default)]
    pub cap: Option<f64>,
    /// Whether Apple Mail Privacy Protection / bot opens count (they do not by default).
    #[serde(default)]
    pub include_mpp: bool,
}

/// The line of each `[[rules]]` in a TOML text, for messages about a rule's values.
pub fn rule_lines(text: &str) -> Vec<u64> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            // `[[rules]]`, however spaced, and perhaps followed by a comment.
            let line = l.split('#').next().unwrap_or_default();
            line.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "[[rules]]"
        })
        .map(|(i, _)| i as u64 + 1)
        .collect()
}
