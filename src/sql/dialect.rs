//! SQL in each engine's dialect: identifiers, literals and the expressions whose spelling
//! differs between DuckDB, PostgreSQL and Spark SQL, and the few expressions every part of the
//! query builds on (a cleaned cell, a yes/no cell, a name of a number, a balanced sum).

use crate::data::infer::{FALSE_WORDS, TRUE_WORDS};

/// Largest |log-odds| handed to `EXP`: σ(±40) is 1 or 0 to double precision, and `EXP(40)` is
/// far from any engine's overflow.
pub const CLAMP: f64 = 40.0;

/// A SQL engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB.
    Duckdb,
    /// PostgreSQL.
    Postgres,
    /// Spark SQL.
    Spark,
}

impl Dialect {
    /// Its name in the query's header.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Spark => "Spark SQL",
        }
    }

    /// A quoted identifier: `"Lead Source"`, or `` `Lead Source` `` in Spark.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal. Spark reads backslashes in literals as escapes.
    pub fn text(self, value: &str) -> String {
        match self {
            Dialect::Spark => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", value.replace('\'', "''")),
        }
    }

    /// 1 when the `;`-separated labels of `cell` (spaces around each trimmed) include `label`,
    /// else 0 — an empty cell holds none — as `data::labels_of` reads them.
    pub(crate) fn holds_label(self, cell: &str, label: &str) -> String {
        let (joined, find) = match self {
            Dialect::Spark => (format!("regexp_replace({cell}, ' *; *', ';')"), "instr"),
            _ => (format!("regexp_replace({cell}, ' *; *', ';', 'g')"), "strpos"),
        };
        format!(
            "(CASE WHEN {find}(CONCAT(';', {joined}, ';'), {}) > 0 THEN {} ELSE {} END)",
            self.text(&format!(";{label};")),
            self.num(1.0),
            self.num(0.0)
        )
    }

    /// A double literal, exact to the last bit (`1.5E0`; never a DECIMAL or an integer).
    pub fn num(self, x: f64) -> String {
        let literal = format!("{x:e}").to_uppercase();
        match self {
            // PostgreSQL types a literal with an exponent as NUMERIC; make it a double.
            Dialect::Postgres => format!("CAST({literal} AS DOUBLE PRECISION)"),
            // In parentheses, so that `x - -1E0` can never read as `x --` (a comment).
            _ if x < 0.0 => format!("({literal})"),
            _ => literal,
        }
    }

    pub(crate) fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    pub(crate) fn to_text(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("CAST({expr} AS VARCHAR)"),
            Dialect::Postgres => format!("CAST({expr} AS TEXT)"),
            Dialect::Spark => format!("CAST({expr} AS STRING)"),
        }
    }

    /// A cleaned text cell as a double, NULL when it is not a number.
    pub(crate) fn parse_number(self, cell: &str) -> String {
        match self {
            Dialect::Duckdb => format!("TRY_CAST({cell} AS DOUBLE)"),
            Dialect::Spark => format!("TRY_CAST({cell} AS DOUBLE)"),
            Dialect::Postgres => format!(
                "CASE WHEN {cell} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN CAST({cell} AS DOUBLE PRECISION) END"
            ),
        }
    }

    /// A cleaned text cell as a timestamp (no time zone: UTC), NULL when it is not a date.
    pub(crate) fn parse_timestamp(self, cell: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Spark => format!("TRY_CAST({cell} AS TIMESTAMP)"),
            Dialect::Postgres => format!(
                "CASE WHEN {cell} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?)?$' \
                 THEN CAST({cell} AS TIMESTAMP) END"
            ),
        }
    }

    /// Seconds since 1970 of a timestamp without time zone, read as UTC.
    pub(crate) fn epoch(self, timestamp: &str) -> String {
        match self {
            Dialect::Duckdb => format!("epoch({timestamp})"),
            Dialect::Spark => format!("CAST(unix_timestamp({timestamp}) AS DOUBLE)"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {timestamp}) AS DOUBLE PRECISION)"),
        }
    }

    /// A cleaned text cell as seconds since 1970 (UTC), NULL when it is not a date.
    pub(crate) fn parse_epoch(self, cell: &str) -> String {
        self.epoch(&self.parse_timestamp(cell))
    }

    /// Month 1–12 of a timestamp.
    pub(crate) fn month(self, timestamp: &str) -> String {
        match self {
            Dialect::Spark => format!("month({timestamp})"),
            _ => format!("EXTRACT(MONTH FROM {timestamp})"),
        }
    }

    /// ISO weekday 1 (Monday) – 7 (Sunday) of seconds since 1970 (UTC), by arithmetic: 1970-01-01
    /// was a Thursday.
    pub(crate) fn weekday(self, epoch: &str) -> String {
        let days = format!("FLOOR({epoch} / {})", self.num(86_400.0));
        format!(
            "(({days} + {three}) - {seven} * FLOOR(({days} + {three}) / {seven}) + {one})",
            three = self.num(3.0),
            seven = self.num(7.0),
            one = self.num(1.0)
        )
    }

    /// Whether `haystack` contains `needle` (both text expressions).
    pub(crate) fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Spark => format!("(instr({haystack}, {needle}) > 0)"),
            _ => format!("(POSITION({needle} IN {haystack}) > 0)"),
        }
    }

    /// Whether `text` matches the regular expression `pattern` anywhere.
    pub(crate) fn regex(self, text: &str, pattern: &str) -> String {
        match self {
            Dialect::Duckdb => format!("regexp_matches({text}, {})", self.text(pattern)),
            Dialect::Postgres => format!("({text} ~ {})", self.text(pattern)),
            Dialect::Spark => format!("({text} RLIKE {})", self.text(pattern)),
        }
    }

    /// The part of an e-mail address after its last `@`, trimmed and lower-cased.
    pub(crate) fn domain(self, email: &str) -> String {
        match self {
            Dialect::Spark => format!("LOWER(TRIM(substring_index({email}, '@', -1)))"),
            _ => format!("LOWER(TRIM(reverse(split_part(reverse({email}), '@', 1))))"),
        }
    }
}

/// Sums terms as a balanced tree of `+`, so a thousand terms nest ten deep, not a thousand.
pub fn balanced_sum(terms: &[String], zero: &str) -> String {
    match terms.len() {
        0 => zero.to_string(),
        1 => terms[0].clone(),
        n => format!(
            "({} + {})",
            balanced_sum(&terms[..n / 2], zero),
            balanced_sum(&terms[n / 2..], zero)
        ),
    }
}

/// A list of text literals: `'1', 'true', …`.
pub(crate) fn words(d: Dialect, words: &[&str]) -> String {
    words.iter().map(|w| d.text(w)).collect::<Vec<_>>().join(", ")
}

/// A yes/no cell (read as leadscore reads one) as `yes` or `no`, NULL when it is neither.
pub(crate) fn yes_no(d: Dialect, cell: &str, yes: &str, no: &str) -> String {
    format!(
        "CASE WHEN LOWER({cell}) IN ({}) THEN {yes} WHEN LOWER({cell}) IN ({}) THEN {no} END",
        words(d, &TRUE_WORDS),
        words(d, &FALSE_WORDS)
    )
}

/// The name of a number 1…n: `CASE x WHEN 1E0 THEN 'Jan' … END`.
pub(crate) fn named(d: Dialect, number: &str, names: &[&str]) -> String {
    let arms: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, name)| format!("WHEN {} THEN {}", d.num((k + 1) as f64), d.text(name)))
        .collect();
    format!("CASE {number} {} END", arms.join(" "))
}

/// A cell as leadscore reads it: text, trimmed, NULL when empty or a missing-value token.
pub(crate) fn cleaned_cell(d: Dialect, expr: &str, missing: &[String]) -> String {
    let text = format!("TRIM({})", d.to_text(expr));
    let tokens: Vec<String> = missing
        .iter()
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .map(|t| d.text(&t))
        .collect();
    let token_test = if tokens.is_empty() {
        String::new()
    } else {
        format!(" OR LOWER({text}) IN ({})", tokens.join(", "))
    };
    format!("CASE WHEN {text} = ''{token_test} THEN NULL ELSE {text} END")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted_for_each_engine() {
        assert_eq!(Dialect::Duckdb.ident("Lead \"Source\""), "\"Lead \"\"Source\"\"\"");
        assert_eq!(Dialect::Spark.ident("Lead `Source`"), "`Lead ``Source```");
        assert_eq!(Dialect::Postgres.text("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Spark.text("O'Brien \\ co"), "'O\\'Brien \\\\ co'");
    }

    #[test]
    fn doubles_are_exact_and_never_decimal() {
        assert_eq!(Dialect::Duckdb.num(0.1), "1E-1");
        assert_eq!(Dialect::Duckdb.num(-2.5), "(-2.5E0)");
        assert_eq!(Dialect::Postgres.num(3.0), "CAST(3E0 AS DOUBLE PRECISION)");
        let x = 0.1 + 0.2;
        let literal = Dialect::Spark.num(x);
        assert_eq!(literal.parse::<f64>().unwrap(), x, "{literal}");
    }

    #[test]
    fn sums_nest_as_balanced_trees() {
        let terms: Vec<String> = (0..1000).map(|k| format!("t{k}")).collect();
        let sum = balanced_sum(&terms, "0");
        let depth = sum.chars().fold((0, 0), |(now, most), c| match c {
            '(' => (now + 1, most.max(now + 1)),
            ')' => (now - 1, most),
            _ => (now, most),
        });
        assert_eq!(depth.1, 10, "a thousand terms nest ten deep");
        assert_eq!(balanced_sum(&[], "0"), "0");
        assert_eq!(
            balanced_sum(&["a".into(), "b".into(), "c".into()], "0"),
            "(a + (b + c))"
        );
    }

    #[test]
    fn a_cell_is_cleaned_as_leadscore_reads_it() {
        let cell = cleaned_cell(Dialect::Duckdb, "x", &["".into(), "Select".into(), " NA ".into()]);
        assert_eq!(
            cell,
            "CASE WHEN TRIM(CAST(x AS VARCHAR)) = '' OR LOWER(TRIM(CAST(x AS VARCHAR))) IN ('select', 'na') THEN NULL ELSE TRIM(CAST(x AS VARCHAR)) END"
        );
        assert_eq!(
            named(Dialect::Duckdb, "m", &["Jan", "Feb"]),
            "CASE m WHEN 1E0 THEN 'Jan' WHEN 2E0 THEN 'Feb' END"
        );
    }
}
