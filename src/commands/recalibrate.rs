//! `leadscore recalibrate`: refit the blend with the rules and the calibration on recent
//! labelled leads (or with new rules) without refitting the model (see
//! [`crate::training::recalibrate`]).

use super::Steps;
use crate::artifact::ModelArtifact;
use crate::cli::RecalibrateArgs;
use crate::data::require_files;
use crate::error::Result;
use crate::output::{guard_outputs, thousands};
use crate::rules::RuleSet;
use crate::scoring::{read_batch, BatchInputs};
use crate::training::{recalibrate, OWN_CALIBRATION_LEADS, OWN_CALIBRATION_OUTCOMES};

/// Runs `recalibrate` and returns the new model.
pub fn run(args: &RecalibrateArgs) -> Result<ModelArtifact> {
    let steps = Steps::new(false);
    let inputs = &args.inputs;
    let mut read = vec![
        (Some(inputs.model.as_path()), "--model"),
        (args.rules.as_deref(), "--rules"),
        (Some(inputs.data.as_path()), "--data"),
    ];
    read.extend(super::each_file(&inputs.events, "--events"));
    guard_outputs(&read, &[(Some(&args.out), "--out")])?;
    let artifact = ModelArtifact::load(&args.inputs.model)?;
    let rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => artifact.blended_rules(&args.inputs.model)?,
    };
    require_files(&read[2..])?;
    let events = crate::scoring::shaped_events(&artifact, &args.inputs.events, &steps)?;
    let inputs = BatchInputs {
        model_path: &args.inputs.model,
        data: &args.inputs.data,
        events: events.as_ref().map(crate::data::events::ShapedEvents::path),
        as_of: args.inputs.as_of.as_ref().map(|a| a.seconds),
        rules: rules.as_ref(),
        with_outcome: true,
        keep: &[],
    };
    let batch = read_batch(&artifact, &inputs, &steps)?;
    let recalibrated = recalibrate(&artifact, &batch, rules.as_ref(), &args.inputs.data)?;
    let mut model = recalibrated.artifact;
    model.training.warnings.push(format!(
        "recalibrated on {} ({} leads) at {}{}",
        args.inputs.data.display(),
        thousands(batch.rows.len()),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        args.rules
            .as_ref()
            .map(|r| format!(" with the rules of {}", r.display()))
            .unwrap_or_default()
    ));
    steps.step("writing the model file", || model.save(&args.out))?;
    let (before, after) = (&recalibrated.before, &recalibrated.after);
    println!("recalibrated model saved to {}", args.out.display());
    println!(
        "  on {} held-out leads of {}: ECE {:.4} → {:.4}, Brier {:.4} → {:.4}, ROC AUC {:.4} → {:.4}",
        thousands(recalibrated.check_leads),
        args.inputs.data.display(),
        before.ece,
        after.ece,
        before.brier,
        after.brier,
        before.roc_auc,
        after.roc_auc
    );
    if !recalibrated.by_segment.is_empty() {
        println!(
            "  per segment (a blend and calibration of its own from {} leads with {} of each outcome):",
            thousands(OWN_CALIBRATION_LEADS),
            OWN_CALIBRATION_OUTCOMES
        );
        let width = (recalibrated.by_segment.iter().map(|s| s.value.chars().count()))
            .max()
            .unwrap_or(0)
            .max(7);
        for segment in &recalibrated.by_segment {
            let whose = if segment.own { "its own" } else { "the shared" };
            let check = match &segment.before_after {
                Some((before, after)) => format!(
                    "; on its {} held-out leads ECE {:.4} → {:.4}",
                    thousands(segment.checked),
                    before.ece,
                    after.ece
                ),
                None => String::new(),
            };
            println!(
                "    {:<width$}  {:>9} leads, {whose} blend and calibration{check}",
                segment.value,
                thousands(segment.leads)
            );
        }
    }
    if let Some(blend) = &model.blend {
        println!(
            "  blend: {:+.4} log-odds per rule point, model weight {:.3}",
            blend.points_weight, blend.model_weight
        );
    }
    Ok(model)
}
