//! Events in SQL: the events table cleaned as leadscore reads an events file, joined to its
//! leads as of each lead's cutoff, and summed per lead — the counts the event features read
//! (`event_totals`, `email_totals` for distinct e-mails) and the hits of each event rule.

use super::dialect::{cleaned_cell, words, Dialect};
use super::query::Query;
use super::Unsupported;
use crate::data::events::EventFeatureSpec;
use crate::data::infer::TRUE_WORDS;
use crate::rules::{Criterion, RuleSet};

/// The events stages: events cleaned as leadscore reads them, joined to their leads as of each
/// lead's cutoff, and summed per lead (`event_totals`; `email_totals` for distinct e-mails).
pub(crate) fn events_stages(
    query: &mut Query,
    d: Dialect,
    table: &str,
    present: &[String],
    missing: &[String],
    spec: Option<&EventFeatureSpec>,
    rules: Option<&RuleSet>,
) -> Result<(), Unsupported> {
    query.stage("events_read", &read_columns(d, present, missing), table);
    let weight = spec.map_or(1.0, |s| s.mpp_open_weight);
    query.stage(
        "events_used",
        &[
            "events_read.lead_id AS lead_id".into(),
            "events_read.t AS t".into(),
            "events_read.event_type AS event_type".into(),
            "events_read.url AS url".into(),
            "events_read.form AS form".into(),
            "events_read.email AS email".into(),
            "events_read.asset AS asset".into(),
            "events_read.proxy AS proxy".into(),
            "typed.cutoff AS cutoff".into(),
            format!(
                "CASE WHEN events_read.proxy = 1 THEN {} ELSE {} END AS w",
                d.num(weight),
                d.num(1.0)
            ),
        ],
        "events_read JOIN typed ON typed.lead_id = events_read.lead_id WHERE events_read.t <= typed.cutoff",
    );
    let totals = total_columns(d, spec, rules);
    query.stage("event_totals", &totals, "events_used GROUP BY lead_id");
    // A distinct e-mail opened counts once, at the weight of its most human open.
    query.stage(
        "email_opens",
        &["lead_id".into(), "email".into(), "MAX(w) AS w".into()],
        "events_used WHERE event_type = 'email_open' AND email IS NOT NULL GROUP BY lead_id, email",
    );
    query.stage(
        "email_totals",
        &["lead_id".into(), "SUM(w) AS distinct_emails".into()],
        "email_opens GROUP BY lead_id",
    );
    Ok(())
}

/// The `events_read` stage's columns: each event's lead, time, type and optional fields as
/// cleaned text (NULL where the table has no such column), and whether it is a privacy-proxy open.
fn read_columns(d: Dialect, present: &[String], missing: &[String]) -> Vec<String> {
    let has = |c: &str| present.iter().any(|p| p == c);
    let clean = |column: &str| cleaned_cell(d, &d.ident(column), missing);
    let null_text = d.to_text("NULL");
    let optional = |column: &str| if has(column) { clean(column) } else { null_text.clone() };
    let flag = if has("is_mpp") {
        format!("LOWER({}) IN ({})", clean("is_mpp"), words(d, &TRUE_WORDS))
    } else {
        "1 = 0".to_string()
    };
    let agent = if has("user_agent") {
        let lower = format!("LOWER({})", clean("user_agent"));
        format!(
            "{} OR {} OR {}",
            d.contains(&lower, "'mpp'"),
            d.contains(&lower, "'bot'"),
            d.contains(&lower, "'privacy proxy'")
        )
    } else {
        "1 = 0".to_string()
    };
    vec![
        format!("TRIM({}) AS lead_id", d.to_text(&d.ident("lead_id"))),
        format!("{} AS t", d.parse_epoch(&clean("timestamp"))),
        format!("LOWER({}) AS event_type", clean("event_type")),
        format!(
            "{} AS url",
            if has("url") {
                d.to_text(&d.ident("url"))
            } else {
                null_text.clone()
            }
        ),
        format!("{} AS form", optional("form_id")),
        format!("{} AS email", optional("email_id")),
        format!("{} AS asset", optional("asset")),
        format!("CASE WHEN ({flag}) OR ({agent}) THEN 1 ELSE 0 END AS proxy"),
    ]
}

/// The `event_totals` stage's columns: per lead, the weighted counts the event features read
/// and each event rule's hits (with the last human activity, for the decay).
fn total_columns(d: Dialect, spec: Option<&EventFeatureSpec>, rules: Option<&RuleSet>) -> Vec<String> {
    let zero = d.num(0.0);
    let sum_if = |condition: &str, value: &str| format!("SUM(CASE WHEN {condition} THEN {value} ELSE {zero} END)");
    let mut totals = vec!["lead_id".to_string()];
    if let Some(spec) = spec {
        for (k, kind) in spec.event_types.iter().enumerate() {
            totals.push(format!(
                "{} AS type_{k}",
                sum_if(&format!("event_type = {}", d.text(kind)), "w")
            ));
        }
        let pages: Vec<String> = spec
            .high_value_pages
            .iter()
            .map(|p| d.contains("url", &d.text(p)))
            .collect();
        let any_page = if pages.is_empty() {
            "1 = 0".to_string()
        } else {
            pages.join(" OR ")
        };
        totals.push(format!(
            "{} AS high_value",
            sum_if(&format!("url IS NOT NULL AND ({any_page})"), "w")
        ));
        for (k, form) in spec.form_ids.iter().enumerate() {
            totals.push(format!(
                "{} AS form_{k}",
                sum_if(&format!("form = {}", d.text(form)), "w")
            ));
        }
        let listed: Vec<String> = spec.form_ids.iter().map(|f| d.text(f)).collect();
        let other = if listed.is_empty() {
            "form IS NOT NULL".to_string()
        } else {
            format!("form IS NOT NULL AND form NOT IN ({})", listed.join(", "))
        };
        totals.push(format!("{} AS other_forms", sum_if(&other, "w")));
        let rate = std::f64::consts::LN_2 / spec.half_life_days;
        totals.push(format!(
            "{} AS recency",
            sum_if(
                &format!("w > {zero}"),
                &format!(
                    "w * EXP(GREATEST({} * ((cutoff - t) / {}), {}))",
                    d.num(-rate),
                    d.num(86_400.0),
                    d.num(-700.0)
                )
            )
        ));
        totals.push(format!("MAX(CASE WHEN w > {zero} THEN t END) AS last_activity"));
    }
    if let Some(rules) = rules {
        totals.extend(rule_hits(d, rules));
        totals.push("MAX(CASE WHEN proxy = 0 THEN t END) AS last_human_activity".into());
    }
    totals
}

/// Each event rule's hits per lead: the events of its type (not privacy-proxy opens, unless
/// it counts them) within its days, form, asset, e-mail and URLs.
fn rule_hits(d: Dialect, rules: &RuleSet) -> Vec<String> {
    let sum_if =
        |condition: &str, value: &str| format!("SUM(CASE WHEN {condition} THEN {value} ELSE {} END)", d.num(0.0));
    let mut hits = Vec::new();
    for (r, rule) in rules.rules.iter().enumerate() {
        if !matches!(rule.criterion, Criterion::Event) {
            continue;
        }
        let rule = &rule.rule;
        let kind = rule.event.as_deref().unwrap_or_default().to_lowercase();
        let mut tests = if kind == crate::rules::engine::ANY_EVENT {
            vec!["1 = 1".to_string()]
        } else {
            vec![format!("event_type = {}", d.text(&kind))]
        };
        if !rule.include_mpp {
            tests.push("proxy = 0".into());
        }
        if let Some(days) = rule.within_days {
            tests.push(format!("cutoff - t <= {}", d.num(days * 86_400.0)));
        }
        for (field, wanted) in [
            ("form", &rule.form_id),
            ("asset", &rule.asset),
            ("email", &rule.email_id),
        ] {
            if let Some(wanted) = wanted {
                tests.push(format!("LOWER({field}) = {}", d.text(&wanted.to_lowercase())));
            }
        }
        if let Some(fragments) = &rule.url_contains {
            let any: Vec<String> = fragments.iter().map(|f| d.contains("url", &d.text(f))).collect();
            tests.push(format!("url IS NOT NULL AND ({})", any.join(" OR ")));
        }
        hits.push(format!(
            "{} AS rule_hits_{r}",
            sum_if(&tests.join(" AND "), &d.num(1.0))
        ));
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_after_the_cutoff_are_left_out_and_missing_columns_read_as_null() {
        let mut query = Query::new(Dialect::Duckdb);
        events_stages(
            &mut query,
            Dialect::Duckdb,
            "crm.events",
            &["url".into()],
            &[],
            None,
            None,
        )
        .unwrap();
        let sql = query.finish(&["lead_id".into()], "event_totals", "");
        assert!(sql.contains("FROM crm.events"), "{sql}");
        assert!(sql.contains("WHERE events_read.t <= typed.cutoff"), "{sql}");
        assert!(sql.contains("CAST(NULL AS VARCHAR) AS form"), "{sql}");
        assert!(
            sql.contains("CASE WHEN (1 = 0) OR (1 = 0) THEN 1 ELSE 0 END AS proxy"),
            "{sql}"
        );
    }
}
