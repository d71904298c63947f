//! The conversion model: splits, logistic regression and cross-validation.

pub mod cv;
pub mod dense;
pub mod logistic;
pub mod loss;
pub mod params;
pub mod segments;
pub mod split;

pub use loss::{logit, sigmoid};
