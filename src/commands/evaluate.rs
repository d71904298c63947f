//! `leadscore evaluate`: scores labelled leads with a model and writes the report reviewers read
//! in the sales and marketing meeting (see [`crate::evaluation`]).

use super::Steps;
use crate::artifact::ModelArtifact;
use crate::cli::EvaluateArgs;
use crate::data::require_files;
use crate::error::{Error, Result};
use crate::evaluation::{evaluate, EvaluateSettings};
use crate::output::{guard_folder, thousands};
use crate::report::{document, Report, ScoreKind};
use crate::rules::RuleSet;

/// Runs `evaluate` and returns the report.
pub fn run(args: &EvaluateArgs) -> Result<Report> {
    for (value, flag, example) in [
        (
            args.capacity,
            "--capacity",
            "give the number of leads sales can work per period, e.g. --capacity 200",
        ),
        (
            args.periods,
            "--periods",
            "give how many periods the leads cover, e.g. --periods 4.3",
        ),
    ] {
        if let Some(value) = value.filter(|v| !(*v > 0.0 && v.is_finite())) {
            return Err(Error::Usage(format!("{flag} {value}: {example}")));
        }
    }
    let inputs = &args.inputs;
    let mut read = vec![
        (Some(inputs.model.as_path()), "--model"),
        (args.rules.as_deref(), "--rules"),
        (Some(inputs.data.as_path()), "--data"),
        (args.adjustments.as_deref(), "--adjustments"),
    ];
    read.extend(super::each_file(&inputs.events, "--events"));
    guard_folder(&args.out, "--out", &read)?;
    let artifact = ModelArtifact::load(&args.inputs.model)?;
    let audited_rules = match &args.rules {
        Some(path) => Some((RuleSet::load(path)?, path.clone())),
        None => None,
    };
    require_files(&read[2..])?;
    let settings = EvaluateSettings {
        model_path: args.inputs.model.clone(),
        data: args.inputs.data.clone(),
        events: args.inputs.events.clone(),
        audited_rules,
        as_of: args.inputs.as_of.as_ref().map(|a| a.seconds),
        out: args.out.clone(),
        capacity: args.capacity,
        period: args.period,
        segment_capacity: args.segment_capacity.clone(),
        periods: args.periods,
        compare_column: args.compare_column.clone(),
        adjustments: args.adjustments.clone(),
    };
    let report = evaluate(&artifact, &settings, &Steps::new(false))?;
    print_summary(&report, args);
    let snapshot = artifact.schema.snapshot_column.as_deref();
    if let Some(line) = super::default_cutoff_line(inputs.as_of.is_some(), &artifact.config.data, snapshot) {
        println!("{line}");
    }
    Ok(report)
}

fn print_summary(report: &Report, args: &EvaluateArgs) {
    let score_metrics = report.headline.iter().find(|h| h.kind == ScoreKind::Score);
    println!(
        "evaluated {} leads ({} conversions, base rate {}): ROC AUC {}, calibration error {}",
        thousands(report.data.leads),
        thousands(report.data.conversions),
        document::pct(report.data.base_rate),
        score_metrics
            .and_then(|m| m.roc_auc)
            .map_or("–".into(), |a| format!("{a:.4}")),
        score_metrics.and_then(|m| m.ece).map_or("–".into(), document::pct),
    );
    if let Some(audit) = &report.rule_audit {
        let flagged: Vec<&str> = audit
            .rules
            .iter()
            .filter(|r| r.flagged())
            .map(|r| r.name.as_str())
            .collect();
        if !flagged.is_empty() {
            println!("rules the data disagrees with: {}", flagged.join(", "));
        }
    }
    for row in report.segments.iter().flat_map(|s| &s.rows) {
        let flagged: Vec<&str> = (row.rule_audit.iter().flat_map(|a| &a.rules))
            .filter(|r| r.flagged())
            .map(|r| r.name.as_str())
            .collect();
        if !flagged.is_empty() {
            println!(
                "rules the data disagrees with in segment {}: {}",
                row.segment,
                flagged.join(", ")
            );
        }
    }
    for row in report.segments.iter().flat_map(|s| &s.rows) {
        if let Some(psi) = row.score_psi.filter(|&p| p >= crate::drift::WATCH) {
            println!(
                "drift: segment {}'s score PSI {psi:.3} against its training leads ({})",
                row.segment,
                crate::report::drift_level(psi)
            );
        }
    }
    for row in report.segments.iter().flat_map(|s| &s.rows) {
        if let Some(c) = &row.capacity {
            let period = &report.capacity.period;
            let fits = match (c.fitting_threshold, &c.at_fitting) {
                (Some(t), Some(at)) => format!(
                    "MQL at ≥ {t} fits ({:.1} a {period}, {} of its conversions)",
                    at.leads_per_period,
                    document::pct(at.recall)
                ),
                _ => "even a score of 100 sends more".into(),
            };
            println!(
                "segment {}: {:.0} leads a {period} → {fits}; now ≥ {:.0} sends {:.1} a {period}",
                row.segment, c.capacity, c.mql_threshold, c.mqls_per_period
            );
        }
    }
    if report.data.rejected > 0 {
        eprintln!(
            "warning: {} leads could not be scored and were written to {} with the reason",
            thousands(report.data.rejected),
            args.out.join("rejects.csv").display()
        );
    }
    println!("report: {}", args.out.join("report.html").display());
}
