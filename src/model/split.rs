//! Splitting leads: validation hold-out (stratified random or by time), cross-validation folds
//! and the stratified sample the regularisation grid is searched on.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_pcg::Pcg64;

/// Training and validation rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows the pipeline and model are fitted on.
    pub train: Vec<usize>,
    /// Rows held out to measure the model.
    pub validation: Vec<usize>,
}

/// Rows of each class, shuffled with `seed`.
fn shuffled_by_class(rows: &[usize], outcome: &[bool], seed: u64) -> [Vec<usize>; 2] {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut classes = [Vec::new(), Vec::new()];
    for &row in rows {
        classes[usize::from(outcome[row])].push(row);
    }
    for class in &mut classes {
        class.shuffle(&mut rng);
    }
    classes
}

/// Holds out `fraction` of each class at random.
pub fn stratified_split(outcome: &[bool], fraction: f64, seed: u64) -> Split {
    let rows: Vec<usize> = (0..outcome.len()).collect();
    stratified_holdout(&rows, outcome, fraction, seed)
}

/// Holds out `fraction` of each class of `rows` at random (`validation` is the held-out part).
pub fn stratified_holdout(rows: &[usize], outcome: &[bool], fraction: f64, seed: u64) -> Split {
    let (mut train, mut validation) = (Vec::new(), Vec::new());
    for class in shuffled_by_class(rows, outcome, seed) {
        let held_out = (class.len() as f64 * fraction).round() as usize;
        validation.extend_from_slice(&class[..held_out]);
        train.extend_from_slice(&class[held_out..]);
    }
    train.sort_unstable();
    validation.sort_unstable();
    Split { train, validation }
}

/// Trains on the oldest leads and validates on the newest `fraction`; `None` when a lead has no
/// time (its row is returned).
pub fn time_split(created: &[Option<i64>], fraction: f64) -> Result<Split, usize> {
    if let Some(row) = created.iter().position(Option::is_none) {
        return Err(row);
    }
    let mut order: Vec<usize> = (0..created.len()).collect();
    order.sort_by_key(|&i| (created[i], i));
    let cut = created.len() - (created.len() as f64 * fraction).round() as usize;
    let (train, validation) = order.split_at(cut);
    let (mut train, mut validation) = (train.to_vec(), validation.to_vec());
    train.sort_unstable();
    validation.sort_unstable();
    Ok(Split { train, validation })
}

/// Fold number (0..k) for each of `rows`, each fold holding about the same share of converters.
pub fn stratified_folds(rows: &[usize], outcome: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let position: std::collections::HashMap<usize, usize> = rows.iter().enumerate().map(|(p, &r)| (r, p)).collect();
    let mut folds = vec![0; rows.len()];
    for class in shuffled_by_class(rows, outcome, seed) {
        for (k_th, row) in class.into_iter().enumerate() {
            folds[position[&row]] = k_th % k;
        }
    }
    folds
}

/// At most `max` of `rows`, keeping the share of converters.
pub fn stratified_sample(rows: &[usize], outcome: &[bool], max: usize, seed: u64) -> Vec<usize> {
    if rows.len() <= max {
        return rows.to_vec();
    }
    let fraction = max as f64 / rows.len() as f64;
    let mut sample = Vec::with_capacity(max);
    for class in shuffled_by_class(rows, outcome, seed) {
        let keep = (class.len() as f64 * fraction).round() as usize;
        sample.extend_from_slice(&class[..keep]);
    }
    sample.sort_unstable();
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_keeps_the_conversion_rate() {
        let outcome: Vec<bool> = (0..1000).map(|i| i % 10 == 0).collect();
        let split = stratified_split(&outcome, 0.2, 7);
        assert_eq!(split.validation.len(), 200);
        assert_eq!(split.validation.iter().filter(|&&i| outcome[i]).count(), 20);
        assert_eq!(split, stratified_split(&outcome, 0.2, 7), "same seed, same split");
        assert_ne!(split, stratified_split(&outcome, 0.2, 8));
    }

    #[test]
    fn time_split_validates_on_the_newest() {
        let created: Vec<Option<i64>> = vec![Some(5), Some(1), Some(4), Some(2), Some(3)];
        let split = time_split(&created, 0.4).unwrap();
        assert_eq!(split.validation, vec![0, 2]);
        assert_eq!(time_split(&[Some(1), None], 0.5), Err(1));
    }

    #[test]
    fn folds_are_balanced() {
        let outcome: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let rows: Vec<usize> = (0..100).collect();
        let folds = stratified_folds(&rows, &outcome, 5, 1);
        for f in 0..5 {
            let members: Vec<usize> = rows.iter().copied().filter(|&r| folds[r] == f).collect();
            assert_eq!(members.len(), 20);
            assert_eq!(members.iter().filter(|&&r| outcome[r]).count(), 5);
        }
    }
}
