//! Model files of formats 3 and 4, whose settings were laid out field by field (bincode) as
//! `Config` then stood: they are read into that layout, then into today's [`ModelArtifact`],
//! and score exactly as they did. From format 5 the settings are kept as JSON text, so that
//! settings added later leave a file readable. Every type the layouts below name must keep the
//! fields it had then: one that gains a field is copied here as it was (as `[data]`,
//! `[features]`, `[events]`, `[points]`, the rules and the blend are).

use serde::Deserialize;

use super::{DataFingerprint, InputSchema, ModelArtifact, TrainingReport};
use crate::config::{BlendConfig, Config, DataConfig, EventsConfig, FeatureConfig, ModelConfig, ScoreBands};
use crate::data::events::EventFeatureSpec;
use crate::features::FeaturePipeline;
use crate::model::logistic::LogisticModel;

/// `[data]` as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct DataConfigV4 {
    target: Option<String>,
    id: Option<String>,
    snapshot: Option<String>,
    time: Option<String>,
    as_of: Option<String>,
    missing_values: Vec<String>,
}

/// `[features]` as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct FeatureConfigV4 {
    include: Vec<String>,
    exclude: Vec<String>,
    types: std::collections::BTreeMap<String, crate::config::ColumnType>,
    roles: std::collections::BTreeMap<String, crate::config::Role>,
    min_frequency: usize,
    max_categories: usize,
    log1p: crate::config::Log1p,
    leakage: crate::config::LeakagePolicy,
    leakage_auc: f64,
    competitor_domains: Vec<String>,
}

/// `[events]` as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct EventsConfigV4 {
    high_value_pages: Vec<String>,
    mpp_open_weight: f64,
    recency_half_life_days: f64,
    min_form_count: usize,
}

/// `[points]` as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct PointsSettingsV4 {
    segment_by: Option<String>,
    max_total: Option<f64>,
    min_total: Option<f64>,
}

impl From<PointsSettingsV4> for crate::config::rules::PointsSettings {
    fn from(old: PointsSettingsV4) -> Self {
        crate::config::rules::PointsSettings {
            base: None,
            segment_by: old.segment_by,
            max_total: old.max_total,
            min_total: old.min_total,
            reset_on: None,
        }
    }
}

/// A `[[rules]]` entry as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct RuleV4 {
    name: String,
    points: f64,
    segment: Option<String>,
    column: Option<String>,
    equals: Option<String>,
    in_list: Option<Vec<String>>,
    not_in: Option<Vec<String>>,
    at_least: Option<f64>,
    at_most: Option<f64>,
    contains: Option<String>,
    regex: Option<String>,
    domain_in: Option<Vec<String>>,
    event: Option<String>,
    url_contains: Option<Vec<String>>,
    form_id: Option<String>,
    asset: Option<String>,
    email_id: Option<String>,
    within_days: Option<f64>,
    count: crate::config::rules::Count,
    cap: Option<f64>,
    include_mpp: bool,
}

impl From<RuleV4> for crate::config::rules::Rule {
    fn from(old: RuleV4) -> Self {
        crate::config::rules::Rule {
            name: old.name,
            points: old.points,
            segment: old.segment,
            column: old.column,
            equals: old.equals,
            in_list: old.in_list,
            not_in: old.not_in,
            at_least: old.at_least,
            at_most: old.at_most,
            contains: old.contains,
            regex: old.regex,
            domain_in: old.domain_in,
            missing: None,
            event: old.event,
            url_contains: old.url_contains,
            form_id: old.form_id,
            asset: old.asset,
            email_id: old.email_id,
            within_days: old.within_days,
            count: old.count,
            cap: old.cap,
            include_mpp: old.include_mpp,
        }
    }
}

/// The rules of a blend as formats 3 and 4 hold them.
#[derive(Deserialize)]
struct RulesFileV4 {
    points: PointsSettingsV4,
    bands: crate::bands::Bands,
    decay: Option<crate::config::rules::Decay>,
    rules: Vec<RuleV4>,
}

/// The blend as formats 3 and 4 hold it.
#[derive(Deserialize)]
struct BlendV4 {
    rules: RulesFileV4,
    model_weight: f64,
    points_weight: f64,
    intercept: f64,
    fixed: bool,
}

impl From<BlendV4> for crate::blend::Blend {
    fn from(old: BlendV4) -> Self {
        crate::blend::Blend {
            rules: crate::config::rules::RulesFile {
                points: old.rules.points.into(),
                bands: old.rules.bands,
                decay: old.rules.decay,
                rules: old.rules.rules.into_iter().map(Into::into).collect(),
            },
            model_weight: old.model_weight,
            points_weight: old.points_weight,
            intercept: old.intercept,
            fixed: old.fixed,
        }
    }
}

/// The settings as formats 3 and 4 hold them.
#[derive(Deserialize)]
struct ConfigV4 {
    data: DataConfigV4,
    features: FeatureConfigV4,
    events: EventsConfigV4,
    model: ModelConfig,
    blend: BlendConfig,
    score: ScoreBands,
    points: PointsSettingsV4,
    bands: crate::bands::Bands,
    decay: Option<crate::config::rules::Decay>,
    rules: Vec<RuleV4>,
}

/// A model file of format 3 or 4.
#[derive(Deserialize)]
pub(super) struct ArtifactV4 {
    format_version: u32,
    leadscore_version: String,
    trained_at: String,
    data: DataFingerprint,
    config: ConfigV4,
    schema: InputSchema,
    events: Option<EventFeatureSpec>,
    pipeline: FeaturePipeline,
    input_names: Vec<String>,
    model: LogisticModel,
    blend: Option<BlendV4>,
    scorer: crate::scorer::Scorer,
    training: TrainingReport,
}

impl From<ArtifactV4> for ModelArtifact {
    fn from(old: ArtifactV4) -> ModelArtifact {
        let c = old.config;
        let config = Config {
            data: DataConfig {
                target: c.data.target,
                id: c.data.id,
                snapshot: c.data.snapshot,
                time: c.data.time,
                as_of: c.data.as_of,
                missing_values: c.data.missing_values,
                ..DataConfig::default()
            },
            features: FeatureConfig {
                include: c.features.include,
                exclude: c.features.exclude,
                types: c.features.types,
                roles: c.features.roles,
                min_frequency: c.features.min_frequency,
                max_categories: c.features.max_categories,
                log1p: c.features.log1p,
                // Models of before shaped numbers read them as straight lines.
                shape: crate::config::Shape::Linear,
                leakage: c.features.leakage,
                leakage_auc: c.features.leakage_auc,
                competitor_domains: c.features.competitor_domains,
                ..FeatureConfig::default()
            },
            events: EventsConfig {
                high_value_pages: c.events.high_value_pages,
                mpp_open_weight: c.events.mpp_open_weight,
                recency_half_life_days: c.events.recency_half_life_days,
                min_form_count: c.events.min_form_count,
                ..EventsConfig::default()
            },
            model: c.model,
            blend: c.blend,
            score: c.score,
            segments: Default::default(),
            points: c.points.into(),
            bands: c.bands,
            decay: c.decay,
            rules: c.rules.into_iter().map(Into::into).collect(),
        };
        ModelArtifact {
            format_version: old.format_version,
            leadscore_version: old.leadscore_version,
            trained_at: old.trained_at,
            data: old.data,
            config,
            schema: old.schema,
            events: old.events,
            pipeline: old.pipeline,
            input_names: old.input_names,
            model: old.model,
            blend: old.blend.map(Into::into),
            scorer: old.scorer,
            training: old.training,
            segments: None,
            segment_calibrations: Vec::new(),
        }
    }
}
