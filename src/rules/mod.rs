//! The marketing team's points rules (Mautic / HubSpot / Pardot style), read from TOML and
//! validated as a whole before any lead is scored.
//!
//! A rule gives positive or negative points when a criterion holds: on a lead column
//! (explicit data: equals / in / not in / range / contains / regex / e-mail domain), or on
//! events (implicit data: type, URL, form, asset, e-mail, within the last N days; once, or each
//! time with a cap). Inactivity decay takes points per N days since the last activity. Totals
//! can be capped and floored; bands and the MQL threshold turn points into actions.

pub mod adjustments;
pub mod engine;

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

pub use crate::config::rules::{rule_lines, Count, Decay, PointsSettings, Rule, RulesFile};

use crate::bands::validate_bands;
use crate::config::Config;
use crate::error::{Error, Location, Result};
use crate::toml_text::parse_toml;

/// Top-level sections a rules file may have.
const RULES_SECTIONS: [&str; 4] = ["points", "bands", "decay", "rules"];

/// A validated rule: its criterion compiled.
#[derive(Debug, Clone)]
pub struct ValidRule {
    /// The rule as written.
    pub rule: Rule,
    /// What it tests.
    pub criterion: Criterion,
}

/// What a rule tests.
#[derive(Debug, Clone)]
pub enum Criterion {
    /// A test on a lead column.
    Column {
        /// Column name.
        column: String,
        /// The test.
        test: ColumnTest,
    },
    /// A count of matching events.
    Event,
}

/// A test on one lead column value.
#[derive(Debug, Clone)]
pub enum ColumnTest {
    /// Equal to one of (lower-cased).
    In(Vec<String>),
    /// Equal to none of (lower-cased).
    NotIn(Vec<String>),
    /// Number in `[low, high]`.
    Range(f64, f64),
    /// Contains (lower-cased).
    Contains(String),
    /// Matches.
    Regex(Regex),
    /// E-mail domain matches one of the patterns (lower-cased; `*.x` is a suffix).
    Domain(Vec<String>),
    /// The value is missing (`true`) or there (`false`).
    Missing(bool),
}

/// A validated rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The file as written.
    pub file: RulesFile,
    /// Its rules, compiled.
    pub rules: Vec<ValidRule>,
}

impl RuleSet {
    /// Reads and validates a rules file.
    pub fn load(path: &Path) -> Result<RuleSet> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::rejected(
                Location::file(path),
                format!("cannot read the rules file: {e}"),
                "check the path given to --rules",
            )
        })?;
        RuleSet::parse(&text, path)
    }

    /// Parses and validates a rules file's text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<RuleSet> {
        let fix = "see data/rules/example.toml for every kind of rule";
        let table: toml::Table = parse_toml(text, path, fix)?;
        if let Some(unknown) = table.keys().find(|k| !RULES_SECTIONS.contains(&k.as_str())) {
            let line = text
                .lines()
                .position(|l| l.trim_start().trim_start_matches('[').starts_with(unknown.as_str()))
                .map_or(1, |i| i + 1);
            return Err(Error::rejected(
                Location::file(path).line(line as u64),
                format!("unknown key `{unknown}`, expected one of `points`, `bands`, `decay`, `rules`"),
                fix,
            ));
        }
        RuleSet::from_text(text, path)
    }

    /// The rules of a config file already parsed (its `[points]`, `[bands]`, `[decay]` and
    /// `[[rules]]`; `text` gives each rule's line for messages), or `None` without `[[rules]]`.
    pub fn from_config(config: &Config, text: &str, path: &Path) -> Result<Option<RuleSet>> {
        if config.rules.is_empty() {
            return Ok(None);
        }
        RuleSet::from_file(config.rules_file(), path, &rule_lines(text)).map(Some)
    }

    fn from_text(text: &str, path: &Path) -> Result<RuleSet> {
        let file: RulesFile = parse_toml(text, path, "see data/rules/example.toml for every kind of rule")?;
        RuleSet::from_file(file, path, &rule_lines(text))
    }

    /// Validates and compiles parsed rules (`rule_lines`: the line of each `[[rules]]`, for
    /// messages; empty when the rules come from a model file).
    pub fn from_file(file: RulesFile, path: &Path, rule_lines: &[u64]) -> Result<RuleSet> {
        let at_rule = |index: usize, key: &str| {
            let mut location = Location::file(path).column(key);
            if let Some(&line) = rule_lines.get(index) {
                location = location.line(line);
            }
            location
        };
        validate_bands(&file.bands, path, "bands")?;
        if let (Some(min), Some(max)) = (file.points.min_total, file.points.max_total) {
            if min > max {
                return Err(Error::rejected(
                    Location::file(path).column("points"),
                    format!("min_total {min} is above max_total {max}: every lead would get the same total"),
                    "make min_total the floor and max_total the cap, e.g. min_total = 0, max_total = 100",
                ));
            }
        }
        if file.rules.is_empty() && file.decay.is_none() {
            return Err(Error::rejected(
                Location::file(path),
                "the rules file has no [[rules]] and no [decay]: it gives every lead 0 points",
                "add rules (see data/rules/example.toml for every kind)",
            ));
        }
        if let Some(decay) = &file.decay {
            if !(decay.per_days.is_finite() && decay.per_days > 0.0 && decay.points.is_finite()) {
                return Err(Error::rejected(
                    Location::file(path).column("decay"),
                    "decay needs points and a positive per_days",
                    "e.g. [decay] points = -10, per_days = 30",
                ));
            }
        }
        let mut names = BTreeSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for (index, rule) in file.rules.iter().enumerate() {
            if !names.insert(rule.name.as_str()) {
                return Err(Error::rejected(
                    at_rule(index, "name"),
                    format!("two rules are called \"{}\"", rule.name),
                    "give every rule its own name",
                ));
            }
            if !rule.points.is_finite() {
                return Err(Error::rejected(
                    at_rule(index, "points"),
                    "points must be a number",
                    "e.g. points = 10 or points = -20",
                ));
            }
            if rule.segment.is_some() && file.points.segment_by.is_none() {
                return Err(Error::rejected(
                    at_rule(index, "segment"),
                    "a rule has a segment but the file has no segment_by",
                    "add segment_by = \"COLUMN\" to the [points] section",
                ));
            }
            let criterion = compile(rule).map_err(|(key, problem, fix)| {
                Error::rejected(at_rule(index, key), format!("rule \"{}\": {problem}", rule.name), fix)
            })?;
            rules.push(ValidRule {
                rule: rule.clone(),
                criterion,
            });
        }
        Ok(RuleSet { file, rules })
    }

    /// Lead columns the rules read (including `segment_by`).
    pub fn columns(&self) -> Vec<&str> {
        let mut columns: Vec<&str> = self
            .rules
            .iter()
            .filter_map(|r| match &r.criterion {
                Criterion::Column { column, .. } => Some(column.as_str()),
                Criterion::Event => None,
            })
            .chain(self.file.points.segment_by.as_deref())
            .chain(self.file.points.reset_on.as_deref())
            .collect();
        columns.sort_unstable();
        columns.dedup();
        columns
    }

    /// Whether any rule or the decay needs events.
    pub fn needs_events(&self) -> bool {
        self.file.decay.is_some() || self.rules.iter().any(|r| matches!(r.criterion, Criterion::Event))
    }
}

type Problem = (&'static str, String, &'static str);

/// What a rule tests, checked: exactly one of a column and an event, with tests that fit it.
fn compile(rule: &Rule) -> std::result::Result<Criterion, Problem> {
    match (&rule.column, &rule.event) {
        (Some(_), Some(_)) => Err((
            "column",
            "has both a column and an event".into(),
            "split it into two rules",
        )),
        (None, None) => Err((
            "column",
            "says neither which column nor which event it looks at".into(),
            "add column = \"…\" or event = \"…\"",
        )),
        (None, Some(_)) => compile_event(rule),
        (Some(column), None) => compile_column(rule, column),
    }
}

/// An event rule: its column tests must be absent and its cap positive; `at_least` counts
/// events, and then the rule gives its points once.
fn compile_event(rule: &Rule) -> std::result::Result<Criterion, Problem> {
    if rule.equals.is_some()
        || rule.in_list.is_some()
        || rule.not_in.is_some()
        || rule.contains.is_some()
        || rule.regex.is_some()
        || rule.domain_in.is_some()
        || rule.missing.is_some()
        || rule.at_most.is_some()
    {
        return Err((
            "event",
            "column tests (equals, in, at_most, …) do not apply to events".into(),
            "use url_contains, form_id, asset, email_id, within_days, or at_least for a number of events",
        ));
    }
    if let Some(least) = rule.at_least {
        if !(least.is_finite() && least >= 1.0 && least.fract() == 0.0) {
            return Err((
                "at_least",
                format!("at_least {least} must be a whole number of events, 1 or more"),
                "e.g. at_least = 3 for leads with three such events or more",
            ));
        }
        if rule.cap.is_some() {
            return Err((
                "cap",
                "a rule with at_least gives its points once, when the lead has that many events: it takes no cap"
                    .into(),
                "remove the cap, or at_least to give points per event up to the cap",
            ));
        }
    }
    if let Some(days) = rule.within_days {
        if !(days.is_finite() && days > 0.0) {
            return Err((
                "within_days",
                format!("within_days {days} must be a positive number of days"),
                "e.g. within_days = 30 for the last month's events",
            ));
        }
    }
    if let Some(cap) = rule.cap {
        if !(cap.is_finite() && cap > 0.0) {
            return Err((
                "cap",
                format!("cap {cap} must be positive"),
                "the cap is the most points (in absolute value) the rule can give",
            ));
        }
    }
    Ok(Criterion::Event)
}

/// A column rule: its event tests must be absent and it must have exactly one test.
fn compile_column(rule: &Rule, column: &str) -> std::result::Result<Criterion, Problem> {
    let lower = |values: &[String]| values.iter().map(|v| v.trim().to_lowercase()).collect::<Vec<_>>();
    if rule.url_contains.is_some()
        || rule.form_id.is_some()
        || rule.asset.is_some()
        || rule.email_id.is_some()
        || rule.within_days.is_some()
        || rule.count == Count::Once
        || rule.cap.is_some()
    {
        return Err((
            "column",
            "event tests (url_contains, form_id, count, cap, …) do not apply to columns".into(),
            "use equals, in, not_in, at_least, at_most, contains, regex or domain_in",
        ));
    }
    let mut tests = Vec::new();
    if let Some(value) = &rule.equals {
        tests.push(ColumnTest::In(lower(std::slice::from_ref(value))));
    }
    if let Some(values) = &rule.in_list {
        tests.push(ColumnTest::In(lower(values)));
    }
    if let Some(values) = &rule.not_in {
        tests.push(ColumnTest::NotIn(lower(values)));
    }
    if rule.at_least.is_some() || rule.at_most.is_some() {
        tests.push(ColumnTest::Range(
            rule.at_least.unwrap_or(f64::NEG_INFINITY),
            rule.at_most.unwrap_or(f64::INFINITY),
        ));
    }
    if let Some(text) = &rule.contains {
        tests.push(ColumnTest::Contains(text.to_lowercase()));
    }
    if let Some(pattern) = &rule.regex {
        let regex = Regex::new(pattern).map_err(|e| {
            (
                "regex",
                format!("bad regular expression: {e}"),
                "fix the pattern (it uses Rust regex syntax)",
            )
        })?;
        tests.push(ColumnTest::Regex(regex));
    }
    if let Some(domains) = &rule.domain_in {
        tests.push(ColumnTest::Domain(lower(domains)));
    }
    if let Some(missing) = rule.missing {
        tests.push(ColumnTest::Missing(missing));
    }
    match tests.len() {
        1 => Ok(Criterion::Column {
            column: column.to_string(),
            test: tests.remove(0),
        }),
        0 => Err((
            "column",
            format!("says which column (\"{column}\") but not what to test"),
            "add equals, in, not_in, at_least, at_most, contains, regex, domain_in or missing",
        )),
        _ => Err((
            "column",
            "has more than one test".into(),
            "one test per rule: split it into several rules",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleSet> {
        RuleSet::parse(text, Path::new("rules.toml"))
    }

    #[test]
    fn the_shipped_example_validates() {
        let text = include_str!("../../data/rules/example.toml");
        let rules = parse(text).unwrap();
        assert!(rules.rules.len() >= 10);
        assert!(rules.needs_events());
    }

    #[test]
    fn errors_name_the_rule_line_and_key() {
        let err = parse("[[rules]]\nname = \"x\"\npoints = \"ten\"\nevent = \"page_view\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("rules.toml"), "{err}");
        let err = parse("[[rules]]\nname = \"x\"\npoints = 1\nevent = \"page_view\"\nurl = \"/pricing\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5") && err.contains("url"), "{err}");
        let err = parse("\n[[rules]]\nname = \"x\"\npoints = 1\ncolumn = \"Title\"\nregex = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("regular expression"), "{err}");
        let err = parse("[bands]\nnames = [\"cold\", \"warm\", \"hot\"]\ncuts = [50, 25]\nmql = 60\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("overlap"), "{err}");
        let err = parse("[[rules]]\nname = \"x\"\npoints = 1\ncolumn = \"a\"\nevent = \"b\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("both"), "{err}");
    }

    #[test]
    fn the_rules_sections_of_a_config_become_its_rules() {
        let text = "[data]\ntarget = \"won\"\n\n[[rules]]\nname = \"demo\"\nevent = \"form_submit\"\npoints = 50\n";
        let path = Path::new("leadscore.toml");
        let config = Config::parse(text, path).unwrap();
        assert_eq!(config.data.target.as_deref(), Some("won"));
        let rules = RuleSet::from_config(&config, text, path).unwrap().unwrap();
        assert_eq!(rules.rules[0].rule.name, "demo");
        let none = Config::parse("[data]\ntarget = \"won\"\n", path).unwrap();
        assert!(RuleSet::from_config(&none, "", path).unwrap().is_none());
        let bad = "[data]\ntarget = \"won\"\n\n[[rules]]\nname = \"x\"\npoints = 1\ncolumn = \"a\"\nevent = \"b\"\n";
        let config = Config::parse(bad, path).unwrap();
        let err = RuleSet::from_config(&config, bad, path).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("both"), "{err}");
    }

    #[test]
    fn unknown_sections_are_rejected() {
        let err = parse("[bandz]\nmql = 5\n").unwrap_err().to_string();
        assert!(err.contains("bandz") && err.contains("line 1"), "{err}");
        let err = parse("[data]\ntarget = \"won\"\n").unwrap_err().to_string();
        assert!(err.contains("data"), "{err}");
    }
}
