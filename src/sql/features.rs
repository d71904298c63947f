//! The model's features in SQL: every column read typed as leadscore types it, each pipeline
//! step's value derived from it (ages, months, weekdays, e-mail domains, event counts), and the
//! step's terms of the linear predictor.

use super::dialect::{named, yes_no, Dialect};
use super::Unsupported;
use crate::artifact::ModelArtifact;
use crate::config::ColumnType;
use crate::data::events::EventFeatureSpec;
use crate::data::Derivation;
use crate::features::{Encoding, FeatureStep, MISSING_LEVEL};

/// The lead columns the query reads, sorted: column `k` is `c{k}` in the stages (cleaned text),
/// `n{k}` as a number, `ts{k}` and `t{k}` as a timestamp and as seconds.
pub(crate) struct ReadColumns<'a> {
    /// Column names, sorted.
    pub names: Vec<String>,
    artifact: &'a ModelArtifact,
}

impl<'a> ReadColumns<'a> {
    /// `names` (any order, repeats allowed) of `artifact`'s leads.
    pub fn new(mut names: Vec<String>, artifact: &'a ModelArtifact) -> ReadColumns<'a> {
        names.sort();
        names.dedup();
        ReadColumns { names, artifact }
    }

    /// The position of `column`.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.names.iter().position(|c| c == column)
    }

    /// The cleaned text of column `k`.
    pub fn cell(k: usize) -> String {
        format!("c{k}")
    }

    /// The type the model gave `column` (categorical when it does not read it: a rule's).
    pub fn kind(&self, column: &str) -> ColumnType {
        (self.artifact.schema.columns.iter())
            .find(|(c, _)| c == column)
            .map_or(ColumnType::Categorical, |&(_, kind)| kind)
    }
}

/// The `typed` stage's columns: every cleaned cell, its number or time when the model types it
/// so, and each lead's `cutoff`.
pub(crate) fn typed_columns(d: Dialect, columns: &ReadColumns, cutoff: &str) -> Vec<String> {
    let mut typed: Vec<String> = vec!["lead_id".into()];
    for (k, column) in columns.names.iter().enumerate() {
        let cell = ReadColumns::cell(k);
        typed.push(format!("{cell} AS {cell}"));
        match columns.kind(column) {
            ColumnType::Numeric => typed.push(format!("{} AS n{k}", d.parse_number(&cell))),
            ColumnType::Boolean => typed.push(format!("{} AS n{k}", yes_no(d, &cell, &d.num(1.0), &d.num(0.0)))),
            ColumnType::Datetime => {
                typed.push(format!("{} AS ts{k}", d.parse_timestamp(&cell)));
                typed.push(format!("{} AS t{k}", d.parse_epoch(&cell)));
            }
            ColumnType::Categorical | ColumnType::MultiValued => {}
        }
    }
    typed.push(format!("{cutoff} AS cutoff"));
    typed
}

/// Each pipeline step's value, in pipeline order (`f{s}` in the `features` stage).
pub(crate) fn step_values(
    d: Dialect,
    artifact: &ModelArtifact,
    columns: &ReadColumns,
) -> Result<Vec<String>, Unsupported> {
    let mut values = Vec::with_capacity(artifact.pipeline.steps.len());
    for step in &artifact.pipeline.steps {
        let k = match step.derivation {
            Derivation::Events => usize::MAX,
            _ => columns.position(&step.source).ok_or_else(|| {
                Unsupported(format!(
                    "the pipeline reads \"{}\", which is not an input column",
                    step.source
                ))
            })?,
        };
        let cell = || ReadColumns::cell(k);
        values.push(match (step.derivation, columns.kind(&step.source)) {
            (Derivation::Direct, ColumnType::Numeric | ColumnType::Boolean) => format!("n{k}"),
            (Derivation::Direct, _) => cell(),
            (Derivation::AgeDays, _) => format!("((cutoff - t{k}) / {})", d.num(86_400.0)),
            (Derivation::Month, _) => {
                let month = format!("CAST({} AS {})", d.month(&format!("ts{k}")), d.double());
                named(d, &month, &crate::data::MONTHS)
            }
            (Derivation::Weekday, _) => named(d, &d.weekday(&format!("t{k}")), &crate::data::WEEKDAYS),
            (Derivation::Domain, _) => d.domain(&cell()),
            (Derivation::Label, _) => {
                let label = (step.feature.strip_prefix(&step.source))
                    .and_then(|rest| rest.strip_prefix(": "))
                    .ok_or_else(|| {
                        Unsupported(format!("\"{}\" names no label of \"{}\"", step.feature, step.source))
                    })?;
                d.holds_label(&cell(), label)
            }
            (Derivation::DomainType, _) => {
                domain_type(d, &d.domain(&cell()), &artifact.config.features.competitor_domains)
            }
            (Derivation::Events, _) => {
                let spec = artifact
                    .events
                    .as_ref()
                    .ok_or_else(|| Unsupported(format!("\"{}\" comes from events", step.feature)))?;
                event_feature(d, spec, &step.feature)?
            }
        });
    }
    Ok(values)
}

/// The log-odds terms of one pipeline step: its value, encoded, times its weights.
pub(crate) fn step_terms(d: Dialect, step: &FeatureStep, value: &str, weights: &[f64]) -> Vec<String> {
    match &step.encoding {
        Encoding::Numeric {
            median,
            log1p,
            mean,
            std,
            missing_flag,
        }
        | Encoding::Shaped {
            median,
            log1p,
            mean,
            std,
            missing_flag,
            ..
        } => {
            let mut x = format!("COALESCE({value}, {})", d.num(*median));
            if *log1p {
                x = format!("LN({} + GREATEST({x}, {}))", d.num(1.0), d.num(0.0));
            }
            let mut terms = vec![format!(
                "{} * (({x} - {}) / {})",
                d.num(weights[0]),
                d.num(*mean),
                d.num(*std)
            )];
            if *missing_flag {
                terms.push(format!(
                    "CASE WHEN {value} IS NULL THEN {} ELSE {} END",
                    d.num(weights[1]),
                    d.num(0.0)
                ));
            }
            if let Encoding::Shaped { cuts, .. } = &step.encoding {
                // The number as written (a missing one as the median) rises at each cut it reaches.
                let written = format!("COALESCE({value}, {})", d.num(*median));
                let first = 1 + usize::from(*missing_flag);
                for (j, cut) in cuts.iter().enumerate() {
                    terms.push(format!(
                        "CASE WHEN {written} >= {} THEN {} ELSE {} END",
                        d.num(*cut),
                        d.num(weights[first + j]),
                        d.num(0.0)
                    ));
                }
            }
            terms
        }
        Encoding::Categorical { levels, rare, other } => {
            let mut arms = Vec::new();
            if let Some(slot) = levels.iter().position(|l| l == MISSING_LEVEL) {
                arms.push(format!("WHEN {value} IS NULL THEN {}", d.num(weights[slot])));
            }
            for (slot, level) in levels.iter().enumerate() {
                arms.push(format!(
                    "WHEN {value} = {} THEN {}",
                    d.text(level),
                    d.num(weights[slot])
                ));
            }
            if *other && !rare.is_empty() {
                // Rare levels share `other`; a level never seen in training sets no input.
                let listed: Vec<String> = rare.iter().map(|r| d.text(r)).collect();
                arms.push(format!(
                    "WHEN {value} IN ({}) THEN {}",
                    listed.join(", "),
                    d.num(weights[levels.len()])
                ));
            }
            vec![format!("CASE {} ELSE {} END", arms.join(" "), d.num(0.0))]
        }
    }
}

/// `corporate`, `free-mail`, `student` or `competitor` of a lower-cased domain expression.
fn domain_type(d: Dialect, domain: &str, competitors: &[String]) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| d.text(&i.to_ascii_lowercase()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let free: Vec<String> = crate::data::FREE_MAIL.iter().map(|s| s.to_string()).collect();
    let mut arms = Vec::new();
    if !competitors.is_empty() {
        arms.push(format!("WHEN {domain} IN ({}) THEN 'competitor'", list(competitors)));
    }
    arms.push(format!("WHEN {domain} IN ({}) THEN 'free-mail'", list(&free)));
    arms.push(format!(
        "WHEN RIGHT({domain}, 4) = '.edu' OR {} OR {} OR LEFT({domain}, 8) = 'student.' THEN 'student'",
        d.contains(domain, "'.edu.'"),
        d.contains(domain, "'.ac.'")
    ));
    format!(
        "CASE WHEN {domain} IS NULL THEN NULL {} ELSE 'corporate' END",
        arms.join(" ")
    )
}

/// The value of an event feature of the pipeline, from `event_totals` and `email_totals`.
fn event_feature(d: Dialect, spec: &EventFeatureSpec, feature: &str) -> Result<String, Unsupported> {
    let zero = d.num(0.0);
    let total = |column: &str| format!("COALESCE({column}, {zero})");
    if let Some(k) = spec.event_types.iter().position(|t| feature == format!("events: {t}")) {
        return Ok(total(&format!("type_{k}")));
    }
    if let Some(k) = spec
        .form_ids
        .iter()
        .position(|f| feature == format!("events: form {f}"))
    {
        return Ok(total(&format!("form_{k}")));
    }
    match feature {
        "events: high-value page views" => Ok(total("high_value")),
        "events: distinct e-mails opened" => Ok(total("distinct_emails")),
        "events: other forms" => Ok(total("other_forms")),
        "events: recency-weighted activity" => Ok(total("recency")),
        "events: days since last activity" => Ok(format!("((cutoff - last_activity) / {})", d.num(86_400.0))),
        other => Err(Unsupported(format!("unknown event feature \"{other}\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Role;

    fn numeric_step(log1p: bool, missing_flag: bool) -> FeatureStep {
        FeatureStep {
            feature: "visits".into(),
            source: "visits".into(),
            derivation: Derivation::Direct,
            role: Role::Implicit,
            encoding: Encoding::Numeric {
                median: 2.0,
                log1p,
                mean: 1.0,
                std: 0.5,
                missing_flag,
            },
        }
    }

    #[test]
    fn a_number_is_imputed_transformed_and_standardised() {
        let d = Dialect::Duckdb;
        assert_eq!(
            step_terms(d, &numeric_step(false, false), "f0", &[0.25]),
            ["2.5E-1 * ((COALESCE(f0, 2E0) - 1E0) / 5E-1)"]
        );
        let terms = step_terms(d, &numeric_step(true, true), "f0", &[0.25, -1.0]);
        assert_eq!(
            terms[0],
            "2.5E-1 * ((LN(1E0 + GREATEST(COALESCE(f0, 2E0), 0E0)) - 1E0) / 5E-1)"
        );
        assert_eq!(terms[1], "CASE WHEN f0 IS NULL THEN (-1E0) ELSE 0E0 END");
    }

    #[test]
    fn a_category_sets_its_level_other_or_nothing() {
        let step = FeatureStep {
            feature: "source".into(),
            source: "source".into(),
            derivation: Derivation::Direct,
            role: Role::Explicit,
            encoding: Encoding::Categorical {
                levels: vec!["Referral".into(), MISSING_LEVEL.into()],
                rare: vec!["Fax".into()],
                other: true,
            },
        };
        let terms = step_terms(Dialect::Duckdb, &step, "f1", &[0.5, -0.25, 0.125]);
        assert_eq!(
            terms,
            ["CASE WHEN f1 IS NULL THEN (-2.5E-1) WHEN f1 = 'Referral' THEN 5E-1 WHEN f1 = '(missing)' THEN (-2.5E-1) \
              WHEN f1 IN ('Fax') THEN 1.25E-1 ELSE 0E0 END"]
        );
    }

    #[test]
    fn domain_types_and_event_features() {
        let d = Dialect::Duckdb;
        let kind = domain_type(d, "dom", &["rivalsoft.com".into()]);
        assert!(
            kind.starts_with("CASE WHEN dom IS NULL THEN NULL WHEN dom IN ('rivalsoft.com') THEN 'competitor'"),
            "{kind}"
        );
        assert!(kind.ends_with("ELSE 'corporate' END"), "{kind}");
        let spec = EventFeatureSpec {
            event_types: vec!["page_view".into()],
            form_ids: vec!["demo".into()],
            high_value_pages: Vec::new(),
            mpp_open_weight: 0.0,
            half_life_days: 30.0,
        };
        assert_eq!(
            event_feature(d, &spec, "events: page_view").unwrap(),
            "COALESCE(type_0, 0E0)"
        );
        assert_eq!(
            event_feature(d, &spec, "events: form demo").unwrap(),
            "COALESCE(form_0, 0E0)"
        );
        assert!(event_feature(d, &spec, "events: fax").is_err());
    }
}
