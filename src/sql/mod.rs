//! A model file as one SQL query that scores leads where they live — DuckDB, PostgreSQL or
//! Spark SQL — computing what `leadscore score` computes: the feature pipeline, the linear
//! predictor, the rule points, the blend, the calibration, the 0–100 score, band and MQL flag.
//!
//! The query reads every input column as text, cleaned the way leadscore reads a CSV cell (space
//! trimmed, the missing-value tokens → NULL), then types it, so it scores a table of text columns
//! loaded from the CSV and a typed warehouse table alike. Each dialect's traps are handled here:
//! identifier quoting (Spark reads `"x"` as a string), `LN` for the natural log, doubles written
//! with an exponent (a bare `0.1` is DECIMAL), no integer division, the linear predictor clamped
//! before `EXP` (PostgreSQL raises errors on overflow and underflow), and long sums of terms
//! nested as balanced trees so no engine's expression depth is reached.

use crate::artifact::ModelArtifact;
use crate::calibration::Calibration;
use crate::config::ColumnType;
use crate::data::events::EventFeatureSpec;
use crate::data::infer::{FALSE_WORDS, TRUE_WORDS};
use crate::data::Derivation;
use crate::features::{Encoding, FeatureStep, MISSING_LEVEL};
use crate::rules::{ColumnTest, Criterion, RuleSet};

/// Rule terms summed in one expression; larger rule sets are summed in parts.
const RULES_PER_PART: usize = 20;

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

    fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    fn to_text(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("CAST({expr} AS VARCHAR)"),
            Dialect::Postgres => format!("CAST({expr} AS TEXT)"),
            Dialect::Spark => format!("CAST({expr} AS STRING)"),
        }
    }

    /// A cleaned text cell as a double, NULL when it is not a number.
    fn parse_number(self, cell: &str) -> String {
        match self {
            Dialect::Duckdb => format!("TRY_CAST({cell} AS DOUBLE)"),
            Dialect::Spark => format!("TRY_CAST({cell} AS DOUBLE)"),
            Dialect::Postgres => format!(
                "CASE WHEN {cell} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN CAST({cell} AS DOUBLE PRECISION) END"
            ),
        }
    }

    /// A cleaned text cell as a timestamp (no time zone: UTC), NULL when it is not a date.
    fn parse_timestamp(self, cell: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Spark => format!("TRY_CAST({cell} AS TIMESTAMP)"),
            Dialect::Postgres => format!(
                "CASE WHEN {cell} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?)?$' \
                 THEN CAST({cell} AS TIMESTAMP) END"
            ),
        }
    }

    /// Seconds since 1970 of a timestamp without time zone, read as UTC.
    fn epoch(self, timestamp: &str) -> String {
        match self {
            Dialect::Duckdb => format!("epoch({timestamp})"),
            Dialect::Spark => format!("CAST(unix_timestamp({timestamp}) AS DOUBLE)"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {timestamp}) AS DOUBLE PRECISION)"),
        }
    }

    /// A cleaned text cell as seconds since 1970 (UTC), NULL when it is not a date.
    fn parse_epoch(self, cell: &str) -> String {
        self.epoch(&self.parse_timestamp(cell))
    }

    /// Month 1–12 of a timestamp.
    fn month(self, timestamp: &str) -> String {
        match self {
            Dialect::Spark => format!("month({timestamp})"),
            _ => format!("EXTRACT(MONTH FROM {timestamp})"),
        }
    }

    /// ISO weekday 1 (Monday) – 7 (Sunday) of seconds since 1970 (UTC), by arithmetic: 1970-01-01
    /// was a Thursday.
    fn weekday(self, epoch: &str) -> String {
        let days = format!("FLOOR({epoch} / {})", self.num(86_400.0));
        format!(
            "(({days} + {three}) - {seven} * FLOOR(({days} + {three}) / {seven}) + {one})",
            three = self.num(3.0),
            seven = self.num(7.0),
            one = self.num(1.0)
        )
    }

    /// Whether `haystack` contains `needle` (both text expressions).
    fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Spark => format!("(instr({haystack}, {needle}) > 0)"),
            _ => format!("(POSITION({needle} IN {haystack}) > 0)"),
        }
    }

    /// Whether `text` matches the regular expression `pattern` anywhere.
    fn regex(self, text: &str, pattern: &str) -> String {
        match self {
            Dialect::Duckdb => format!("regexp_matches({text}, {})", self.text(pattern)),
            Dialect::Postgres => format!("({text} ~ {})", self.text(pattern)),
            Dialect::Spark => format!("({text} RLIKE {})", self.text(pattern)),
        }
    }

    /// The part of an e-mail address after its last `@`, trimmed and lower-cased.
    fn domain(self, email: &str) -> String {
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

/// What the query needs of the leads table.
pub struct Options<'a> {
    /// The leads table (as written, e.g. `crm.leads`).
    pub table: &'a str,
    /// The cutoff for dates when the leads have no snapshot column (YYYY-MM-DD or a timestamp);
    /// `None`: the time the query runs.
    pub as_of: Option<&'a str>,
    /// The events table, for models and rules that use events.
    pub events_table: Option<&'a str>,
    /// Optional columns the events table has, of `url`, `form_id`, `email_id`, `asset`, `is_mpp`
    /// and `user_agent` (`lead_id`, `timestamp` and `event_type` are required).
    pub event_columns: &'a [String],
}

/// Optional columns of an events table that the query can read.
pub const EVENT_COLUMNS: [&str; 6] = ["url", "form_id", "email_id", "asset", "is_mpp", "user_agent"];

/// Why a model cannot be exported (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The scoring query of `artifact` (with `rules` when the model blends them) for `dialect`.
pub fn export(
    artifact: &ModelArtifact,
    rules: Option<&RuleSet>,
    dialect: Dialect,
    options: &Options,
    source: &str,
) -> Result<String, Unsupported> {
    let needs_events = artifact.events.is_some() || rules.is_some_and(RuleSet::needs_events);
    if needs_events && options.events_table.is_none() {
        return Err(Unsupported(
            "the model (or its rules) uses events: name the events table with --events-table".into(),
        ));
    }
    if needs_events && artifact.schema.id_column.is_none() {
        return Err(Unsupported(
            "the model uses events but its leads had no id column to match them by".into(),
        ));
    }
    let d = dialect;
    let missing = &artifact.config.data.missing_values;
    let mut query = Query::new(d);

    // 1. Every column read, as cleaned text.
    let mut columns: Vec<String> = (artifact.pipeline.steps.iter())
        .filter(|s| s.derivation != Derivation::Events)
        .map(|s| s.source.clone())
        .collect();
    if let Some(rules) = rules {
        columns.extend(rules.columns().into_iter().map(str::to_string));
    }
    columns.extend(artifact.schema.snapshot_column.iter().cloned());
    let decay = rules.and_then(|r| r.file.decay.as_ref());
    if decay.is_some() {
        columns.extend(artifact.config.data.time.iter().cloned());
    }
    columns.sort();
    columns.dedup();
    let id = artifact.schema.id_column.as_deref();
    let clean = |column: &str| cleaned_cell(d, &d.ident(column), missing);
    let mut cleaned: Vec<String> = vec![match id {
        Some(id) => format!("TRIM({}) AS lead_id", d.to_text(&d.ident(id))),
        None => "ROW_NUMBER() OVER () AS lead_id".to_string(),
    }];
    let col = |k: usize| format!("c{k}");
    for (k, column) in columns.iter().enumerate() {
        cleaned.push(format!("{} AS {}", clean(column), col(k)));
    }
    // The cutoff: each lead's snapshot, else --as-of, else now.
    let as_of = match options.as_of {
        Some(date) => d.parse_epoch(&d.text(date)),
        None => match d {
            Dialect::Duckdb => "epoch(CAST(current_timestamp AS TIMESTAMP))".to_string(),
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM current_timestamp) AS DOUBLE PRECISION)".to_string(),
            Dialect::Spark => "CAST(unix_timestamp() AS DOUBLE)".to_string(),
        },
    };
    let position = |column: &str| columns.iter().position(|c| c == column).map(col);
    let cutoff = match artifact.schema.snapshot_column.as_deref().and_then(position) {
        Some(snapshot) => format!("COALESCE({}, {as_of})", d.parse_epoch(&snapshot)),
        None => as_of,
    };
    query.stage("cleaned", &cleaned, options.table);

    // 2. Features, typed and derived as the pipeline reads them.
    let kind_of = |column: &str| {
        artifact
            .schema
            .columns
            .iter()
            .find(|(c, _)| c == column)
            .map_or(ColumnType::Categorical, |&(_, kind)| kind)
    };
    let mut features: Vec<String> = vec!["lead_id".into()];
    for (k, column) in columns.iter().enumerate() {
        let cell = col(k);
        features.push(format!("{cell} AS {cell}"));
        match kind_of(column) {
            ColumnType::Numeric => features.push(format!("{} AS n{k}", d.parse_number(&cell))),
            ColumnType::Boolean => features.push(format!("{} AS n{k}", yes_no(d, &cell, &d.num(1.0), &d.num(0.0)))),
            ColumnType::Datetime => {
                features.push(format!("{} AS ts{k}", d.parse_timestamp(&cell)));
                features.push(format!("{} AS t{k}", d.parse_epoch(&cell)));
            }
            ColumnType::Categorical => {}
        }
    }
    features.push(format!("{cutoff} AS cutoff"));
    query.stage("typed", &features, "cleaned");

    let mut derived: Vec<String> = vec!["lead_id".into()];
    let mut step_values: Vec<String> = Vec::new();
    for (s, step) in artifact.pipeline.steps.iter().enumerate() {
        let k = match step.derivation {
            Derivation::Events => usize::MAX,
            _ => columns.iter().position(|c| *c == step.source).ok_or_else(|| {
                Unsupported(format!(
                    "the pipeline reads \"{}\", which is not an input column",
                    step.source
                ))
            })?,
        };
        let value = match (step.derivation, kind_of(&step.source)) {
            (Derivation::Direct, ColumnType::Numeric | ColumnType::Boolean) => format!("n{k}"),
            (Derivation::Direct, _) => col(k),
            (Derivation::AgeDays, _) => format!("((cutoff - t{k}) / {})", d.num(86_400.0)),
            (Derivation::Month, _) => {
                let month = format!("CAST({} AS {})", d.month(&format!("ts{k}")), d.double());
                named(d, &month, &crate::data::MONTHS)
            }
            (Derivation::Weekday, _) => named(d, &d.weekday(&format!("t{k}")), &crate::data::WEEKDAYS),
            (Derivation::Domain, _) => d.domain(&col(k)),
            (Derivation::DomainType, _) => {
                domain_type(d, &d.domain(&col(k)), &artifact.config.features.competitor_domains)
            }
            (Derivation::Events, _) => {
                let spec = artifact
                    .events
                    .as_ref()
                    .ok_or_else(|| Unsupported(format!("\"{}\" comes from events", step.feature)))?;
                event_feature(d, spec, &step.feature)?
            }
        };
        derived.push(format!("{value} AS f{s}"));
        step_values.push(format!("f{s}"));
    }
    // Rule points, per rule then summed.
    let mut rule_terms = Vec::new();
    if let Some(rules) = rules {
        for (r, rule) in rules.rules.iter().enumerate() {
            let Criterion::Column { column, test } = &rule.criterion else {
                // An event rule: its hits counted per lead in `event_totals`.
                let hits = format!("COALESCE(rule_hits_{r}, {})", d.num(0.0));
                let times = match rule.rule.count {
                    crate::rules::Count::Once => d.num(1.0),
                    crate::rules::Count::Each => hits.clone(),
                };
                let mut given = format!("{times} * {}", d.num(rule.rule.points));
                if let Some(cap) = rule.rule.cap {
                    given = format!("LEAST(GREATEST({given}, {}), {})", d.num(-cap), d.num(cap));
                }
                let mut holds = format!("{hits} > {}", d.num(0.0));
                if let (Some(segment), Some(by)) = (&rule.rule.segment, &rules.file.points.segment_by) {
                    let s = columns.iter().position(|c| c == by).expect("segment column is read");
                    holds = format!("({holds} AND LOWER({}) = {})", col(s), d.text(&segment.to_lowercase()));
                }
                rule_terms.push(format!("CASE WHEN {holds} THEN {given} ELSE {} END", d.num(0.0)));
                continue;
            };
            let k = columns.iter().position(|c| c == column).expect("rule columns are read");
            let reads_domain = artifact
                .pipeline
                .steps
                .iter()
                .any(|s| s.source == *column && s.derivation == Derivation::Domain);
            let value = if reads_domain { d.domain(&col(k)) } else { col(k) };
            let mut holds = column_test(d, &value, test, kind_of(column));
            if let (Some(segment), Some(by)) = (&rule.rule.segment, &rules.file.points.segment_by) {
                let s = columns.iter().position(|c| c == by).expect("segment column is read");
                holds = format!("({holds} AND LOWER({}) = {})", col(s), d.text(&segment.to_lowercase()));
            }
            rule_terms.push(format!(
                "CASE WHEN {holds} THEN {} ELSE {} END",
                d.num(rule.rule.points),
                d.num(0.0)
            ));
        }
    }
    if let Some(decay) = decay {
        // From the last activity that is not a privacy-proxy open, else from creation.
        let created = artifact
            .config
            .data
            .time
            .as_deref()
            .and_then(|t| columns.iter().position(|c| c == t))
            .map(|k| d.parse_epoch(&col(k)));
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
        rule_terms.push(format!("COALESCE({points}, {})", d.num(0.0)));
    }
    // Rules are summed in parts of a few dozen, each its own column: Spark's parser takes
    // minutes (and gigabytes) over one expression of thousands of terms, but not over many
    // small ones.
    let parts: Vec<String> = rule_terms
        .chunks(RULES_PER_PART)
        .enumerate()
        .map(|(k, terms)| {
            derived.push(format!("{} AS rule_part_{k}", balanced_sum(terms, &d.num(0.0))));
            format!("rule_part_{k}")
        })
        .collect();
    let mut points = balanced_sum(&parts, &d.num(0.0));
    if let Some(rules) = rules {
        if let Some(max) = rules.file.points.max_total {
            points = format!("LEAST({points}, {})", d.num(max));
        }
        if let Some(min) = rules.file.points.min_total {
            points = format!("GREATEST({points}, {})", d.num(min));
        }
    }
    let from = match options.events_table {
        Some(table) if needs_events => {
            let spec = artifact.events.as_ref();
            events_stages(&mut query, d, table, options.event_columns, missing, spec, rules)?;
            derived[0] = "typed.lead_id AS lead_id".into();
            "typed LEFT JOIN event_totals ON event_totals.lead_id = typed.lead_id \
             LEFT JOIN email_totals ON email_totals.lead_id = typed.lead_id"
        }
        _ => "typed",
    };
    query.stage("features", &derived, from);

    // 3. The linear predictor: one term per pipeline step.
    let steps = artifact.pipeline.input_steps();
    let mut terms = Vec::new();
    let mut first = 0;
    for (s, step) in artifact.pipeline.steps.iter().enumerate() {
        let weights = &artifact.model.coefficients[first..first + step.width()];
        debug_assert!(steps[first] == s);
        terms.extend(step_terms(d, step, &step_values[s], weights));
        first += step.width();
    }
    terms.push(d.num(artifact.model.intercept));
    let z = balanced_sum(&terms, &d.num(0.0));
    query.stage(
        "model",
        &[
            "lead_id".into(),
            format!("{z} AS z"),
            format!("{points} AS rule_points"),
        ],
        "features",
    );

    // 4. Blend, calibration, score, band and MQL.
    let blended = match &artifact.blend {
        Some(blend) => format!(
            "({} + {} * z + {} * rule_points)",
            d.num(blend.intercept),
            d.num(blend.model_weight),
            d.num(blend.points_weight)
        ),
        None => "z".into(),
    };
    let sigmoid = |x: &str| {
        format!(
            "({one} / ({one} + EXP(-(LEAST(GREATEST({x}, {lo}), {hi})))))",
            one = d.num(1.0),
            lo = d.num(-CLAMP),
            hi = d.num(CLAMP)
        )
    };
    let probability = match &artifact.scorer.calibration {
        Calibration::Platt { slope, intercept } => {
            sigmoid(&format!("({} * final_z + {})", d.num(*slope), d.num(*intercept)))
        }
        Calibration::Identity => sigmoid("final_z"),
        // The uncalibrated probability is a column of its own: the CASE reads it many times.
        Calibration::Isotonic { x, y } => isotonic(d, "raw_probability", x, y),
    };
    query.stage(
        "blended",
        &[
            "lead_id".into(),
            "z".into(),
            "rule_points".into(),
            format!("{blended} AS final_z"),
            format!("{} AS raw_probability", sigmoid(&blended)),
        ],
        "model",
    );
    query.stage(
        "calibrated",
        &[
            "lead_id".into(),
            "z".into(),
            "rule_points".into(),
            format!("{probability} AS probability"),
        ],
        "blended",
    );
    let bands = &artifact.scorer.bands;
    // Rounded half away from zero, as leadscore rounds (PostgreSQL's ROUND on a double rounds
    // half to even).
    let score = format!("FLOOR({} * probability + {})", d.num(100.0), d.num(0.5));
    let mut band = String::from("CASE");
    for (b, cut) in bands.cuts.iter().enumerate().rev() {
        band.push_str(&format!(
            " WHEN score >= {} THEN {}",
            d.num(*cut),
            d.text(&bands.names[b + 1])
        ));
    }
    band.push_str(&format!(" ELSE {} END", d.text(&bands.names[0])));
    query.stage(
        "scored",
        &[
            "lead_id".into(),
            format!("{score} AS score"),
            "probability".into(),
            format!("{} AS model_probability", sigmoid("z")),
            "rule_points".into(),
        ],
        "calibrated",
    );
    let mut last = vec![
        format!("lead_id AS {}", d.ident(id.unwrap_or("row"))),
        format!("CAST(score AS INTEGER) AS score"),
        "probability".into(),
        format!("{band} AS band"),
        format!("(score >= {}) AS mql", d.num(bands.mql)),
        "model_probability".into(),
    ];
    if rules.is_some() {
        last.push("rule_points".into());
    }
    Ok(query.finish(&last, "scored", &header(artifact, rules, d, options, source)))
}

/// The comment at the top of the query.
fn header(artifact: &ModelArtifact, rules: Option<&RuleSet>, d: Dialect, options: &Options, source: &str) -> String {
    let mut lines = vec![
        format!("leadscore scoring query for {}", d.name()),
        format!(
            "model: {source} (trained {} on {} leads of {})",
            artifact.trained_at,
            artifact.data.rows,
            artifact.data.file
        ),
        format!("written by leadscore {}", env!("CARGO_PKG_VERSION")),
        String::new(),
        format!(
            "Reads the table {} (one row per lead; columns as text or typed, missing as NULL or one of the missing-value tokens).",
            options.table
        ),
        "Computes as `leadscore score` does: the feature pipeline, the model's log-odds, the rule points,".into(),
        "the blend, the calibration, the 0-100 score, band and MQL flag.".into(),
        "Left out: the percentile, the fit and engagement grades and the reasons (use `leadscore score` for those).".into(),
        "Differs: a value leadscore would reject (a word in a number column, a bad date) is scored here as missing.".into(),
    ];
    if let Some(events) = options.events_table {
        lines.push(format!(
            "Reads the events table {events}: lead_id, timestamp, event_type{}; events after a lead's cutoff are left out.",
            options.event_columns.iter().map(|c| format!(", {c}")).collect::<String>()
        ));
    }
    match options.as_of {
        Some(date) => lines.push(format!(
            "Dates and events are measured to {date} unless a lead has a snapshot."
        )),
        None => {
            lines.push("Dates and events are measured to the time the query runs unless a lead has a snapshot.".into())
        }
    }
    if rules.is_none() && artifact.blend.is_none() {
        lines.push("The model has no rules: the score is the calibrated model probability.".into());
    }
    lines
        .into_iter()
        .map(|l| {
            if l.is_empty() {
                "--".to_string()
            } else {
                format!("-- {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The log-odds terms of one pipeline step: its value, encoded, times its weights.
fn step_terms(d: Dialect, step: &FeatureStep, value: &str, weights: &[f64]) -> Vec<String> {
    match &step.encoding {
        Encoding::Numeric {
            median,
            log1p,
            mean,
            std,
            missing_flag,
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

/// A list of text literals: `'1', 'true', …`.
fn words(d: Dialect, words: &[&str]) -> String {
    words.iter().map(|w| d.text(w)).collect::<Vec<_>>().join(", ")
}

/// A yes/no cell (read as leadscore reads one) as `yes` or `no`, NULL when it is neither.
fn yes_no(d: Dialect, cell: &str, yes: &str, no: &str) -> String {
    format!(
        "CASE WHEN LOWER({cell}) IN ({}) THEN {yes} WHEN LOWER({cell}) IN ({}) THEN {no} END",
        words(d, &TRUE_WORDS),
        words(d, &FALSE_WORDS)
    )
}

/// The name of a number 1…n: `CASE x WHEN 1E0 THEN 'Jan' … END`.
fn named(d: Dialect, number: &str, names: &[&str]) -> String {
    let arms: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, name)| format!("WHEN {} THEN {}", d.num((k + 1) as f64), d.text(name)))
        .collect();
    format!("CASE {number} {} END", arms.join(" "))
}

/// Whether a rule's column test holds for `value` (cleaned text, NULL when missing).
fn column_test(d: Dialect, value: &str, test: &ColumnTest, kind: ColumnType) -> String {
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
    }
}

/// The events stages: events cleaned as leadscore reads them, joined to their leads as of each
/// lead's cutoff, and summed per lead (`event_totals`; `email_totals` for distinct e-mails).
fn events_stages(
    query: &mut Query,
    d: Dialect,
    table: &str,
    present: &[String],
    missing: &[String],
    spec: Option<&EventFeatureSpec>,
    rules: Option<&RuleSet>,
) -> Result<(), Unsupported> {
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
    query.stage(
        "events_read",
        &[
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
        ],
        table,
    );
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
        for (r, rule) in rules.rules.iter().enumerate() {
            if !matches!(rule.criterion, Criterion::Event) {
                continue;
            }
            let rule = &rule.rule;
            let mut tests = vec![format!(
                "event_type = {}",
                d.text(&rule.event.as_deref().unwrap_or_default().to_lowercase())
            )];
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
            totals.push(format!(
                "{} AS rule_hits_{r}",
                sum_if(&tests.join(" AND "), &d.num(1.0))
            ));
        }
        totals.push("MAX(CASE WHEN proxy = 0 THEN t END) AS last_human_activity".into());
    }
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

/// A cell as leadscore reads it: text, trimmed, NULL when empty or a missing-value token.
fn cleaned_cell(d: Dialect, expr: &str, missing: &[String]) -> String {
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

/// Isotonic calibration as a CASE over its thresholds, interpolating linearly between them and
/// flat outside.
fn isotonic(d: Dialect, p: &str, x: &[f64], y: &[f64]) -> String {
    if x.is_empty() {
        return p.to_string();
    }
    let mut arms = vec![format!("WHEN {p} < {} THEN {}", d.num(x[0]), d.num(y[0]))];
    for k in 1..x.len() {
        let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
        if x1 == x0 {
            continue;
        }
        arms.push(format!(
            "WHEN {p} < {} THEN {} + {} * ({p} - {}) / {}",
            d.num(x1),
            d.num(y0),
            d.num(y1 - y0),
            d.num(x0),
            d.num(x1 - x0)
        ));
    }
    arms.push(format!("ELSE {}", d.num(y[x.len() - 1])));
    format!("(CASE {} END)", arms.join(" "))
}

/// The query, stage by stage.
struct Query {
    dialect: Dialect,
    stages: Vec<String>,
}

impl Query {
    fn new(dialect: Dialect) -> Query {
        Query {
            dialect,
            stages: Vec::new(),
        }
    }

    /// A named stage. PostgreSQL would otherwise inline each stage into the next and compute an
    /// expression once per reference (the linear predictor, read by the blend and the model
    /// probability, twice); `MATERIALIZED` computes it once. Spark rejects the keyword and does
    /// not need it.
    fn stage(&mut self, name: &str, columns: &[String], from: &str) {
        let materialized = match self.dialect {
            Dialect::Postgres => " MATERIALIZED",
            _ => "",
        };
        self.stages.push(format!(
            "{name} AS{materialized} (\n  SELECT\n    {}\n  FROM {from}\n)",
            columns.join(",\n    ")
        ));
    }

    fn finish(self, columns: &[String], from: &str, header: &str) -> String {
        format!(
            "{header}\nWITH\n{}\nSELECT\n  {}\nFROM {from}\n",
            self.stages.join(",\n"),
            columns.join(",\n  ")
        )
    }
}
