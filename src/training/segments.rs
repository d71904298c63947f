//! Training with `[segments]`: which values of the segments column have enough leads for a
//! model of their own, how hard their models are pulled toward the shared one (chosen by
//! cross-validation), and whether that beats one model for all.

use super::fit::fit_failed;
use super::read::TrainingLeads;
use super::TrainSettings;
use crate::error::{Error, Location, Result};
use crate::features::encoded::EncodedLeads;
use crate::metrics;
use crate::model::cv::{search, SearchSettings, Searched};
use crate::model::segments::{segment_values, Segment, Segmentation, SmallSegment};
use crate::model::split::stratified_sample;
use crate::output::thousands;

/// The pooled fit chosen: the segments, each lead's segment, the cross-validation.
pub(super) struct Pooled {
    /// The segments with a model of their own.
    pub segmentation: Segmentation,
    /// Every lead's segment (its block), or `NONE`.
    pub codes: Vec<u32>,
    /// The cross-validation at the chosen pull (out-of-fold rows are positions in the
    /// training rows, as the shared search's).
    pub searched: Searched,
    /// Each pooled input's penalty as a multiple of the shared strength.
    pub penalty: Vec<f64>,
}

/// The segments of `column` and their pooled fit, when some segment has enough leads and the
/// pooled models beat `shared` (the one model's cross-validation at its chosen strength) in
/// held-out log loss; otherwise `None`, and a warning says why.
#[allow(clippy::too_many_arguments)]
pub(super) fn pool(
    settings: &TrainSettings,
    leads: &TrainingLeads,
    column: &str,
    x_all: &EncodedLeads,
    train_rows: &[usize],
    y_train: &[bool],
    shared: &Searched,
    search_settings: &SearchSettings,
    warnings: &mut Vec<String>,
) -> Result<Option<Pooled>> {
    let config = &settings.config.segments;
    let values = segment_values(&leads.table.features, leads.table.n_rows, column).ok_or_else(|| {
        Error::rejected(
            Location::file(&settings.data).column(column),
            "[segments] by names a column the model does not read as a category, a yes/no or a number",
            "name a lead column such as product_line or is_customer, and do not exclude it",
        )
    })?;
    // Leads and conversions of each value among the training rows, largest first.
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for (&row, &converted) in train_rows.iter().zip(y_train) {
        let Some(value) = &values[row] else { continue };
        match counts.iter_mut().find(|(v, _, _)| v == value) {
            Some((_, n, k)) => {
                *n += 1;
                *k += usize::from(converted);
            }
            None => counts.push((value.clone(), 1, usize::from(converted))),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let own =
        |n: usize, k: usize| n >= config.min_leads && k >= config.min_conversions && n - k >= config.min_conversions;
    let segments: Vec<Segment> = (counts.iter())
        .filter(|(_, n, k)| own(*n, *k))
        .map(|(value, n, k)| Segment {
            value: value.clone(),
            leads: *n,
            conversions: *k,
            shared_roc_auc: None,
            own_roc_auc: None,
            moved: 0.0,
        })
        .collect();
    let small: Vec<SmallSegment> = (counts.iter())
        .filter(|(_, n, k)| !own(*n, *k))
        .map(|(value, n, k)| SmallSegment {
            value: value.clone(),
            leads: *n,
            conversions: *k,
        })
        .collect();
    if segments.is_empty() {
        warnings.push(format!(
            "no segment of \"{column}\" has {} leads and {} conversions: one model scores every lead ([segments] min_leads, min_conversions)",
            thousands(config.min_leads),
            thousands(config.min_conversions)
        ));
        return Ok(None);
    }
    let mut segmentation = Segmentation::new(column, segments, small, x_all.width);
    let codes = segmentation.codes(values.iter().map(Option::as_deref));
    // The pulls are cross-validated on the shared search's sample of the training leads: only
    // those are given their pooled inputs.
    let positions: Vec<usize> = (0..train_rows.len()).collect();
    let sample = stratified_sample(&positions, y_train, search_settings.sample_max, search_settings.seed);
    let sample_rows: Vec<usize> = sample.iter().map(|&k| train_rows[k]).collect();
    let sample_codes: Vec<u32> = sample_rows.iter().map(|&r| codes[r]).collect();
    let pooled_sample = segmentation.augmented(x_all.select_rows(&sample_rows), &sample_codes);
    let y_sample: Vec<bool> = sample.iter().map(|&k| y_train[k]).collect();
    let best_c = [shared.grid.best_c];
    // Each fold starts from the shared model, no segment deviating.
    let mut start = shared.start.clone();
    start.coefficients.resize(segmentation.width(), 0.0);
    let mut best: Option<(f64, f64, Searched, Vec<f64>)> = None;
    // From the strongest pull (the shared model) to the weakest, each starting where the last ended.
    let mut pulls = config.pull_grid(train_rows.len());
    pulls.sort_by(|a, b| b.total_cmp(a));
    for pull in pulls {
        let penalty = segmentation.penalty_scale(pull);
        let settings = SearchSettings {
            grid: &best_c,
            penalty_scale: Some(&penalty),
            start: Some(&start),
            // The sample is taken already; the strength keeps its meaning on all the leads.
            sample_max: usize::MAX,
            ..search_settings.clone()
        };
        let mut searched = search(&pooled_sample, &y_sample, &settings).map_err(fit_failed)?;
        for row in searched.out_of_fold.rows.iter_mut() {
            *row = sample[*row];
        }
        let log_loss = searched.grid.best_log_loss();
        start = searched.start.clone();
        if best.as_ref().is_none_or(|(best, ..)| log_loss < *best) {
            best = Some((log_loss, pull, searched, penalty));
        }
    }
    let Some((log_loss, pull, searched, penalty)) = best else {
        return Ok(None);
    };
    let shared_log_loss = shared.grid.best_log_loss();
    if log_loss >= shared_log_loss {
        warnings.push(format!(
            "the segments of \"{column}\" did not beat one model in cross-validation (held-out log loss {log_loss:.4} against {shared_log_loss:.4}): one model scores every lead"
        ));
        return Ok(None);
    }
    segmentation.pull = pull;
    // Each segment's leads ranked by the shared model and by their own, out of fold.
    let train_codes: Vec<u32> = train_rows.iter().map(|&r| codes[r]).collect();
    for (s, segment) in segmentation.segments.iter_mut().enumerate() {
        let of = |z: &[f64], rows: &[usize]| -> (Vec<bool>, Vec<f64>) {
            (rows.iter().zip(z))
                .filter(|(&k, _)| train_codes[k] == s as u32)
                .map(|(&k, &z)| (y_train[k], z))
                .unzip()
        };
        let (y, z) = of(&shared.out_of_fold.z, &shared.out_of_fold.rows);
        segment.shared_roc_auc = metrics::roc_auc(&y, &z);
        let (y, z) = of(&searched.out_of_fold.z, &searched.out_of_fold.rows);
        segment.own_roc_auc = metrics::roc_auc(&y, &z);
    }
    Ok(Some(Pooled {
        segmentation,
        codes,
        searched,
        penalty,
    }))
}
