//! The command line: clap definitions whose doc comments are the `--help` text (so their
//! `[data]`-style section names are text, not links).
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::SplitKind;
use crate::data::AsOf;
use crate::report::WorkPeriod;

/// leadscore: learn which leads convert, and score new ones 0–100 with the reasons why.
///
/// Typical flow: `train` a model on historical leads (with their outcome), `inspect` what it
/// learned, then score new batches. `demo` runs the whole flow on synthetic leads.
///
/// Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 input data rejected.
#[derive(Debug, Parser)]
#[command(name = "leadscore", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate synthetic leads, train a model, score new leads and print where everything is.
    Demo(DemoArgs),
    /// Write realistic synthetic leads (leads.csv, events.csv, truth.csv) with a planted truth.
    Synth(SynthArgs),
    /// Fit a conversion model on historical leads and save it as one model file.
    Train(TrainArgs),
    /// Show what a model file holds: data, features, coefficients, leakage warnings, metrics.
    Inspect(InspectArgs),
    /// Compute the marketing team's rule points per lead, with band, MQL flag and the rules that fired.
    Points(PointsArgs),
    /// Score new leads with a model: calibrated 0–100 score, percentile, band, MQL flag and reasons.
    Score(ScoreArgs),
    /// Refit the blend and calibration on recent labelled leads (or with new rules), keeping the model.
    Recalibrate(RecalibrateArgs),
    /// Report on labelled leads whether scores can be trusted: calibration, separation, bands,
    /// threshold against sales capacity, rule audit, model factors and drift (HTML, Markdown, JSON).
    Evaluate(EvaluateArgs),
    /// Compare model files on the same labelled leads — the model in use against a retrained
    /// one — with a paired test, what changes for sales, and a verdict: promote, keep or inconclusive.
    Compare(CompareArgs),
    /// Replay history: per month (or week), train on the leads before it and score its leads,
    /// beside a model never retrained; shows the decay and the retraining interval the data supports.
    Backtest(BacktestArgs),
    /// Write one SQL query (DuckDB, PostgreSQL or Spark SQL) that scores leads in the warehouse as `score` does.
    ExportSql(ExportSqlArgs),
    /// Write the model as a points table (a rules file): integer points per value and per range
    /// that people can read and re-type into a marketing tool, and that `leadscore points` runs.
    ExportPoints(ExportPointsArgs),
    /// Read activity exports as train and score read them, and write their events as one file
    /// (lead_id, timestamp, event_type, …): to check a shape, or to load a warehouse table.
    Events(EventsArgs),
}

/// `leadscore events`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  leadscore events --source mautic --events page_hits.csv --events email_stats.csv --out events.csv
  leadscore events --model models/model.lsm --events activities.csv --out events.csv

Each file is read by the first shape its header fits ([[events.files]] of --config, then the
--source preset's, or those the --model was trained with); what became of each file's rows is
printed: how many became events, how many had no time, which activities were left out.")]
pub struct EventsArgs {
    /// Activity exports (repeatable).
    #[arg(long, value_name = "FILE", required = true)]
    pub events: Vec<PathBuf>,
    /// leadscore.toml with [[events.files]] shapes.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The tool the exports come from: its preset's shapes.
    #[arg(long, value_enum)]
    pub source: Option<crate::config::Source>,
    /// A model file: the shapes it was trained with.
    #[arg(long, conflicts_with_all = ["config", "source"])]
    pub model: Option<PathBuf>,
    /// Where to write the events (CSV).
    #[arg(long)]
    pub out: PathBuf,
}

/// `leadscore demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the synthetic data and the model.
    #[arg(long, default_value = "demo-output")]
    pub out: PathBuf,
    /// Number of synthetic leads.
    #[arg(long, default_value_t = 20_000)]
    pub leads: usize,
    /// Seed for the synthetic data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// `leadscore synth`
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of leads to generate.
    #[arg(long)]
    pub leads: usize,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Folder to write leads.csv, events.csv and truth.csv into (or the --format's files).
    #[arg(long)]
    pub out: PathBuf,
    /// Write the same leads as that tool's exports instead: its column names, ids, date formats,
    /// stage and score columns, and activity exports (hubspot: contacts.csv; salesforce:
    /// leads.csv; mautic: contacts.csv and its activity tables; pardot: prospects.csv and
    /// visitor_activities.csv; marketo: leads.csv and activities.csv). `train --source` reads
    /// them as they are.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub format: Option<crate::config::Source>,
    /// Plant product lines that convert differently, to measure [segments] by = "product_line":
    /// for CRM a demo request weighs twice as much, for Marketing Cloud company size works the
    /// other way, and a small Data Platform line (about 2 % of leads) values webinars more.
    #[arg(long)]
    pub segments: bool,
    /// Plant drift over the 18 months the leads are created in, to measure `backtest` and
    /// `compare`: webinars count more month by month, high-value page views less, and a new lead
    /// source (Product Trial) appears from the tenth month and converts far better.
    #[arg(long)]
    pub drift: bool,
    /// The same leads as seen N days later (run again with the same --leads and --seed): each
    /// lead's snapshot moves on by N days, so its activity of those days counts. Score both
    /// files to try `score --previous` and `--triggers`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub days_later: u32,
}

/// `leadscore train`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  leadscore train --data leads.csv --target converted --out models/model.lsm
  leadscore train --data leads.csv --events events.csv --config leadscore.toml --out models/model.lsm
  leadscore train --data Leads.csv --target Converted --id \"Prospect ID\" --exclude Tags --exclude \"Lead Quality\" --out x.lsm

A model per product line, persona or business unit, each pulled toward the shared model: in the
config, [segments] by = \"product_line\" (docs/segments.md); train prints a table of the segments
it kept, with their own and the shared model's ROC AUC.")]
pub struct TrainArgs {
    /// Historical leads (CSV with , ; or tab separators, or Parquet), one row per lead, with the outcome.
    #[arg(long)]
    pub data: PathBuf,
    /// Activity events aggregated per lead as engagement features: lead_id, timestamp,
    /// event_type, …, or activity exports of the shapes in [[events.files]] or the --source
    /// preset (repeat for several files: --events page_hits.csv --events email_stats.csv).
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// leadscore.toml with [data], [features], [events], [model], [blend], [score] and [segments]
    /// settings (docs/configuration.md); flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The tool the export comes from: its preset names the id, outcome and creation columns,
    /// date formats, columns to leave out and activity export shapes (docs/crm-exports.md);
    /// the config file and flags override it.
    #[arg(long, value_enum)]
    pub source: Option<crate::config::Source>,
    /// Outcome column (1/0, true/false, yes/no, y/n). Found automatically when named like `converted`.
    #[arg(long)]
    pub target: Option<String>,
    /// Lead id column. Without one, the row number is the id.
    #[arg(long)]
    pub id: Option<String>,
    /// A column never to use as a feature (repeatable), e.g. fields sales fills in after contact.
    #[arg(long, value_name = "COLUMN")]
    pub exclude: Vec<String>,
    /// Cutoff date (YYYY-MM-DD or an RFC 3339 timestamp): events after it are ignored and date
    /// ages are measured to it.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<AsOf>,
    /// How to hold out validation leads: stratified `random`, or `time` (newest leads, needs [data] time).
    #[arg(long)]
    pub split: Option<SplitKind>,
    /// Seed for the split and the cross-validation folds.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The marketing team's points rules to blend with the model (or [[rules]] in --config).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Validate on this labelled lead file instead of holding out part of --data.
    #[arg(long, value_name = "FILE")]
    pub validation_data: Option<PathBuf>,
    /// Where to write the model file.
    #[arg(long)]
    pub out: PathBuf,
}

/// `leadscore inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The model file.
    pub model: PathBuf,
    /// Print everything as JSON instead of a readable summary.
    #[arg(long)]
    pub json: bool,
    /// How many top positive and negative factors to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// `leadscore points`
#[derive(Debug, Args)]
#[command(after_help = "Example:
  leadscore points --rules data/rules/example.toml --data leads.csv --events events.csv --out points.csv

The rules file holds [[rules]] (column or event criteria with points), [bands], [decay] and
optional min_total / max_total / segment_by; data/rules/example.toml shows every kind.")]
pub struct PointsArgs {
    /// The rules file (TOML); without it, the [[rules]] of --config.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Leads (CSV or Parquet), one row per lead.
    #[arg(long)]
    pub data: PathBuf,
    /// Activity events, needed by event rules and inactivity decay (repeatable, as for train).
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// leadscore.toml: its [data] section (id, snapshot, time, missing values), [[events.files]],
    /// and its rules when --rules is not given.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The tool the export comes from (as for train): its preset's columns and event shapes.
    #[arg(long, value_enum)]
    pub source: Option<crate::config::Source>,
    /// Lead id column (found automatically when named like `lead_id`).
    #[arg(long)]
    pub id: Option<String>,
    /// Cutoff date (YYYY-MM-DD) when the leads have no snapshot column: later events are ignored
    /// (default: today at 00:00 UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<AsOf>,
    /// Where to write the points (CSV): id, points, band, mql, rules.
    #[arg(long)]
    pub out: PathBuf,
}

/// The model and the leads it reads: shared by `score`, `evaluate` and `recalibrate`.
#[derive(Debug, Args)]
pub struct ModelInputs {
    /// The model file written by `leadscore train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Leads (CSV or Parquet) with the columns the model was trained on; for evaluate and
    /// recalibrate, with their outcome too (leads whose outcome is now known).
    #[arg(long)]
    pub data: PathBuf,
    /// Their activity events, when the model was trained with events (or its rules count
    /// events): repeat for several files; exports of the shapes the model was trained with are
    /// read as they come. When `score` reads the leads in more than one batch, the events are
    /// first split by batch into a temporary folder (in TMPDIR, removed afterwards), so neither
    /// file is held in memory.
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// Cutoff (YYYY-MM-DD or an RFC 3339 timestamp) for dates and events when the leads have no
    /// snapshot column (default: the model's [data] as_of, else today at 00:00 UTC, so that a
    /// file scored twice in a day gives the same scores).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<AsOf>,
}

/// `leadscore score`
#[derive(Debug, Args)]
#[command(after_help = "Example:
  leadscore score --model models/model.lsm --data new_leads.csv --events events.csv --out scored.csv

Output columns: the lead id, score (0–100 = 100 × calibrated probability), probability,
percentile (against the training leads), band, mql, model_probability, fit (grade A–F of who the
lead is), engagement (0–100 percentile of what the lead does) and reasons (the features that
move the lead most from the average lead). Rows with values that cannot be read go to the
rejects file with their line and reason.")]
pub struct ScoreArgs {
    #[command(flatten)]
    pub inputs: ModelInputs,
    /// Where to write the scores: CSV, or Parquet when the name ends in .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// An input column to copy into the scores file after the id (e.g. --keep email --keep owner).
    #[arg(long, value_name = "COLUMN")]
    pub keep: Vec<String>,
    /// Where to write rows that cannot be scored (default: beside --out, as NAME.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Stop (exit code 3, nothing written) when the score or a feature drifted past PSI 0.25.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// MiB of a CSV file read per batch: memory stays bounded whatever the file's length.
    #[arg(long, default_value_t = 32, value_name = "MIB")]
    pub batch_mib: u32,
    /// An earlier scores file (of this model or another): each lead gets previous_score, change
    /// and status (new, became_mql, left_mql, band_up, band_down, unchanged), and the summary
    /// counts each.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// With --previous: write the leads that crossed a threshold since (by default into the MQLs
    /// or a hotter band) to this CSV file, with why: the routing list for sales.
    #[arg(long, value_name = "FILE", requires = "previous")]
    pub triggers: Option<PathBuf>,
    /// The changes that are triggers (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "became_mql,band_up",
        value_name = "STATUSES",
        requires = "triggers"
    )]
    pub trigger_on: Vec<crate::scoring::changes::Status>,
    /// Points a lead's score must have moved at least to be a trigger.
    #[arg(long, value_name = "POINTS", default_value_t = 0.0, requires = "triggers")]
    pub min_change: f64,
    /// Write each lead's log-odds and the part each feature and each rule gives (columns
    /// `log_odds`, `part: base`, `part: FEATURE`, `part: rule NAME`, …): the parts add up to the
    /// log-odds (with Platt calibration, the score's own; with isotonic, before calibration). With
    /// --previous of a file scored with --explain too, the triggers say which parts moved.
    #[arg(long)]
    pub explain: bool,
    /// A column that says a lead is closed (won, lost, disqualified; default: the model's
    /// [data] closed): closed leads are not scored and never triggers; they are counted and
    /// listed in --closed-list.
    #[arg(long, value_name = "COLUMN")]
    pub closed: Option<String>,
    /// The values of the --closed column that mean closed (comma-separated, ignoring case;
    /// default: the model's [data] closed_values, else the column is yes/no).
    #[arg(long, value_delimiter = ',', value_name = "VALUES")]
    pub closed_values: Vec<String>,
    /// Where the closed leads are listed (default: beside --out, as NAME.closed.csv).
    #[arg(long, value_name = "FILE")]
    pub closed_list: Option<PathBuf>,
    /// Sales' manual points (CSV: lead id, points, reason[, who, expires]): added to the rule
    /// points of the model's blend, named in the reasons (`+ sales: met at trade show (+20)`);
    /// an adjustment no longer counts from its expiry date on.
    #[arg(long, value_name = "FILE")]
    pub adjustments: Option<PathBuf>,
}

/// `leadscore export-points`
#[derive(Debug, Args)]
#[command(
    after_help = "Example (the leads the model was trained on, to place ranges and measure the table):
  leadscore export-points --model models/model.lsm --data history.csv --events events.csv \\
                          --out points.toml
  leadscore points --rules points.toml --data new_leads.csv --events events.csv --out points.csv

A lead's points are the base plus the points of every rule it meets: one per category value,
one per range a number reaches (\"TotalVisits ≥ 3\"), one per number of events reached. By
default 20 points double a lead's odds of converting and a lead at the odds of the training
leads' conversion rate has 50 points; the model's bands and MQL threshold are translated to
points. The file's header says how faithful the table is on --data: the rank correlation of its
points with the model's score, the ROC AUC of both, how many leads change band, and what the
rules could not hold (dates, recency-weighted activity).

A model with segments ([segments]) is exported one segment at a time, as Pardot's scoring
categories or one HubSpot score per product line hold it: --segment CRM writes the table of
the model that scores the CRM leads (its own, or the shared model when CRM has none), with its
bands, measured on the CRM leads of --data. Every table keeps the same scale, so a number of
points means the same odds in each:
  leadscore export-points --model models/model.lsm --data history.csv --segment CRM \\
                          --out points-crm.toml"
)]
pub struct ExportPointsArgs {
    #[command(flatten)]
    pub inputs: ModelInputs,
    /// With a model with segments: the value of the segments column whose leads' model to
    /// export (required then; any value, those without a model of their own get the shared
    /// model's table).
    #[arg(long, value_name = "VALUE")]
    pub segment: Option<String>,
    /// Where to write the points table (TOML, the rules format of `leadscore points`).
    #[arg(long)]
    pub out: PathBuf,
    /// Points that double a lead's odds of converting.
    #[arg(long, value_name = "POINTS", default_value_t = 20.0)]
    pub points_to_double: f64,
    /// Points of a lead at the odds of the training leads' conversion rate.
    #[arg(long, value_name = "POINTS", default_value_t = 50.0, allow_negative_numbers = true)]
    pub base_points: f64,
}

/// `leadscore recalibrate`
#[derive(Debug, Args)]
#[command(after_help = "Example (too many MQLs since the rules changed):
  leadscore recalibrate --model models/model.lsm --data last_quarter.csv --events events.csv \\
                        --rules rules_v2.toml --out models/model-v2.lsm

The model's coefficients stay as they are; the blend with the rules and the calibration are
refitted on these labelled leads. 30 % of them are held out to show calibration before and after;
the saved model is then fitted on all of them.")]
pub struct RecalibrateArgs {
    #[command(flatten)]
    pub inputs: ModelInputs,
    /// New rules to blend instead of the model's own (none: keep the model's rules, if any).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Where to write the recalibrated model file.
    #[arg(long)]
    pub out: PathBuf,
}

/// `leadscore evaluate`
#[derive(Debug, Args)]
#[command(
    after_help = "Example (last month's leads, whose outcome is now known; sales can call 200 a week):
  leadscore evaluate --model models/model.lsm --data last_month.csv --events events.csv \\
                     --out reports/2026-11 --capacity 200 --period week

Writes into --out: report.html (one self-contained page with inline charts, for the meeting),
report.md with charts/*.svg (for notes and repositories), report.json with every figure
(schema: report.schema.json), scores.csv (each lead's outcome and scores) and, when some leads
cannot be scored, rejects.csv with the reason. The model-only probability, the rule points alone
and the score are shown side by side.

With a model with segments, a section shows each segment by its own model and by the shared
one; --segment-capacity CRM=80 finds the MQL threshold that fits the CRM team's 80 leads a week."
)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub inputs: ModelInputs,
    /// Rules to audit (default: the rules blended into the model, if any).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Folder for the report (created; files in it are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Leads sales can work per period: the report finds the threshold that fits.
    #[arg(long, value_name = "LEADS")]
    pub capacity: Option<f64>,
    /// The period of --capacity.
    #[arg(long, value_enum, default_value_t = WorkPeriod::Week)]
    pub period: WorkPeriod,
    /// With a model with segments: leads one segment's sales team can work per period, as
    /// VALUE=LEADS (repeat for each: --segment-capacity CRM=80 --segment-capacity
    /// "Marketing Cloud=50"; `shared=N` for the leads the shared model scores). The segments
    /// section gives each the MQL threshold that fits, as a [[segments.override]] to paste.
    #[arg(long, value_name = "VALUE=LEADS")]
    pub segment_capacity: Vec<crate::evaluation::SegmentCapacity>,
    /// How many periods the leads cover (default: from their creation dates; one when they have none).
    #[arg(long, value_name = "N")]
    pub periods: Option<f64>,
    /// A column of the leads holding a score to rank beside leadscore's — the CRM's own
    /// (e.g. "HubSpot Score", "Lead Score"): its ROC AUC, PR AUC, KS, ROC curve and gains are
    /// shown with the others, for a team moving from the tool's scoring to leadscore's.
    #[arg(long, value_name = "COLUMN")]
    pub compare_column: Option<String>,
    /// Sales' manual points (as for score): added to the rule points, and each reason audited
    /// like a rule (do the leads sales boost convert?).
    #[arg(long, value_name = "FILE")]
    pub adjustments: Option<PathBuf>,
}

/// `leadscore compare`
#[derive(Debug, Args)]
#[command(after_help = "Example:
  leadscore compare --model models/live.lsm --model models/candidate.lsm \\
                    --data last_quarter.csv --events events.csv --out reports/compare-2026-12

The first --model is the champion (the model in use); each other one is a challenger compared
with it. Every model scores the same labelled leads (leads some model cannot score are left out
of every figure, and counted). The report folder holds compare.html, compare.md with its charts,
compare.json (schema: compare.schema.json) and scores.csv (each lead's score under every model).

The verdict, per challenger: promote when the 95 % interval of its ROC AUC minus the champion's
(paired: DeLong's test for two scores of the same leads, on the 0–100 score as sales rank by it)
lies above zero and its calibration error is at most 1 point above the champion's; keep when the
interval lies below zero, or when it ranks better but is less well calibrated (recalibrate it
and compare again); otherwise inconclusive. The exit code is 0 whatever the verdict: read it
from the summary line or compare.json.")]
pub struct CompareArgs {
    /// A model file written by `leadscore train`: the champion first, then one or more challengers.
    #[arg(long = "model", value_name = "FILE", required = true, num_args = 1)]
    pub models: Vec<PathBuf>,
    /// Labelled leads (CSV or Parquet) with every model's columns and the outcome.
    #[arg(long)]
    pub data: PathBuf,
    /// Their activity events, when a model (or its rules) uses events; repeatable.
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// Cutoff (YYYY-MM-DD or an RFC 3339 timestamp) for dates and events when the leads have no
    /// snapshot column (default: each model's [data] as_of, else today at 00:00 UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<AsOf>,
    /// Folder for the report (created; files in it are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

/// `leadscore backtest`
#[derive(Debug, Args)]
#[command(after_help = "Example:
  leadscore backtest --data history.csv --events events.csv --config leadscore.toml \\
                     --by month --out reports/backtest

For each month (or week) with enough leads before it, a model is trained as `train` trains it
(this config, its rules, events as of each lead's cutoff) on the leads whose cutoff came before
the month began (--window: only those created in the N months before), and scores the leads
created in that month. Beside it: the model trained for the first month replayed and never
retrained, and models retrained every 2, 3 or 6 months. The report folder holds backtest.html,
backtest.md with its charts and backtest.json (schema: backtest.schema.json): ROC AUC,
calibration error and MQLs per month for each, and the retraining interval the data supports
(the longest whose mean ROC AUC is at most 0.005 below retraining every month and whose
calibration error is at most 1 point above).

The leads need their creation time ([data] time) and outcome; each lead's cutoff is [data]
snapshot, or its creation plus [data] window_days, or its creation.")]
pub struct BacktestArgs {
    /// Labelled leads (CSV) with their creation time and outcome, over several months.
    #[arg(long)]
    pub data: PathBuf,
    /// Their activity events (repeatable, as for train).
    #[arg(long, value_name = "FILE")]
    pub events: Vec<PathBuf>,
    /// leadscore.toml as train reads it; its [data] time names the creation time column.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The tool the export comes from (as for train): its preset's columns and event shapes.
    #[arg(long, value_enum)]
    pub source: Option<crate::config::Source>,
    /// The marketing team's points rules to blend with each model (or [[rules]] in --config).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// The period replayed.
    #[arg(long, value_enum, default_value_t = crate::backtest::By::Month)]
    pub by: crate::backtest::By,
    /// Train each model on the leads of the N periods before it only (default: all before it).
    #[arg(long, value_name = "N")]
    pub window: Option<usize>,
    /// Replay only the last N periods (default: every period with enough leads before it).
    #[arg(long, value_name = "N")]
    pub periods: Option<usize>,
    /// Leads the first model needs to learn from: periods before that are training data only.
    #[arg(long, value_name = "LEADS", default_value_t = 1000)]
    pub min_training_leads: usize,
    /// Folder for the report (created; files in it are replaced).
    #[arg(long)]
    pub out: PathBuf,
}

/// `leadscore export-sql`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  leadscore export-sql --model models/model.lsm --dialect duckdb --table leads --as-of 2026-11-30 --out score.sql
  duckdb crm.db < score.sql
  leadscore export-sql --model models/model.lsm --dialect postgres --table crm.leads \\
                       --events-table crm.events --out score.sql
  psql -f score.sql

The query computes the score, probability, band, MQL flag, the model's own probability and the
rule points exactly as `leadscore score` does (probabilities equal to 1e-9), reading the model's
input columns from the table as text or typed columns. Event features and event rules are
aggregated from --events-table as of each lead's cutoff. The percentile, the fit and engagement
grades and the reasons are left out.")]
pub struct ExportSqlArgs {
    /// The model file written by `leadscore train`.
    #[arg(long)]
    pub model: PathBuf,
    /// The SQL engine the query is for.
    #[arg(long, value_enum)]
    pub dialect: crate::sql::Dialect,
    /// The table (or view) of leads, as the engine names it, e.g. crm.leads.
    #[arg(long, default_value = "leads")]
    pub table: String,
    /// The table of events (lead_id, timestamp, event_type, …), for models and rules that use events.
    #[arg(long, value_name = "TABLE")]
    pub events_table: Option<String>,
    /// The optional columns the events table has (of url, form_id, email_id, asset, is_mpp, user_agent).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "url,form_id,email_id,asset,is_mpp",
        value_name = "COLUMNS"
    )]
    pub event_columns: Vec<String>,
    /// Cutoff date (YYYY-MM-DD) for dates and events when the leads have no snapshot column
    /// (default: the day the query runs, 00:00 UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<AsOf>,
    /// Where to write the query.
    #[arg(long)]
    pub out: PathBuf,
}
