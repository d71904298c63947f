//! Recalibration: the blend with the rules and the calibration refitted on recent labelled
//! leads (or with new rules), the model's coefficients kept — what a team does when there are
//! too many or too few MQLs.

use std::path::Path;

use super::fit::blend_and_calibrate;
use crate::artifact::ModelArtifact;
use crate::blend::Blend;
use crate::calibration::{Calibration, Method};
use crate::error::{Error, Location, Result};
use crate::metrics::Summary;
use crate::model::split::stratified_holdout;
use crate::rules::RuleSet;
use crate::scorer::SegmentCalibration;
use crate::scoring::Batch;

/// Leads a segment needs here for a blend and calibration of its own.
pub const OWN_CALIBRATION_LEADS: usize = 1_000;
/// Leads of either outcome among them.
pub const OWN_CALIBRATION_OUTCOMES: usize = 50;

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
    /// With segments: each segment's leads, and its check.
    pub by_segment: Vec<SegmentCheck>,
}

/// A segment's recalibration.
pub struct SegmentCheck {
    /// The value of the segments column.
    pub value: String,
    /// Its labelled leads.
    pub leads: usize,
    /// Whether it got a blend and calibration of its own (else the new shared ones).
    pub own: bool,
    /// Its leads held out to check.
    pub checked: usize,
    /// The model before and after on them, when they hold both outcomes.
    pub before_after: Option<(Summary, Summary)>,
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
    let segments = artifact.segments.as_ref().map_or(0, |s| s.segments.len());
    let members = |positions: &[usize], s: usize| -> Vec<usize> {
        (positions.iter().copied())
            .filter(|&k| batch.segments.get(k) == Some(&(s as u32)))
            .collect()
    };
    // The shared blend and calibration, and each segment's own where it has leads enough here.
    let fit_all = |positions: &[usize]| -> Result<Fitted> {
        let (blend, calibration) = fit(positions)?;
        let own = (0..segments)
            .map(|s| {
                let members = members(positions, s);
                if !enough(&members, &outcome) {
                    return Ok(None);
                }
                let (blend, calibration) = fit(&members)?;
                Ok(Some(SegmentCalibration {
                    blend,
                    calibration,
                    leads: members.len(),
                }))
            })
            .collect::<Result<_>>()?;
        Ok(Fitted {
            blend,
            calibration,
            own,
        })
    };
    // Each lead's probability as `fitted` scores it: by its segment's blend and calibration,
    // when it has its own.
    let probabilities = |fitted: &Fitted, positions: &[usize]| -> Vec<f64> {
        (positions.iter())
            .map(|&k| {
                let code = batch.segments.get(k).copied().unwrap_or(crate::features::encoded::NONE);
                let (blend, calibration) = fitted.of(code);
                let z = blend.map_or(model_z[k], |b| {
                    b.apply(model_z[k], points.get(k).copied().unwrap_or(0.0))
                });
                calibration.apply(z)
            })
            .collect()
    };

    let all: Vec<usize> = (0..batch.rows.len()).collect();
    let split = stratified_holdout(&all, &outcome, CHECK_FRACTION, artifact.config.model.seed);
    let old = Fitted {
        blend: artifact.blend.clone(),
        calibration: artifact.scorer.calibration.clone(),
        own: artifact.segment_calibrations.clone(),
    };
    let check = fit_all(&split.train)?;
    let summary = |fitted: &Fitted, positions: &[usize]| {
        let outcome: Vec<bool> = positions.iter().map(|&k| outcome[k]).collect();
        Summary::of(&outcome, &probabilities(fitted, positions))
    };
    let before = summary(&old, &split.validation);
    let after = summary(&check, &split.validation);

    let fitted = fit_all(&all)?;
    let by_segment = (artifact.segments.iter().flat_map(|s| s.segments.iter()).enumerate())
        .map(|(s, segment)| {
            let checked = members(&split.validation, s);
            let shown = (checked.iter().any(|&k| outcome[k]) && checked.iter().any(|&k| !outcome[k]))
                .then(|| (summary(&old, &checked), summary(&check, &checked)));
            SegmentCheck {
                value: segment.value.clone(),
                leads: members(&all, s).len(),
                own: fitted.own[s].is_some(),
                checked: checked.len(),
                before_after: shown,
            }
        })
        .collect();
    // Each segment's drift reference, from these leads' new probabilities (as the shared one).
    let references = (artifact.segments.as_ref())
        .map(|segmentation| segmentation.score_references(&batch.segments, &probabilities(&fitted, &all)));
    let mut recalibrated = artifact.clone();
    recalibrated.blend = fitted.blend;
    recalibrated.segment_calibrations = fitted.own;
    if let (Some(segmentation), Some(references)) = (recalibrated.segments.as_mut(), references) {
        segmentation.score_reference = references;
    }
    let calibration = fitted.calibration;
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
        check_leads: split.validation.len(),
        by_segment,
    })
}

/// A blend and calibration for every lead: the shared ones, and each segment's own.
struct Fitted {
    blend: Option<Blend>,
    calibration: Calibration,
    /// Each segment's own, where it had leads enough.
    own: Vec<Option<SegmentCalibration>>,
}

impl Fitted {
    /// The blend and calibration of a lead of segment `code`.
    fn of(&self, code: u32) -> (Option<&Blend>, &Calibration) {
        match self.own.get(code as usize) {
            Some(Some(own)) => (own.blend.as_ref(), &own.calibration),
            _ => (self.blend.as_ref(), &self.calibration),
        }
    }
}

/// Whether `leads` are enough for a segment's own blend and calibration.
fn enough(leads: &[usize], outcome: &[bool]) -> bool {
    let converted = leads.iter().filter(|&&k| outcome[k]).count();
    leads.len() >= OWN_CALIBRATION_LEADS && converted.min(leads.len() - converted) >= OWN_CALIBRATION_OUTCOMES
}
