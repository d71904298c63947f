//! Training with `[segments]`: which values of the segments column have enough leads for a
//! model of their own, how hard their models are pulled toward the shared one (chosen by
//! cross-validation), and whether that beats one model for all.

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
    base_penalty: Option<&[f64]>,
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
            why: "too few leads or conversions".into(),
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
    let sample = {
        let positions: Vec<usize> = (0..train_rows.len()).collect();
        stratified_sample(&positions, y_train, search_settings.sample_max, search_settings.seed)
    };
    let pulls_of = Pulls {
        x_all,
        train_rows,
        y_train,
        sample: &sample,
        shared,
        search_settings,
        grid: config.pull_grid(train_rows.len()),
        base_penalty,
    };
    let mut segmentation = Segmentation::new(column, segments, small, x_all.width);
    let shared_log_loss = shared.grid.best_log_loss();
    // A segment keeps a model of its own only if, on its own leads held out, it beats the shared
    // model: those that do not are scored by the shared model, and the others fitted again.
    let (codes, pull, searched, penalty) = loop {
        let codes = segmentation.codes(values.iter().map(Option::as_deref));
        let (log_loss, pull, searched, penalty) = pulls_of.best(&segmentation, &codes)?;
        if log_loss >= shared_log_loss {
            warnings.push(format!(
                "the segments of \"{column}\" did not beat one model in cross-validation (held-out log loss {log_loss:.4} against {shared_log_loss:.4}): one model scores every lead"
            ));
            return Ok(None);
        }
        let train_codes: Vec<u32> = train_rows.iter().map(|&r| codes[r]).collect();
        let of = |s: usize, z: &[f64], rows: &[usize]| -> (Vec<bool>, Vec<f64>) {
            (rows.iter().zip(z))
                .filter(|(&k, _)| train_codes[k] == s as u32)
                .map(|(&k, &z)| (y_train[k], z))
                .unzip()
        };
        let mut losing = Vec::new();
        for (s, segment) in segmentation.segments.iter_mut().enumerate() {
            let (y, shared_z) = of(s, &shared.out_of_fold.z, &shared.out_of_fold.rows);
            let (own_y, own_z) = of(s, &searched.out_of_fold.z, &searched.out_of_fold.rows);
            segment.shared_roc_auc = metrics::roc_auc(&y, &shared_z);
            segment.own_roc_auc = metrics::roc_auc(&own_y, &own_z);
            let loss = |y: &[bool], z: &[f64]| {
                let p: Vec<f64> = z.iter().map(|&z| crate::model::sigmoid(z)).collect();
                metrics::log_loss(y, &p)
            };
            if !y.is_empty() && loss(&own_y, &own_z) > loss(&y, &shared_z) {
                losing.push(s);
            }
        }
        if losing.is_empty() || losing.len() == segmentation.segments.len() {
            if losing.len() == segmentation.segments.len() {
                warnings.push(format!(
                    "no segment of \"{column}\" beat the shared model on its own leads in cross-validation: one model scores every lead"
                ));
                return Ok(None);
            }
            break (codes, pull, searched, penalty);
        }
        for &s in losing.iter().rev() {
            let segment = segmentation.segments.remove(s);
            warnings.push(format!(
                "segment \"{}\" of \"{column}\" did not beat the shared model on its own leads in cross-validation: the shared model scores it",
                segment.value
            ));
            segmentation.small.push(SmallSegment {
                value: segment.value,
                leads: segment.leads,
                conversions: segment.conversions,
                why: "its own model did not beat the shared one on its leads".into(),
            });
        }
    };
    segmentation.pull = pull;
    Ok(Some(Pooled {
        segmentation,
        codes,
        searched,
        penalty,
    }))
}

/// The cross-validation of pulls: on the shared search's sample of the training leads (only
/// those are given their pooled inputs), at its `C`.
struct Pulls<'a> {
    x_all: &'a EncodedLeads,
    train_rows: &'a [usize],
    y_train: &'a [bool],
    /// Positions in the training rows.
    sample: &'a [usize],
    shared: &'a Searched,
    search_settings: &'a SearchSettings<'a>,
    grid: Vec<f64>,
    /// The shared inputs' penalty multiples (`None`: all 1).
    base_penalty: Option<&'a [f64]>,
}

impl Pulls<'_> {
    /// The pull of the lowest held-out log loss for `segmentation` (leads' segments `codes`):
    /// that log loss, the pull, its search (out-of-fold rows as positions in the training
    /// rows) and the inputs' penalty multiples.
    fn best(&self, segmentation: &Segmentation, codes: &[u32]) -> Result<(f64, f64, Searched, Vec<f64>)> {
        let sample_rows: Vec<usize> = self.sample.iter().map(|&k| self.train_rows[k]).collect();
        let sample_codes: Vec<u32> = sample_rows.iter().map(|&r| codes[r]).collect();
        let x = segmentation.augmented(self.x_all.select_rows(&sample_rows), &sample_codes);
        let y: Vec<bool> = self.sample.iter().map(|&k| self.y_train[k]).collect();
        let best_c = [self.shared.grid.best_c];
        // Each fold starts from the shared model, no segment deviating; then from the
        // strongest pull to the weakest, each where the last ended.
        let mut start = self.shared.start.clone();
        start.coefficients.resize(segmentation.width(), 0.0);
        let mut pulls = self.grid.clone();
        pulls.sort_by(|a, b| b.total_cmp(a));
        let mut best: Option<(f64, f64, Searched, Vec<f64>)> = None;
        for pull in pulls {
            let penalty = segmentation.penalty_scale(pull, self.base_penalty);
            let settings = SearchSettings {
                grid: &best_c,
                penalty_scale: Some(&penalty),
                start: Some(&start),
                // The sample is taken already; the strength keeps its meaning on all the leads.
                sample_max: usize::MAX,
                ..self.search_settings.clone()
            };
            let mut searched = search(&x, &y, &settings).map_err(crate::error::Error::from)?;
            for row in searched.out_of_fold.rows.iter_mut() {
                *row = self.sample[*row];
            }
            let log_loss = searched.grid.best_log_loss();
            start = searched.start.clone();
            if best.as_ref().is_none_or(|(lowest, ..)| log_loss < *lowest) {
                best = Some((log_loss, pull, searched, penalty));
            }
        }
        best.ok_or_else(|| crate::error::Error::Runtime("no pull was tried".into()))
    }
}
