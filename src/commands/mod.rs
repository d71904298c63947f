//! One module per subcommand; [`run`] dispatches.

pub mod demo;
pub mod evaluate;
pub mod export_sql;
pub mod inspect;
pub mod points;
pub mod recalibrate;
pub mod score;
pub mod synth;
pub mod train;

use std::io::IsTerminal;
use std::time::Instant;

use crate::cli::Command;
use crate::error::Result;

/// Runs one subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Demo(args) => demo::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Train(args) => train::run(&args).map(|_| ()),
        Command::Inspect(args) => inspect::run(&args),
        Command::Points(args) => points::run(&args).map(|_| ()),
        Command::Score(args) => score::run(&args).map(|_| ()),
        Command::Recalibrate(args) => recalibrate::run(&args).map(|_| ()),
        Command::Evaluate(args) => evaluate::run(&args).map(|_| ()),
        Command::ExportSql(args) => export_sql::run(&args),
    }
}

/// Checks that every given input file exists before any work starts: `(path, flag)` pairs.
pub fn require_files(files: &[(Option<&std::path::Path>, &str)]) -> Result<()> {
    for (path, flag) in files {
        if let Some(path) = path.filter(|p| !p.is_file()) {
            return Err(crate::error::Error::rejected(
                crate::error::Location::file(path),
                "no such file",
                format!("check the path given to {flag}"),
            ));
        }
    }
    Ok(())
}

/// Timed progress lines on standard error: `step … done (1.2 s)`.
pub struct Steps {
    started: Instant,
    quiet: bool,
}

impl Steps {
    /// Starts the clock.
    pub fn new(quiet: bool) -> Self {
        Steps {
            started: Instant::now(),
            quiet,
        }
    }

    /// Runs `work`, printing what it is and how long it took.
    pub fn step<T>(&self, what: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let begun = Instant::now();
        let result = work()?;
        if !self.quiet {
            eprintln!("  {what:<44} {:>7.2} s", begun.elapsed().as_secs_f64());
        }
        Ok(result)
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The event features of `table`'s leads (with `spec`, when the model has events) and their rule
/// points, from one pass over the events; the features are added to `table`. Returns what
/// happened to the events (when aggregated) and the points (when there are rules).
pub fn events_and_points(
    table: &mut crate::data::LeadTable,
    events: Option<crate::data::events::EventSource>,
    spec: Option<&crate::data::events::EventFeatureSpec>,
    rules: Option<&crate::rules::RuleSet>,
    missing: &crate::data::infer::MissingTokens,
) -> Result<(
    Option<crate::data::events::EventCounts>,
    Option<crate::rules::engine::Points>,
)> {
    use crate::rules::engine;
    let (Some(source), Some(spec)) = (events, spec) else {
        let points = rules.map(|r| engine::score(r, table, events, missing)).transpose()?;
        return Ok((None, points));
    };
    let mut tally = rules.map(|r| engine::EventTally::new(r, table.n_rows));
    let cutoff = &table.cutoff;
    let (columns, counts) =
        crate::data::events::aggregate_and(source, missing, spec, &table.ids, cutoff, |lead, event| {
            if let Some(tally) = tally.as_mut() {
                tally.add(lead, cutoff[lead], event);
            }
        })?;
    table.features.extend(columns);
    let points = match (rules, tally) {
        (Some(rules), Some(tally)) => Some(engine::points(rules, table, Some((source, tally)))?),
        _ => None,
    };
    Ok((Some(counts), points))
}

/// A progress bar on standard error, drawn only when it is a terminal: over `total` bytes of
/// input when known, else a spinner; its message says what is being done.
pub fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("  {bar:30} {percent:>3}% of {total_bytes} · {msg} · {elapsed}")
                .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("  {spinner} {msg} · {elapsed}").expect("a valid template")),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
