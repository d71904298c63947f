//! The evaluation report: every figure a sales and marketing meeting needs to decide whether the
//! scores can be trusted, which rule points to change and where the MQL threshold goes.
//!
//! [`Report`] is what `report.json` holds (schema in `report.schema.json`, version
//! [`SCHEMA_VERSION`]); [`html`] and [`markdown`] render it, with the charts of [`charts`].
//! Everything here is computed from scored leads by pure functions of [`crate::metrics`].

pub mod audit;
pub mod charts;
pub mod document;
pub mod html;
pub mod markdown;

use serde::{Deserialize, Serialize};

use crate::bands::Bands;
use crate::metrics::{self, GainsRow, ReliabilityBin};

/// Version of the `report.json` layout; raised whenever a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;
/// The JSON Schema of `report.json`.
pub const SCHEMA: &str = include_str!("report.schema.json");

/// Bins of the reliability diagram.
pub const RELIABILITY_BINS: usize = 10;
/// Groups of the gains table (deciles).
pub const GAINS_GROUPS: usize = 10;
/// Width of the score buckets of the separation histogram.
pub const HISTOGRAM_WIDTH: u32 = 5;
/// Width of the score buckets of the bands table.
pub const BUCKET_WIDTH: u32 = 10;
/// Points kept on each ROC curve (the curve is thinned evenly to this many).
pub const ROC_POINTS: usize = 200;

/// Everything in `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `leadscore-evaluation`.
    pub schema: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// leadscore version that wrote it.
    pub leadscore_version: String,
    /// When (RFC 3339, UTC).
    pub generated_at: String,
    /// The model evaluated.
    pub model: ModelInfo,
    /// The labelled leads it was evaluated on.
    pub data: DataInfo,
    /// Headline figures per score kind: the score, the model alone, the rule points alone.
    pub headline: Vec<ScoreMetrics>,
    /// Predicted vs observed conversion per probability bin, per score kind with probabilities.
    pub reliability: Vec<Reliability>,
    /// How well the score separates converters from the others.
    pub separation: Separation,
    /// Cumulative gains and lift per decile, per score kind.
    pub gains: Vec<Gains>,
    /// Leads and conversion per band and per 10-point score bucket; the MQLs.
    pub bands: BandsSection,
    /// Leads per period above each threshold against sales capacity.
    pub capacity: Capacity,
    /// Each rule's points against what the data says they are worth (when there are rules).
    pub rule_audit: Option<audit::RuleAudit>,
    /// The model's strongest factors and training's leakage warnings.
    pub factors: Factors,
    /// Drift of these leads from the training leads.
    pub drift: Drift,
    /// Things a reviewer should know before trusting the figures.
    pub warnings: Vec<String>,
    /// With a model per segment: each segment's leads scored by its model and by the shared one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<SegmentsSection>,
}

/// Each segment's leads, scored by the segment's model and by the shared model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentsSection {
    /// The segments column.
    pub column: String,
    /// One row per segment with a model of its own, then the leads scored by the shared model.
    pub rows: Vec<SegmentRow>,
}

/// One segment's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The segment's value, or `shared` for the leads of no segment with a model.
    pub segment: String,
    /// Leads evaluated.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// ROC AUC of the score (the segment's model).
    pub roc_auc: Option<f64>,
    /// ROC AUC of the shared model alone on the same leads.
    pub shared_roc_auc: Option<f64>,
    /// Expected calibration error of the score (10 equal-count bins).
    pub ece: Option<f64>,
    /// Mean score probability.
    pub mean_probability: f64,
    /// Average precision of the score.
    #[serde(default)]
    pub pr_auc: Option<f64>,
    /// Leads at or above the MQL threshold (the segment's own, with `[[segments.override]]`).
    #[serde(default)]
    pub mqls: usize,
    /// Of them, converted.
    #[serde(default)]
    pub mql_conversions: usize,
    /// The segment's leads per band, each by its own band (its segment's cut points with
    /// `[[segments.override]]`; the ranges are those of the row's segment).
    #[serde(default)]
    pub bands: Vec<ScoreRange>,
    /// Reliability of the score on the segment's leads (10 equal-width probability bins).
    #[serde(default)]
    pub reliability: Vec<ReliabilityBin>,
    /// The segment's leads in deciles of the score, top-scored first.
    #[serde(default)]
    pub gains: Vec<GainsRow>,
    /// Where the segment's model differs most from the shared one (none for the shared
    /// model's leads).
    #[serde(default)]
    pub differs: Vec<SegmentInput>,
    /// With `--segment-capacity`: the MQL threshold that fits the segment's sales team.
    #[serde(default)]
    pub capacity: Option<SegmentThreshold>,
    /// PSI of the score against the segment's training leads (none for rows of values with
    /// bands of their own, and for model files from before the references).
    #[serde(default)]
    pub score_psi: Option<f64>,
    /// The rules audited on the segment's leads alone, when there are rules.
    #[serde(default)]
    pub rule_audit: Option<audit::RuleAudit>,
}

/// The MQL threshold that fits one segment's sales capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentThreshold {
    /// Leads the segment's sales team can work per period (`--segment-capacity`).
    pub capacity: f64,
    /// The segment's MQL threshold now (its own with `[[segments.override]]`).
    pub mql_threshold: f64,
    /// Its MQLs per period now.
    pub mqls_per_period: f64,
    /// The lowest threshold whose leads per period stay within the capacity (null: even a
    /// score of 100 gives more).
    pub fitting_threshold: Option<u32>,
    /// What that threshold gives the segment's team.
    pub at_fitting: Option<ThresholdRow>,
}

/// One model input of a segment's model beside the shared one's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentInput {
    /// The input, as `inspect` names it.
    pub input: String,
    /// Its weight (log-odds) in the shared model.
    pub shared: f64,
    /// Its weight in the segment's model.
    pub own: f64,
}

/// A batch's leads with segments, as the segments section reads them.
pub struct SegmentedLeads<'a> {
    /// The segments column.
    pub column: &'a str,
    /// The rows: the segments with a model of their own, then `shared`, then the values scored
    /// by the shared model with bands of their own.
    pub names: &'a [String],
    /// Periods the leads cover (as the capacity section counts them).
    pub periods: f64,
    /// Leads each row's sales team can work per period, where given.
    pub capacities: &'a [Option<f64>],
    /// Each row's drift reference (its training leads' probabilities), where the model has one.
    pub references: &'a [Option<&'a crate::drift::Histogram>],
    /// Each lead's row.
    pub rows: &'a [usize],
    /// Whether each converted.
    pub outcome: &'a [bool],
    /// Each lead's calibrated probability.
    pub probability: &'a [f64],
    /// Each lead's 0–100 score.
    pub score: &'a [f64],
    /// Each lead's band (index in the band names) and MQL flag, by its own bands.
    pub band: &'a [(usize, bool)],
    /// Each lead's log-odds by the shared model alone.
    pub shared_z: &'a [f64],
    /// The bands of each row.
    pub bands: &'a [Bands],
    /// Where each row's model differs most from the shared one.
    pub differs: &'a [Vec<SegmentInput>],
}

/// The segments section: for each row (a segment, or leads scored by the shared model), the
/// figures of the score, its bands, reliability and gains, and the shared model's ROC AUC.
pub fn segments(leads: &SegmentedLeads) -> SegmentsSection {
    let mut rows = Vec::new();
    for (k, name) in leads.names.iter().enumerate() {
        let members: Vec<usize> = (0..leads.rows.len()).filter(|&i| leads.rows[i] == k).collect();
        if members.is_empty() {
            continue;
        }
        let pick = |values: &[f64]| -> Vec<f64> { members.iter().map(|&i| values[i]).collect() };
        let y: Vec<bool> = members.iter().map(|&i| leads.outcome[i]).collect();
        let p = pick(leads.probability);
        let mql = |i: usize| leads.band[i].1;
        let bands = &leads.bands[k];
        let mqls = members.iter().filter(|&&i| mql(i)).count();
        let mut edges = vec![0.0];
        edges.extend(&bands.cuts);
        edges.push(101.0);
        let band_rows = (bands.names.iter().enumerate())
            .map(|(b, name)| {
                let within = (members.iter())
                    .filter(|&&i| leads.band[i].0 == b)
                    .map(|&i| (leads.outcome[i], leads.probability[i]));
                score_range(name.clone(), edges[b] as u32, (edges[b + 1] - 1.0) as u32, within)
            })
            .collect();
        rows.push(SegmentRow {
            segment: name.clone(),
            leads: members.len(),
            conversions: y.iter().filter(|&&c| c).count(),
            roc_auc: metrics::roc_auc(&y, &p),
            shared_roc_auc: metrics::roc_auc(&y, &pick(leads.shared_z)),
            ece: Some(metrics::expected_calibration_error(&y, &p, 10)).filter(|e| e.is_finite()),
            mean_probability: p.iter().sum::<f64>() / p.len() as f64,
            pr_auc: metrics::average_precision(&y, &p),
            mqls,
            mql_conversions: members.iter().filter(|&&i| mql(i) && leads.outcome[i]).count(),
            bands: band_rows,
            reliability: metrics::reliability(&y, &p, RELIABILITY_BINS),
            gains: metrics::gains(&y, &p, GAINS_GROUPS),
            differs: leads.differs.get(k).cloned().unwrap_or_default(),
            capacity: (leads.capacities.get(k).copied().flatten()).map(|work| {
                let fits = capacity(&y, &pick(leads.score), "", (leads.periods, String::new()), Some(work));
                SegmentThreshold {
                    capacity: work,
                    mql_threshold: bands.mql,
                    mqls_per_period: mqls as f64 / leads.periods.max(f64::MIN_POSITIVE),
                    fitting_threshold: fits.fitting_threshold,
                    at_fitting: (fits.fitting_threshold).map(|t| fits.thresholds[t as usize].clone()),
                }
            }),
            score_psi: (leads.references.get(k).copied().flatten())
                .map(|reference| metrics::psi(&reference.shares, &reference.shares_of(&p))),
            rule_audit: None,
        });
    }
    SegmentsSection {
        column: leads.column.to_string(),
        rows,
    }
}

/// The model evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model file.
    pub file: String,
    /// When it was trained.
    pub trained_at: String,
    /// The file it was trained on.
    pub trained_on: String,
    /// Leads it was trained on.
    pub training_leads: usize,
    /// `platt`, `isotonic` or `none`.
    pub calibration: String,
    /// Whether the score blends the model with rule points.
    pub blended_with_rules: bool,
    /// Log-odds per rule point in the blend.
    pub points_weight: Option<f64>,
    /// The MQL threshold on the 0–100 score.
    pub mql_threshold: f64,
}

/// The labelled leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// Lead file.
    pub file: String,
    /// Leads scored (and evaluated).
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// conversions / leads.
    pub base_rate: f64,
    /// Leads that could not be scored (see the rejects file).
    pub rejected: usize,
    /// Where the rejected leads were written, when there were any.
    pub rejects_file: Option<String>,
    /// Creation dates the leads cover, when they have them.
    pub period: Option<Period>,
}

/// Dates covered by the leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// First creation date (YYYY-MM-DD).
    pub from: String,
    /// Last creation date.
    pub to: String,
    /// Days between them, at least 1.
    pub days: f64,
}

/// Which score a figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// The score `leadscore score` writes (calibrated; blended with the rules when trained with them).
    Score,
    /// The model's own probability, before blend and calibration.
    Model,
    /// The rule points alone (a ranking, not a probability).
    Rules,
    /// A score the leads already carry, such as the CRM's own (`evaluate --compare-column`):
    /// a ranking, not a probability.
    Compared,
}

impl ScoreKind {
    /// How the report names it.
    pub fn label(self, blended: bool) -> &'static str {
        match (self, blended) {
            (ScoreKind::Score, true) => "Blended score",
            (ScoreKind::Score, false) => "Score",
            (ScoreKind::Model, _) => "Model only",
            (ScoreKind::Rules, _) => "Rule points only",
            (ScoreKind::Compared, _) => "Compared score",
        }
    }
}

/// Headline figures of one score kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreMetrics {
    /// Which score.
    pub kind: ScoreKind,
    /// Its name in the report.
    pub label: String,
    /// Area under the ROC curve.
    pub roc_auc: Option<f64>,
    /// Average precision (area under the precision–recall curve).
    pub pr_auc: Option<f64>,
    /// Log loss (probabilities only).
    pub log_loss: Option<f64>,
    /// Brier score (probabilities only).
    pub brier: Option<f64>,
    /// Expected calibration error over 10 equal-count bins (probabilities only).
    pub ece: Option<f64>,
    /// Kolmogorov–Smirnov statistic.
    pub ks: Option<f64>,
    /// For the score: its ranking figures on the 0–100 score as people rank by it, where leads
    /// of one whole score tie (the figures above are on its probability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_ranked: Option<RankedFigures>,
}

/// Ranking figures of the whole 0–100 score, ties included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedFigures {
    /// Area under the ROC curve (a tie counts half).
    pub roc_auc: Option<f64>,
    /// Average precision.
    pub pr_auc: Option<f64>,
    /// Kolmogorov–Smirnov statistic.
    pub ks: Option<f64>,
}

/// A reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Which score.
    pub kind: ScoreKind,
    /// Its name.
    pub label: String,
    /// Non-empty bins of 10 equal-width probability bins.
    pub bins: Vec<ReliabilityBin>,
}

/// Hot/cold separation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Separation {
    /// Score buckets of [`HISTOGRAM_WIDTH`] points: converters and the others per bucket.
    pub histogram: Vec<HistogramBucket>,
    /// ROC curves, thinned.
    pub roc: Vec<RocCurve>,
}

/// Converters and non-converters in one score bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramBucket {
    /// Lowest score in the bucket.
    pub from: u32,
    /// Highest score in the bucket.
    pub to: u32,
    /// Converted leads with such a score.
    pub converters: usize,
    /// The other leads.
    pub non_converters: usize,
}

/// A ROC curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// Which score.
    pub kind: ScoreKind,
    /// Its name.
    pub label: String,
    /// (false positive rate, true positive rate), from (0, 0) to (1, 1).
    pub points: Vec<(f64, f64)>,
}

/// A gains table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gains {
    /// Which score.
    pub kind: ScoreKind,
    /// Its name.
    pub label: String,
    /// Deciles, top-scored first.
    pub groups: Vec<GainsRow>,
}

/// Leads and conversion in a range of scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRange {
    /// Band name, or the bucket as `40–49`.
    pub name: String,
    /// Lowest score in the range.
    pub from: u32,
    /// Highest score in the range.
    pub to: u32,
    /// Leads.
    pub leads: usize,
    /// Conversions.
    pub conversions: usize,
    /// conversions / leads (null without leads).
    pub conversion_rate: Option<f64>,
    /// Mean calibrated probability of these leads (null without leads).
    pub mean_probability: Option<f64>,
}

/// Bands, buckets and MQLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandsSection {
    /// One row per band, coldest first.
    pub bands: Vec<ScoreRange>,
    /// One row per 10-point score bucket.
    pub buckets: Vec<ScoreRange>,
    /// The MQLs.
    pub mql: Mql,
}

/// Marketing qualified leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mql {
    /// Score from which a lead is an MQL.
    pub threshold: f64,
    /// MQLs.
    pub leads: usize,
    /// MQLs that converted.
    pub conversions: usize,
    /// Their conversion rate (null without MQLs).
    pub conversion_rate: Option<f64>,
    /// Share of all conversions that were MQLs.
    pub share_of_conversions: f64,
}

/// Thresholds against sales capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// `day`, `week` or `month`.
    pub period: String,
    /// How many periods the leads cover.
    pub periods: f64,
    /// How the number of periods was found.
    pub periods_from: String,
    /// Leads sales can work per period (`--capacity`).
    pub capacity: Option<f64>,
    /// Every threshold 0–100.
    pub thresholds: Vec<ThresholdRow>,
    /// The lowest threshold that keeps the leads per period within capacity.
    pub fitting_threshold: Option<u32>,
}

/// What one threshold gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRow {
    /// Leads with a score at or above this go to sales.
    pub threshold: u32,
    /// Leads at or above it.
    pub leads: usize,
    /// Per period.
    pub leads_per_period: f64,
    /// Share of them that converted (null without leads).
    pub precision: Option<f64>,
    /// Share of all conversions they hold.
    pub recall: f64,
}

/// The model's factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factors {
    /// Strongest factors for converting, strongest first.
    pub positive: Vec<Factor>,
    /// Strongest factors against, strongest first.
    pub negative: Vec<Factor>,
    /// Warnings from training (leakage and others).
    pub training_warnings: Vec<String>,
    /// The numbers that entered with a shape, the widest effect first (at most
    /// [`SHAPES_SHOWN`]): what each adds to the log-odds across its values.
    #[serde(default)]
    pub shapes: Vec<ShapeCurve>,
}

/// What frames a report page: its title, what it is about (for the window title), the line
/// under the title, and the footer.
pub struct Page {
    /// `Lead score evaluation`.
    pub title: String,
    /// The model file, or the files compared.
    pub subject: String,
    /// `Model … · leads … · written … by leadscore …`.
    pub byline: String,
    /// Where the figures are, under the page.
    pub footer: String,
}

impl Page {
    /// `written 2026-12-07 04:14 by leadscore 0.1.0`, from an RFC 3339 time.
    pub fn written(generated_at: &str, version: &str) -> String {
        let minute = generated_at.get(..16).unwrap_or(generated_at).replace('T', " ");
        format!("written {minute} by leadscore {version}")
    }

    /// The page of an evaluation report.
    pub fn of_report(report: &Report) -> Page {
        Page {
            title: "Lead score evaluation".into(),
            subject: report.model.file.clone(),
            byline: format!(
                "Model {} · leads {} · {}",
                report.model.file,
                report.data.file,
                Page::written(&report.generated_at, &report.leadscore_version)
            ),
            footer: "Every figure is in report.json beside this page (schema: report.schema.json). Scores and \
                     outcomes per lead are in scores.csv."
                .into(),
        }
    }
}

/// Shaped numbers drawn in the report, at most.
pub const SHAPES_SHOWN: usize = 6;

/// What a shaped number adds to the log-odds across its values, against a lead at its median.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeCurve {
    /// The feature, e.g. `TotalVisits`.
    pub feature: String,
    /// `explicit` (who the lead is) or `implicit` (what the lead does).
    pub role: String,
    /// (value, log-odds) from its first cut point to its last, steps drawn where they rise.
    pub points: Vec<(f64, f64)>,
    /// The few values `inspect` shows, for the tables.
    pub summary: Vec<(f64, f64)>,
}

/// The model's shaped numbers, the widest effect (highest minus lowest log-odds) first.
pub fn shapes(artifact: &crate::artifact::ModelArtifact) -> Vec<ShapeCurve> {
    let mut curves: Vec<(f64, ShapeCurve)> = (0..artifact.pipeline.steps.len())
        .filter_map(|s| {
            let points = crate::describe::dense_curve(artifact, s, 120)?;
            let (low, high) =
                (points.iter()).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.1), h.max(p.1)));
            let step = &artifact.pipeline.steps[s];
            let role = match step.role {
                crate::config::Role::Explicit => "explicit",
                crate::config::Role::Implicit => "implicit",
            };
            Some((
                high - low,
                ShapeCurve {
                    feature: step.feature.clone(),
                    role: role.into(),
                    points,
                    summary: crate::describe::curve(artifact, s)?,
                },
            ))
        })
        .collect();
    curves.sort_by(|a, b| b.0.total_cmp(&a.0));
    curves.into_iter().take(SHAPES_SHOWN).map(|(_, c)| c).collect()
}

/// One model input in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Model input, e.g. `job_level = VP`.
    pub input: String,
    /// `explicit` (who the lead is) or `implicit` (what the lead does).
    pub role: String,
    /// Log-odds weight.
    pub coefficient: f64,
    /// exp(coefficient): how the odds of converting multiply.
    pub odds_ratio: f64,
    /// The same in words.
    pub words: String,
}

/// Drift against the training leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// PSI of the score.
    pub score_psi: f64,
    /// `stable`, `watch` or `act`.
    pub score_level: String,
    /// Features, largest PSI first.
    pub features: Vec<FeatureDrift>,
}

/// One feature's drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature.
    pub feature: String,
    /// PSI of its contribution to the score.
    pub psi: f64,
    /// `stable`, `watch` or `act`.
    pub level: String,
}

/// A score kind's values for the evaluated leads.
pub struct Series<'a> {
    /// Which score.
    pub kind: ScoreKind,
    /// Probabilities, or points for [`ScoreKind::Rules`] and [`ScoreKind::Compared`].
    pub values: &'a [f64],
    /// Its name in the report, where not the kind's (the compared column's name).
    pub name: Option<&'a str>,
}

impl Series<'_> {
    fn is_probability(&self) -> bool {
        !matches!(self.kind, ScoreKind::Rules | ScoreKind::Compared)
    }

    fn label(&self, blended: bool) -> String {
        self.name
            .map_or_else(|| self.kind.label(blended).to_string(), str::to_string)
    }
}

/// Headline figures of each series.
pub fn headline(outcome: &[bool], series: &[Series], score: &[f64], blended: bool) -> Vec<ScoreMetrics> {
    let finite = |x: f64| x.is_finite().then_some(x);
    series
        .iter()
        .map(|s| {
            let probability = s.is_probability();
            ScoreMetrics {
                kind: s.kind,
                label: s.label(blended),
                roc_auc: metrics::roc_auc(outcome, s.values),
                pr_auc: metrics::average_precision(outcome, s.values),
                log_loss: probability
                    .then(|| metrics::log_loss(outcome, s.values))
                    .and_then(finite),
                brier: probability.then(|| metrics::brier(outcome, s.values)).and_then(finite),
                ece: probability
                    .then(|| metrics::expected_calibration_error(outcome, s.values, 10))
                    .and_then(finite),
                ks: metrics::ks_statistic(outcome, s.values),
                as_ranked: (s.kind == ScoreKind::Score).then(|| RankedFigures {
                    roc_auc: metrics::roc_auc(outcome, score),
                    pr_auc: metrics::average_precision(outcome, score),
                    ks: metrics::ks_statistic(outcome, score),
                }),
            }
        })
        .collect()
}

/// Reliability diagrams of the series that are probabilities.
pub fn reliability(outcome: &[bool], series: &[Series], blended: bool) -> Vec<Reliability> {
    series
        .iter()
        .filter(|s| s.is_probability())
        .map(|s| Reliability {
            kind: s.kind,
            label: s.label(blended),
            bins: metrics::reliability(outcome, s.values, RELIABILITY_BINS),
        })
        .collect()
}

/// Histogram of the 0–100 score for converters and the others, and the ROC curves.
pub fn separation(outcome: &[bool], score: &[f64], series: &[Series], blended: bool) -> Separation {
    let buckets = 100 / HISTOGRAM_WIDTH + 1;
    let mut histogram: Vec<HistogramBucket> = (0..buckets)
        .map(|b| HistogramBucket {
            from: b * HISTOGRAM_WIDTH,
            to: ((b + 1) * HISTOGRAM_WIDTH - 1).min(100),
            converters: 0,
            non_converters: 0,
        })
        .collect();
    // The last bucket (100) joins 95–99 so every bucket is five points wide.
    histogram.pop();
    if let Some(last) = histogram.last_mut() {
        last.to = 100;
    }
    for (&y, &s) in outcome.iter().zip(score) {
        let b = ((s.clamp(0.0, 100.0) as u32) / HISTOGRAM_WIDTH).min(histogram.len() as u32 - 1) as usize;
        if y {
            histogram[b].converters += 1;
        } else {
            histogram[b].non_converters += 1;
        }
    }
    let roc = series
        .iter()
        .filter_map(|s| {
            metrics::roc_curve(outcome, s.values).map(|points| RocCurve {
                kind: s.kind,
                label: s.label(blended),
                points: thin(points, ROC_POINTS),
            })
        })
        .collect();
    Separation { histogram, roc }
}

/// At most `keep` points of a curve, evenly spaced, always with the first and the last.
pub fn thin(points: Vec<(f64, f64)>, keep: usize) -> Vec<(f64, f64)> {
    if points.len() <= keep {
        return points;
    }
    let last = points.len() - 1;
    (0..keep).map(|k| points[k * last / (keep - 1)]).collect()
}

/// Gains tables of each series.
pub fn gains(outcome: &[bool], series: &[Series], blended: bool) -> Vec<Gains> {
    series
        .iter()
        .map(|s| Gains {
            kind: s.kind,
            label: s.label(blended),
            groups: metrics::gains(outcome, s.values, GAINS_GROUPS),
        })
        .collect()
}

fn score_range(name: String, from: u32, to: u32, members: impl Iterator<Item = (bool, f64)>) -> ScoreRange {
    let (mut leads, mut conversions, mut probability) = (0usize, 0usize, 0.0);
    for (y, p) in members {
        leads += 1;
        conversions += usize::from(y);
        probability += p;
    }
    ScoreRange {
        name,
        from,
        to,
        leads,
        conversions,
        conversion_rate: (leads > 0).then(|| conversions as f64 / leads as f64),
        mean_probability: (leads > 0).then(|| probability / leads as f64),
    }
}

/// Leads and conversion per band and per 10-point bucket, and the MQLs.
pub fn bands(outcome: &[bool], score: &[f64], probability: &[f64], bands: &Bands) -> BandsSection {
    let within = |from: f64, to: f64| {
        outcome
            .iter()
            .zip(score)
            .zip(probability)
            .filter(move |((_, &s), _)| s >= from && s < to)
            .map(|((&y, _), &p)| (y, p))
    };
    let mut edges = vec![0.0];
    edges.extend(&bands.cuts);
    edges.push(101.0);
    let band_rows = bands
        .names
        .iter()
        .enumerate()
        .map(|(b, name)| {
            let (from, to) = (edges[b], edges[b + 1]);
            score_range(name.clone(), from as u32, (to - 1.0) as u32, within(from, to))
        })
        .collect();
    let buckets = (0..10)
        .map(|b| {
            let from = b * BUCKET_WIDTH;
            let to = if b == 9 { 100 } else { from + BUCKET_WIDTH - 1 };
            score_range(
                format!("{from}–{to}"),
                from,
                to,
                within(f64::from(from), f64::from(to) + 1.0),
            )
        })
        .collect();
    let total_conversions = outcome.iter().filter(|&&y| y).count();
    let mql = score_range(String::new(), bands.mql as u32, 100, within(bands.mql, 101.0));
    BandsSection {
        bands: band_rows,
        buckets,
        mql: Mql {
            threshold: bands.mql,
            leads: mql.leads,
            conversions: mql.conversions,
            conversion_rate: mql.conversion_rate,
            share_of_conversions: share(mql.conversions, total_conversions),
        },
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Days in a period.
/// How long a period of sales work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WorkPeriod {
    /// A day.
    Day,
    /// A week.
    #[default]
    Week,
    /// A month (365.25 / 12 days).
    Month,
}

impl WorkPeriod {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            WorkPeriod::Day => "day",
            WorkPeriod::Week => "week",
            WorkPeriod::Month => "month",
        }
    }

    /// Its length in days.
    pub fn days(self) -> f64 {
        match self {
            WorkPeriod::Day => 1.0,
            WorkPeriod::Week => 7.0,
            WorkPeriod::Month => 365.25 / 12.0,
        }
    }
}

/// Leads per period, precision and recall at every threshold 0–100; with a capacity, the lowest
/// threshold whose leads per period fit it.
pub fn capacity(
    outcome: &[bool],
    score: &[f64],
    period: &str,
    periods: (f64, String),
    capacity: Option<f64>,
) -> Capacity {
    let (periods, periods_from) = periods;
    let periods = periods.max(f64::MIN_POSITIVE);
    // Leads and conversions at each whole score, then summed from the top.
    let (mut leads_at, mut conversions_at) = ([0usize; 101], [0usize; 101]);
    for (&y, &s) in outcome.iter().zip(score) {
        let s = s.clamp(0.0, 100.0) as usize;
        leads_at[s] += 1;
        conversions_at[s] += usize::from(y);
    }
    let total_conversions: usize = conversions_at.iter().sum();
    let (mut leads, mut conversions) = (0usize, 0usize);
    let mut thresholds: Vec<ThresholdRow> = (0..=100u32)
        .rev()
        .map(|t| {
            leads += leads_at[t as usize];
            conversions += conversions_at[t as usize];
            ThresholdRow {
                threshold: t,
                leads,
                leads_per_period: leads as f64 / periods,
                precision: (leads > 0).then(|| conversions as f64 / leads as f64),
                recall: share(conversions, total_conversions),
            }
        })
        .collect();
    thresholds.reverse();
    let fitting_threshold = capacity.and_then(|c| {
        thresholds
            .iter()
            .find(|row| row.leads_per_period <= c)
            .map(|row| row.threshold)
    });
    Capacity {
        period: period.to_string(),
        periods,
        periods_from,
        capacity,
        thresholds,
        fitting_threshold,
    }
}

/// The model's strongest factors, `top` each way, in plain words.
pub fn factors(all: &[crate::artifact::Factor], top: usize, training_warnings: Vec<String>) -> Factors {
    let mut ranked: Vec<&crate::artifact::Factor> = all.iter().collect();
    ranked.sort_by(|a, b| b.coefficient.total_cmp(&a.coefficient));
    let plain = |f: &&crate::artifact::Factor| {
        let odds = f.coefficient.exp();
        let per = if f.input == f.feature {
            " per standard deviation"
        } else {
            ""
        };
        let words = if odds >= 1.0 {
            format!("multiplies the odds of converting by {odds:.2}{per}")
        } else {
            format!("divides the odds of converting by {:.2}{per}", 1.0 / odds)
        };
        Factor {
            input: f.input.clone(),
            role: match f.role {
                crate::config::Role::Explicit => "explicit".into(),
                crate::config::Role::Implicit => "implicit".into(),
            },
            coefficient: f.coefficient,
            odds_ratio: odds,
            words,
        }
    };
    Factors {
        positive: ranked
            .iter()
            .filter(|f| f.coefficient > 0.0)
            .take(top)
            .map(plain)
            .collect(),
        negative: ranked
            .iter()
            .rev()
            .filter(|f| f.coefficient < 0.0)
            .take(top)
            .map(plain)
            .collect(),
        training_warnings,
        shapes: Vec::new(),
    }
}

/// `stable`, `watch` or `act` for a PSI.
pub fn drift_level(psi: f64) -> &'static str {
    if psi >= crate::drift::ACT {
        "act"
    } else if psi >= crate::drift::WATCH {
        "watch"
    } else {
        "stable"
    }
}

/// The drift section from a drift report.
pub fn drift(report: &crate::drift::DriftReport) -> Drift {
    Drift {
        score_psi: report.score_psi,
        score_level: drift_level(report.score_psi).into(),
        features: report
            .features
            .iter()
            .map(|(feature, psi)| FeatureDrift {
                feature: feature.clone(),
                psi: *psi,
                level: drift_level(*psi).into(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_finds_the_lowest_threshold_that_fits() {
        // Scores 10, 20, …, 100; the top three convert; the file covers two weeks.
        let score: Vec<f64> = (1..=10).map(|k| f64::from(k * 10)).collect();
        let outcome: Vec<bool> = (1..=10).map(|k| k > 7).collect();
        let c = capacity(&outcome, &score, "week", (2.0, "test".into()), Some(2.0));
        assert_eq!(c.thresholds.len(), 101);
        let at = |t: usize| &c.thresholds[t];
        assert_eq!((at(0).leads, at(0).leads_per_period), (10, 5.0));
        assert_eq!(at(0).precision, Some(0.3));
        assert_eq!((at(80).leads, at(80).recall), (3, 1.0));
        // Two leads a week, four in two weeks: from 61 up, only 70, 80, 90 and 100 are left.
        assert_eq!(at(81).leads, 2);
        assert_eq!(at(60).leads, 5);
        assert_eq!(c.fitting_threshold, Some(61));
        assert_eq!(at(61).leads_per_period, 2.0);
        assert_eq!(at(61).precision, Some(0.75));
        assert_eq!(at(61).recall, 1.0);
    }

    #[test]
    fn bands_and_buckets_count_each_lead_once() {
        let score = [0.0, 24.0, 25.0, 59.0, 60.0, 100.0];
        let probability = [0.0, 0.24, 0.25, 0.59, 0.6, 1.0];
        let outcome = [false, false, true, false, true, true];
        let cuts = Bands {
            cuts: vec![25.0, 60.0],
            ..Bands::default()
        };
        let section = bands(&outcome, &score, &probability, &cuts);
        let leads: Vec<usize> = section.bands.iter().map(|b| b.leads).collect();
        assert_eq!(leads, [2, 2, 2]);
        assert_eq!(section.bands[2].conversion_rate, Some(1.0));
        assert_eq!(section.buckets.iter().map(|b| b.leads).sum::<usize>(), 6);
        assert_eq!(section.buckets[9].name, "90–100");
        assert_eq!(section.buckets[9].leads, 1);
        assert_eq!((section.mql.leads, section.mql.conversions), (2, 2));
        assert!((section.mql.share_of_conversions - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn histogram_puts_100_in_the_top_bucket() {
        let outcome = [true, false, true];
        let score = [100.0, 97.0, 3.0];
        let s = separation(&outcome, &score, &[], false);
        assert_eq!(s.histogram.len(), 20);
        let top = s.histogram.last().unwrap();
        assert_eq!((top.from, top.to, top.converters, top.non_converters), (95, 100, 1, 1));
        assert_eq!(s.histogram[0].converters, 1);
    }
}
