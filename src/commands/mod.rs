//! One module per subcommand; [`run`] dispatches.

pub mod backtest;
pub mod compare;
pub mod demo;
pub mod evaluate;
pub mod events;
pub mod export_points;
pub mod export_sql;
pub mod inspect;
pub mod points;
pub mod recalibrate;
pub mod score;
pub mod synth;
pub mod train;

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use crate::progress::Progress;

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
        Command::Backtest(args) => backtest::run(&args).map(|_| ()),
        Command::Compare(args) => compare::run(&args).map(|_| ()),
        Command::ExportSql(args) => export_sql::run(&args),
        Command::ExportPoints(args) => export_points::run(&args).map(|_| ()),
        Command::Events(args) => events::run(&args),
    }
}

impl Progress for Steps {
    fn step_done(&self, what: &str, seconds: f64) {
        if !self.quiet {
            eprintln!("  {what:<44} {seconds:>7.2} s");
        }
    }

    fn noted(&self, line: &str) {
        if !self.quiet {
            eprintln!("    {line}");
        }
    }
}

/// The config file laid over `source`'s preset (or the preset's defaults without a file), and
/// the file's own `[[rules]]`; everything validated before any lead is read.
pub fn read_config(
    path: Option<&std::path::Path>,
    source: Option<crate::config::Source>,
) -> Result<(crate::config::Config, Option<crate::rules::RuleSet>)> {
    use crate::config::Config;
    match path {
        Some(path) => {
            let text = Config::read_text(path)?;
            let config = Config::parse_with(&text, path, source)?;
            let rules = crate::rules::RuleSet::from_config(&config, &text, path)?;
            Ok((config, rules))
        }
        None => Ok((Config::from_source(source)?, None)),
    }
}

/// Each of a repeatable flag's files, as the file checks take them.
pub fn each_file<'a>(
    files: &'a [std::path::PathBuf],
    flag: &'a str,
) -> impl Iterator<Item = (Option<&'a std::path::Path>, &'a str)> {
    files.iter().map(move |f| (Some(f.as_path()), flag))
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
        crate::progress::step(self, what, work)
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The line that says which cutoff the leads were taken at, when it is today's by default
/// (no `--as-of`, none in the config `data`): `None` when one was given. `snapshot` is the
/// snapshot column the leads are read with.
pub fn default_cutoff_line(given: bool, data: &crate::config::DataConfig, snapshot: Option<&str>) -> Option<String> {
    if given || data.as_of.is_some() {
        return None;
    }
    let today = crate::data::date_of(crate::data::today());
    if let (None, Some(days), Some(time)) = (snapshot, data.window_days, &data.time) {
        return Some(format!(
            "cutoff: each lead {days} days after its \"{time}\", at the latest {today} 00:00 UTC (today; --as-of sets another)"
        ));
    }
    let leads = match snapshot {
        Some(column) => format!("leads without a \"{column}\""),
        None => "every lead".to_string(),
    };
    Some(format!(
        "cutoff: {today} 00:00 UTC (today; --as-of sets another) for {leads}"
    ))
}

/// Progress of long work on standard error, drawn only when it is a terminal: a bar over the
/// input's bytes when their total is known, else a spinner; its message says what is done.
pub struct ProgressBar {
    shown: Mutex<Option<(Option<u64>, indicatif::ProgressBar)>>,
}

impl ProgressBar {
    /// Nothing drawn yet.
    pub fn new() -> Self {
        ProgressBar {
            shown: Mutex::new(None),
        }
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new()
    }
}

impl Progress for ProgressBar {
    fn advanced(&self, done: u64, total: Option<u64>, message: &str) {
        let Ok(mut shown) = self.shown.lock() else { return };
        if shown.as_ref().is_none_or(|(drawn, _)| *drawn != total) {
            if let Some((_, old)) = shown.take() {
                old.finish_and_clear();
            }
            *shown = Some((total, new_bar(total)));
        }
        if let Some((_, bar)) = shown.as_ref() {
            bar.set_message(message.to_string());
            if total.is_some() {
                bar.set_position(done);
            }
        }
    }

    fn finished(&self) {
        if let Some((_, bar)) = self.shown.lock().ok().and_then(|mut shown| shown.take()) {
            bar.finish_and_clear();
        }
    }

    fn noted(&self, line: &str) {
        match self.shown.lock().ok().as_ref().and_then(|shown| shown.as_ref()) {
            Some((_, bar)) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.finished();
    }
}

fn new_bar(total: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::ProgressStyle;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            ProgressStyle::with_template("  {bar:30} {percent:>3}% of {total_bytes} · {msg} · {elapsed}")
                .expect("a valid template"),
        ),
        None => indicatif::ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("  {spinner} {msg} · {elapsed}").expect("a valid template")),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
