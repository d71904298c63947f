//! Rule points in SQL: each rule's points when its criterion holds (a column test, or the
//! lead's count of matching events), the inactivity decay, and their sum in parts, capped and
//! floored as the rules file says.

use super::dialect::{balanced_sum, yes_no, Dialect};
use super::features::ReadColumns;
use super::Unsupported;
use crate::artifact::ModelArtifact;
use crate::config::ColumnType;
use crate::data::Derivation;
use crate::rules::{ColumnTest, Count, Criterion, RuleSet, ValidRule};

/// Rule terms summed in one expression; larger rule sets are summed in parts.
const RULES_PER_PART: usize = 20;

/// One term per rule, then the decay's, each the points it gives a lead.
pub(crate) fn rule_terms(
    d: Dialect,
    artifact: &ModelArtifact,
    rules: &RuleSet,
    columns: &ReadColumns,
) -> Result<Vec<String>, Unsupported> {
    let position = |column: &str| {
        columns
            .position(column)
            .ok_or_else(|| Unsupported(format!("the rules read \"{column}\", which the query does not")))
    };
    let mut terms = Vec::with_capacity(rules.rules.len() + 1);
    for (r, rule) in rules.rules.iter().enumerate() {
        let (mut holds, given) = match &rule.criterion {
            // An event rule: its hits counted per lead in `event_totals`.
            Criterion::Event => event_rule(d, r, rule),
            Criterion::Column { column, test } => {
                let k = position(column)?;
                let reads_domain =
                    (artifact.pipeline.steps.iter()).any(|s| s.source == *column && s.derivation == Derivation::Domain);
                let cell = ReadColumns::cell(k);
                let value = if reads_domain { d.domain(&cell) } else { cell };
                let holds = column_test(d, &value, test, columns.kind(column));
                (holds, d.num(rule.rule.points))
            }
        };
        if let (Some(segment), Some(by)) = (&rule.rule.segment, &rules.file.points.segment_by) {
            let s = ReadColumns::cell(position(by)?);
            holds = format!("({holds} AND LOWER({s}) = {})", d.text(&segment.to_lowercase()));
        }
        terms.push(format!("CASE WHEN {holds} THEN {given} ELSE {} END", d.num(0.0)));
    }
    if let Some(decay) = &rules.file.decay {
        // From the last activity that is not a privacy-proxy open, else from creation.
        let created = (artifact.config.data.time.as_deref())
            .and_then(|t| columns.position(t))
            .map(|k| d.parse_epoch(&ReadColumns::cell(k)));
        let since = match created {
            Some(created) => format!("COALESCE(last_human_activity, {created})"),
            None => "last_human_activity".into(),
        };
        let periods = format!(
            "GREATEST(FLOOR(((cutoff - {since}) / {}) / {}), {})",
            d.num(86_400.0),
            d.num(decay.per_days),
            d.num(0.0)
        );
        let mut points = format!("{periods} * {}", d.num(decay.points));
        if let Some(floor) = decay.floor {
            points = format!("GREATEST({points}, {})", d.num(floor));
        }
        terms.push(format!("COALESCE({points}, {})", d.num(0.0)));
    }
    Ok(terms)
}

/// When event rule `r` holds (the lead has a hit) and the points it then gives: once, or per
/// hit up to its cap.
fn event_rule(d: Dialect, r: usize, rule: &ValidRule) -> (String, String) {
    let hits = format!("COALESCE(rule_hits_{r}, {})", d.num(0.0));
    if let Some(least) = rule.rule.at_least {
        // At least so many events: the points once.
        return (format!("{hits} >= {}", d.num(least)), d.num(rule.rule.points));
    }
    let times = match rule.rule.count {
        Count::Once => d.num(1.0),
        Count::Each => hits.clone(),
    };
    let mut given = format!("{times} * {}", d.num(rule.rule.points));
    if let Some(cap) = rule.rule.cap {
        given = format!("LEAST(GREATEST({given}, {}), {})", d.num(-cap), d.num(cap));
    }
    (format!("{hits} > {}", d.num(0.0)), given)
}

/// The total of `terms`: summed in parts of a few dozen, each its own column of the `features`
/// stage (added to `stage`) — Spark's parser takes minutes (and gigabytes) over one expression of
/// thousands of terms, but not over many small ones — then capped and floored.
pub(crate) fn total_points(d: Dialect, rules: Option<&RuleSet>, terms: &[String], stage: &mut Vec<String>) -> String {
    let parts: Vec<String> = terms
        .chunks(RULES_PER_PART)
        .enumerate()
        .map(|(k, terms)| {
            stage.push(format!("{} AS rule_part_{k}", balanced_sum(terms, &d.num(0.0))));
            format!("rule_part_{k}")
        })
        .collect();
    let mut points = balanced_sum(&parts, &d.num(0.0));
    if let Some(base) = rules.and_then(|r| r.file.points.base) {
        points = format!("({} + {points})", d.num(base));
    }
    if let Some(rules) = rules {
        if let Some(max) = rules.file.points.max_total {
            points = format!("LEAST({points}, {})", d.num(max));
        }
        if let Some(min) = rules.file.points.min_total {
            points = format!("GREATEST({points}, {})", d.num(min));
        }
    }
    points
}

/// Whether a rule's column test holds for `value` (cleaned text, NULL when missing).
pub(crate) fn column_test(d: Dialect, value: &str, test: &ColumnTest, kind: ColumnType) -> String {
    let lower = format!("LOWER({value})");
    let number = d.parse_number(value);
    let numeric = kind == ColumnType::Numeric;
    let boolean = kind == ColumnType::Boolean;
    let equals_any = |items: &[String]| -> String {
        if boolean {
            let flag = yes_no(d, value, "1", "0");
            let wanted: Vec<String> = items
                .iter()
                .filter_map(|i| crate::data::infer::parse_bool(i).map(|b| u8::from(b).to_string()))
                .collect();
            if wanted.is_empty() {
                return "(1 = 0)".into();
            }
            format!("({flag} IN ({}))", wanted.join(", "))
        } else if numeric {
            let wanted: Vec<String> = items
                .iter()
                .filter_map(|i| i.parse::<f64>().ok())
                .map(|x| d.num(x))
                .collect();
            if wanted.is_empty() {
                return "(1 = 0)".into();
            }
            format!("({number} IN ({}))", wanted.join(", "))
        } else {
            let wanted: Vec<String> = items.iter().map(|i| d.text(i)).collect();
            format!("({lower} IN ({}))", wanted.join(", "))
        }
    };
    match test {
        ColumnTest::In(items) => format!("({value} IS NOT NULL AND {})", equals_any(items)),
        // A missing value is in none of the listed values.
        ColumnTest::NotIn(items) => format!("({value} IS NULL OR NOT {})", equals_any(items)),
        ColumnTest::Range(low, high) => {
            // An open side (at_least or at_most alone) is infinite: no test on that side.
            let mut sides = vec![format!("{number} IS NOT NULL")];
            if low.is_finite() {
                sides.push(format!("{number} >= {}", d.num(*low)));
            }
            if high.is_finite() {
                sides.push(format!("{number} <= {}", d.num(*high)));
            }
            format!("({})", sides.join(" AND "))
        }
        ColumnTest::Contains(text) => format!("({value} IS NOT NULL AND {})", d.contains(&lower, &d.text(text))),
        ColumnTest::Regex(regex) => format!("({value} IS NOT NULL AND {})", d.regex(value, regex.as_str())),
        ColumnTest::Domain(patterns) => {
            let domain = d.domain(value);
            let tests: Vec<String> = patterns
                .iter()
                .map(|p| match p.strip_prefix("*.") {
                    Some(suffix) => format!(
                        "(RIGHT({domain}, {n}) = {dotted} OR {domain} = {plain})",
                        n = suffix.chars().count() + 1,
                        dotted = d.text(&format!(".{suffix}")),
                        plain = d.text(suffix)
                    ),
                    None => format!("({domain} = {})", d.text(p)),
                })
                .collect();
            format!("({value} IS NOT NULL AND ({}))", tests.join(" OR "))
        }
        ColumnTest::Missing(true) => format!("({value} IS NULL)"),
        ColumnTest::Missing(false) => format!("({value} IS NOT NULL)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_tests_read_the_value_as_the_column_is_typed() {
        let d = Dialect::Duckdb;
        let listed = ColumnTest::In(vec!["vp".into(), "director".into()]);
        assert_eq!(
            column_test(d, "c0", &listed, ColumnType::Categorical),
            "(c0 IS NOT NULL AND (LOWER(c0) IN ('vp', 'director')))"
        );
        let yes = ColumnTest::In(vec!["yes".into()]);
        let boolean = column_test(d, "c1", &yes, ColumnType::Boolean);
        assert_eq!(
            boolean,
            "(c1 IS NOT NULL AND (CASE WHEN LOWER(c1) IN ('1', 'true', 'yes', 'y', '1.0') THEN 1 \
             WHEN LOWER(c1) IN ('0', 'false', 'no', 'n', '0.0') THEN 0 END IN (1)))"
        );
        assert_eq!(
            column_test(d, "c2", &ColumnTest::Range(3.0, f64::INFINITY), ColumnType::Numeric),
            "(TRY_CAST(c2 AS DOUBLE) IS NOT NULL AND TRY_CAST(c2 AS DOUBLE) >= 3E0)"
        );
        let words = ColumnTest::In(vec!["many".into()]);
        assert_eq!(
            column_test(d, "c2", &words, ColumnType::Numeric),
            "(c2 IS NOT NULL AND (1 = 0))"
        );
        let not_in = column_test(
            d,
            "c0",
            &ColumnTest::NotIn(vec!["student".into()]),
            ColumnType::Categorical,
        );
        assert_eq!(not_in, "(c0 IS NULL OR NOT (LOWER(c0) IN ('student')))");
    }

    #[test]
    fn domains_match_exactly_or_by_suffix() {
        let test = ColumnTest::Domain(vec!["*.edu".into(), "gmail.com".into()]);
        let sql = column_test(Dialect::Duckdb, "c0", &test, ColumnType::Categorical);
        assert!(
            sql.contains("RIGHT(LOWER(TRIM(reverse(split_part(reverse(c0), '@', 1)))), 4) = '.edu'"),
            "{sql}"
        );
        assert!(sql.contains("= 'edu'") && sql.contains("= 'gmail.com'"), "{sql}");
    }

    #[test]
    fn many_rules_are_summed_in_parts_then_capped() {
        let terms: Vec<String> = (0..45).map(|k| format!("t{k}")).collect();
        let mut stage = Vec::new();
        let total = total_points(Dialect::Duckdb, None, &terms, &mut stage);
        assert_eq!(stage.len(), 3);
        assert!(
            stage[2].ends_with("AS rule_part_2") && stage[2].contains("t40"),
            "{}",
            stage[2]
        );
        assert_eq!(total, "(rule_part_0 + (rule_part_1 + rule_part_2))");
        assert_eq!(total_points(Dialect::Duckdb, None, &[], &mut stage), "0E0");
    }
}
