//! The fits of training: the feature pipeline, the L2 strength by cross-validation, the final
//! model, the blend with the rules and the calibration on held-out training leads, the scoring
//! stage's reference distributions, and the figures on the validation leads.

use linfa::traits::Fit;

use super::holdout::HeldOut;
use super::read::TrainingLeads;
use super::TrainSettings;
use crate::blend::{final_log_odds, Blend};
use crate::calibration::{Calibration, Method};
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::features::{Dropped, FeaturePipeline};
use crate::metrics::{self, Summary};
use crate::model::cv::{search, GridSearch, SearchSettings};
use crate::model::logistic::{labelled, FitError, LogisticModel};
use crate::model::params::LogisticParams;
use crate::model::sigmoid;
use crate::model::split::stratified_holdout;
use crate::progress::{step, Progress};
use crate::rules::RuleSet;
use crate::scorer::Scorer;

/// Everything training fits.
pub(super) struct Fitted {
    pub pipeline: FeaturePipeline,
    pub dropped: Vec<Dropped>,
    pub model: LogisticModel,
    pub grid: GridSearch,
    pub blend: Option<Blend>,
    pub scorer: Scorer,
    pub train_summary: Summary,
    pub validation_summary: Summary,
    pub validation_model: Summary,
    pub calibration_leads: usize,
    pub validation_rules_roc_auc: Option<f64>,
}

/// A fit that failed, as an error.
pub(super) fn fit_failed(e: FitError) -> Error {
    match e {
        FitError::Interrupted => Error::Interrupted,
        e => Error::Runtime(format!("model fit failed: {e}")),
    }
}

/// Fits the pipeline, the model, the blend and the calibration on the training rows, and
/// measures them on the validation leads.
pub(super) fn fit_model(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    held_out: &HeldOut,
    progress: &dyn Progress,
) -> Result<Fitted> {
    let config = &settings.config;
    let train_rows = &held_out.train_rows;
    let (pipeline, dropped) = fit_pipeline(settings, leads, train_rows, progress)?;
    let x_all = step(progress, "encoding training leads", || {
        encode(&pipeline, &leads.table.features, train_rows)
    })?;
    // Calibration leads are held out of the model's fit.
    let calibrating = config.blend.calibration != Method::None;
    let (fit_rows, calibration_rows): (Vec<usize>, Vec<usize>) = if calibrating {
        let positions: Vec<usize> = (0..train_rows.len()).collect();
        let y_all: Vec<bool> = train_rows.iter().map(|&i| leads.outcome[i]).collect();
        let held = stratified_holdout(
            &positions,
            &y_all,
            config.blend.calibration_fraction,
            config.model.seed ^ 0xCA1B,
        );
        (held.train, held.validation)
    } else {
        ((0..train_rows.len()).collect(), Vec::new())
    };
    let (model, grid, train_summary) = fit_logistic(settings, leads, &x_all, train_rows, &fit_rows, progress)?;
    // Blend (with rules) and calibration are fitted on the held-out calibration leads.
    let (blend, calibration) = step(progress, "blending and calibrating on held-out training leads", || {
        let x_calibration = x_all.select_rows(&calibration_rows);
        let rows: Vec<usize> = calibration_rows.iter().map(|&p| train_rows[p]).collect();
        let y: Vec<bool> = rows.iter().map(|&r| leads.outcome[r]).collect();
        let points: Vec<f64> = if leads.points.is_empty() {
            Vec::new()
        } else {
            rows.iter().map(|&r| leads.points[r]).collect()
        };
        let z = model.log_odds(&x_calibration);
        blend_and_calibrate(
            settings.rules.as_ref(),
            config.blend.calibration,
            config.blend.rule_weight,
            &z,
            &points,
            &y,
        )
    })?;
    let training_z = final_log_odds(blend.as_ref(), &model.log_odds(&x_all), |k| {
        leads.points.get(train_rows[k]).copied()
    });
    let scorer = Scorer::fit(
        &pipeline,
        &model,
        calibration,
        config.score.0.clone(),
        &x_all,
        &training_z,
    );
    drop(x_all);
    let validation = &held_out.validation;
    let x_validation = encode(&pipeline, held_out.validation_columns(leads), &validation.rows)?;
    let validation_z = model.log_odds(&x_validation);
    let validation_model = Summary::of(
        &validation.outcome,
        &validation_z.iter().map(|&z| sigmoid(z)).collect::<Vec<_>>(),
    );
    let validation_final = final_log_odds(blend.as_ref(), &validation_z, |k| validation.points.get(k).copied());
    let validation_summary = Summary::of(
        &validation.outcome,
        &validation_final
            .iter()
            .map(|&z| scorer.calibration.apply(z))
            .collect::<Vec<_>>(),
    );
    let validation_rules_roc_auc = blend
        .as_ref()
        .and_then(|_| metrics::roc_auc(&validation.outcome, &validation.points));
    Ok(Fitted {
        pipeline,
        dropped,
        model,
        grid,
        blend,
        scorer,
        train_summary,
        validation_summary,
        validation_model,
        calibration_leads: calibration_rows.len(),
        validation_rules_roc_auc,
    })
}

/// The feature pipeline, fitted on the training rows; at least one feature must be left.
fn fit_pipeline(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    train_rows: &[usize],
    progress: &dyn Progress,
) -> Result<(FeaturePipeline, Vec<Dropped>)> {
    let (pipeline, dropped) = step(progress, "fitting the feature pipeline", || {
        FeaturePipeline::fit(&leads.table.features, train_rows, &settings.config.features).map_err(|all_missing| {
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

/// The model inputs of `rows` of `columns`.
fn encode(pipeline: &FeaturePipeline, columns: &[crate::data::FeatureColumn], rows: &[usize]) -> Result<EncodedLeads> {
    pipeline
        .transform(columns, rows)
        .map_err(|feature| Error::Runtime(format!("feature \"{feature}\" is missing from the validation leads")))
}

/// The L2 strength chosen by cross-validation on the fitting rows (positions in `x_all`), then
/// the final model on all of them, warm-started from the folds' mean; and its training figures.
fn fit_logistic(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    x_all: &EncodedLeads,
    train_rows: &[usize],
    fit_rows: &[usize],
    progress: &dyn Progress,
) -> Result<(LogisticModel, GridSearch, Summary)> {
    let model_config = &settings.config.model;
    let x_train = x_all.select_rows(fit_rows);
    let y_train: Vec<bool> = fit_rows.iter().map(|&p| leads.outcome[train_rows[p]]).collect();
    let search_settings = SearchSettings {
        grid: &model_config.c_grid,
        folds: model_config.folds,
        seed: model_config.seed,
        max_iterations: model_config.max_iterations,
        sample_max: model_config.grid_sample,
    };
    let (grid, start) = step(
        progress,
        &format!("choosing C by {}-fold cross-validation", search_settings.folds),
        || search(&x_train, &y_train, &search_settings).map_err(fit_failed),
    )?;
    let model = step(progress, "fitting the final model", || {
        LogisticParams::new()
            .alpha(1.0 / grid.best_c)
            .max_iterations(model_config.max_iterations)
            .warm_start(Some(&start))
            .fit(&labelled(&x_train, &y_train))
            .map_err(fit_failed)
    })?;
    let train_summary = Summary::of(&y_train, &model.predict(&x_train));
    Ok((model, grid, train_summary))
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
        Some(rules) => Some(Blend::fit(rules.file.clone(), z, points, outcome, fixed_rule_weight).map_err(fit_failed)?),
        None => None,
    };
    let final_z = final_log_odds(blend.as_ref(), z, |k| points.get(k).copied());
    let calibration = Calibration::fit(method, &final_z, outcome).map_err(fit_failed)?;
    Ok((blend, calibration))
}
