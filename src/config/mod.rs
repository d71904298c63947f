//! `leadscore.toml`: what the user can set, its defaults, and its validation; [`rules`] holds
//! the shape of the rules sections, which rules files share.
//!
//! Unknown keys are rejected with their line and column, so a typo never silently falls back to
//! a default. Command-line flags override the file (`leadscore train` resolves them).

pub mod event_files;
pub mod presets;
pub mod rules;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::formats::CellFormat;
use crate::toml_text::parse_toml;
pub use event_files::EventFileShape;
pub use presets::Source;

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Which columns hold the outcome, the id and the timestamps; what counts as missing.
    pub data: DataConfig,
    /// Which columns become features and how.
    pub features: FeatureConfig,
    /// How events become per-lead engagement features.
    pub events: EventsConfig,
    /// How the conversion model is fitted.
    pub model: ModelConfig,
    /// How the model's output is calibrated (and, with rules, blended).
    pub blend: BlendConfig,
    /// Bands and MQL threshold on the 0–100 score.
    pub score: ScoreBands,
    /// One model per segment (product line, persona, returning customers), each pulled toward
    /// the shared model.
    pub segments: SegmentsConfig,
    // The rules sections, as in a rules file of their own (see `rules`): parsed here with the
    // rest, validated into a `RuleSet` by `Config::parse`, and kept in the model file as written.
    /// How rule points add up.
    pub points: rules::PointsSettings,
    /// Bands and the MQL threshold of rule points.
    pub bands: crate::bands::Bands,
    /// Inactivity decay of rule points.
    pub decay: Option<rules::Decay>,
    /// The marketing team's points rules.
    pub rules: Vec<rules::Rule>,
}

/// `[data]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The outcome column (1/0, true/false, yes/no, y/n).
    pub target: Option<String>,
    /// The lead id column; without one, the row number is the id.
    pub id: Option<String>,
    /// Per-lead cutoff column: events and dates are taken as of this moment.
    pub snapshot: Option<String>,
    /// Creation time column, used by `split = "time"`.
    pub time: Option<String>,
    /// One cutoff for every lead (`YYYY-MM-DD` or RFC 3339), when there is no snapshot column.
    pub as_of: Option<String>,
    /// Cell values read as missing (compared after trimming, ignoring case).
    pub missing_values: Vec<String>,
    /// The outcome column's values that mean converted (ignoring case), when it holds a stage
    /// or status rather than 1/0: `["customer"]` for HubSpot's Lifecycle Stage. Every other
    /// value, and an empty cell, means not converted.
    pub converted_values: Vec<String>,
    /// A column that says a lead is closed (won, lost, disqualified): such leads are not scored
    /// and never triggers; `score` counts them and lists them beside the scores.
    pub closed: Option<String>,
    /// The values of the `closed` column that mean closed (ignoring case), when it holds a
    /// stage or status; without them the column is read as yes/no.
    pub closed_values: Vec<String>,
    /// Without a snapshot column, each lead is taken as it was this many days after its
    /// creation (`time`): events after that are ignored and dates measured to it — what a
    /// CRM export needs, whose activity runs on past the outcome.
    pub window_days: Option<f64>,
    /// The tool the export comes from (`hubspot`, `salesforce`, `mautic`, `pardot`,
    /// `marketo`): its preset of columns, formats, exclusions and event shapes applies under
    /// this file's own settings.
    pub source: Option<Source>,
    /// How columns' numbers or dates are written, where the cells do not say it (`"month-first"`,
    /// `"day-first"`, `"1,234.5"`, `"1.234,5"`, …). Read from the config by [`Config::parse`];
    /// a model keeps the formats it was trained with in its input schema, and those of its
    /// time columns here. (Parsed apart from the rest of the file, for its messages.)
    #[serde(default, with = "crate::formats::words")]
    pub formats: BTreeMap<String, CellFormat>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            target: None,
            id: None,
            snapshot: None,
            time: None,
            as_of: None,
            missing_values: ["", "NA", "N/A", "NaN", "null", "None", "Select", "-"]
                .map(String::from)
                .to_vec(),
            converted_values: Vec::new(),
            closed: None,
            closed_values: Vec::new(),
            window_days: None,
            source: None,
            formats: BTreeMap::new(),
        }
    }
}

/// `[data] formats = { "Create Date" = "month-first", "Revenue" = "1.234,5" }`.
fn parse_formats(value: &toml::Value, path: &Path) -> Result<BTreeMap<String, CellFormat>> {
    let fix = format!(
        "write [data] formats = {{ \"COLUMN\" = \"FORMAT\" }}, each format one of {}",
        CellFormat::words()
    );
    let bad = |problem: String| Error::rejected(Location::file(path).column("data.formats"), problem, fix.as_str());
    let table = value
        .as_table()
        .ok_or_else(|| bad("must be a table of column names and formats".into()))?;
    table
        .iter()
        .map(|(column, word)| {
            let word = word
                .as_str()
                .ok_or_else(|| bad(format!("the format of \"{column}\" must be a word in quotes")))?;
            let format = CellFormat::from_word(word)
                .ok_or_else(|| bad(format!("\"{word}\" (for \"{column}\") is not a format leadscore knows")))?;
            Ok((column.clone(), format))
        })
        .collect()
}

/// Takes `[data] formats` out of a config table: it is read by [`parse_formats`].
fn take_formats(table: &mut toml::Table) -> Option<toml::Value> {
    table
        .get_mut("data")
        .and_then(toml::Value::as_table_mut)
        .and_then(|data| data.remove("formats"))
}

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Numbers.
    Numeric,
    /// Labels (one-hot encoded).
    Categorical,
    /// Yes/no values.
    Boolean,
    /// Dates or timestamps (become age in days, month and weekday).
    Datetime,
    /// Several labels in a cell, separated by `;` (HubSpot's multiple checkboxes, Salesforce's
    /// multi-select picklists): one 0/1 input per frequent label.
    #[serde(rename = "multi")]
    MultiValued,
}

impl ColumnType {
    /// Every type, in the order of [`ColumnType::name`]'s words.
    pub const ALL: [ColumnType; 5] = [
        ColumnType::Numeric,
        ColumnType::Categorical,
        ColumnType::Boolean,
        ColumnType::Datetime,
        ColumnType::MultiValued,
    ];

    /// The word the config file and the model file use: `numeric`, `categorical`, …
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Numeric => "numeric",
            ColumnType::Categorical => "categorical",
            ColumnType::Boolean => "boolean",
            ColumnType::Datetime => "datetime",
            ColumnType::MultiValued => "multi",
        }
    }

    /// The type a word names.
    pub fn from_name(name: &str) -> Option<ColumnType> {
        ColumnType::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Whether a column says who the lead is or what the lead does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Who the lead is (fit).
    Explicit,
    /// What the lead does (engagement).
    Implicit,
}

/// What to do when a column looks like it leaks the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LeakagePolicy {
    /// Print a warning and keep the column.
    #[default]
    Warn,
    /// Stop training (exit 3).
    Error,
    /// Do not check.
    Off,
}

/// How numbers enter the model: `[features] shape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Chosen by cross-validation: with their shape, or as straight lines (on small data;
    /// with their shape above it).
    #[default]
    Auto,
    /// Each number as one straight line (standardised, perhaps after `ln(1 + x)`).
    Linear,
    /// Each number as a straight line plus a step at each of up to 31 cut points (its
    /// quantiles), the steps pulled toward none: a smooth shape where the leads show one.
    Bins,
}

/// The way a number must move the score: `[features] monotone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Monotone {
    /// More of it never lowers the score.
    Increasing,
    /// More of it never raises the score.
    Decreasing,
}

impl Monotone {
    /// +1 for increasing, −1 for decreasing: a weight `w` goes the wanted way when `sign · w ≥ 0`.
    pub fn sign(self) -> f64 {
        match self {
            Monotone::Increasing => 1.0,
            Monotone::Decreasing => -1.0,
        }
    }
}

/// Whether skewed counts get `log1p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Log1p {
    /// Non-negative columns with a long right tail.
    #[default]
    Auto,
    /// Never.
    Off,
}

/// `[features]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureConfig {
    /// When non-empty, only these columns become features.
    pub include: Vec<String>,
    /// Columns never used as features.
    pub exclude: Vec<String>,
    /// Column type overrides.
    pub types: BTreeMap<String, ColumnType>,
    /// Column role overrides (otherwise engagement-like names are implicit, the rest explicit).
    pub roles: BTreeMap<String, Role>,
    /// Categories seen fewer times than this in training share the `other` bucket.
    pub min_frequency: usize,
    /// At most this many categories per column get their own input; the rest share `other`.
    pub max_categories: usize,
    /// `log1p` for skewed non-negative counts.
    pub log1p: Log1p,
    /// Whether numbers enter with a shape (steps at their quantiles) or as straight lines.
    pub shape: Shape,
    /// The same for one number (a column, or an activity feature such as `events: page views`):
    /// `shapes = { "TotalVisits" = "bins", "Page Views Per Visit" = "linear" }`; the others
    /// follow `shape`.
    pub shapes: BTreeMap<String, Shape>,
    /// Numbers whose effect must only rise (or only fall) with them:
    /// `monotone = { "TotalVisits" = "increasing", "events: days since last activity" = "decreasing" }`.
    pub monotone: BTreeMap<String, Monotone>,
    /// What to do about columns that leak the outcome.
    pub leakage: LeakagePolicy,
    /// Single-feature ROC AUC at or above which a column is flagged as leakage.
    pub leakage_auc: f64,
    /// E-mail domains of competitors (their leads get their own domain type).
    pub competitor_domains: Vec<String>,
    /// The labels of each multi-valued column that have an input of their own: learned by
    /// training (labels seen `min_frequency` times or more), read from a model's pipeline when
    /// scoring; not set in the config file.
    #[serde(skip)]
    pub multi_labels: BTreeMap<String, Vec<String>>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            include: Vec::new(),
            exclude: Vec::new(),
            types: BTreeMap::new(),
            roles: BTreeMap::new(),
            min_frequency: 5,
            max_categories: 100,
            log1p: Log1p::Auto,
            shape: Shape::Auto,
            shapes: BTreeMap::new(),
            monotone: BTreeMap::new(),
            leakage: LeakagePolicy::Warn,
            leakage_auc: 0.95,
            competitor_domains: Vec::new(),
            multi_labels: BTreeMap::new(),
        }
    }
}

/// `[events]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// URL fragments of high-value pages (pricing, contact).
    pub high_value_pages: Vec<String>,
    /// Weight of an Apple Mail Privacy Protection or bot e-mail open (0 = ignored).
    pub mpp_open_weight: f64,
    /// Half-life in days of the recency-weighted activity feature.
    pub recency_half_life_days: f64,
    /// Form ids submitted fewer times than this in training share one `other forms` count.
    pub min_form_count: usize,
    /// Activity exports of other shapes than `lead_id, timestamp, event_type, …`
    /// (`[[events.files]]`): how each becomes events.
    pub files: Vec<EventFileShape>,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            high_value_pages: vec!["/pricing".into(), "/contact".into(), "/demo".into()],
            mpp_open_weight: 0.0,
            recency_half_life_days: 30.0,
            min_form_count: 20,
            files: Vec::new(),
        }
    }
}

/// `[segments]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentsConfig {
    /// The lead column whose values are the segments (`product_line`, `persona`,
    /// `is_customer`); none: one model for all leads.
    pub by: Option<String>,
    /// Fewest training leads a segment needs for a model of its own; smaller segments and
    /// leads without a segment are scored by the shared model.
    pub min_leads: usize,
    /// Fewest conversions a segment needs for a model of its own.
    pub min_conversions: usize,
    /// How hard a segment's model is pulled toward the shared one, as multiples of the shared
    /// model's L2 strength, tried by cross-validation; empty (the default) tries 1, 4, 16, 64
    /// and 256 up to [`MANY_LEADS`] leads, 1, 4 and 16 above (where a segment's own leads
    /// decide). A segment of few leads stays close to the shared model, one of many becomes
    /// its own.
    pub pull: Vec<f64>,
    /// A segment's own score cut points and MQL threshold (`[[segments.override]]`): the
    /// sales team of a product line may call leads at another score. Its rules are the rules
    /// with `segment` set.
    #[serde(rename = "override")]
    pub overrides: Vec<SegmentOverride>,
}

/// `[[segments.override]]`: one segment's own bands on the 0–100 score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentOverride {
    /// The segment (a value of `[segments] by`).
    pub value: String,
    /// Its cut points between the bands (as many as `[score] cuts`; default: those).
    pub cuts: Option<Vec<f64>>,
    /// Its MQL threshold (default: `[score] mql`).
    pub mql: Option<f64>,
}

impl SegmentOverride {
    /// The `shared` bands with this segment's own cut points and MQL threshold.
    pub fn bands(&self, shared: &crate::bands::Bands) -> crate::bands::Bands {
        crate::bands::Bands {
            names: shared.names.clone(),
            cuts: self.cuts.clone().unwrap_or_else(|| shared.cuts.clone()),
            mql: self.mql.unwrap_or(shared.mql),
        }
    }
}

impl Default for SegmentsConfig {
    fn default() -> Self {
        SegmentsConfig {
            by: None,
            min_leads: 1_000,
            min_conversions: 100,
            pull: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

impl SegmentsConfig {
    /// The pulls tried on `leads` training leads: as set, or chosen by their number.
    pub fn pull_grid(&self, leads: usize) -> Vec<f64> {
        match (self.pull.is_empty(), leads <= MANY_LEADS) {
            (false, _) => self.pull.clone(),
            (true, true) => vec![1.0, 4.0, 16.0, 64.0, 256.0],
            (true, false) => vec![1.0, 4.0, 16.0],
        }
    }
}

/// How the validation split is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    /// Stratified random split with the seed.
    #[default]
    Random,
    /// Train on the oldest leads, validate on the newest (needs `[data] time`).
    Time,
}

/// Leads up to which cross-validation uses 10 folds rather than 5 (with `folds = 0`).
pub const MANY_LEADS: usize = 20_000;

/// `[model]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Inverse L2 strengths tried by cross-validation, as scikit-learn's `C` on the training
    /// leads; empty (the default) chooses: seven from 0.01 to 10 for up to [`MANY_LEADS`]
    /// leads, where the strength matters, four above, where it matters little.
    pub c_grid: Vec<f64>,
    /// Cross-validation folds; 0 (the default) chooses: 10 for up to [`MANY_LEADS`] leads,
    /// where every lead counts, 5 above, where 5 lose nothing and take half the time.
    pub folds: usize,
    /// Validation split.
    pub split: SplitKind,
    /// Share of the newest leads measured apart with `split = "time"`.
    pub validation_fraction: f64,
    /// Seed for splits and folds.
    pub seed: u64,
    /// L-BFGS iterations at most.
    pub max_iterations: u64,
    /// Cross-validation runs on a stratified sample of at most this many training leads.
    pub grid_sample: usize,
}

impl ModelConfig {
    /// The strengths tried on `leads` leads: as set, or chosen by their number.
    pub fn c_grid_for(&self, leads: usize) -> Vec<f64> {
        match (self.c_grid.is_empty(), leads <= MANY_LEADS) {
            (false, _) => self.c_grid.clone(),
            (true, true) => vec![0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
            (true, false) => vec![0.01, 0.1, 1.0, 10.0],
        }
    }

    /// The folds of a cross-validation on `leads` leads: as set, or chosen by their number.
    pub fn folds_for(&self, leads: usize) -> usize {
        match self.folds {
            0 if leads <= MANY_LEADS => 10,
            0 => 5,
            folds => folds,
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            c_grid: Vec::new(),
            folds: 0,
            split: SplitKind::Random,
            validation_fraction: 0.2,
            seed: 42,
            max_iterations: 300,
            grid_sample: 50_000,
        }
    }
}

/// Which calibration to fit: `[blend] calibration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMethod {
    /// Logistic on the log-odds.
    #[default]
    Platt,
    /// Monotone step function, linearly interpolated.
    Isotonic,
    /// None: probabilities are used as they are.
    None,
}

/// `[blend]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlendConfig {
    /// `platt` (default), `isotonic` or `none`.
    pub calibration: CalibrationMethod,
    /// No longer read: the blend and the calibration are fitted on out-of-fold predictions.
    /// Kept so that config files and model files that have it still load.
    pub calibration_fraction: f64,
    /// Log-odds per rule point, when the rules' weight is fixed rather than learned.
    pub rule_weight: Option<f64>,
}

impl Default for BlendConfig {
    fn default() -> Self {
        BlendConfig {
            calibration: CalibrationMethod::Platt,
            calibration_fraction: 0.2,
            rule_weight: None,
        }
    }
}

/// `[score]`: bands and MQL threshold on the 0–100 score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScoreBands(pub crate::bands::Bands);

impl Default for ScoreBands {
    fn default() -> Self {
        ScoreBands(crate::bands::Bands {
            names: vec!["cold".into(), "warm".into(), "hot".into()],
            cuts: vec![25.0, 60.0],
            mql: 60.0,
        })
    }
}

impl Config {
    /// The text of a config file.
    pub fn read_text(path: &Path) -> Result<String> {
        std::fs::read_to_string(path).map_err(|e| {
            Error::rejected(
                Location::file(path),
                format!("cannot read the config file: {e}"),
                "check the path given to --config",
            )
        })
    }

    /// Parses and validates config text (its rules sections are validated into a rule set by
    /// `RuleSet::from_config`); `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        Config::parse_with(text, path, None)
    }

    /// The settings of `source`'s preset alone, or the defaults.
    pub fn from_source(source: Option<Source>) -> Result<Config> {
        match source {
            Some(source) => Config::parse_with("", Path::new("(no config file)"), Some(source)),
            None => Ok(Config::default()),
        }
    }

    /// Parses and validates config text laid over the preset of `source` (`--source`), or of
    /// the file's own `[data] source`.
    pub fn parse_with(text: &str, path: &Path, source: Option<Source>) -> Result<Config> {
        let fix = "see docs/configuration.md for the keys each section accepts";
        let mut table: toml::Table = parse_toml(text, path, fix)?;
        let formats = take_formats(&mut table);
        let from_table = |table: toml::Table, path: &Path| -> Result<Config> {
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
                Error::rejected(Location::file(path), e.message().trim().to_string(), fix)
            })
        };
        let mut config: Config = match formats {
            // The text as it is, for messages that give the line.
            None => parse_toml(text, path, fix)?,
            Some(_) => from_table(table.clone(), path)?,
        };
        let mut all_formats = BTreeMap::new();
        if let Some(source) = source.or(config.data.source) {
            let preset_path = std::path::PathBuf::from(format!("the {source} preset"));
            let mut preset: toml::Table = parse_toml(source.preset(), &preset_path, fix)?;
            if let Some(formats) = take_formats(&mut preset) {
                all_formats = parse_formats(&formats, &preset_path)?;
            }
            presets::lay_over(&mut preset, table);
            config = from_table(preset, path)?;
            config.data.source = Some(source);
        }
        if let Some(formats) = formats {
            all_formats.extend(parse_formats(&formats, path)?);
        }
        config.data.formats = all_formats;
        config.validate(path)?;
        Ok(config)
    }

    /// The rules sections as a rules file.
    pub fn rules_file(&self) -> rules::RulesFile {
        rules::RulesFile {
            points: self.points.clone(),
            bands: self.bands.clone(),
            decay: self.decay.clone(),
            rules: self.rules.clone(),
        }
    }

    /// Checks values that TOML types alone cannot.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let bad = |key: &str, problem: String, fix: &str| {
            Err(Error::rejected(Location::file(path).column(key), problem, fix))
        };
        let m = &self.model;
        if m.c_grid.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
            return bad(
                "model.c_grid",
                format!("{:?} must be positive numbers", m.c_grid),
                "use e.g. c_grid = [0.1, 1.0, 10.0]",
            );
        }
        if m.max_iterations == 0 {
            return bad(
                "model.max_iterations",
                "0 iterations cannot fit a model".into(),
                "use e.g. 300 (the default)",
            );
        }
        if let Some(as_of) = &self.data.as_of {
            if crate::formats::parse_timestamp(as_of.trim()).is_none() {
                return bad(
                    "data.as_of",
                    format!("\"{as_of}\" is not a date"),
                    "write it as YYYY-MM-DD or an RFC 3339 timestamp, e.g. as_of = \"2026-06-30\"",
                );
            }
        }
        if m.folds == 1 {
            return bad(
                "model.folds",
                format!("{} folds cannot cross-validate", m.folds),
                "use 2 or more (5 is usual)",
            );
        }
        if !(m.validation_fraction > 0.0 && m.validation_fraction < 0.9) {
            return bad(
                "model.validation_fraction",
                format!("{} is not a share between 0 and 0.9", m.validation_fraction),
                "use e.g. 0.2",
            );
        }
        if !(0.5..=1.0).contains(&self.features.leakage_auc) {
            return bad(
                "features.leakage_auc",
                format!("{} is not between 0.5 and 1", self.features.leakage_auc),
                "use e.g. 0.95",
            );
        }
        if self.events.recency_half_life_days <= 0.0 || !self.events.recency_half_life_days.is_finite() {
            return bad(
                "events.recency_half_life_days",
                "must be a positive number of days".into(),
                "use e.g. 30",
            );
        }
        if !(0.0..=1.0).contains(&self.events.mpp_open_weight) {
            return bad(
                "events.mpp_open_weight",
                "must be between 0 and 1".into(),
                "use 0 to ignore privacy-proxy opens",
            );
        }
        if self.blend.calibration != CalibrationMethod::None
            && !(self.blend.calibration_fraction > 0.0 && self.blend.calibration_fraction < 0.9)
        {
            return bad(
                "blend.calibration_fraction",
                format!("{} is not a share between 0 and 0.9", self.blend.calibration_fraction),
                "use e.g. 0.2, or calibration = \"none\"",
            );
        }
        crate::bands::validate_bands(&self.score.0, path, "score")?;
        let score = &self.score.0;
        if let Some(out) = score
            .cuts
            .iter()
            .chain([&score.mql])
            .find(|x| !(0.0..=100.0).contains(*x))
        {
            return bad(
                "score",
                format!("{out} is outside 0–100: the score runs from 0 to 100, so no lead would ever reach it (or every lead would)"),
                "put the cut points and the MQL threshold between 0 and 100, e.g. cuts = [25, 60], mql = 60",
            );
        }
        if let Some(days) = self.data.window_days {
            if !(days.is_finite() && days > 0.0) {
                return bad(
                    "data.window_days",
                    format!("{days} is not a positive number of days"),
                    "use e.g. window_days = 45",
                );
            }
            if self.data.time.is_none() {
                return bad(
                    "data.window_days",
                    "counts days from each lead's creation, and [data] time names no creation column".into(),
                    "name the creation date column in [data] time",
                );
            }
        }
        if self.data.converted_values.iter().any(|v| v.trim().is_empty()) {
            return bad(
                "data.converted_values",
                "has an empty value".into(),
                "list the outcome column's values that mean converted, e.g. [\"customer\"]",
            );
        }
        event_files::validate(&self.events.files, path)?;
        if self.segments.pull.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            return bad(
                "segments.pull",
                format!("{:?} must be positive numbers", self.segments.pull),
                "use e.g. pull = [1, 4, 16] (multiples of the shared model's L2 strength)",
            );
        }
        for (i, o) in self.segments.overrides.iter().enumerate() {
            let key = format!("segments.override[{}] \"{}\"", i + 1, o.value);
            if self.segments.overrides[..i].iter().any(|p| p.value == o.value) {
                return bad(
                    &key,
                    "is given twice".into(),
                    "give each segment one [[segments.override]]",
                );
            }
            let bands = o.bands(&self.score.0);
            crate::bands::validate_bands(&bands, path, &key)?;
            let outside = (bands.cuts.iter().copied())
                .chain([bands.mql])
                .find(|x| !(0.0..=100.0).contains(x));
            if let Some(out) = outside {
                return bad(
                    &key,
                    format!("{out} is outside 0–100"),
                    "put the cut points and the MQL threshold between 0 and 100",
                );
            }
        }
        if m.grid_sample < 100 {
            return bad(
                "model.grid_sample",
                "is too small to cross-validate".into(),
                "use at least 1000",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_rejected_with_line_and_column() {
        let text = "[data]\ntarget = \"converted\"\n\n[model]\nfolds = 5\nfoldz = 3\n";
        let err = Config::parse(text, Path::new("leadscore.toml")).unwrap_err();
        let message = err.to_string();
        assert_eq!(err.exit_code(), 3);
        assert!(message.contains("line 6"), "{message}");
        assert!(message.contains("character 1"), "{message}");
        assert!(message.contains("foldz"), "{message}");
    }

    #[test]
    fn defaults_fill_missing_sections() {
        let config = Config::parse("[data]\ntarget = \"won\"\n", Path::new("x.toml")).unwrap();
        assert_eq!(config.data.target.as_deref(), Some("won"));
        assert_eq!(config.model.folds, 0);
        assert_eq!(
            (config.model.folds_for(1000), config.model.folds_for(1_000_000)),
            (10, 5)
        );
        assert!(config.data.missing_values.iter().any(|m| m == "Select"));
    }

    #[test]
    fn invalid_values_are_rejected() {
        let err = Config::parse("[model]\nc_grid = [-1.0]\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("model.c_grid"));
        let err = Config::parse("[model]\nfolds = 1\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("folds"));
    }
}
