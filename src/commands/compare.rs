//! `leadscore compare`: the model in use against retrained ones on the same labelled leads (see
//! [`crate::compare`]).

use super::Steps;
use crate::cli::CompareArgs;
use crate::compare::{compare, CompareSettings, Comparison};
use crate::data::require_files;
use crate::error::{Error, Result};
use crate::output::{guard_folder, thousands};

/// Runs `compare` and returns the comparison.
pub fn run(args: &CompareArgs) -> Result<Comparison> {
    if args.models.len() < 2 {
        return Err(Error::Usage(
            "compare needs two model files or more: --model live.lsm --model candidate.lsm (the model in use first)"
                .into(),
        ));
    }
    let mut read: Vec<(Option<&std::path::Path>, &str)> =
        args.models.iter().map(|m| (Some(m.as_path()), "--model")).collect();
    read.push((Some(args.data.as_path()), "--data"));
    read.extend(super::each_file(&args.events, "--events"));
    guard_folder(&args.out, "--out", &read)?;
    require_files(&read)?;
    let settings = CompareSettings {
        models: args.models.clone(),
        data: args.data.clone(),
        events: args.events.clone(),
        as_of: args.as_of.as_ref().map(|a| a.seconds),
        out: args.out.clone(),
    };
    let comparison = compare(&settings, &Steps::new(false))?;
    let champion = &comparison.models[0];
    println!(
        "compared {} models on {} leads ({} conversions): champion {} ROC AUC {:.4}",
        comparison.models.len(),
        thousands(comparison.data.leads),
        thousands(comparison.data.conversions),
        champion.model.file,
        champion.roc_auc
    );
    for (challenge, m) in comparison.challengers.iter().zip(&comparison.models[1..]) {
        let a = &challenge.roc_auc;
        println!(
            "  {}: ROC AUC {:.4} ({:+.4}, 95 % interval {:+.4} to {:+.4}), calibration error {:+.1} points → {}",
            m.model.file,
            m.roc_auc,
            a.difference,
            a.low,
            a.high,
            challenge.ece_change * 100.0,
            challenge.verdict
        );
    }
    if let Some(segments) = &comparison.segments {
        for (i, m) in comparison.models[1..].iter().enumerate() {
            let each: Vec<String> = (segments.rows.iter())
                .map(|row| match &row.paired[i] {
                    Some(p) => format!("{} {:+.4}", row.segment, p.difference),
                    None => format!("{} –", row.segment),
                })
                .collect();
            println!(
                "  {} by \"{}\" (ROC AUC difference): {}",
                m.model.file,
                segments.column,
                each.join(", ")
            );
        }
    }
    if comparison.data.left_out > 0 {
        eprintln!(
            "warning: {} leads could not be scored by every model and are left out",
            thousands(comparison.data.left_out)
        );
    }
    println!("report: {}", args.out.join("compare.html").display());
    Ok(comparison)
}
