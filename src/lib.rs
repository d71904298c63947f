//! leadscore: lead scoring for marketing ops and data scientists.
//!
//! Data flows down the modules in this order:
//!
//! - [`data`] reads lead and event files and types their columns; [`enrich`] adds each lead's
//!   event features and rule points in one pass over the events;
//! - [`features`] is the fitted feature pipeline, [`model`] the logistic regression (a linfa
//!   estimator: [`model::params::LogisticParams`] → [`model::params::ValidLogisticParams`] →
//!   [`model::logistic::LogisticModel`]), [`rules`] the marketing team's points;
//! - [`blend`], [`calibration`] and [`scorer`] turn log-odds and points into the 0–100 score;
//!   [`artifact`] is the model file that holds all of them;
//! - [`training`] fits a model ([`training::train`]), [`scoring`] scores lead files with one
//!   ([`scoring::score_file`]), [`evaluation`] writes the [`report`], [`sql`] exports the model
//!   as one query; [`metrics`] and [`drift`] are the figures they share.
//!
//! The command line is [`cli`] (its definitions) and [`commands`] (one module per subcommand,
//! each resolving flags into settings, calling one library function and printing); nothing else
//! imports from them. The library itself prints nothing: long work reports through
//! [`progress::Progress`].

pub mod artifact;
pub mod backtest;
pub mod bands;
pub mod blend;
pub mod calibration;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod data;
pub mod describe;
pub mod drift;
pub mod enrich;
pub mod error;
pub mod evaluation;
pub mod features;
pub mod formats;
pub mod interrupt;
pub mod metrics;
pub mod model;
pub mod output;
pub mod points_table;
pub mod progress;
pub mod report;
pub mod rules;
pub mod scorer;
pub mod scoring;
pub mod sql;
pub mod synth;
pub mod toml_text;
pub mod training;

pub use error::{Error, Result};
