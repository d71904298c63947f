//! The conversion model: splits, logistic regression, cross-validation and the model file.

pub mod artifact;
pub mod cv;
pub mod logistic;
pub mod split;
