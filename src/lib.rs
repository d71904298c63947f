//! leadscore: lead scoring for marketing ops and data scientists.
//!
//! Data comes in through [`data`] (lead and event files), becomes model inputs in [`features`],
//! is fitted in [`model`] and measured with [`metrics`]; [`rules`] runs the marketing team's points. [`commands`] holds one module per
//! subcommand; [`cli`] the command-line definitions.

pub mod artifact;
pub mod bands;
pub mod blend;
pub mod calibration;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod describe;
pub mod drift;
pub mod enrich;
pub mod error;
pub mod evaluation;
pub mod features;
pub mod metrics;
pub mod model;
pub mod output;
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
