//! Recalibration: the blend with the rules and the calibration refitted on recent labelled
//! leads (or with new rules), the model's coefficients kept — what a team does when there are
//! too many or too few MQLs.

use std::path::Path;

use super::fit::blend_and_calibrate;
use crate::artifact::ModelArtifact;
use crate::blend::{final_log_odds, Blend};
use crate::calibration::{Calibration, Method};
use crate::error::{Error, Location, Result};
use crate::metrics::Summary;
use crate::model::split::stratified_holdout;
use crate::rules::RuleSet;
use crate::scoring::Batch;

/// Leads a segment needs here for a blend and calibration of its own.
const OWN_CALIBRATION_LEADS: usize = 1_000;
/// Leads of either outcome among them.
const OWN_CALIBRATION_OUTCOMES: usize = 50;

/// Share of the labelled leads held out to show calibration before and after.
const CHECK_FRACTION: f64 = 0.3;

/// A recalibrated model, and how calibration changed on leads held out of the check fit.
pub struct Recalibrated {
    /// The model with the new blend and calibration, fitted on every lead.
    pub artifact: ModelArtifact,
    /// The old model on the check leads.
    pub before: Summary,
    /// The blend and calibration fitted on the other leads, on the check leads.
    pub after: Summary,
    /// Leads held out to check.
    pub check_leads: usize,
}

/// Refits `artifact`'s blend (with `rules`, when given) and calibration on the labelled leads of
/// `batch`, read from `data`: fitted on 70 %, shown on the other 30 % before and after, then
/// fitted on all of them.
pub fn recalibrate(
    artifact: &ModelArtifact,
    batch: &Batch,
    rules: Option<&RuleSet>,
    data: &Path,
) -> Result<Recalibrated> {
    let table = &batch.table;
    if let Some(bad) = table.bad_cells.first() {
        return Err(Error::rejected(
            Location::file(data).column(&bad.column).row(bad.row + 1),
            format!("{} ({} unreadable cells in all)", bad.problem, table.bad_cells.len()),
            "recalibration needs every lead readable: fix or remove these rows",
        ));
    }
    let outcome_all = table.outcome.clone().unwrap_or_default();
    let outcome: Vec<bool> = batch.rows.iter().map(|&r| outcome_all[r]).collect();
    let points: Vec<f64> = match &batch.points {
        Some(points) => batch.rows.iter().map(|&r| points.total[r]).collect(),
        None => Vec::new(),
    };
    let conversions = outcome.iter().filter(|&&y| y).count();
    if conversions == 0 || conversions == outcome.len() {
        return Err(Error::rejected(
            Location::file(data).column(&artifact.schema.target_column),
            "every lead has the same outcome",
            "recalibration needs both converted and non-converted leads",
        ));
    }
    let method = match artifact.config.blend.calibration {
        Method::None => Method::Platt,
        method => method,
    };
    let model_z = &batch.model_z;
    let pick = |positions: &[usize], values: &[f64]| -> Vec<f64> {
        if values.is_empty() {
            Vec::new()
        } else {
            positions.iter().map(|&k| values[k]).collect()
        }
    };
    let fit = |positions: &[usize]| -> Result<(Option<Blend>, Calibration)> {
        let y: Vec<bool> = positions.iter().map(|&k| outcome[k]).collect();
        let z = pick(positions, model_z);
        let rule_weight = artifact.config.blend.rule_weight;
        blend_and_calibrate(rules, method, rule_weight, &z, &pick(positions, &points), &y)
    };
    let probabilities = |blend: &Option<Blend>, calibration: &Calibration, positions: &[usize]| -> Vec<f64> {
        let z = pick(positions, model_z);
        final_log_odds(blend.as_ref(), &z, |i| points.get(positions[i]).copied())
            .into_iter()
            .map(|z| calibration.apply(z))
            .collect()
    };
    // The model as it scores: each lead by its segment's blend and calibration, when it has its own.
    let as_it_scores = |positions: &[usize]| -> Vec<f64> {
        (positions.iter())
            .map(|&k| {
                let code = batch.segments.get(k).copied().unwrap_or(crate::features::encoded::NONE);
                let point = points.get(k).copied().unwrap_or(0.0);
                let z = artifact
                    .blend_of(code)
                    .map_or(model_z[k], |b| b.apply(model_z[k], point));
                artifact.calibration_of(code).apply(z)
            })
            .collect()
    };

    let all: Vec<usize> = (0..batch.rows.len()).collect();
    let split = stratified_holdout(&all, &outcome, CHECK_FRACTION, artifact.config.model.seed);
    let (check_blend, check_calibration) = fit(&split.train)?;
    let check_outcome: Vec<bool> = split.validation.iter().map(|&k| outcome[k]).collect();
    let before = Summary::of(&check_outcome, &as_it_scores(&split.validation));
    let after = Summary::of(
        &check_outcome,
        &probabilities(&check_blend, &check_calibration, &split.validation),
    );

    let (blend, calibration) = fit(&all)?;
    let mut recalibrated = artifact.clone();
    recalibrated.blend = blend;
    // Segments with leads enough here get their own blend and calibration again; the others
    // the new shared ones.
    recalibrated.segment_calibrations = (0..artifact.segment_calibrations.len() as u32)
        .map(|s| {
            let members: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&k| batch.segments.get(k) == Some(&s))
                .collect();
            let converted = members.iter().filter(|&&k| outcome[k]).count();
            if members.len() < OWN_CALIBRATION_LEADS
                || converted.min(members.len() - converted) < OWN_CALIBRATION_OUTCOMES
            {
                return Ok(None);
            }
            let (blend, calibration) = fit(&members)?;
            Ok(Some(crate::scorer::SegmentCalibration {
                blend,
                calibration,
                leads: members.len(),
            }))
        })
        .collect::<Result<_>>()?;
    let final_z = recalibrated.final_log_odds(model_z, &batch.segments, |k| points.get(k).copied());
    let codes = &batch.segments;
    let calibrated = |k: usize, z: f64| recalibrated.calibration_of(codes[k]).apply(z);
    recalibrated.scorer = if recalibrated.segment_calibrations.iter().any(Option::is_some) {
        artifact.scorer.recalibrated_by(calibration, &final_z, &calibrated)
    } else {
        artifact.scorer.recalibrated(calibration, &final_z)
    };
    Ok(Recalibrated {
        artifact: recalibrated,
        before,
        after,
        check_leads: check_outcome.len(),
    })
}
