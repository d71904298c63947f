//! A model as a points table (`leadscore export-points`): integer points per category value and
//! per numeric range, that people can read and re-type into Mautic, HubSpot or Pardot, and that
//! `leadscore points` runs.
//!
//! The scaling is a credit scorecard's: `points_to_double` points double a lead's odds of
//! converting, and a lead at the odds of the training leads' conversion rate has `base_points`.
//! A lead's model log-odds are the intercept plus one contribution per feature, each from one
//! column; each contribution becomes the points of the rules its value meets — a category value
//! its points, a number one rule per range reached ("at least"), the ranges a shaped number's own
//! or its deciles — measured as the mean contribution of the given leads in it. Rules blended into
//! the model keep their criteria, with points scaled by the blend's weight. What rules cannot say
//! (the month a lead was created, recency-weighted activity) is left out, its mean moved into the
//! base, and named in the file's header with how much it moves scores.

mod export;

pub use export::{export, ExportSettings, Exported};

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::artifact::ModelArtifact;
use crate::config::rules::{Decay, PointsSettings, Rule, RulesFile};
use crate::data::values::Values;
use crate::data::{Derivation, FeatureColumn};
use crate::features::{Encoding, FeatureStep, MISSING_LEVEL};
use crate::model::loss::logit;
use crate::output::number_text;

/// How totals map to odds.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Points that double the odds of converting.
    pub points_to_double: f64,
    /// Points of a lead at the odds of the training leads' conversion rate.
    pub base_points: f64,
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            points_to_double: 20.0,
            base_points: 50.0,
        }
    }
}

/// A feature the table does not hold, and how much it moved the leads' log-odds.
#[derive(Debug, Clone)]
pub struct LeftOut {
    /// The feature.
    pub feature: String,
    /// Why rules cannot hold it.
    pub why: &'static str,
    /// Standard deviation of its contribution over the leads (log-odds).
    pub spread: f64,
}

/// A points table and what went into it.
#[derive(Debug, Clone)]
pub struct PointsTable {
    /// The rules, bands and base.
    pub file: RulesFile,
    /// One comment per rule (the same order): what the model's contribution was.
    pub comments: Vec<String>,
    /// Features the table leaves out.
    pub left_out: Vec<LeftOut>,
    /// Features held approximately, and how.
    pub approximated: Vec<String>,
    /// The scaling.
    pub scale: Scale,
    /// The training leads' conversion rate the base points stand for.
    pub base_rate: f64,
    /// Points per log-odds unit of the model's contributions.
    pub per_log_odds: f64,
}

/// Why a model cannot be exported.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotExportable(pub String);

/// The leads the table is measured on: each feature's values (as the model reads them, by
/// feature name), for the leads `rows` of them, and each feature's log-odds contribution to
/// those leads (`contributions[step][k]`, in pipeline order).
pub struct Leads<'a> {
    /// Typed feature columns (the leads file's, and its events' aggregates).
    pub features: &'a [FeatureColumn],
    /// The leads scored (rows of the columns).
    pub rows: &'a [usize],
    /// Contribution of each pipeline step to each scored lead.
    pub contributions: &'a [Vec<f64>],
}

/// Ranges a number without a shape of its own is cut into, at most.
const NUMBER_RANGES: usize = 12;
/// The least rise, in points, from one range of such a number to the next.
const LEAST_RISE: f64 = 1.5;
/// Share of the leads above the last range's start, at most (the range reaches its top value).
const TOP_SHARE: f64 = 0.005;

/// Builds the points table of `artifact` on `leads`.
pub fn build(artifact: &ModelArtifact, leads: &Leads, scale: Scale) -> Result<PointsTable, NotExportable> {
    if let Some(segments) = &artifact.segments {
        return Err(NotExportable(format!(
            "the model has one model per \"{}\" segment; a points table holds one model",
            segments.column
        )));
    }
    if !(scale.points_to_double.is_finite() && scale.points_to_double > 0.0 && scale.base_points.is_finite()) {
        return Err(NotExportable(
            "the points that double the odds must be a positive number".into(),
        ));
    }
    let train = &artifact.training.train;
    let base_rate = train.conversions as f64 / train.leads.max(1) as f64;
    // The final log-odds are `slope · (model_weight · z + points_weight · r + shift) + intercept`.
    let (slope, calibration_shift) = match &artifact.scorer.calibration {
        crate::calibration::Calibration::Platt { slope, intercept } => (*slope, *intercept),
        _ => (1.0, 0.0),
    };
    let (model_weight, points_weight, blend_shift) = match &artifact.blend {
        Some(blend) => (blend.model_weight, blend.points_weight, blend.intercept),
        None => (1.0, 0.0, 0.0),
    };
    let per_unit = scale.points_to_double / std::f64::consts::LN_2;
    let per_log_odds = per_unit * slope * model_weight;
    let mut base = scale.base_points
        + per_unit
            * (calibration_shift + slope * blend_shift + slope * model_weight * artifact.model.intercept
                - logit(base_rate));

    let mut out = Builder::default();
    let mut left_out = Vec::new();
    let mut approximated = Vec::new();
    let mut offset = 0;
    for (j, step) in artifact.pipeline.steps.iter().enumerate() {
        let weights = &artifact.model.coefficients[offset..offset + step.width()];
        offset += step.width();
        let contribution = &leads.contributions[j];
        let column = leads.features.iter().find(|c| c.name == step.feature);
        let kind = Kind::of(artifact, step);
        let (column, kind) = match (column, kind) {
            (Some(column), kind) if !matches!(kind, Kind::LeftOut(_)) => (column, kind),
            (column, kind) => {
                let why = match kind {
                    Kind::LeftOut(why) if column.is_some() => why,
                    _ => "its values were not among the leads' columns",
                };
                base += per_log_odds * mean(contribution);
                left_out.push(LeftOut {
                    feature: step.feature.clone(),
                    why,
                    spread: spread(contribution),
                });
                continue;
            }
        };
        let rules = FeatureRules {
            artifact,
            step,
            weights,
            column,
            rows: leads.rows,
            contribution,
            per_log_odds,
        };
        base += match kind {
            Kind::Category => rules.categories(&mut out),
            Kind::Number { boolean: true } => rules.flag(&mut out),
            Kind::Number { boolean: false } => rules.number(&mut out, None),
            Kind::Events(event) => {
                if let Some(note) = event.note {
                    approximated.push(format!("\"{}\" {note}", step.feature));
                }
                rules.number(&mut out, Some(event))
            }
            Kind::DomainType => rules.domain_types(&mut out),
            Kind::Label(label) => rules.label(&mut out, &label),
            Kind::Inactivity => rules.inactivity(&mut out),
            Kind::LeftOut(_) => 0.0,
        };
    }

    // The rules blended into the model, their points scaled by the blend's weight.
    let mut points = PointsSettings {
        base: None,
        ..PointsSettings::default()
    };
    let mut decay = None;
    if let Some(blend) = &artifact.blend {
        let per_point = per_unit * slope * points_weight;
        points.segment_by = blend.rules.points.segment_by.clone();
        if let Some(column) = &blend.rules.points.reset_on {
            approximated.push(format!(
                "the blended rules count events only after \"{column}\" ([points] reset_on); the table counts every event of the lead"
            ));
        }
        if blend.rules.points.min_total.is_some() || blend.rules.points.max_total.is_some() {
            approximated.push(
                "the blended rules' floor and cap of their total (min_total, max_total) are not kept: they would bound the whole table's total".into(),
            );
        }
        base += per_point * blend.rules.points.base.unwrap_or(0.0);
        for rule in &blend.rules.rules {
            let scaled = (rule.points * per_point).round();
            if scaled == 0.0 {
                continue;
            }
            let mut rule = rule.clone();
            let original = rule.points;
            rule.points = scaled;
            rule.cap = rule.cap.map(|cap| (cap * per_point.abs()).round().max(1.0));
            let name = rule.name.clone();
            out.push(
                rule,
                format!("the rule \"{name}\" ({original:+} points) as the model weighs it"),
            );
        }
        decay = blend.rules.decay.as_ref().and_then(|d| {
            let scaled = (d.points * per_point).round();
            (scaled != 0.0).then(|| Decay {
                points: scaled,
                per_days: d.per_days,
                floor: d.floor.map(|f| (f * per_point).round()),
            })
        });
    }
    points.base = Some(base.round());
    let bands = bands_in_points(artifact, scale, base_rate, slope, calibration_shift);
    Ok(PointsTable {
        file: RulesFile {
            points,
            bands,
            decay,
            rules: out.rules,
        },
        comments: out.comments,
        left_out,
        approximated,
        scale,
        base_rate,
        per_log_odds,
    })
}

/// The score bands and MQL threshold of the model in points: the least total whose odds give
/// the cut's score.
fn bands_in_points(
    artifact: &ModelArtifact,
    scale: Scale,
    base_rate: f64,
    slope: f64,
    shift: f64,
) -> crate::bands::Bands {
    let bands = &artifact.scorer.bands;
    let calibration = &artifact.scorer.calibration;
    // The least blended log-odds b whose rounded score reaches `cut` (scores rise with b).
    let least = |cut: f64| {
        let (mut low, mut high) = (-60.0, 60.0);
        for _ in 0..200 {
            let middle = 0.5 * (low + high);
            if (100.0 * calibration.apply(middle)).round() >= cut {
                high = middle;
            } else {
                low = middle;
            }
        }
        high
    };
    let to_points = |cut: f64| {
        let b = least(cut);
        let log_odds = slope * b + shift;
        (scale.base_points + scale.points_to_double / std::f64::consts::LN_2 * (log_odds - logit(base_rate))).round()
    };
    let mut cuts: Vec<f64> = bands.cuts.iter().map(|&c| to_points(c)).collect();
    for k in 1..cuts.len() {
        if cuts[k] <= cuts[k - 1] {
            cuts[k] = cuts[k - 1] + 1.0;
        }
    }
    crate::bands::Bands {
        names: bands.names.clone(),
        cuts,
        mql: to_points(bands.mql),
    }
}

/// What rules can say of a feature.
enum Kind {
    /// One value of a column's: a rule per value.
    Category,
    /// A number (or a yes/no column): a rule per range reached.
    Number { boolean: bool },
    /// A number of events: a rule per number reached.
    Events(EventRule),
    /// The kind of an e-mail address's domain.
    DomainType,
    /// Whether a multi-valued cell holds a label.
    Label(String),
    /// Days since the lead's last activity.
    Inactivity,
    /// Nothing rules can test.
    LeftOut(&'static str),
}

/// The event rule a count of events becomes.
#[derive(Clone)]
struct EventRule {
    event: String,
    url_contains: Option<Vec<String>>,
    form_id: Option<String>,
    /// How the rule differs from the model's count, when it does.
    note: Option<&'static str>,
}

impl Kind {
    fn of(artifact: &ModelArtifact, step: &FeatureStep) -> Kind {
        let boolean = artifact
            .schema
            .columns
            .iter()
            .any(|(name, kind)| *name == step.source && *kind == crate::config::ColumnType::Boolean);
        match (step.derivation, &step.encoding) {
            (Derivation::Direct | Derivation::Domain, Encoding::Categorical { .. }) => Kind::Category,
            (Derivation::Direct, _) => Kind::Number { boolean },
            (Derivation::DomainType, Encoding::Categorical { .. }) => Kind::DomainType,
            (Derivation::Label, _) => Kind::Label(
                step.feature
                    .strip_prefix(&format!("{}: ", step.source))
                    .unwrap_or(&step.feature)
                    .to_string(),
            ),
            (Derivation::AgeDays | Derivation::Month | Derivation::Weekday, _) => {
                Kind::LeftOut("rules do not test dates")
            }
            (Derivation::Events, _) if step.feature == "events: days since last activity" => Kind::Inactivity,
            (Derivation::Events, _) => {
                event_rule(artifact, &step.feature).map_or(Kind::LeftOut("no rule counts it"), Kind::Events)
            }
            _ => Kind::LeftOut("no rule tests it"),
        }
    }
}

/// The event rule that counts what the events feature `feature` counts, when there is one.
fn event_rule(artifact: &ModelArtifact, feature: &str) -> Option<EventRule> {
    let spec = artifact.events.as_ref()?;
    let name = feature.strip_prefix("events: ")?;
    let rule = |event: &str, note: Option<&'static str>| EventRule {
        event: event.into(),
        url_contains: None,
        form_id: None,
        note,
    };
    // Privacy-proxy opens count at a weight in the model; the rules count them or not.
    let mpp =
        (spec.mpp_open_weight > 0.0).then_some("counts privacy-proxy opens at a weight; the rules leave them out");
    if let Some(kind) = spec.event_types.iter().find(|t| t.as_str() == name) {
        return Some(rule(kind, mpp.filter(|_| kind.eq_ignore_ascii_case("email_open"))));
    }
    if name == "high-value page views" {
        return Some(EventRule {
            url_contains: Some(spec.high_value_pages.clone()),
            ..rule(crate::rules::engine::ANY_EVENT, mpp)
        });
    }
    if name == "distinct e-mails opened" {
        return Some(rule(
            "email_open",
            Some("counts distinct e-mails opened; the rules count opens"),
        ));
    }
    let form = name.strip_prefix("form ")?;
    spec.form_ids.iter().find(|f| f.as_str() == form).map(|f| EventRule {
        form_id: Some(f.clone()),
        ..rule(crate::rules::engine::ANY_EVENT, mpp)
    })
}

/// The rules of the table as they are made.
#[derive(Default)]
struct Builder {
    rules: Vec<Rule>,
    comments: Vec<String>,
}

impl Builder {
    fn push(&mut self, mut rule: Rule, comment: String) {
        // Names are unique: a second "x" becomes "x (2)".
        let mut name = rule.name.clone();
        let mut k = 2;
        while self.rules.iter().any(|r| r.name == name) {
            name = format!("{} ({k})", rule.name);
            k += 1;
        }
        rule.name = name;
        self.rules.push(rule);
        self.comments.push(comment);
    }
}

/// A rule on `column` with `points`, its test to be set.
fn column_rule(name: String, column: &str, points: f64) -> Rule {
    Rule {
        name,
        points,
        segment: None,
        column: Some(column.to_string()),
        equals: None,
        in_list: None,
        not_in: None,
        at_least: None,
        at_most: None,
        contains: None,
        regex: None,
        domain_in: None,
        missing: None,
        event: None,
        url_contains: None,
        form_id: None,
        asset: None,
        email_id: None,
        within_days: None,
        count: crate::config::rules::Count::Once,
        cap: None,
        include_mpp: false,
    }
}

/// One feature's rules.
struct FeatureRules<'a> {
    artifact: &'a ModelArtifact,
    step: &'a FeatureStep,
    weights: &'a [f64],
    column: &'a FeatureColumn,
    rows: &'a [usize],
    contribution: &'a [f64],
    per_log_odds: f64,
}

impl FeatureRules<'_> {
    /// Points of a contribution.
    fn points(&self, log_odds: f64) -> f64 {
        (self.per_log_odds * log_odds).round()
    }

    /// A category's values: one rule per value's points (values of the same points share it),
    /// counted from the category's base — values never seen in training (no points), or, when
    /// rare values share one weight, those. Returns the points moved into the base.
    fn categories(&self, out: &mut Builder) -> f64 {
        let Encoding::Categorical { levels, other, .. } = &self.step.encoding else {
            return 0.0;
        };
        let source = &self.step.source;
        let domain = self.step.derivation == Derivation::Domain;
        // With rare values, they are the base (a list of them could run to thousands).
        let reference = if *other { self.weights[levels.len()] } else { 0.0 };
        let mut by_points: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        let mut missing_points = if levels.iter().any(|l| l == MISSING_LEVEL) {
            None
        } else {
            // A missing value is no level: it gets what an unseen value gets.
            Some(self.points(-reference))
        };
        for (level, w) in levels.iter().zip(self.weights) {
            let points = self.points(w - reference);
            if level == MISSING_LEVEL {
                missing_points = Some(points);
            } else if points != 0.0 {
                by_points.entry(points as i64).or_default().push(level);
            }
        }
        for (points, values) in by_points.iter().rev() {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let shown = if values.len() <= 3 {
                values.join(", ")
            } else {
                format!("{}, … ({} values)", values[..2].join(", "), values.len())
            };
            let mut rule = column_rule(format!("{} = {shown}", self.step.feature), source, *points as f64);
            if domain {
                rule.domain_in = Some(values.iter().map(|v| v.to_lowercase()).collect());
            } else if values.len() == 1 {
                rule.equals = Some(values[0].clone());
            } else {
                rule.in_list = Some(values);
            }
            let against = if *other {
                "against a value rare in training"
            } else {
                "against a value not seen in training"
            };
            out.push(
                rule,
                format!("{} log-odds {against}", signed(*points as f64 / self.per_log_odds)),
            );
        }
        if let Some(points) = missing_points.filter(|&p| p != 0.0) {
            let mut rule = column_rule(format!("{} missing", self.step.feature), source, points);
            rule.missing = Some(true);
            out.push(rule, "a lead without the value".into());
        }
        self.per_log_odds * reference
    }

    /// The kind of an e-mail domain: competitor, free-mail and student domains each a rule,
    /// counted from a company's domain.
    fn domain_types(&self, out: &mut Builder) -> f64 {
        let Encoding::Categorical { levels, other, .. } = &self.step.encoding else {
            return 0.0;
        };
        let weight_of = |name: &str| {
            levels
                .iter()
                .position(|l| l == name)
                .map(|k| self.weights[k])
                .unwrap_or(if *other { self.weights[levels.len()] } else { 0.0 })
        };
        let reference = weight_of("corporate");
        let source = &self.step.source;
        let competitors = &self.artifact.config.features.competitor_domains;
        let kinds: [(&str, Rule); 3] = [
            ("competitor", {
                let mut r = column_rule(String::new(), source, 0.0);
                r.domain_in = Some(competitors.iter().map(|c| c.to_lowercase()).collect());
                r
            }),
            ("free-mail", {
                let mut r = column_rule(String::new(), source, 0.0);
                r.domain_in = Some(crate::data::FREE_MAIL.iter().map(|d| d.to_string()).collect());
                r
            }),
            ("student", {
                let mut r = column_rule(String::new(), source, 0.0);
                r.regex = Some(r"(?i)(^|@)student\.|\.edu$|\.edu\.|\.ac\.".into());
                r
            }),
        ];
        for (kind, mut rule) in kinds {
            let points = self.points(weight_of(kind) - reference);
            if points == 0.0 || rule.domain_in.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            rule.name = format!("{} = {kind}", self.step.feature);
            rule.points = points;
            out.push(
                rule,
                format!("against a company domain ({})", signed(points / self.per_log_odds)),
            );
        }
        if levels.iter().any(|l| l == MISSING_LEVEL) {
            let points = self.points(weight_of(MISSING_LEVEL) - reference);
            if points != 0.0 {
                let mut rule = column_rule(format!("{} missing", self.step.feature), source, points);
                rule.missing = Some(true);
                out.push(rule, "a lead without an e-mail address".into());
            }
        }
        self.per_log_odds * reference
    }

    /// A yes/no column: a rule for yes and one for a missing value, counted from no.
    fn flag(&self, out: &mut Builder) -> f64 {
        let at = |x: f64| self.step.encoding.contribution(self.weights, x);
        let no = at(0.0);
        let source = &self.step.source;
        let yes = self.points(at(1.0) - no);
        if yes != 0.0 {
            let mut rule = column_rule(format!("{} = yes", self.step.feature), source, yes);
            rule.equals = Some("yes".into());
            out.push(rule, "against no".into());
        }
        let missing = self.points(at(f64::NAN) - no);
        if missing != 0.0 {
            let mut rule = column_rule(format!("{} missing", self.step.feature), source, missing);
            rule.missing = Some(true);
            out.push(rule, "against no".into());
        }
        self.per_log_odds * no
    }

    /// Whether a multi-valued cell holds the label: one rule, counted from not.
    fn label(&self, out: &mut Builder, label: &str) -> f64 {
        let at = |x: f64| self.step.encoding.contribution(self.weights, x);
        let without = at(0.0);
        let points = self.points(at(1.0) - without);
        if points != 0.0 {
            let mut rule = column_rule(self.step.feature.clone(), &self.step.source, points);
            rule.regex = Some(format!(r"(?i)(^|;)\s*{}\s*(;|$)", regex::escape(label)));
            out.push(rule, "a cell that lists the label".into());
        }
        self.per_log_odds * without
    }

    /// A number's values, and where its ranges start: a shaped number's own cuts, else where
    /// its effect has risen enough over the given leads (`None`: the column holds no numbers).
    fn ranges(&self) -> Option<(&[f64], Vec<f64>)> {
        let (Values::Numeric(values) | Values::Boolean(values)) = &self.column.values else {
            return None;
        };
        let present: Vec<f64> = self.rows.iter().map(|&r| values[r]).filter(|x| !x.is_nan()).collect();
        let cuts = match &self.step.encoding {
            Encoding::Shaped { cuts, .. } => cuts.clone(),
            encoding => spread_cuts(present, |x| self.per_log_odds * encoding.contribution(self.weights, x)),
        };
        Some((values, cuts))
    }

    /// A number (or a number of events): a rule per range reached, each the rise of the mean
    /// contribution of the leads in it over the range below, and one for a missing value;
    /// counted from the lowest range.
    fn number(&self, out: &mut Builder, event: Option<EventRule>) -> f64 {
        let Some((values, mut cuts)) = self.ranges() else {
            return 0.0;
        };
        if event.is_some() {
            // Events are counted: a number reached is a whole number.
            cuts = cuts.iter().map(|c| c.ceil()).filter(|&c| c >= 1.0).collect();
            cuts.dedup();
        }
        let (level, missing_level) = self.range_levels(values, &cuts);
        let points: Vec<f64> = level.iter().map(|&c| self.points(c)).collect();
        let source = &self.step.source;
        for (r, cut) in cuts.iter().enumerate() {
            let rise = points[r + 1] - points[r];
            if rise == 0.0 {
                continue;
            }
            let name = format!("{} ≥ {}", self.step.feature, number_text(*cut));
            let rule = match &event {
                Some(e) => {
                    let mut rule = column_rule(name, source, rise);
                    rule.column = None;
                    rule.event = Some(e.event.clone());
                    rule.url_contains = e.url_contains.clone();
                    rule.form_id = e.form_id.clone();
                    rule.at_least = Some(*cut);
                    rule
                }
                None => {
                    let mut rule = column_rule(name, source, rise);
                    rule.at_least = Some(*cut);
                    rule
                }
            };
            out.push(
                rule,
                format!(
                    "a lead from {} on: {:+} points in all",
                    number_text(*cut),
                    points[r + 1] - points[0]
                ),
            );
        }
        if event.is_none() {
            let missing_points = self.points(missing_level) - points[0];
            if missing_points != 0.0 {
                let mut rule = column_rule(format!("{} missing", self.step.feature), source, missing_points);
                rule.missing = Some(true);
                out.push(rule, "a lead without the value".into());
            }
        }
        self.per_log_odds * level[0]
    }
}

impl FeatureRules<'_> {
    /// Days since the last activity: a rule for any activity at all, then one per range of
    /// days, each for activity within its upper end (an event of any type within so many days
    /// of the cutoff), counted from the longest inactive.
    fn inactivity(&self, out: &mut Builder) -> f64 {
        let Some((values, mut cuts)) = self.ranges() else {
            return 0.0;
        };
        // Whole days, as people count them.
        cuts = cuts.iter().map(|c| c.round()).filter(|&c| c >= 1.0).collect();
        cuts.dedup();
        let (levels, missing_level) = self.range_levels(values, &cuts);
        let points: Vec<f64> = levels.iter().map(|&c| self.points(c)).collect();
        let last = *points.last().unwrap_or(&0.0);
        let never = self.points(missing_level);
        // Privacy-proxy opens are activity when the model counts them.
        let include_mpp = self.artifact.events.as_ref().is_some_and(|e| e.mpp_open_weight > 0.0);
        let any_event = |name: String, points: f64, within: Option<f64>| {
            let mut rule = column_rule(name, "", points);
            rule.column = None;
            rule.event = Some(crate::rules::engine::ANY_EVENT.into());
            rule.at_least = Some(1.0);
            rule.within_days = within;
            rule.include_mpp = include_mpp;
            rule
        };
        if last != never {
            out.push(
                any_event("any activity".into(), last - never, None),
                format!(
                    "against a lead with no activity at all: {:+} points in all",
                    last - never
                ),
            );
        }
        for (k, cut) in cuts.iter().enumerate() {
            let rise = points[k] - points[k + 1];
            if rise == 0.0 || *cut <= 0.0 {
                continue;
            }
            out.push(
                any_event(format!("active within {} days", number_text(*cut)), rise, Some(*cut)),
                format!(
                    "a lead whose last activity is less than {} days old: {:+} points against the longest inactive",
                    number_text(*cut),
                    points[k] - last
                ),
            );
        }
        self.per_log_odds * missing_level
    }

    /// The mean contribution of the leads in each range of `cuts` (at the range's lower end when
    /// no lead is in it), and of the leads without a value.
    fn range_levels(&self, values: &[f64], cuts: &[f64]) -> (Vec<f64>, f64) {
        let range_of = |x: f64| cuts.partition_point(|&c| c <= x);
        let mut sums = vec![(0.0, 0usize); cuts.len() + 1];
        let mut missing = (0.0, 0usize);
        for (k, &r) in self.rows.iter().enumerate() {
            let x = values[r];
            let slot = if x.is_nan() {
                &mut missing
            } else {
                &mut sums[range_of(x)]
            };
            slot.0 += self.contribution[k];
            slot.1 += 1;
        }
        let at = |x: f64| self.step.encoding.contribution(self.weights, x);
        let levels = sums
            .iter()
            .enumerate()
            .map(|(r, &(sum, n))| {
                if n > 0 {
                    sum / n as f64
                } else if r == 0 {
                    at(cuts.first().map_or(0.0, |c| c - 1.0))
                } else {
                    at(cuts[r - 1])
                }
            })
            .collect();
        let missing_level = if missing.1 > 0 {
            missing.0 / missing.1 as f64
        } else {
            at(f64::NAN)
        };
        (levels, missing_level)
    }
}

/// Cut points for a number that enters the model as a straight line (perhaps of `ln(1 + x)`),
/// whose effect in points at `x` is `points_at(x)`: where the effect has risen (or fallen) by an
/// even share of its whole span since the last cut, and by [`LEAST_RISE`] points at least, up
/// to the value all but [`TOP_SHARE`] of `present` stay below — so the many leads with few
/// events and the few with many each get their own ranges.
fn spread_cuts(mut present: Vec<f64>, points_at: impl Fn(f64) -> f64) -> Vec<f64> {
    if present.is_empty() {
        return Vec::new();
    }
    present.sort_unstable_by(f64::total_cmp);
    let low = present[0];
    let high = present[((1.0 - TOP_SHARE) * (present.len() - 1) as f64) as usize];
    // Candidates: the distinct values up to `high`, or its 0.5 % quantiles when there are many.
    let mut candidates: Vec<f64> = present.iter().copied().filter(|&x| x > low && x <= high).collect();
    candidates.dedup();
    if candidates.len() > 200 {
        candidates = (1..200)
            .map(|k| present[k * (present.len() - 1) / 200])
            .filter(|&x| x > low && x <= high)
            .collect();
        candidates.dedup();
    }
    let span = (points_at(high) - points_at(low)).abs();
    let step = (span / NUMBER_RANGES as f64).max(LEAST_RISE);
    let mut cuts = Vec::new();
    let mut last = points_at(low);
    for x in candidates {
        if (points_at(x) - last).abs() >= step {
            cuts.push(x);
            last = points_at(x);
        }
    }
    cuts
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn spread(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len().max(1) as f64).sqrt()
}

fn signed(x: f64) -> String {
    format!("{x:+.2}")
}

/// How the exported points hold up against the model on the leads given.
#[derive(Debug, Clone)]
pub struct Fidelity {
    /// The leads file.
    pub data: String,
    /// Leads scored.
    pub leads: usize,
    /// Spearman rank correlation of the points with the model's score.
    pub spearman: f64,
    /// ROC AUC of the points and of the score, when the leads have their outcome.
    pub roc_auc: Option<(f64, f64)>,
    /// Leads in another band by points than by the score.
    pub band_changes: usize,
    /// Leads per band by points, and by the score.
    pub per_band: Vec<(String, usize, usize)>,
    /// MQLs by points, and by the score.
    pub mqls: (usize, usize),
}

/// The rules file's text: a header (the scale, the fidelity, what is left out), then `[points]`,
/// `[bands]`, `[decay]` and the rules, each with what it stands for.
pub fn to_toml(table: &PointsTable, model: &str, fidelity: &Fidelity) -> String {
    let mut t = String::new();
    let scale = &table.scale;
    let _ = writeln!(
        t,
        "# Points table of the model {model}, written by leadscore export-points."
    );
    let _ = writeln!(t, "#");
    let _ = writeln!(
        t,
        "# Scale: {} points double a lead's odds of converting; a lead at the odds of the training",
        number_text(scale.points_to_double)
    );
    let _ = writeln!(
        t,
        "# leads' conversion rate ({:.1} %) has {} points. A lead's points are the base plus the points",
        100.0 * table.base_rate,
        number_text(scale.base_points)
    );
    let _ = writeln!(
        t,
        "# of every rule it meets; a number's rules are steps (\"≥ 3\" and \"≥ 6\" both hold at 7)."
    );
    let _ = writeln!(t, "#");
    let _ = writeln!(
        t,
        "# Measured on {} ({} leads):",
        fidelity.data,
        crate::output::thousands(fidelity.leads)
    );
    let _ = writeln!(
        t,
        "#   Spearman rank correlation with the model's score: {:.4}",
        fidelity.spearman
    );
    if let Some((points, score)) = fidelity.roc_auc {
        let _ = writeln!(
            t,
            "#   ROC AUC of these points: {points:.4} (the model's score: {score:.4})"
        );
    }
    let _ = writeln!(
        t,
        "#   leads in another band by points than by the score: {} ({:.1} %)",
        crate::output::thousands(fidelity.band_changes),
        100.0 * fidelity.band_changes as f64 / fidelity.leads.max(1) as f64
    );
    let per_band: Vec<String> = fidelity
        .per_band
        .iter()
        .map(|(name, points, _)| format!("{name} {}", crate::output::thousands(*points)))
        .collect();
    let by_score: Vec<String> = fidelity
        .per_band
        .iter()
        .map(|(name, _, score)| format!("{name} {}", crate::output::thousands(*score)))
        .collect();
    let _ = writeln!(
        t,
        "#   by points: {}; MQL {}",
        per_band.join(" · "),
        crate::output::thousands(fidelity.mqls.0)
    );
    let _ = writeln!(
        t,
        "#   by score:  {}; MQL {}",
        by_score.join(" · "),
        crate::output::thousands(fidelity.mqls.1)
    );
    if !table.left_out.is_empty() {
        let _ = writeln!(t, "#");
        let _ = writeln!(
            t,
            "# Left out (their average is in the base); spread of each one's effect in log-odds:"
        );
        for left in &table.left_out {
            let _ = writeln!(t, "#   {} — {} ({:.2})", left.feature, left.why, left.spread);
        }
    }
    if !table.approximated.is_empty() {
        let _ = writeln!(t, "#");
        let _ = writeln!(t, "# Approximated:");
        for note in &table.approximated {
            let _ = writeln!(t, "#   {note}");
        }
    }
    let file = &table.file;
    let _ = writeln!(t);
    let _ = writeln!(t, "[points]");
    let _ = writeln!(
        t,
        "base = {}                # the model's baseline",
        number_text(file.points.base.unwrap_or(0.0))
    );
    if let Some(by) = &file.points.segment_by {
        let _ = writeln!(t, "segment_by = {}", quoted(by));
    }
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "[bands]                 # the model's bands and MQL threshold, in points"
    );
    let names: Vec<String> = file.bands.names.iter().map(|n| quoted(n)).collect();
    let cuts: Vec<String> = file.bands.cuts.iter().map(|&c| number_text(c)).collect();
    let _ = writeln!(t, "names = [{}]", names.join(", "));
    let _ = writeln!(t, "cuts = [{}]", cuts.join(", "));
    let _ = writeln!(t, "mql = {}", number_text(file.bands.mql));
    if let Some(decay) = &file.decay {
        let _ = writeln!(t);
        let _ = writeln!(t, "[decay]");
        let _ = writeln!(t, "points = {}", number_text(decay.points));
        let _ = writeln!(t, "per_days = {}", number_text(decay.per_days));
        if let Some(floor) = decay.floor {
            let _ = writeln!(t, "floor = {}", number_text(floor));
        }
    }
    for (rule, comment) in file.rules.iter().zip(&table.comments) {
        let _ = writeln!(t);
        let _ = writeln!(t, "[[rules]]               # {comment}");
        write_rule(&mut t, rule);
    }
    t
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    format!("[{}]", items.join(", "))
}

fn write_rule(t: &mut String, rule: &Rule) {
    let _ = writeln!(t, "name = {}", quoted(&rule.name));
    if let Some(segment) = &rule.segment {
        let _ = writeln!(t, "segment = {}", quoted(segment));
    }
    if let Some(column) = &rule.column {
        let _ = writeln!(t, "column = {}", quoted(column));
    }
    if let Some(event) = &rule.event {
        let _ = writeln!(t, "event = {}", quoted(event));
    }
    let texts = [
        ("equals", rule.equals.as_ref().map(|v| quoted(v))),
        ("in", rule.in_list.as_deref().map(list)),
        ("not_in", rule.not_in.as_deref().map(list)),
        ("at_least", rule.at_least.map(number_text)),
        ("at_most", rule.at_most.map(number_text)),
        ("contains", rule.contains.as_ref().map(|v| quoted(v))),
        ("regex", rule.regex.as_ref().map(|v| quoted(v))),
        ("domain_in", rule.domain_in.as_deref().map(list)),
        ("missing", rule.missing.map(|m| m.to_string())),
        ("url_contains", rule.url_contains.as_deref().map(list)),
        ("form_id", rule.form_id.as_ref().map(|v| quoted(v))),
        ("asset", rule.asset.as_ref().map(|v| quoted(v))),
        ("email_id", rule.email_id.as_ref().map(|v| quoted(v))),
        ("within_days", rule.within_days.map(number_text)),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            let _ = writeln!(t, "{key} = {value}");
        }
    }
    if rule.event.is_some() && rule.at_least.is_none() {
        let count = match rule.count {
            crate::config::rules::Count::Once => "once",
            crate::config::rules::Count::Each => "each",
        };
        let _ = writeln!(t, "count = \"{count}\"");
        if let Some(cap) = rule.cap {
            let _ = writeln!(t, "cap = {}", number_text(cap));
        }
        if rule.include_mpp {
            let _ = writeln!(t, "include_mpp = true");
        }
    }
    let _ = writeln!(t, "points = {}", number_text(rule.points));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(-20.0), "-20");
        assert_eq!(number_text(0.125), "0.125");
    }

    #[test]
    fn a_count_is_cut_where_its_effect_rises_by_an_even_share() {
        // 900 leads without events and 100 with 1 to 100: the deciles would give one cut (at
        // 1). An effect of 10 points per ln(1 + x) spans 10 ln 96 = 45.6 points up to 95 (the
        // value at 99.5 % of the leads): a cut each 3.8 points, so at 1 (6.9 points), 2 (11.0),
        // 4 (16.1: 3 is only 2.9 above 2).
        let mut values = vec![0.0; 900];
        values.extend((1..=100).map(f64::from));
        let points = |x: f64| 10.0 * x.ln_1p();
        let cuts = spread_cuts(values.clone(), points);
        assert_eq!(cuts[..3], [1.0, 2.0, 4.0]);
        assert!(cuts.len() >= 8 && cuts.len() <= 12, "{cuts:?}");
        for pair in cuts.windows(2) {
            assert!(
                points(pair[1]) - points(pair[0]) >= 10.0 * 96f64.ln() / 12.0 - 1e-9,
                "{cuts:?}"
            );
        }
        assert!(*cuts.last().unwrap() <= 95.0);
        // A small effect: no more cuts than 1.5 points apart allow.
        let cuts = spread_cuts(values, |x| 0.5 * x.ln_1p());
        assert!(cuts.len() <= 2, "{cuts:?}");
        assert!(spread_cuts(Vec::new(), points).is_empty());
    }
}
