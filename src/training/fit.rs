//! The fits of training: the feature pipeline, the L2 strength by cross-validation, the blend
//! with the rules and the calibration on out-of-fold predictions, the final model on every
//! labelled lead, the scoring stage's reference distributions, and the figures.

use linfa::traits::Fit;

use super::holdout::HeldOut;
use super::monotone;
use super::read::TrainingLeads;
use super::TrainSettings;
use crate::blend::{final_log_odds, Blend};
use crate::calibration::{Calibration, Method};
use crate::config::{FeatureConfig, Shape};
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::features::{Dropped, FeaturePipeline};
use crate::metrics::{self, Summary};
use crate::model::cv::{search, GridSearch, OutOfFold, SearchSettings, Searched};
use crate::model::logistic::{labelled, LogisticModel};
use crate::model::params::LogisticParams;
use crate::model::sigmoid;
use crate::progress::{step, Progress};
use crate::rules::RuleSet;
use crate::scorer::{Scorer, SegmentCalibration};

/// Everything training fits.
pub(super) struct Fitted {
    pub pipeline: FeaturePipeline,
    pub dropped: Vec<Dropped>,
    pub model: LogisticModel,
    pub grid: GridSearch,
    pub segmentation: Option<crate::model::segments::Segmentation>,
    pub segment_calibrations: Vec<Option<SegmentCalibration>>,
    pub blend: Option<Blend>,
    pub scorer: Scorer,
    pub train_summary: Summary,
    pub validation_summary: Summary,
    pub validation_model: Summary,
    pub calibration_leads: usize,
    pub validation_rules_roc_auc: Option<f64>,
    pub warnings: Vec<String>,
}

/// A feature pipeline tried, its leads' inputs and its cross-validation.
struct Shaped {
    pipeline: FeaturePipeline,
    dropped: Vec<Dropped>,
    x_all: EncodedLeads,
    /// The training rows' inputs, when not all the leads'.
    x_train: Option<EncodedLeads>,
    searched: Searched,
    /// Each input's penalty multiple (`None`: no steps).
    penalty: Option<Vec<f64>>,
}

/// How much harder than the other inputs the steps of a shaped number are pulled toward none
/// (measured on X Education and bank marketing at 1,000–5,000 leads: `bench/small_data.py`).
const STEP_PULL: f64 = 4.0;

/// Out-of-fold leads a segment needs for a blend and calibration of its own.
const OWN_CALIBRATION_LEADS: usize = 1_000;
/// Leads of either outcome among them.
const OWN_CALIBRATION_OUTCOMES: usize = 50;

/// Out-of-fold predictions below which isotonic calibration overfits (Platt is used instead).
const ISOTONIC_MIN_LEADS: usize = 1_000;

/// Fits the pipeline, the model, the blend and the calibration, and measures them.
///
/// Cross-fitting: the strength `C` is chosen by k-fold cross-validation on the training rows
/// (on a stratified sample of them when there are many), and each lead of those folds is
/// predicted by the fold model that did not see it. The blend and the calibration are fitted
/// on these out-of-fold predictions, and the model that is saved is refitted on every labelled
/// lead. The figures are out-of-fold too (each fold calibrated by a calibration fitted on the
/// other folds), unless validation leads were held out: the newest (`--split time`), measured
/// with a model fitted on the older ones, or a separate file.
pub(super) fn fit_model(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    held_out: &HeldOut,
    progress: &dyn Progress,
) -> Result<Fitted> {
    let config = &settings.config;
    let all_rows: Vec<usize> = (0..leads.table.n_rows).collect();
    let train_rows = &held_out.train_rows;
    // The pipeline does not read the outcome: it is fitted on every lead that is learned from.
    let pipeline_rows = if held_out.validation.as_ref().is_some_and(|v| v.columns.is_empty()) {
        train_rows
    } else {
        &all_rows
    };
    // The training rows' inputs: all of them (no copy) unless leads were held out.
    let held_apart = train_rows.len() != all_rows.len() || train_rows.iter().enumerate().any(|(i, &r)| i != r);
    let y_train: Vec<bool> = train_rows.iter().map(|&r| leads.outcome[r]).collect();
    let points_of = |rows: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        if leads.points.is_empty() {
            Vec::new()
        } else {
            rows.map(|r| leads.points[r]).collect()
        }
    };
    let model_config = &config.model;
    let grid = model_config.c_grid_for(train_rows.len());
    let search_settings = SearchSettings {
        grid: &grid,
        folds: model_config.folds_for(train_rows.len()),
        seed: model_config.seed,
        max_iterations: model_config.max_iterations,
        sample_max: model_config.grid_sample,
        penalty_scale: None,
        start: None,
    };
    // Numbers with their shape or as straight lines: as set, or (on small data) whichever has
    // the lower held-out log loss; the steps of shapes are pulled toward none `STEP_PULL` times
    // as hard as the other inputs.
    let shapes = match config.features.shape {
        Shape::Auto if train_rows.len() <= crate::config::MANY_LEADS => vec![Shape::Bins, Shape::Linear],
        Shape::Auto => vec![Shape::Bins],
        shape => vec![shape],
    };
    let mut chosen: Option<Shaped> = None;
    for shape in shapes {
        let mut features = config.features.clone();
        features.shape = shape;
        let (pipeline, dropped) = fit_pipeline(settings, leads, &features, pipeline_rows, progress)?;
        let shaped = pipeline.penalty_scale(STEP_PULL);
        if shape == Shape::Linear && chosen.as_ref().is_some_and(|c| c.penalty.is_none()) {
            // No number had a shape to try: the straight lines were the model already.
            break;
        }
        let x_all = step(progress, "encoding training leads", || {
            encode(&pipeline, &leads.table.features, &all_rows)
        })?;
        let x_train = held_apart.then(|| x_all.select_rows(train_rows));
        let settings = SearchSettings {
            penalty_scale: shaped.as_deref(),
            ..search_settings.clone()
        };
        let searched = step(
            progress,
            &format!("choosing C by {}-fold cross-validation", settings.folds),
            || search(x_train.as_ref().unwrap_or(&x_all), &y_train, &settings).map_err(Error::from),
        )?;
        let better = chosen
            .as_ref()
            .is_none_or(|c| searched.grid.best_log_loss() < c.searched.grid.best_log_loss());
        if better {
            chosen = Some(Shaped {
                pipeline,
                dropped,
                x_all,
                x_train,
                searched,
                penalty: shaped,
            });
        }
    }
    let Some(Shaped {
        pipeline,
        dropped,
        x_all,
        x_train,
        searched,
        penalty: base_penalty,
    }) = chosen
    else {
        return Err(Error::Runtime("no feature pipeline was fitted".into()));
    };
    let search_settings = SearchSettings {
        penalty_scale: base_penalty.as_deref(),
        ..search_settings.clone()
    };
    let mut warnings = Vec::new();
    // With segments, the pooled model's inputs and cross-validation stand in for the shared ones.
    let pooled = match &config.segments.by {
        Some(column) => step(progress, "fitting the segments' models by cross-validation", || {
            super::segments::pool(
                settings,
                leads,
                column,
                &x_all,
                train_rows,
                &y_train,
                &searched,
                &search_settings,
                base_penalty.as_deref(),
                &mut warnings,
            )
        })?,
        None => None,
    };
    let shared_grid = searched.grid.clone();
    let (x_all, x_train, searched, penalty, segmentation, codes) = match pooled {
        Some(p) => {
            // Every lead's pooled inputs take the shared ones' place (and memory).
            drop(x_train);
            let x_all = p.segmentation.augmented(x_all, &p.codes);
            let x_train = held_apart.then(|| x_all.select_rows(train_rows));
            (
                x_all,
                x_train,
                p.searched,
                Some(p.penalty),
                Some(p.segmentation),
                p.codes,
            )
        }
        None => (x_all, x_train, searched, base_penalty.clone(), None, Vec::new()),
    };
    let mut searched = searched;
    // Leads' inputs and penalties under a pipeline (keeping numbers monotone changes it): with
    // segments, the pooled model's.
    let inputs_of = |p: &FeaturePipeline, rows: &[usize]| -> Result<EncodedLeads> {
        let x = encode(p, &leads.table.features, rows)?;
        Ok(match &segmentation {
            Some(s) => s
                .with_base_width(p.width())
                .augmented(x, &rows.iter().map(|&r| codes[r]).collect::<Vec<_>>()),
            None => x,
        })
    };
    let penalty_of = |p: &FeaturePipeline| -> Option<Vec<f64>> {
        let base = p.penalty_scale(STEP_PULL);
        match &segmentation {
            Some(s) => Some(s.with_base_width(p.width()).penalty_scale(s.pull, base.as_deref())),
            None => base,
        }
    };
    // Monotone numbers: the out-of-fold predictions (and so the figures, the blend and the
    // calibration) come from fold models kept monotone as the final one is.
    if !config.features.monotone.is_empty() {
        let z = step(progress, "cross-fitting the models kept monotone", || {
            let oof = &searched.out_of_fold;
            let mut z = vec![0.0; oof.rows.len()];
            let folds = oof.folds.iter().max().map_or(0, |f| f + 1);
            for fold in 0..folds {
                let (outside, inside): (Vec<usize>, Vec<usize>) =
                    (0..oof.rows.len()).partition(|&k| oof.folds[k] == fold);
                let leads_of = |ks: &[usize]| -> Vec<usize> { ks.iter().map(|&k| train_rows[oof.rows[k]]).collect() };
                let (rows_in, rows_out) = (leads_of(&inside), leads_of(&outside));
                let y_in: Vec<bool> = inside.iter().map(|&k| y_train[oof.rows[k]]).collect();
                let fit = |x: &EncodedLeads, penalty: Option<Vec<f64>>, held: Vec<usize>, start: &LogisticModel| {
                    LogisticParams::new()
                        .alpha(1.0 / searched.grid.best_c)
                        .max_iterations(model_config.max_iterations)
                        .penalty_scale(penalty)
                        .hold_own(held)
                        .warm_start(Some(start))
                        .fit(&labelled(x, &y_in))
                        .map_err(Error::from)
                };
                let x_in = inputs_of(&pipeline, &rows_in)?;
                let unconstrained = fit(&x_in, penalty.clone(), Vec::new(), &searched.start)?;
                let (fold_pipeline, _, model, _) = monotone::constrain(
                    pipeline.clone(),
                    unconstrained,
                    &config.features.monotone,
                    |p| inputs_of(p, &rows_in),
                    penalty_of,
                    fit,
                )?;
                let held = model.log_odds(&inputs_of(&fold_pipeline, &rows_out)?);
                for (&k, z_k) in outside.iter().zip(held) {
                    z[k] = z_k;
                }
            }
            Ok(z)
        })?;
        searched.out_of_fold.z = z;
    }
    let oof = &searched.out_of_fold;
    let y_oof: Vec<bool> = oof.rows.iter().map(|&k| y_train[k]).collect();
    let points_oof = points_of(&mut oof.rows.iter().map(|&k| train_rows[k]));
    let method = match config.blend.calibration {
        Method::Isotonic if oof.rows.len() < ISOTONIC_MIN_LEADS => {
            warnings.push(format!(
                "isotonic calibration needs {ISOTONIC_MIN_LEADS}+ leads to fit its steps, and there are {}: the model is calibrated with Platt scaling instead",
                oof.rows.len()
            ));
            Method::Platt
        }
        method => method,
    };
    let (blend, calibration) = step(progress, "blending and calibrating on out-of-fold predictions", || {
        blend_and_calibrate(
            settings.rules.as_ref(),
            method,
            config.blend.rule_weight,
            &oof.z,
            &points_oof,
            &y_oof,
        )
    })?;
    // Each segment with leads enough has its own blend and calibration, from its leads'
    // out-of-fold predictions.
    let segment_calibrations: Vec<Option<SegmentCalibration>> = match &segmentation {
        None => Vec::new(),
        Some(segmentation) => (0..segmentation.segments.len() as u32)
            .map(|s| {
                let members: Vec<usize> = (0..oof.rows.len())
                    .filter(|&i| codes[train_rows[oof.rows[i]]] == s)
                    .collect();
                let y: Vec<bool> = members.iter().map(|&i| y_oof[i]).collect();
                let converted = y.iter().filter(|&&c| c).count();
                if members.len() < OWN_CALIBRATION_LEADS
                    || converted.min(y.len() - converted) < OWN_CALIBRATION_OUTCOMES
                {
                    return Ok(None);
                }
                let pick = |values: &[f64]| -> Vec<f64> {
                    if values.is_empty() {
                        Vec::new()
                    } else {
                        members.iter().map(|&i| values[i]).collect()
                    }
                };
                let (blend, calibration) = blend_and_calibrate(
                    settings.rules.as_ref(),
                    method,
                    config.blend.rule_weight,
                    &pick(&oof.z),
                    &pick(&points_oof),
                    &y,
                )?;
                Ok(Some(SegmentCalibration {
                    blend,
                    calibration,
                    leads: members.len(),
                }))
            })
            .collect::<Result<_>>()?,
    };
    let fit_at_best = |x: &EncodedLeads, y: &[bool], start: &LogisticModel| {
        LogisticParams::new()
            .alpha(1.0 / searched.grid.best_c)
            .max_iterations(model_config.max_iterations)
            .penalty_scale(penalty.clone())
            .warm_start(Some(start))
            .fit(&labelled(x, y))
            .map_err(Error::from)
    };
    let (validation_model, validation_summary, validation_rules_roc_auc, start) = match &held_out.validation {
        None => {
            let (model, calibrated) = cross_fitted_figures(settings, method, oof, &y_oof, &points_oof)?;
            let rules_auc = blend.as_ref().and_then(|_| metrics::roc_auc(&y_oof, &points_oof));
            (model, calibrated, rules_auc, searched.start.clone())
        }
        Some(validation) => {
            // A model of the training rows, measured on the leads held out.
            let measured = step(progress, "fitting the model to measure", || {
                fit_at_best(x_train.as_ref().unwrap_or(&x_all), &y_train, &searched.start)
            })?;
            let columns = validation.columns(leads);
            let mut x_validation = encode(&pipeline, columns, &validation.rows)?;
            if let Some(segmentation) = &segmentation {
                let codes = segmentation.codes_of(columns, &validation.rows);
                x_validation = segmentation.augment(&x_validation, &codes);
            }
            let z = measured.log_odds(&x_validation);
            let model = Summary::of(&validation.outcome, &z.iter().map(|&z| sigmoid(z)).collect::<Vec<_>>());
            let blended = final_log_odds(blend.as_ref(), &z, |k| validation.points.get(k).copied());
            let probabilities: Vec<f64> = blended.iter().map(|&z| calibration.apply(z)).collect();
            let rules_auc = blend
                .as_ref()
                .and_then(|_| metrics::roc_auc(&validation.outcome, &validation.points));
            (
                model,
                Summary::of(&validation.outcome, &probabilities),
                rules_auc,
                measured,
            )
        }
    };
    let y_all: Vec<bool> = leads.outcome.clone();
    // Measured on a separate file, the model already learned from every lead.
    let learned_from_all = held_out.validation.is_some() && train_rows.len() == all_rows.len();
    let model = if learned_from_all {
        start
    } else {
        step(progress, "fitting the final model on every lead", || {
            fit_at_best(&x_all, &y_all, &start)
        })?
    };
    let (pipeline, x_all, model) = if config.features.monotone.is_empty() {
        (pipeline, x_all, model)
    } else {
        let (pipeline, x_all, model, done) = step(progress, "keeping the monotone numbers monotone", || {
            monotone::constrain(
                pipeline,
                model,
                &config.features.monotone,
                |p| inputs_of(p, &all_rows),
                penalty_of,
                |x, penalty, held, start| {
                    LogisticParams::new()
                        .alpha(1.0 / searched.grid.best_c)
                        .max_iterations(model_config.max_iterations)
                        .penalty_scale(penalty)
                        .hold_own(held)
                        .warm_start(Some(start))
                        .fit(&labelled(x, &y_all))
                        .map_err(Error::from)
                },
            )
        })?;
        for (feature, merged) in &done.merged {
            warnings.push(format!(
                "\"{feature}\" is kept monotone: {merged} of its steps went the other way and were merged with the range below"
            ));
        }
        for feature in &done.held {
            warnings.push(format!(
                "\"{feature}\" is kept monotone: its straight part went the other way and is held at 0"
            ));
        }
        for (feature, s) in &done.held_in {
            let segment = (segmentation.as_ref())
                .and_then(|seg| seg.segments.get(*s))
                .map_or("?", |seg| seg.value.as_str());
            warnings.push(format!(
                "\"{feature}\" is kept monotone in segment \"{segment}\": its straight part went the other way there and is held at 0 in that segment's model"
            ));
        }
        (pipeline, x_all, model)
    };
    // The pipeline kept monotone may have fewer inputs.
    let segmentation = segmentation.map(|s| s.with_base_width(pipeline.width()));
    let train_summary = Summary::of(&y_all, &model.predict(&x_all));
    // Each lead blended and calibrated as scoring will (by its segment's, when it has its own).
    let own = |code: u32| segment_calibrations.get(code as usize).and_then(Option::as_ref);
    let training_z: Vec<f64> = if segment_calibrations.iter().any(Option::is_some) {
        (model.log_odds(&x_all).into_iter().enumerate())
            .map(|(k, z)| {
                let blend = own(codes[k]).map_or(blend.as_ref(), |c| c.blend.as_ref());
                blend.map_or(z, |b| b.apply(z, leads.points.get(k).copied().unwrap_or(0.0)))
            })
            .collect()
    } else {
        final_log_odds(blend.as_ref(), &model.log_odds(&x_all), |k| {
            leads.points.get(k).copied()
        })
    };
    let calibrated = |k: usize, z: f64| own(codes[k]).map_or(&calibration, |c| &c.calibration).apply(z);
    let calibrated = segment_calibrations
        .iter()
        .any(Option::is_some)
        .then_some(&calibrated as &crate::scorer::Calibrate);
    let steps = match &segmentation {
        Some(segmentation) => segmentation.input_steps(&pipeline.input_steps()),
        None => pipeline.input_steps(),
    };
    let scorer = Scorer::fit(
        &pipeline,
        &steps,
        &model,
        calibration.clone(),
        config.score.0.clone(),
        &x_all,
        &training_z,
        calibrated,
    );
    // Each segment's probabilities, as its drift reference.
    let segmentation = segmentation.map(|mut segmentation| {
        let probabilities: Vec<f64> = (training_z.iter().enumerate())
            .map(|(k, &z)| calibrated.map_or_else(|| calibration.apply(z), |c| c(k, z)))
            .collect();
        segmentation.score_reference = segmentation.score_references(&codes, &probabilities);
        segmentation
    });
    for o in &config.segments.overrides {
        let seen = (segmentation.iter())
            .any(|seg| seg.segments.iter().any(|s| s.value == o.value) || seg.small.iter().any(|s| s.value == o.value));
        if !seen && segmentation.is_some() {
            warnings.push(format!(
                "[[segments.override]] \"{}\" is not a value the training leads have: no lead gets its bands until one does",
                o.value
            ));
        }
    }
    let segmentation = segmentation.map(|mut segmentation| {
        for s in 0..segmentation.segments.len() {
            segmentation.segments[s].moved = segmentation.moved(&model, s);
        }
        segmentation
    });
    Ok(Fitted {
        pipeline,
        dropped,
        model,
        grid: shared_grid,
        segmentation,
        segment_calibrations,
        blend,
        scorer,
        train_summary,
        validation_summary,
        validation_model,
        calibration_leads: oof.rows.len(),
        validation_rules_roc_auc,
        warnings,
    })
}

/// Out-of-fold figures: the model's own probability, and the calibrated (blended) one of each
/// fold from a blend and calibration fitted on the other folds.
fn cross_fitted_figures(
    settings: &TrainSettings,
    method: Method,
    oof: &OutOfFold,
    outcome: &[bool],
    points: &[f64],
) -> Result<(Summary, Summary)> {
    let config = &settings.config;
    let model = Summary::of(outcome, &oof.z.iter().map(|&z| sigmoid(z)).collect::<Vec<_>>());
    let folds = oof.folds.iter().max().map_or(0, |f| f + 1);
    let mut calibrated = vec![0.0; oof.z.len()];
    for fold in 0..folds {
        let (inside, outside): (Vec<usize>, Vec<usize>) = (0..oof.z.len()).partition(|&k| oof.folds[k] != fold);
        let pick = |values: &[f64], at: &[usize]| -> Vec<f64> {
            if values.is_empty() {
                Vec::new()
            } else {
                at.iter().map(|&k| values[k]).collect()
            }
        };
        let y: Vec<bool> = inside.iter().map(|&k| outcome[k]).collect();
        let (blend, calibration) = blend_and_calibrate(
            settings.rules.as_ref(),
            method,
            config.blend.rule_weight,
            &pick(&oof.z, &inside),
            &pick(points, &inside),
            &y,
        )?;
        let z = pick(&oof.z, &outside);
        let held_points = pick(points, &outside);
        for (i, blended) in final_log_odds(blend.as_ref(), &z, |i| held_points.get(i).copied())
            .into_iter()
            .enumerate()
        {
            calibrated[outside[i]] = calibration.apply(blended);
        }
    }
    Ok((model, Summary::of(outcome, &calibrated)))
}

/// The feature pipeline, fitted on the training rows; at least one feature must be left.
fn fit_pipeline(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    features: &FeatureConfig,
    train_rows: &[usize],
    progress: &dyn Progress,
) -> Result<(FeaturePipeline, Vec<Dropped>)> {
    check_shapes(settings, leads, features)?;
    let (pipeline, dropped) = step(progress, "fitting the feature pipeline", || {
        FeaturePipeline::fit(&leads.table.features, train_rows, features).map_err(|all_missing| {
            let source = leads.source_of(&all_missing.0);
            Error::rejected(
                Location::file(&settings.data).column(&source),
                "the column has no values at all",
                format!("leave it out with --exclude \"{source}\" (or [features] exclude), or check the export"),
            )
        })
    })?;
    if pipeline.steps.is_empty() {
        return Err(Error::rejected(
            Location::file(&settings.data),
            "no usable feature columns are left",
            "check --exclude and [features] include",
        ));
    }
    Ok((pipeline, dropped))
}

/// `[features] shapes` and `monotone` may only name numbers the model reads.
fn check_shapes(settings: &TrainSettings, leads: &TrainingLeads, features: &FeatureConfig) -> Result<()> {
    let numbers: Vec<&str> = (leads.table.features.iter())
        .filter(|c| matches!(c.values, crate::data::values::Values::Numeric(_)))
        .map(|c| c.name.as_str())
        .collect();
    for (name, key) in
        (features.shapes.keys().map(|n| (n, "shapes"))).chain(features.monotone.keys().map(|n| (n, "monotone")))
    {
        if numbers.contains(&name.as_str()) {
            continue;
        }
        let what = if leads.table.features.iter().any(|c| &c.name == name) {
            "is not a number (a category, a yes/no or a date), so it has no shape"
        } else {
            "is not among the features the model reads"
        };
        return Err(Error::rejected(
            Location::file(&settings.data).column(name),
            format!("[features] {key} names \"{name}\", which {what}"),
            format!("name one of the numbers: {}", numbers.join(", ")),
        ));
    }
    Ok(())
}

/// The model inputs of `rows` of `columns`.
fn encode(pipeline: &FeaturePipeline, columns: &[crate::data::FeatureColumn], rows: &[usize]) -> Result<EncodedLeads> {
    pipeline
        .transform(columns, rows)
        .map_err(|feature| Error::Runtime(format!("feature \"{feature}\" is missing from the validation leads")))
}

/// The blend of the model's log-odds `z` with the rule `points` (when there are rules) and the
/// calibration of the blended log-odds, fitted on leads the model did not learn from.
pub(super) fn blend_and_calibrate(
    rules: Option<&RuleSet>,
    method: Method,
    fixed_rule_weight: Option<f64>,
    z: &[f64],
    points: &[f64],
    outcome: &[bool],
) -> Result<(Option<Blend>, Calibration)> {
    let blend = match rules {
        Some(rules) => {
            Some(Blend::fit(rules.file.clone(), z, points, outcome, fixed_rule_weight).map_err(Error::from)?)
        }
        None => None,
    };
    let final_z = final_log_odds(blend.as_ref(), z, |k| points.get(k).copied());
    let calibration = Calibration::fit(method, &final_z, outcome).map_err(Error::from)?;
    Ok((blend, calibration))
}
