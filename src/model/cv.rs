//! Choosing the L2 strength by stratified k-fold cross-validation.
//!
//! Folds run in parallel; within a fold the grid is walked from strong to weak regularisation,
//! each fit starting from the previous one (warm starts). On large data the search runs on a
//! stratified sample, with the penalty scaled to the sample size so that `C` keeps its meaning.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use linfa::traits::Fit;

use super::logistic::{labelled, FitError, LogisticModel};
use super::params::LogisticParams;
use super::split::{stratified_folds, stratified_sample};
use crate::features::encoded::EncodedLeads;
use crate::metrics;

/// Searched leads from which the folds start from one fit on all of them.
const PILOT_FROM: usize = 20_000;

/// Cross-validated figures for one `C`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Inverse L2 strength (scikit-learn's `C`, on the whole training split).
    pub c: f64,
    /// Mean held-out log loss over the folds.
    pub log_loss: f64,
    /// Mean held-out ROC AUC over the folds.
    pub roc_auc: f64,
}

/// Outcome of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSearch {
    /// One point per `C`, in grid order.
    pub points: Vec<GridPoint>,
    /// The `C` with the lowest mean held-out log loss.
    pub best_c: f64,
    /// Training leads the search ran on.
    pub leads_searched: usize,
    /// Folds.
    pub folds: usize,
}

impl GridSearch {
    /// The mean held-out log loss at the chosen `C`.
    pub fn best_log_loss(&self) -> f64 {
        (self.points.iter())
            .find(|p| p.c == self.best_c)
            .map_or(f64::INFINITY, |p| p.log_loss)
    }
}

/// Settings of a search.
#[derive(Debug, Clone)]
pub struct SearchSettings<'a> {
    /// `C` values to try.
    pub grid: &'a [f64],
    /// Number of folds.
    pub folds: usize,
    /// Seed for folds and sampling.
    pub seed: u64,
    /// Iterations per fit.
    pub max_iterations: u64,
    /// Largest sample searched on.
    pub sample_max: usize,
    /// Each input's penalty as a multiple of the strength (`None`: all 1).
    pub penalty_scale: Option<&'a [f64]>,
    /// Where each fold's fit starts (`None`: cold, then warm along the grid).
    pub start: Option<&'a LogisticModel>,
}

/// Out-of-fold predictions at the chosen `C`: each lead of the search predicted by the model
/// fitted on the other folds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutOfFold {
    /// The leads (rows of the searched leads), fold by fold.
    pub rows: Vec<usize>,
    /// The fold of each.
    pub folds: Vec<usize>,
    /// Its log-odds from the model that did not see it.
    pub z: Vec<f64>,
}

/// What a search returns.
pub struct Searched {
    /// The figures of every `C`, and the best.
    pub grid: GridSearch,
    /// A starting point for the final fit: the mean of the fold models at the best `C`.
    pub start: LogisticModel,
    /// The searched leads' out-of-fold log-odds at the best `C`.
    pub out_of_fold: OutOfFold,
}

/// Searches the grid on `x` (one row per training lead) and `outcome`.
pub fn search(x: &EncodedLeads, outcome: &[bool], settings: &SearchSettings) -> Result<Searched, FitError> {
    let all_rows: Vec<usize> = (0..outcome.len()).collect();
    let rows = stratified_sample(&all_rows, outcome, settings.sample_max, settings.seed);
    let folds = stratified_folds(&rows, outcome, settings.folds, settings.seed);
    let mut grid = settings.grid.to_vec();
    grid.sort_by(f64::total_cmp);
    let n_train = outcome.len();
    // Every fold's walk starts at the strongest penalty; from cold that first fit is the
    // longest. One fit on all the searched leads gives the folds a start near their own.
    let pilot = match (settings.start, grid.first()) {
        (None, Some(&c)) if rows.len() >= PILOT_FROM => {
            let x_rows = x.select_rows(&rows);
            let y_rows: Vec<bool> = rows.iter().map(|&r| outcome[r]).collect();
            let fit_share = rows.len() * (settings.folds - 1) / settings.folds;
            Some(
                LogisticParams::new()
                    .c_on_sample(c, fit_share, n_train)
                    .max_iterations(settings.max_iterations)
                    .penalty_scale(settings.penalty_scale.map(<[f64]>::to_vec))
                    .fit(&labelled(&x_rows, &y_rows))?,
            )
        }
        _ => None,
    };

    // Per fold: its test rows, and for each C the held-out log loss, ROC AUC, model and log-odds.
    type FoldResult = (Vec<usize>, Vec<(f64, f64, LogisticModel, Vec<f64>)>);
    let per_fold: Vec<FoldResult> = (0..settings.folds)
        .into_par_iter()
        .map(|fold| {
            let fit_rows: Vec<usize> = rows
                .iter()
                .zip(&folds)
                .filter(|(_, &f)| f != fold)
                .map(|(&r, _)| r)
                .collect();
            let test_rows: Vec<usize> = rows
                .iter()
                .zip(&folds)
                .filter(|(_, &f)| f == fold)
                .map(|(&r, _)| r)
                .collect();
            let x_fit = x.select_rows(&fit_rows);
            let y_fit: Vec<bool> = fit_rows.iter().map(|&r| outcome[r]).collect();
            let x_test = x.select_rows(&test_rows);
            let y_test: Vec<bool> = test_rows.iter().map(|&r| outcome[r]).collect();
            let mut previous: Option<LogisticModel> = settings.start.or(pilot.as_ref()).cloned();
            let mut results = Vec::with_capacity(grid.len());
            for &c in &grid {
                let model = LogisticParams::new()
                    .c_on_sample(c, fit_rows.len(), n_train)
                    .max_iterations(settings.max_iterations)
                    .penalty_scale(settings.penalty_scale.map(<[f64]>::to_vec))
                    .warm_start(previous.as_ref())
                    .fit(&labelled(&x_fit, &y_fit))?;
                let z = model.log_odds(&x_test);
                let p: Vec<f64> = z.iter().map(|&z| crate::model::sigmoid(z)).collect();
                let auc = metrics::roc_auc(&y_test, &p).unwrap_or(0.5);
                results.push((metrics::log_loss(&y_test, &p), auc, model.clone(), z));
                previous = Some(model);
            }
            Ok((test_rows, results))
        })
        .collect::<Result<_, FitError>>()?;

    let k = settings.folds as f64;
    let points: Vec<GridPoint> = grid
        .iter()
        .enumerate()
        .map(|(g, &c)| GridPoint {
            c,
            log_loss: per_fold.iter().map(|(_, f)| f[g].0).sum::<f64>() / k,
            roc_auc: per_fold.iter().map(|(_, f)| f[g].1).sum::<f64>() / k,
        })
        .collect();
    let best = points
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.log_loss.total_cmp(&b.1.log_loss))
        .map_or(0, |(g, _)| g);
    let width = x.width;
    let mut start = LogisticModel {
        coefficients: vec![0.0; width],
        intercept: 0.0,
    };
    let mut out_of_fold = OutOfFold::default();
    for (fold, (test_rows, results)) in per_fold.iter().enumerate() {
        out_of_fold.rows.extend_from_slice(test_rows);
        out_of_fold.folds.extend(std::iter::repeat_n(fold, test_rows.len()));
        out_of_fold.z.extend_from_slice(&results[best].3);
    }
    for (_, fold) in &per_fold {
        let model = &fold[best].2;
        for (s, w) in start.coefficients.iter_mut().zip(&model.coefficients) {
            *s += w / k;
        }
        start.intercept += model.intercept / k;
    }
    Ok(Searched {
        grid: GridSearch {
            best_c: points[best].c,
            points,
            leads_searched: rows.len(),
            folds: settings.folds,
        },
        start,
        out_of_fold,
    })
}
