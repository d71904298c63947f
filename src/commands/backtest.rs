//! `leadscore backtest`: history replayed period by period (see [`crate::backtest`]).

use super::Steps;
use crate::backtest::{backtest, Backtest, BacktestSettings};
use crate::cli::BacktestArgs;
use crate::data::require_files;
use crate::error::{Error, Result};
use crate::output::guard_folder;
use crate::rules::RuleSet;

/// Runs `backtest` and returns it.
pub fn run(args: &BacktestArgs) -> Result<Backtest> {
    for (value, flag) in [(args.window, "--window"), (args.periods, "--periods")] {
        if value == Some(0) {
            return Err(Error::Usage(format!("{flag} 0: give one period or more")));
        }
    }
    let mut read = vec![
        (args.config.as_deref(), "--config"),
        (args.rules.as_deref(), "--rules"),
        (Some(args.data.as_path()), "--data"),
    ];
    read.extend(super::each_file(&args.events, "--events"));
    guard_folder(&args.out, "--out", &read)?;
    let (config, config_rules) = super::read_config(args.config.as_deref(), args.source)?;
    let rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => config_rules,
    };
    require_files(&read[2..])?;
    let settings = BacktestSettings {
        data: args.data.clone(),
        events: args.events.clone(),
        config,
        rules,
        by: args.by,
        window: args.window,
        periods: args.periods,
        min_training_leads: args.min_training_leads,
        out: args.out.clone(),
    };
    let result = backtest(&settings, &Steps::new(false))?;
    for p in &result.periods {
        println!(
            "  {}: {} leads, ROC AUC retrained {:.4} · frozen {:.4}",
            p.period,
            crate::output::thousands(p.leads),
            p.retrained.roc_auc,
            p.frozen.roc_auc
        );
    }
    println!("{} ({:.0} s)", result.recommendation, result.seconds);
    println!("report: {}", args.out.join("backtest.html").display());
    Ok(result)
}
