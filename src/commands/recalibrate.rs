//! `leadscore recalibrate`: refit the blend with the rules and the calibration on recent
//! labelled leads (or with new rules) without refitting the model — what a team does when there
//! are too many or too few MQLs.

use super::score::{read_batch, Batch, BatchInputs};
use super::Steps;
use crate::artifact::ModelArtifact;
use crate::blend::{final_log_odds, Blend};
use crate::calibration::{Calibration, Method};
use crate::cli::RecalibrateArgs;
use crate::error::{Error, Location, Result};
use crate::metrics::Summary;
use crate::model::split::stratified_holdout;
use crate::output::thousands;
use crate::rules::RuleSet;

/// Share of the labelled leads held out to show calibration before and after.
const CHECK_FRACTION: f64 = 0.3;

/// Runs `recalibrate` and returns the new model.
pub fn run(args: &RecalibrateArgs) -> Result<ModelArtifact> {
    let steps = Steps::new(false);
    let artifact = ModelArtifact::load(&args.model)?;
    let rules = match &args.rules {
        Some(path) => Some(RuleSet::load(path)?),
        None => artifact.blended_rules(&args.model)?,
    };
    let inputs = BatchInputs {
        model_path: &args.model,
        data: &args.data,
        events: args.events.as_deref(),
        as_of: args.as_of.as_deref(),
        rules: rules.as_ref(),
        with_outcome: true,
        keep: &[],
    };
    let Batch {
        table,
        rows,
        points,
        model_z,
        ..
    } = read_batch(&artifact, &inputs, &steps)?;
    if !table.bad_cells.is_empty() {
        let bad = &table.bad_cells[0];
        return Err(Error::rejected(
            artifact_location(&args.data, &bad.column, bad.row),
            format!("{} ({} unreadable cells in all)", bad.problem, table.bad_cells.len()),
            "recalibration needs every lead readable: fix or remove these rows",
        ));
    }
    let outcome_all = table.outcome.clone().unwrap_or_default();
    let outcome: Vec<bool> = rows.iter().map(|&r| outcome_all[r]).collect();
    let lead_points: Vec<f64> = match &points {
        Some(points) => rows.iter().map(|&r| points.total[r]).collect(),
        None => Vec::new(),
    };
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(&args.data).column(&artifact.schema.target_column),
            "every lead has the same outcome",
            "recalibration needs both converted and non-converted leads",
        ));
    }
    let method = match artifact.config.blend.calibration {
        Method::None => Method::Platt,
        method => method,
    };
    let fixed_weight = artifact.config.blend.rule_weight;
    let fit = |positions: &[usize]| -> Result<(Option<Blend>, Calibration)> {
        let y: Vec<bool> = positions.iter().map(|&k| outcome[k]).collect();
        let z: Vec<f64> = positions.iter().map(|&k| model_z[k]).collect();
        let blend = match &rules {
            Some(rules) => {
                let p: Vec<f64> = positions.iter().map(|&k| lead_points[k]).collect();
                Some(
                    Blend::fit(rules.file.clone(), &z, &p, &y, fixed_weight)
                        .map_err(|e| Error::Runtime(e.to_string()))?,
                )
            }
            None => None,
        };
        let final_z = final_log_odds(blend.as_ref(), &z, |i| lead_points.get(positions[i]).copied());
        let calibration = Calibration::fit(method, &final_z, &y).map_err(|e| Error::Runtime(e.to_string()))?;
        Ok((blend, calibration))
    };
    let probabilities = |blend: &Option<Blend>, calibration: &Calibration, positions: &[usize]| -> Vec<f64> {
        let z: Vec<f64> = positions.iter().map(|&k| model_z[k]).collect();
        final_log_odds(blend.as_ref(), &z, |i| lead_points.get(positions[i]).copied())
            .into_iter()
            .map(|z| calibration.apply(z))
            .collect()
    };

    // Fit on 70 %, show the other 30 % before and after; then fit on everything.
    let all: Vec<usize> = (0..rows.len()).collect();
    let split = stratified_holdout(&all, &outcome, CHECK_FRACTION, artifact.config.model.seed);
    let (check_blend, check_calibration) = fit(&split.train)?;
    let check_outcome: Vec<bool> = split.validation.iter().map(|&k| outcome[k]).collect();
    let before = Summary::of(
        &check_outcome,
        &probabilities(&artifact.blend, &artifact.scorer.calibration, &split.validation),
    );
    let after = Summary::of(
        &check_outcome,
        &probabilities(&check_blend, &check_calibration, &split.validation),
    );

    let (blend, calibration) = fit(&all)?;
    let final_z = final_log_odds(blend.as_ref(), &model_z, |k| lead_points.get(k).copied());
    let mut recalibrated = artifact.clone();
    recalibrated.scorer = artifact.scorer.recalibrated(calibration, &final_z);
    recalibrated.blend = blend;
    recalibrated.training.warnings.push(format!(
        "recalibrated on {} ({} leads) at {}{}",
        args.data.display(),
        thousands(rows.len()),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        args.rules
            .as_ref()
            .map(|r| format!(" with the rules of {}", r.display()))
            .unwrap_or_default()
    ));
    steps.step("writing the model file", || recalibrated.save(&args.out))?;
    println!("recalibrated model saved to {}", args.out.display());
    println!(
        "  on {} held-out leads of {}: ECE {:.4} → {:.4}, Brier {:.4} → {:.4}, ROC AUC {:.4} → {:.4}",
        thousands(check_outcome.len()),
        args.data.display(),
        before.ece,
        after.ece,
        before.brier,
        after.brier,
        before.roc_auc,
        after.roc_auc
    );
    if let Some(blend) = &recalibrated.blend {
        println!(
            "  blend: {:+.4} log-odds per rule point, model weight {:.3}",
            blend.points_weight, blend.model_weight
        );
    }
    Ok(recalibrated)
}

fn artifact_location(data: &std::path::Path, column: &str, row: usize) -> Location {
    Location::file(data).column(column).row(row + 1)
}
