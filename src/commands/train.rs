//! `leadscore train`: from a lead export to one self-contained model file. The flags and the
//! config file are resolved into checked settings first, then [`crate::training::train`] does
//! the work and this prints what it did.

use std::path::Path;

use super::Steps;
use crate::artifact::{ModelArtifact, ValidationSplit};
use crate::calibration::Calibration;
use crate::cli::TrainArgs;
use crate::config::{Config, SplitKind};
use crate::data::require_files;
use crate::error::{Error, Location, Result};
use crate::output::{guard_outputs, thousands};
use crate::rules::RuleSet;
use crate::training::{train, TrainSettings};

/// Runs `train` and returns the saved model.
pub fn run(args: &TrainArgs) -> Result<ModelArtifact> {
    let mut read = vec![
        (args.config.as_deref(), "--config"),
        (args.rules.as_deref(), "--rules"),
        (Some(args.data.as_path()), "--data"),
        (args.validation_data.as_deref(), "--validation-data"),
    ];
    read.extend(super::each_file(&args.events, "--events"));
    guard_outputs(&read, &[(Some(&args.out), "--out")])?;
    // Config and rules validate before any lead is read.
    let (config, rules) = resolve_config(args)?;
    require_files(&read[2..])?;
    let settings = TrainSettings {
        data: args.data.clone(),
        events: args.events.clone(),
        validation_data: args.validation_data.clone(),
        config,
        rules,
    };
    if settings.config.model.split == SplitKind::Time
        && settings.config.data.time.is_none()
        && args.validation_data.is_none()
    {
        let needs = "needs the leads' creation time: set [data] time = \"COLUMN\" in the config";
        return Err(match (args.split, &args.config) {
            (None, Some(path)) => Error::rejected(
                Location::file(path).column("model.split"),
                format!("split = \"time\" {needs}"),
                "name the creation time column in [data] time, or use split = \"random\"",
            ),
            _ => Error::Usage(format!("--split time {needs}")),
        });
    }
    settings.check()?;
    eprintln!("training on {}", args.data.display());
    let steps = Steps::new(false);
    let artifact = train(&settings, &steps)?;
    steps.step("writing the model file", || artifact.save(&args.out))?;
    print_summary(&artifact, &args.out);
    Ok(artifact)
}

/// The config file (or defaults) with the command-line flags applied, and the rules to blend:
/// `--rules`, or the config's own `[[rules]]`.
fn resolve_config(args: &TrainArgs) -> Result<(Config, Option<RuleSet>)> {
    let (mut config, config_rules) = super::read_config(args.config.as_deref(), args.source)?;
    let rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => config_rules,
    };
    if args.target.is_some() {
        config.data.target = args.target.clone();
    }
    if args.id.is_some() {
        config.data.id = args.id.clone();
    }
    if let Some(as_of) = &args.as_of {
        config.data.as_of = Some(as_of.text.clone());
    }
    if let Some(split) = args.split {
        config.model.split = split;
    }
    if let Some(seed) = args.seed {
        config.model.seed = seed;
    }
    for column in &args.exclude {
        if !config.features.exclude.contains(column) {
            config.features.exclude.push(column.clone());
        }
    }
    Ok((config, rules))
}

fn print_summary(artifact: &ModelArtifact, out: &Path) {
    let t = &artifact.training;
    println!();
    println!("model saved to {}", out.display());
    println!(
        "  leads         {}, conversion rate {:.1} %; the final model is fitted on all of them",
        thousands(t.train.leads),
        100.0 * t.train.conversions as f64 / t.train.leads.max(1) as f64
    );
    let measured_on = match &t.split {
        ValidationSplit::OutOfFold(_) => format!(
            "{} leads, each predicted by a model that did not see it",
            thousands(t.validation.leads)
        ),
        ValidationSplit::Time => format!(
            "the newest {} leads, by a model of the older ones",
            thousands(t.validation.leads)
        ),
        _ => format!("{} leads", thousands(t.validation.leads)),
    };
    println!("  figures       {}: {measured_on}", t.split);
    println!(
        "  features      {} columns → {} model inputs ({} left out, {} dropped)",
        artifact.pipeline.steps.len(),
        artifact.input_names.len(),
        t.left_out.len(),
        t.dropped.len()
    );
    for dropped in &t.dropped {
        println!("                dropped \"{}\": {}", dropped.feature, dropped.reason);
    }
    if let Some(source) = artifact.config.data.source {
        println!("  source        the {source} preset, under the config file and flags");
    }
    if let Some(cutoff) = crate::describe::cutoff_line(artifact) {
        println!("  cutoff        {cutoff}");
    }
    if let Some(multi) = crate::describe::multi_valued_line(artifact) {
        println!("  multi-valued  {multi}");
    }
    for (i, line) in crate::describe::segments_table(artifact).iter().enumerate() {
        println!("  {:<13} {line}", if i == 0 { "segments" } else { "" });
    }
    if let Some(formats) = crate::describe::formats_line(artifact) {
        println!("  formats       {formats}");
    }
    println!(
        "  C             {} (by {}-fold cross-validation on {} leads; held-out log loss {:.4})",
        t.grid.best_c,
        t.grid.folds,
        thousands(t.grid.leads_searched),
        t.grid
            .points
            .iter()
            .find(|p| p.c == t.grid.best_c)
            .map_or(f64::NAN, |p| p.log_loss)
    );
    let v = &t.validation;
    println!(
        "  validation    ROC AUC {:.4} · PR AUC {:.4} · log loss {:.4} · Brier {:.4} · ECE {:.4}",
        v.roc_auc, v.pr_auc, v.log_loss, v.brier, v.ece
    );
    if let (Some(rules_auc), Some(blend)) = (t.validation_rules_roc_auc, &artifact.blend) {
        println!(
            "  blend         ROC AUC model {:.4} · rules {:.4} · blend {:.4}; {:+.4} log-odds per rule point{}",
            t.validation_model.roc_auc,
            rules_auc,
            v.roc_auc,
            blend.points_weight,
            if blend.fixed { " (fixed in the config)" } else { "" }
        );
    }
    println!(
        "  calibration   {} on {} out-of-fold predictions (ECE before: {:.4})",
        match &artifact.scorer.calibration {
            Calibration::Platt { .. } => "Platt",
            Calibration::Isotonic { .. } => "isotonic",
            Calibration::Identity => "none",
        },
        thousands(t.calibration_leads),
        t.validation_model.ece
    );
    if let Some(events) = &t.events {
        println!(
            "  events        {} read, {} used, {} after their lead's cutoff (ignored), {} for unknown leads",
            thousands(events.read),
            thousands(events.used),
            thousands(events.after_cutoff),
            thousands(events.unmatched)
        );
    }
    println!("  time          {:.1} s", t.seconds);
    for warning in &t.warnings {
        println!("warning: {warning}");
    }
    println!("next: leadscore inspect {}", out.display());
}
