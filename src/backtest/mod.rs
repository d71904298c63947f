//! Backtests: history replayed period by period. For each period, a model is trained on the
//! leads whose cutoff came before it (the project's own training, with the config given, events
//! as of each lead's cutoff) and scores the leads created in it; beside it, the model trained
//! for the first period and never retrained, and models retrained every few periods. The
//! report shows how fast a frozen model decays, what retraining buys, and the retraining
//! interval the data supports. [`page`] writes it as HTML, Markdown and JSON with its schema.

pub mod page;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::artifact::ModelArtifact;
use crate::config::Config;
use crate::data::read::{read_frame, FileFormat, RawCells, RawFrame};
use crate::error::{Error, Location, Result};
use crate::evaluation::{self, EvaluateSettings};
use crate::metrics;
use crate::progress::{Progress, Silent};
use crate::report::WorkPeriod;
use crate::rules::RuleSet;
use crate::training::{train, TrainSettings};

/// The JSON's schema version ([`SCHEMA`] describes it).
pub const SCHEMA_VERSION: u32 = 1;
/// The JSON Schema of `backtest.json`, written beside it.
pub const SCHEMA: &str = include_str!("backtest.schema.json");
/// Retraining intervals tried, in periods (those shorter than the periods evaluated).
pub const INTERVALS: [usize; 4] = [1, 2, 3, 6];
/// A longer interval is recommended while its mean ROC AUC is at most this far below
/// retraining every period's…
pub const AUC_TOLERANCE: f64 = 0.005;
/// …and its mean calibration error at most this far above.
pub const ECE_TOLERANCE: f64 = 0.01;
/// A period needs this many leads to be scored.
const MIN_PERIOD_LEADS: usize = 50;

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Calendar months (UTC).
    Month,
    /// Weeks from Monday (UTC).
    Week,
}

/// What to replay and where the report goes.
pub struct BacktestSettings {
    /// Labelled leads with their creation time (`[data] time`), CSV.
    pub data: PathBuf,
    /// Their events.
    pub events: Vec<PathBuf>,
    /// How to train (the config file's settings, as `train` takes them).
    pub config: Config,
    /// Rules to blend, as `train` takes them.
    pub rules: Option<RuleSet>,
    /// Period length.
    pub by: By,
    /// Train on at most this many periods before each (default: all before it).
    pub window: Option<usize>,
    /// Evaluate at most this many periods, the last ones (default: every one with enough
    /// training leads before it).
    pub periods: Option<usize>,
    /// Leads a period's training set needs before the period is evaluated.
    pub min_training_leads: usize,
    /// The report folder.
    pub out: PathBuf,
}

/// The backtest, as `backtest.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Always `leadscore-backtest`.
    pub schema: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The leadscore that wrote it.
    pub leadscore_version: String,
    /// When (RFC 3339, UTC).
    pub generated_at: String,
    /// The leads file.
    pub data: String,
    /// `month` or `week`.
    pub by: By,
    /// Periods of training data before each (None: all).
    pub window: Option<usize>,
    /// Each evaluated period.
    pub periods: Vec<PeriodResult>,
    /// Each retraining interval (in periods; None: trained once, for the first period).
    pub intervals: Vec<IntervalResult>,
    /// The interval the data supports, in periods (None: a model trained once holds).
    pub recommended_interval: Option<usize>,
    /// The recommendation in words, with its rule.
    pub recommendation: String,
    /// Seconds the backtest took.
    pub seconds: f64,
}

/// One evaluated period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodResult {
    /// `2026-03` or `2026-03-02` (a week's Monday).
    pub period: String,
    /// Leads created in it, scored.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// Leads the model retrained for it learned from.
    pub training_leads: usize,
    /// The model retrained for this period on these leads.
    pub retrained: Figures,
    /// The model trained for the first period, never retrained.
    pub frozen: Figures,
}

/// A model's figures on a period's leads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// ROC AUC of the 0–100 score as people rank by it.
    pub roc_auc: f64,
    /// Expected calibration error of the probability (10 equal-count bins).
    pub ece: f64,
    /// Leads at or above the MQL threshold.
    pub mqls: usize,
    /// Of them, converted.
    pub mql_conversions: usize,
}

/// The figures of retraining every `every` periods, over all evaluated periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalResult {
    /// Periods between retrainings (None: never retrained).
    pub every: Option<usize>,
    /// ROC AUC per evaluated period.
    pub roc_auc: Vec<f64>,
    /// ECE per evaluated period.
    pub ece: Vec<f64>,
    /// Mean ROC AUC over the periods.
    pub mean_roc_auc: f64,
    /// Mean ECE over the periods.
    pub mean_ece: f64,
}

/// The leads of the file: each one's creation time, cutoff and outcome.
struct History {
    frame: RawFrame,
    created: Vec<i64>,
    cutoff: Vec<i64>,
    outcome: Vec<bool>,
}

/// The start of the period holding `t`, and of the one after.
fn period_of(by: By, t: i64) -> (i64, i64) {
    let date = Utc.timestamp_opt(t, 0).single().unwrap_or_default().date_naive();
    match by {
        By::Month => {
            let first = date.with_day(1).unwrap_or(date);
            let next = if first.month() == 12 {
                first.with_year(first.year() + 1).and_then(|d| d.with_month(1))
            } else {
                first.with_month(first.month() + 1)
            }
            .unwrap_or(first);
            (midnight(first), midnight(next))
        }
        By::Week => {
            let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
            (midnight(monday), midnight(monday) + 7 * 86_400)
        }
    }
}

fn midnight(date: chrono::NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp()
}

fn period_name(by: By, start: i64) -> String {
    let date = Utc.timestamp_opt(start, 0).single().unwrap_or_default();
    match by {
        By::Month => date.format("%Y-%m").to_string(),
        By::Week => date.format("%Y-%m-%d").to_string(),
    }
}

/// Reads the leads: creation times from `[data] time`, cutoffs from `[data] snapshot` (else
/// creation plus `[data] window_days`, else creation), outcomes as training reads them.
fn read_history(settings: &BacktestSettings) -> Result<History> {
    let config = &settings.config;
    let frame = read_frame(&settings.data)?;
    if !matches!(frame.format, FileFormat::Csv { .. }) {
        return Err(Error::rejected(
            Location::file(&settings.data),
            "backtest reads its leads from a CSV file",
            "export the leads as CSV (or convert the Parquet file) and run it again",
        ));
    }
    let Some(time) = &config.data.time else {
        return Err(Error::rejected(
            Location::file(&settings.data),
            "a backtest needs each lead's creation time, to know which leads came before each period",
            "name the creation time column with [data] time = \"COLUMN\" in --config",
        ));
    };
    let times = |name: &str, what: &str| -> Result<Vec<i64>> {
        let index = frame.require(name, what, "[data] in --config")?;
        let RawCells::Text(cells) = &frame.columns[index].cells else {
            unreachable!("CSV cells are text");
        };
        (cells.iter().enumerate())
            .map(|(row, cell)| {
                cell.map(str::trim).and_then(crate::formats::parse_timestamp).ok_or_else(|| {
                    Error::rejected(
                        frame.locate(name, Some(row)),
                        format!("the {what} \"{}\" is not a date", cell.unwrap_or("")),
                        "a backtest needs every lead's date as YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]; fix or drop the row",
                    )
                })
            })
            .collect()
    };
    let created = times(time, "creation time")?;
    let cutoff = match (&config.data.snapshot, config.data.window_days) {
        (Some(snapshot), _) => times(snapshot, "snapshot (cutoff)")?,
        (None, Some(days)) => created.iter().map(|&t| t + (days * 86_400.0) as i64).collect(),
        (None, None) => created.clone(),
    };
    let columns: Vec<String> = frame.columns.iter().map(|c| c.name.clone()).collect();
    let target = match &config.data.target {
        Some(name) => name.clone(),
        None => crate::data::target_column(&columns)
            .ok_or_else(|| {
                Error::rejected(
                    Location::file(&settings.data),
                    "no outcome column: a backtest measures each period's models on leads whose outcome is known",
                    "name it with [data] target = \"COLUMN\" in --config",
                )
            })?
            .to_string(),
    };
    let missing = crate::data::infer::MissingTokens::new(&config.data.missing_values);
    let outcome = crate::data::parse_outcome(&frame, &target, &missing, &config.data.converted_values)?;
    Ok(History {
        frame,
        created,
        cutoff,
        outcome,
    })
}

/// Writes rows `rows` of the frame (a CSV file read as text) to `path` as CSV.
fn write_rows(frame: &RawFrame, rows: &[usize], path: &Path) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Runtime(format!("writing {}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, "create", e))?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    writer
        .write_record(frame.columns.iter().map(|c| c.name.as_str()))
        .map_err(|e| failed(&e))?;
    let cells: Vec<&crate::data::read::TextCells> = (frame.columns.iter())
        .map(|c| match &c.cells {
            RawCells::Text(text) => text,
            RawCells::Typed(_) => unreachable!("CSV cells are text"),
        })
        .collect();
    for &r in rows {
        writer
            .write_record(cells.iter().map(|c| c.get(r).unwrap_or("")))
            .map_err(|e| failed(&e))?;
    }
    writer.flush().map_err(|e| failed(&e))
}

/// The text of column `name` of the frame, one cell per row (empty when missing).
fn column_cells<'a>(frame: &'a RawFrame, name: &str) -> Vec<&'a str> {
    match frame.columns.iter().find(|c| c.name == name).map(|c| &c.cells) {
        Some(RawCells::Text(cells)) => (0..frame.n_rows).map(|r| cells.get(r).unwrap_or("")).collect(),
        _ => vec![""; frame.n_rows],
    }
}

/// Writes the events of `all` (a file of the events form) of each period's leads (`periods`,
/// rows whose ids are `ids`) into a file of that period's in `folder`, in one pass; events of
/// other leads are left out. The files, in period order.
fn split_events(all: &Path, ids: &[&str], periods: &[&[usize]], folder: &Path) -> Result<Vec<PathBuf>> {
    let mut period_of: HashMap<&str, usize> = HashMap::new();
    for (i, rows) in periods.iter().enumerate() {
        for &r in rows.iter() {
            period_of.insert(ids[r].trim(), i);
        }
    }
    let failed = |path: &Path, e: &dyn std::fmt::Display| Error::Runtime(format!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(all)
        .map_err(|e| failed(all, &e))?;
    let header = reader.byte_headers().map_err(|e| failed(all, &e))?.clone();
    let lead = (header.iter()).position(|h| h == b"lead_id").ok_or_else(|| {
        Error::rejected(
            Location::file(all).column("lead_id"),
            "the events file has no such column",
            "give the events of the leads with a lead_id column",
        )
    })?;
    let files: Vec<PathBuf> = (0..periods.len())
        .map(|i| folder.join(format!("events-{i}.csv")))
        .collect();
    let mut writers = (files.iter())
        .map(|path| {
            let file = std::fs::File::create(path).map_err(|e| Error::io(path, "create", e))?;
            let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, file));
            writer.write_byte_record(&header).map_err(|e| failed(path, &e))?;
            Ok(writer)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| failed(all, &e))? {
        let id = record
            .get(lead)
            .and_then(|id| std::str::from_utf8(id).ok())
            .map(str::trim);
        if let Some(&i) = id.and_then(|id| period_of.get(id)) {
            writers[i]
                .write_byte_record(&record)
                .map_err(|e| failed(&files[i], &e))?;
        }
    }
    for (writer, path) in writers.iter_mut().zip(&files) {
        writer.flush().map_err(|e| failed(path, &e))?;
    }
    Ok(files)
}

/// Replays the history, writes the report folder and returns the backtest.
pub fn backtest(settings: &BacktestSettings, progress: &dyn Progress) -> Result<Backtest> {
    let started = std::time::Instant::now();
    let history = crate::progress::step(progress, "reading the leads", || read_history(settings))?;
    let n = history.created.len();
    // Every period from the first lead's to the last's.
    let first = history.created.iter().copied().min().unwrap_or(0);
    let last = history.created.iter().copied().max().unwrap_or(0);
    let mut starts = Vec::new();
    let mut at = period_of(settings.by, first).0;
    while at <= last {
        starts.push(at);
        at = period_of(settings.by, at).1;
    }
    let of_period = |t: i64| starts.partition_point(|&s| s <= t) - 1;
    let mut period_rows: Vec<Vec<usize>> = vec![Vec::new(); starts.len()];
    for r in 0..n {
        period_rows[of_period(history.created[r])].push(r);
    }
    // The periods evaluated: enough training leads before them, and leads of both outcomes.
    let training_rows = |p: usize| -> Vec<usize> {
        let from = settings.window.map_or(i64::MIN, |w| starts[p.saturating_sub(w)]);
        (0..n)
            .filter(|&r| history.cutoff[r] < starts[p] && history.created[r] >= from)
            .collect()
    };
    let mut evaluated: Vec<usize> = (1..starts.len())
        .filter(|&p| {
            let rows = &period_rows[p];
            let converted = rows.iter().filter(|&&r| history.outcome[r]).count();
            rows.len() >= MIN_PERIOD_LEADS
                && converted > 0
                && converted < rows.len()
                && (0..n).filter(|&r| history.cutoff[r] < starts[p]).count() >= settings.min_training_leads
        })
        .collect();
    if let Some(keep) = settings.periods {
        evaluated.drain(..evaluated.len().saturating_sub(keep));
    }
    if evaluated.len() < 2 {
        return Err(Error::rejected(
            Location::file(&settings.data),
            format!(
                "{} {}s with at least {} training leads before them and {MIN_PERIOD_LEADS} leads of both outcomes in them: a backtest needs two or more",
                evaluated.len(),
                by_word(settings.by),
                settings.min_training_leads
            ),
            "give leads over a longer time, a shorter period (--by week), or a lower --min-training-leads",
        ));
    }
    let work = tempfile::Builder::new()
        .prefix(&crate::output::temp_prefix("backtest"))
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in", e))?;
    // The activity exports read once into one events file, which every training reads.
    let missing = crate::data::infer::MissingTokens::new(&settings.config.data.missing_values);
    let shaped = crate::data::events::ShapedEvents::prepare_noted(
        &settings.events,
        &settings.config.events.files,
        &missing,
        progress,
    )?;
    let events: Vec<PathBuf> = shaped.iter().map(|s| s.path().to_path_buf()).collect();
    // Train one model per evaluated period, and write each period's leads.
    let mut models: Vec<ModelArtifact> = Vec::with_capacity(evaluated.len());
    let mut training_leads = Vec::with_capacity(evaluated.len());
    let mut test_files = Vec::with_capacity(evaluated.len());
    for (i, &p) in evaluated.iter().enumerate() {
        crate::interrupt::check()?;
        let name = period_name(settings.by, starts[p]);
        let rows = training_rows(p);
        let train_file = work.path().join(format!("train-{i}.csv"));
        write_rows(&history.frame, &rows, &train_file)?;
        let test_file = work.path().join(format!("leads-{i}.csv"));
        write_rows(&history.frame, &period_rows[p], &test_file)?;
        let train_settings = TrainSettings {
            events: events.clone(),
            rules: settings.rules.clone(),
            ..TrainSettings::new(&train_file, settings.config.clone())
        };
        let model = crate::progress::step(
            progress,
            &format!("{name}: training on {} leads", crate::output::thousands(rows.len())),
            || train(&train_settings, &Silent),
        )?;
        std::fs::remove_file(&train_file).map_err(|e| Error::io(&train_file, "remove", e))?;
        models.push(model);
        training_leads.push(rows.len());
        test_files.push(test_file);
    }
    // Each period's leads' events in a file of their own: scoring a period reads those only.
    let period_events: Vec<Vec<PathBuf>> =
        match (events.first(), models.first().and_then(|m| m.schema.id_column.clone())) {
            (Some(all), Some(id)) => crate::progress::step(progress, "sorting the events by period", || {
                let ids = column_cells(&history.frame, &id);
                let periods: Vec<&[usize]> = evaluated.iter().map(|&p| period_rows[p].as_slice()).collect();
                split_events(all, &ids, &periods, work.path())
            })?
            .into_iter()
            .map(|file| vec![file])
            .collect(),
            _ => vec![events.clone(); evaluated.len()],
        };
    // Score each period with the models the intervals use, each pair once.
    let mut scored: HashMap<(usize, usize), Figures> = HashMap::new();
    let mut counts = vec![(0, 0); evaluated.len()];
    let mut figures = |model: usize, period: usize| -> Result<Figures> {
        if let Some(found) = scored.get(&(model, period)) {
            return Ok(*found);
        }
        let (found, leads, conversions) = score_period(
            &models[model],
            &test_files[period],
            &period_events[period],
            &settings.out,
        )?;
        counts[period] = (leads, conversions);
        scored.insert((model, period), found);
        Ok(found)
    };
    let count = evaluated.len();
    let mut intervals = Vec::new();
    let everies: Vec<Option<usize>> = (INTERVALS.iter().copied().filter(|&k| k < count).map(Some))
        .chain([None])
        .collect();
    for every in everies {
        let mut roc_auc = Vec::with_capacity(count);
        let mut ece = Vec::with_capacity(count);
        for i in 0..count {
            let model = every.map_or(0, |k| i / k * k);
            let f = figures(model, i)?;
            roc_auc.push(f.roc_auc);
            ece.push(f.ece);
        }
        intervals.push(IntervalResult {
            every,
            mean_roc_auc: roc_auc.iter().sum::<f64>() / count as f64,
            mean_ece: ece.iter().sum::<f64>() / count as f64,
            roc_auc,
            ece,
        });
    }
    // Every period was scored by its own model (every 1) and the first (never retrained).
    let mut periods = Vec::with_capacity(count);
    for (i, &p) in evaluated.iter().enumerate() {
        let (retrained, frozen) = (scored[&(i, i)], scored[&(0, i)]);
        let (leads, conversions) = counts[i];
        periods.push(PeriodResult {
            period: period_name(settings.by, starts[p]),
            leads,
            conversions,
            training_leads: training_leads[i],
            retrained,
            frozen,
        });
    }
    let (recommended_interval, recommendation) = recommend(&intervals, settings.by);
    let result = Backtest {
        schema: "leadscore-backtest".into(),
        schema_version: SCHEMA_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data: settings.data.display().to_string(),
        by: settings.by,
        window: settings.window,
        periods,
        intervals,
        recommended_interval,
        recommendation,
        seconds: started.elapsed().as_secs_f64(),
    };
    crate::progress::step(progress, "writing the report", || page::write(settings, &result))?;
    Ok(result)
}

/// A period's leads (their file, and their events') scored by `model`: its figures, leads
/// and conversions.
fn score_period(
    model: &ModelArtifact,
    leads: &Path,
    events: &[PathBuf],
    out: &Path,
) -> Result<(Figures, usize, usize)> {
    let evaluate = EvaluateSettings {
        segment_capacity: Vec::new(),
        model_path: PathBuf::from("backtest"),
        data: leads.to_path_buf(),
        events: events.to_vec(),
        audited_rules: None,
        as_of: None,
        out: out.to_path_buf(),
        capacity: None,
        period: WorkPeriod::Week,
        periods: None,
        compare_column: None,
        adjustments: None,
    };
    let evaluated = evaluation::score_labelled(model, &evaluate, &Silent)?;
    let outcome = &evaluated.outcome;
    let score: Vec<f64> = evaluated.scores.iter().map(|s| s.score).collect();
    let probability: Vec<f64> = evaluated.scores.iter().map(|s| s.probability).collect();
    let mqls = evaluated.scores.iter().filter(|s| s.mql).count();
    let mql_conversions = (evaluated.scores.iter().zip(outcome))
        .filter(|(s, &y)| s.mql && y)
        .count();
    Ok((
        Figures {
            roc_auc: metrics::roc_auc(outcome, &score).unwrap_or(f64::NAN),
            ece: metrics::expected_calibration_error(outcome, &probability, 10),
            mqls,
            mql_conversions,
        },
        outcome.len(),
        outcome.iter().filter(|&&y| y).count(),
    ))
}

fn by_word(by: By) -> &'static str {
    match by {
        By::Month => "month",
        By::Week => "week",
    }
}

/// The longest retraining interval whose mean ROC AUC is within [`AUC_TOLERANCE`] of
/// retraining every period and whose mean ECE is within [`ECE_TOLERANCE`]; with the rule in words.
pub fn recommend(intervals: &[IntervalResult], by: By) -> (Option<usize>, String) {
    let word = by_word(by);
    let rule = format!(
        "the longest interval whose mean ROC AUC is at most {AUC_TOLERANCE} below retraining every {word} and whose mean \
         calibration error is at most {:.0} point above it",
        ECE_TOLERANCE * 100.0
    );
    let Some(every) = intervals.iter().find(|i| i.every == Some(1)) else {
        return (
            None,
            format!("too few periods to compare retraining intervals ({rule})"),
        );
    };
    let holds = |i: &IntervalResult| {
        i.mean_roc_auc >= every.mean_roc_auc - AUC_TOLERANCE && i.mean_ece <= every.mean_ece + ECE_TOLERANCE
    };
    let frozen = intervals.iter().find(|i| i.every.is_none());
    if frozen.is_some_and(holds) {
        return (
            None,
            format!(
                "a model trained once held up over these {word}s: retrain when evaluate's drift section says so ({rule})"
            ),
        );
    }
    let best = (intervals.iter())
        .filter(|i| i.every.is_some() && holds(i))
        .filter_map(|i| i.every)
        .max()
        .unwrap_or(1);
    let frozen_loss = frozen.map_or(0.0, |f| every.mean_roc_auc - f.mean_roc_auc);
    (
        Some(best),
        format!(
            "retrain every {best} {word}{}: a model never retrained loses {frozen_loss:.3} ROC AUC on average against \
             one retrained every {word} ({rule})",
            if best == 1 { "" } else { "s" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        crate::formats::parse_timestamp(text).unwrap()
    }

    #[test]
    fn periods_are_calendar_months_and_weeks_from_monday() {
        assert_eq!(
            period_of(By::Month, at("2025-12-31 23:59:59")),
            (at("2025-12-01"), at("2026-01-01"))
        );
        assert_eq!(
            period_of(By::Month, at("2026-02-01")),
            (at("2026-02-01"), at("2026-03-01"))
        );
        // 2026-12-07 is a Monday; the Sunday before belongs to the week of 2026-11-30.
        assert_eq!(
            period_of(By::Week, at("2026-12-07 08:00")),
            (at("2026-12-07"), at("2026-12-14"))
        );
        assert_eq!(period_of(By::Week, at("2026-12-06 23:00")).0, at("2026-11-30"));
        assert_eq!(period_name(By::Month, at("2026-03-01")), "2026-03");
        assert_eq!(period_name(By::Week, at("2026-11-30")), "2026-11-30");
    }

    fn interval(every: Option<usize>, auc: f64, ece: f64) -> IntervalResult {
        IntervalResult {
            every,
            roc_auc: vec![auc],
            ece: vec![ece],
            mean_roc_auc: auc,
            mean_ece: ece,
        }
    }

    #[test]
    fn the_longest_interval_within_the_tolerances_is_recommended() {
        let intervals = [
            interval(Some(1), 0.820, 0.010),
            interval(Some(2), 0.818, 0.012),
            interval(Some(3), 0.816, 0.013),
            interval(Some(6), 0.810, 0.014),
            interval(None, 0.780, 0.020),
        ];
        let (every, words) = recommend(&intervals, By::Month);
        assert_eq!(every, Some(3));
        assert!(words.starts_with("retrain every 3 months"), "{words}");
        assert!(words.contains("loses 0.040 ROC AUC"), "{words}");
        // Calibration decides too: every 3 months within the ROC AUC tolerance but 2 points worse.
        let mut worse = intervals.clone();
        worse[2].mean_ece = 0.031;
        assert_eq!(recommend(&worse, By::Month).0, Some(2));
        // A model that holds needs no schedule.
        let mut holds = intervals.clone();
        holds[4] = interval(None, 0.818, 0.011);
        assert_eq!(recommend(&holds, By::Week).0, None);
    }
}
