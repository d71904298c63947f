//! A model file as one SQL query that scores leads where they live — DuckDB, PostgreSQL or
//! Spark SQL — computing what `leadscore score` computes: the feature pipeline, the linear
//! predictor, the rule points, the blend, the calibration, the 0–100 score, band and MQL flag.
//!
//! The query reads every input column as text, cleaned the way leadscore reads a CSV cell (space
//! trimmed, the missing-value tokens → NULL), then types it, so it scores a table of text columns
//! loaded from the CSV and a typed warehouse table alike. Each dialect's traps are handled in
//! [`dialect`]: identifier quoting (Spark reads `"x"` as a string), `LN` for the natural log,
//! doubles written with an exponent (a bare `0.1` is DECIMAL), no integer division, the linear
//! predictor clamped before `EXP` (PostgreSQL raises errors on overflow and underflow), and long
//! sums of terms nested as balanced trees so no engine's expression depth is reached.
//!
//! The query's stages, in order: `cleaned` (every column read, as text), `typed`, the events'
//! stages (`events.rs`), `features` (each pipeline step's value, `features.rs`, and the rule
//! points in parts, `rules.rs`), `model` (the linear predictor), `blended`, `calibrated` and
//! `scored`, assembled in `query.rs`.

pub mod dialect;
mod events;
mod features;
mod query;
mod rules;

pub use dialect::{balanced_sum, Dialect, CLAMP};

use crate::artifact::ModelArtifact;
use crate::calibration::Calibration;
use crate::config::ColumnType;
use crate::model::logistic::LogisticModel;
use crate::model::segments::Segmentation;
use crate::rules::RuleSet;
use dialect::cleaned_cell;
use features::{step_terms, step_values, typed_columns, ReadColumns};
use query::Query;

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
    if let Some(column) = rules.and_then(|r| r.file.points.reset_on.as_deref()) {
        return Err(Unsupported(format!(
            "the blended rules count events only after each lead's \"{column}\" ([points] reset_on), which the query does not do yet: score with leadscore score"
        )));
    }
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
    // Every column read: the model's and the rules', the snapshot, and the creation time when
    // the rules decay from it.
    let mut names = artifact.columns_read(rules);
    if rules.is_some_and(|r| r.file.decay.is_some()) || window_days(artifact).is_some() {
        names.extend(artifact.config.data.time.iter().cloned());
    }
    let columns = ReadColumns::new(names, artifact);
    let mut query = Query::new(d);
    query.stage("cleaned", &cleaned_columns(d, artifact, &columns), options.table);
    query.stage(
        "typed",
        &typed_columns(d, &columns, &cutoff(d, artifact, &columns, options)),
        "cleaned",
    );

    let values = step_values(d, artifact, &columns)?;
    let mut derived: Vec<String> = vec!["lead_id".into()];
    derived.extend(values.iter().enumerate().map(|(s, value)| format!("{value} AS f{s}")));
    let terms = match rules {
        Some(rules) => rules::rule_terms(d, artifact, rules, &columns)?,
        None => Vec::new(),
    };
    let points = rules::total_points(d, rules, &terms, &mut derived);
    let from = match options.events_table {
        Some(table) if needs_events => {
            let missing = &artifact.config.data.missing_values;
            let spec = artifact.events.as_ref();
            events::events_stages(&mut query, d, table, options.event_columns, missing, spec, rules)?;
            derived[0] = "typed.lead_id AS lead_id".into();
            "typed LEFT JOIN event_totals ON event_totals.lead_id = typed.lead_id \
             LEFT JOIN email_totals ON email_totals.lead_id = typed.lead_id"
        }
        _ => "typed",
    };
    let segment = match &artifact.segments {
        Some(segmentation) => Some(segment_of(d, segmentation, &columns)?),
        None => None,
    };
    if let Some(segment) = &segment {
        derived.push(format!("{segment} AS segment_code"));
    }
    // With segments that have bands of their own, each lead's segment value is carried too.
    let valued = match &artifact.segments {
        Some(segmentation) if !artifact.segment_bands().is_empty() => {
            derived.push(format!(
                "{} AS segment_value",
                segment_value(d, segmentation, &columns)?
            ));
            true
        }
        _ => false,
    };
    query.stage("features", &derived, from);
    let mut model_columns = vec![
        "lead_id".into(),
        format!("{} AS z", model_log_odds(d, artifact)),
        format!("{points} AS rule_points"),
    ];
    // The segment's number is carried to the last stage, which names it.
    let mut carried: Vec<String> = segment.iter().map(|_| "segment_code".to_string()).collect();
    if valued {
        carried.push("segment_value".into());
    }
    model_columns.extend(carried.iter().cloned());
    query.stage("model", &model_columns, "features");
    score_stages(&mut query, d, artifact, &carried);
    let (band, mql) = band_and_mql(d, artifact);
    let mut last = vec![
        format!(
            "lead_id AS {}",
            d.ident(artifact.schema.id_column.as_deref().unwrap_or("row"))
        ),
        format!("CAST(score AS INTEGER) AS score"),
        "probability".into(),
        format!("{band} AS band"),
        format!("{mql} AS mql"),
        "model_probability".into(),
    ];
    if let Some(segmentation) = &artifact.segments {
        let mut name = String::from("CASE segment_code");
        for (s, segment) in segmentation.segments.iter().enumerate() {
            name.push_str(&format!(" WHEN {s} THEN {}", d.text(&segment.value)));
        }
        name.push_str(&format!(" ELSE {} END AS segment", d.text("shared")));
        last.push(name);
    }
    if rules.is_some() {
        last.push("rule_points".into());
    }
    Ok(query.finish(&last, "scored", &header(artifact, rules, d, options, source)))
}

/// The band and the MQL flag of a lead's `score`: by the shared bands, or, for a lead of a
/// segment with bands of its own (`[[segments.override]]`), by its `segment_value`'s.
fn band_and_mql(d: Dialect, artifact: &ModelArtifact) -> (String, String) {
    let of = |bands: &crate::bands::Bands| {
        let mut band = String::from("CASE");
        for (b, cut) in bands.cuts.iter().enumerate().rev() {
            band.push_str(&format!(
                " WHEN score >= {} THEN {}",
                d.num(*cut),
                d.text(&bands.names[b + 1])
            ));
        }
        band.push_str(&format!(" ELSE {} END", d.text(&bands.names[0])));
        (band, format!("(score >= {})", d.num(bands.mql)))
    };
    let shared = of(&artifact.scorer.bands);
    let own: Vec<(String, (String, String))> = (artifact.segment_bands().into_iter())
        .map(|(value, b)| (value, of(&b)))
        .collect();
    if own.is_empty() {
        return shared;
    }
    let routed = |pick: fn(&(String, String)) -> &String| {
        let mut case = String::from("CASE");
        for (value, parts) in &own {
            case.push_str(&format!(" WHEN segment_value = {} THEN {}", d.text(value), pick(parts)));
        }
        case.push_str(&format!(" ELSE {} END", pick(&shared)));
        case
    };
    (routed(|p| &p.0), routed(|p| &p.1))
}

/// The `cleaned` stage's columns: the lead id (or the row number) and every column read, as
/// cleaned text.
fn cleaned_columns(d: Dialect, artifact: &ModelArtifact, columns: &ReadColumns) -> Vec<String> {
    let missing = &artifact.config.data.missing_values;
    let mut cleaned: Vec<String> = vec![match artifact.schema.id_column.as_deref() {
        Some(id) => format!("TRIM({}) AS lead_id", d.to_text(&d.ident(id))),
        None => "ROW_NUMBER() OVER () AS lead_id".to_string(),
    }];
    for (k, column) in columns.names.iter().enumerate() {
        cleaned.push(format!(
            "{} AS {}",
            cleaned_cell(d, &d.ident(column), missing),
            ReadColumns::cell(k)
        ));
    }
    cleaned
}

/// Each lead's cutoff: its snapshot, else `--as-of`, else the day the query runs (00:00 UTC,
/// as `leadscore score` takes it: one cutoff a day).
fn cutoff(d: Dialect, artifact: &ModelArtifact, columns: &ReadColumns, options: &Options) -> String {
    let as_of = match options.as_of {
        Some(date) => d.parse_epoch(&d.text(date)),
        None => {
            let now = match d {
                Dialect::Duckdb => "epoch(current_timestamp)",
                Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM current_timestamp) AS DOUBLE PRECISION)",
                Dialect::Spark => "CAST(unix_timestamp() AS DOUBLE)",
            };
            format!("(FLOOR({now} / {day}) * {day})", day = d.num(86_400.0))
        }
    };
    let snapshot = artifact
        .schema
        .snapshot_column
        .as_deref()
        .and_then(|c| columns.position(c));
    let created = (artifact.config.data.time.as_deref()).and_then(|c| columns.position(c));
    match (snapshot, created, window_days(artifact)) {
        (Some(k), _, _) => format!("COALESCE({}, {as_of})", d.parse_epoch(&ReadColumns::cell(k))),
        // Creation + [data] window_days, at the latest the cutoff of the day.
        (None, Some(k), Some(days)) => format!(
            "LEAST(COALESCE({} + {}, {as_of}), {as_of})",
            d.parse_epoch(&ReadColumns::cell(k)),
            d.num((days * 86_400.0).round())
        ),
        (None, _, _) => as_of,
    }
}

/// `[data] window_days`, when a lead's cutoff counts from its creation.
fn window_days(artifact: &ModelArtifact) -> Option<f64> {
    let data = &artifact.config.data;
    data.window_days
        .filter(|_| data.snapshot.is_none() && data.time.is_some())
}

/// The model's log-odds; with segments, each lead's by its segment's model (the `segment`
/// column of the `features` stage), else by the shared one.
fn model_log_odds(d: Dialect, artifact: &ModelArtifact) -> String {
    let Some(segmentation) = &artifact.segments else {
        return linear_predictor(d, artifact, &artifact.model);
    };
    let mut z = String::from("CASE segment_code");
    for s in 0..segmentation.segments.len() {
        let own = segmentation.model_of(&artifact.model, s);
        z.push_str(&format!(" WHEN {s} THEN {}", linear_predictor(d, artifact, &own)));
    }
    let shared = segmentation.shared(&artifact.model);
    z.push_str(&format!(" ELSE {} END", linear_predictor(d, artifact, &shared)));
    z
}

/// Each lead's segment (its block, as `Segmentation::codes` numbers them), NULL for the
/// shared model: from the segments column's cleaned text, or its yes/no.
fn segment_of(d: Dialect, segmentation: &Segmentation, columns: &ReadColumns) -> Result<String, Unsupported> {
    let mut case = format!("CASE {}", segment_value(d, segmentation, columns)?);
    for (s, segment) in segmentation.segments.iter().enumerate() {
        case.push_str(&format!(" WHEN {} THEN {s}", d.text(&segment.value)));
    }
    case.push_str(" END");
    Ok(case)
}

/// A lead's value of the segments column, as text (`yes`/`no` for a yes/no column).
fn segment_value(d: Dialect, segmentation: &Segmentation, columns: &ReadColumns) -> Result<String, Unsupported> {
    let k = columns
        .position(&segmentation.column)
        .ok_or_else(|| Unsupported(format!("the segments column \"{}\" is not read", segmentation.column)))?;
    let value = match columns.kind(&segmentation.column) {
        ColumnType::Categorical | ColumnType::MultiValued => ReadColumns::cell(k),
        ColumnType::Boolean => format!(
            "(CASE WHEN n{k} = {} THEN 'yes' WHEN n{k} = {} THEN 'no' END)",
            d.num(1.0),
            d.num(0.0)
        ),
        kind => {
            return Err(Unsupported(format!(
                "the segments column \"{}\" is {}, which export-sql does not route",
                segmentation.column,
                kind.name()
            )))
        }
    };
    Ok(value)
}

/// A model's log-odds over the pipeline's steps: one or more terms per step (its value
/// `f{s}`), and the intercept.
fn linear_predictor(d: Dialect, artifact: &ModelArtifact, model: &LogisticModel) -> String {
    let mut terms = Vec::new();
    let mut first = 0;
    for (s, step) in artifact.pipeline.steps.iter().enumerate() {
        let weights = &model.coefficients[first..first + step.width()];
        terms.extend(step_terms(d, step, &format!("f{s}"), weights));
        first += step.width();
    }
    terms.push(d.num(model.intercept));
    balanced_sum(&terms, &d.num(0.0))
}

/// The `blended`, `calibrated` and `scored` stages: the blend with the rule points, the
/// calibration, the 0–100 score and the model's own probability.
/// `carried` columns of the `model` stage are passed on to `scored`.
fn score_stages(query: &mut Query, d: Dialect, artifact: &ModelArtifact, carried: &[String]) {
    let blend_of = |blend: Option<&crate::blend::Blend>| match blend {
        Some(blend) => format!(
            "({} + {} * z + {} * rule_points)",
            d.num(blend.intercept),
            d.num(blend.model_weight),
            d.num(blend.points_weight)
        ),
        None => "z".into(),
    };
    // Segments with a blend and calibration of their own: each lead by its segment's.
    let own: Vec<(usize, &crate::scorer::SegmentCalibration)> = (artifact.segment_calibrations.iter().enumerate())
        .filter_map(|(s, own)| Some((s, own.as_ref()?)))
        .collect();
    let by_segment = |of: &dyn Fn(&crate::scorer::SegmentCalibration) -> String, shared: String| {
        if own.is_empty() {
            return shared;
        }
        let mut case = String::from("(CASE segment_code");
        for (s, calibration) in &own {
            case.push_str(&format!(" WHEN {s} THEN {}", of(calibration)));
        }
        case.push_str(&format!(" ELSE {shared} END)"));
        case
    };
    let blended = by_segment(&|c| blend_of(c.blend.as_ref()), blend_of(artifact.blend.as_ref()));
    let sigmoid = |x: &str| {
        format!(
            "({one} / ({one} + EXP(-(LEAST(GREATEST({x}, {lo}), {hi})))))",
            one = d.num(1.0),
            lo = d.num(-CLAMP),
            hi = d.num(CLAMP)
        )
    };
    let calibrated = |calibration: &Calibration| match calibration {
        Calibration::Platt { slope, intercept } => {
            sigmoid(&format!("({} * final_z + {})", d.num(*slope), d.num(*intercept)))
        }
        Calibration::Identity => sigmoid("final_z"),
        // The uncalibrated probability is a column of its own: the CASE reads it many times.
        Calibration::Isotonic { x, y } => isotonic(d, "raw_probability", x, y),
    };
    let probability = by_segment(
        &|c| calibrated(&c.calibration),
        calibrated(&artifact.scorer.calibration),
    );
    let with = |columns: Vec<String>| [columns, carried.to_vec()].concat();
    query.stage(
        "blended",
        &with(vec![
            "lead_id".into(),
            "z".into(),
            "rule_points".into(),
            format!("{blended} AS final_z"),
            format!("{} AS raw_probability", sigmoid(&blended)),
        ]),
        "model",
    );
    query.stage(
        "calibrated",
        &with(vec![
            "lead_id".into(),
            "z".into(),
            "rule_points".into(),
            format!("{probability} AS probability"),
        ]),
        "blended",
    );
    // Rounded half away from zero, as leadscore rounds (PostgreSQL's ROUND on a double rounds
    // half to even).
    let score = format!("FLOOR({} * probability + {})", d.num(100.0), d.num(0.5));
    query.stage(
        "scored",
        &with(vec![
            "lead_id".into(),
            format!("{score} AS score"),
            "probability".into(),
            format!("{} AS model_probability", sigmoid("z")),
            "rule_points".into(),
        ]),
        "calibrated",
    );
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
    let mut formats = artifact.schema.formats.clone();
    formats.extend(artifact.config.data.formats.iter().map(|(c, f)| (c.clone(), *f)));
    if !formats.is_empty() {
        lines.push(format!(
            "Expects these columns as plain numbers and ISO dates, or typed, as the database loads them: {} (the model read them with a format; leadscore score still does).",
            formats
                .iter()
                .map(|(column, format)| format!("{column} ({format})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(events) = options.events_table {
        lines.push(format!(
            "Reads the events table {events}: lead_id, timestamp, event_type{}; events after a lead's cutoff are left out.",
            options.event_columns.iter().map(|c| format!(", {c}")).collect::<String>()
        ));
        if !artifact.config.events.files.is_empty() {
            lines.push(format!(
                "The model read activity exports of other shapes ({}): load them into {events} as those columns (`leadscore events` writes them so).",
                artifact.config.events.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let (Some(days), Some(time)) = (window_days(artifact), &artifact.config.data.time) {
        lines.push(format!(
            "Each lead is taken as it was {days} days after its {time} ([data] window_days), at the latest at the cutoff below."
        ));
    }
    match options.as_of {
        Some(date) => lines.push(format!(
            "Dates and events are measured to {date} unless a lead has a snapshot."
        )),
        None => lines.push(
            "Dates and events are measured to the day the query runs (00:00 UTC) unless a lead has a snapshot.".into(),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_calibration_interpolates_between_its_points_and_is_flat_outside() {
        let sql = isotonic(
            Dialect::Duckdb,
            "p",
            &[0.125, 0.5, 0.5, 0.875],
            &[0.0625, 0.25, 0.375, 0.75],
        );
        assert_eq!(
            sql,
            "(CASE WHEN p < 1.25E-1 THEN 6.25E-2 WHEN p < 5E-1 THEN 6.25E-2 + 1.875E-1 * (p - 1.25E-1) / 3.75E-1 \
             WHEN p < 8.75E-1 THEN 3.75E-1 + 3.75E-1 * (p - 5E-1) / 3.75E-1 ELSE 7.5E-1 END)"
        );
        assert_eq!(isotonic(Dialect::Duckdb, "p", &[], &[]), "p");
    }
}
