//! Champion against challenger: the same labelled leads scored by two (or more) model files,
//! side by side, with a paired test of the difference in ROC AUC (DeLong), what would change
//! for sales (MQLs, band moves, leads whose score moves most, with their reasons under each
//! model), what changed inside the models, and a verdict with its rule: *promote*, *keep* or
//! *inconclusive*. [`page`] writes it as HTML, Markdown and JSON with its schema.

pub mod page;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::artifact::ModelArtifact;
use crate::error::{Error, Location, Result};
use crate::evaluation::{self, EvaluateSettings, Evaluated};
use crate::metrics::{self, PairedAuc};
use crate::progress::Progress;
use crate::report::{self, ModelInfo, WorkPeriod};
use crate::scoring::reasons::Reasons;

/// The JSON's schema version ([`SCHEMA`] describes it).
pub const SCHEMA_VERSION: u32 = 1;
/// The JSON Schema of `compare.json`, written beside it.
pub const SCHEMA: &str = include_str!("compare.schema.json");

/// A challenger is promoted when its calibration error is at most this much above the
/// champion's (and its ROC AUC is better beyond doubt).
pub const ECE_TOLERANCE: f64 = 0.01;
/// Leads whose score moves by more than this many points are listed (at most [`MOVERS_SHOWN`]).
pub const MOVER_POINTS: f64 = 20.0;
/// Movers listed in the report, the largest moves first.
pub const MOVERS_SHOWN: usize = 20;
/// Model inputs listed among what changed inside, the largest change first.
const INPUTS_SHOWN: usize = 12;

/// What to compare and where the report goes.
pub struct CompareSettings {
    /// The model files: the first is the champion (the model in use), the others challengers.
    pub models: Vec<PathBuf>,
    /// Labelled leads: every model's columns and the outcome.
    pub data: PathBuf,
    /// Their events, when a model or its rules use events.
    pub events: Vec<PathBuf>,
    /// The cutoff of leads without a snapshot (seconds since 1970 UTC).
    pub as_of: Option<i64>,
    /// The report folder.
    pub out: PathBuf,
}

/// The comparison, as `compare.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Always `leadscore-comparison`.
    pub schema: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The leadscore that wrote it.
    pub leadscore_version: String,
    /// When (RFC 3339, UTC).
    pub generated_at: String,
    /// The leads every model scored.
    pub data: ComparedLeads,
    /// Each model's figures on those leads; the champion first.
    pub models: Vec<ModelFigures>,
    /// Each challenger against the champion.
    pub challengers: Vec<Challenge>,
    /// How the verdict is reached, in words.
    pub verdict_rule: String,
    /// When a model has segments: every model on the leads of each of its segments.
    #[serde(default)]
    pub segments: Option<BySegment>,
}

/// Every model on the leads of each segment of a model with segments (the first compared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BySegment {
    /// The segments column.
    pub column: String,
    /// The model file whose segments these are.
    pub model: String,
    /// One row per segment with a model of its own, then `shared`: the leads its shared model
    /// scores.
    pub rows: Vec<SegmentFigures>,
}

/// The models on one segment's leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentFigures {
    /// The segment's value, or `shared`.
    pub segment: String,
    /// Its compared leads.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// Each model's ROC AUC of the score on them, the champion first (null with one outcome).
    pub roc_auc: Vec<Option<f64>>,
    /// Each model's calibration error on them (10 equal-count bins).
    pub ece: Vec<Option<f64>>,
    /// Each challenger's ROC AUC against the champion's on them, paired (DeLong).
    pub paired: Vec<Option<PairedAuc>>,
}

/// The labelled leads of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedLeads {
    /// The leads file.
    pub file: String,
    /// Leads scored by every model.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
    /// `conversions / leads`.
    pub base_rate: f64,
    /// Rows of the file some model could not score (left out of every figure).
    pub left_out: usize,
    /// The creation dates the leads cover, when they have them.
    pub period: Option<report::Period>,
}

/// One model's figures on the compared leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFigures {
    /// `champion` or `challenger`.
    pub role: String,
    /// The model file and how it was trained.
    pub model: ModelInfo,
    /// ROC AUC of the 0–100 score as people rank by it (ties count half).
    pub roc_auc: f64,
    /// ROC AUC of the calibrated probability (fewer ties).
    pub roc_auc_probability: f64,
    /// Average precision of the score.
    pub pr_auc: f64,
    /// Log loss of the calibrated probability.
    pub log_loss: f64,
    /// Brier score of the calibrated probability.
    pub brier: f64,
    /// Expected calibration error (10 equal-count bins).
    pub ece: f64,
    /// Kolmogorov–Smirnov statistic of the score.
    pub ks: f64,
    /// Leads at or above the model's MQL threshold.
    pub mqls: usize,
    /// Of them, converted.
    pub mql_conversions: usize,
    /// MQLs per week over the period the leads cover, when they have creation dates.
    pub mqls_per_week: Option<f64>,
    /// Leads and conversions per band, coldest first.
    pub bands: Vec<BandFigures>,
    /// Conversions found in the top 10 %, 20 %, … of leads by score.
    pub gains: Vec<f64>,
    /// The ROC curve of the score (false positive rate, true positive rate), thinned.
    pub roc_curve: Vec<(f64, f64)>,
    /// PSI of the score against the model's training leads.
    pub score_psi: f64,
}

/// A band's leads under one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandFigures {
    /// Band name.
    pub name: String,
    /// Leads in it.
    pub leads: usize,
    /// Of them, converted.
    pub conversions: usize,
}

/// A challenger against the champion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    /// The challenger's model file.
    pub file: String,
    /// ROC AUC of each score (champion a, challenger b) and the paired difference.
    pub roc_auc: PairedAuc,
    /// The challenger's calibration error minus the champion's.
    pub ece_change: f64,
    /// `promote`, `keep` or `inconclusive`.
    pub verdict: String,
    /// Why, in a sentence.
    pub why: String,
    /// How many leads move between bands: `counts[i][j]` leads in the champion's band `i` are
    /// in the challenger's band `j`.
    pub transitions: Transitions,
    /// Leads whose score moves by more than [`MOVER_POINTS`].
    pub movers: Movers,
    /// What changed inside the model.
    pub changes: Changes,
}

/// The band-transition matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transitions {
    /// The champion's bands (rows).
    pub from: Vec<String>,
    /// The challenger's bands (columns).
    pub to: Vec<String>,
    /// Leads per (row, column).
    pub counts: Vec<Vec<usize>>,
    /// Leads that become MQLs under the challenger, and that stop being MQLs.
    pub became_mql: usize,
    /// Leads that are MQLs under the champion only.
    pub left_mql: usize,
}

/// The leads whose score moves most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movers {
    /// The move in points above which a lead counts.
    pub points: f64,
    /// Leads that move up by more, and of them converted.
    pub up: usize,
    /// Of the leads moving up, converted.
    pub up_converted: usize,
    /// Leads that move down by more.
    pub down: usize,
    /// Of the leads moving down, converted.
    pub down_converted: usize,
    /// The largest moves, with the reasons under each model.
    pub leads: Vec<Mover>,
}

/// A lead whose score moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mover {
    /// The lead id (or its row in the file, from 1, without an id column).
    pub lead: String,
    /// Whether it converted.
    pub converted: bool,
    /// Its score under the champion.
    pub champion_score: f64,
    /// Its score under the challenger.
    pub challenger_score: f64,
    /// The reasons under the champion.
    pub champion_reasons: String,
    /// The reasons under the challenger.
    pub challenger_reasons: String,
}

/// What changed inside the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// Features the challenger reads that the champion does not.
    pub features_added: Vec<String>,
    /// Features the champion reads that the challenger does not.
    pub features_dropped: Vec<String>,
    /// Model inputs whose log-odds weight moved most (0 where a model lacks the input).
    pub inputs: Vec<InputChange>,
    /// Rules added, dropped or given other points in the blend.
    pub rules: Vec<String>,
}

/// A model input's weight under each model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputChange {
    /// The input, e.g. `Lead Source = Referral`.
    pub input: String,
    /// Its log-odds weight in the champion (None: not an input of it).
    pub champion: Option<f64>,
    /// Its log-odds weight in the challenger.
    pub challenger: Option<f64>,
}

/// A model's scored leads, by row of the file.
struct Scored {
    path: PathBuf,
    artifact: ModelArtifact,
    evaluated: Evaluated,
    /// Position in `evaluated.batch.rows` of each row of the file it scored.
    at: HashMap<usize, usize>,
}

/// Scores the leads with every model, works out the comparison, writes the report folder and
/// returns the comparison.
pub fn compare(settings: &CompareSettings, progress: &dyn Progress) -> Result<Comparison> {
    if settings.models.len() < 2 {
        return Err(Error::Usage(
            "compare needs two model files or more: --model live.lsm --model candidate.lsm".into(),
        ));
    }
    let mut scored = Vec::with_capacity(settings.models.len());
    for path in &settings.models {
        let artifact = ModelArtifact::load(path)?;
        let evaluate = EvaluateSettings {
            segment_capacity: Vec::new(),
            model_path: path.clone(),
            data: settings.data.clone(),
            events: settings.events.clone(),
            audited_rules: None,
            as_of: settings.as_of,
            out: settings.out.clone(),
            capacity: None,
            period: WorkPeriod::Week,
            periods: None,
            compare_column: None,
            adjustments: None,
        };
        let evaluated = evaluation::score_labelled(&artifact, &evaluate, progress)?;
        let at = (evaluated.batch.rows.iter().enumerate())
            .map(|(k, &r)| (r, k))
            .collect();
        scored.push(Scored {
            path: path.clone(),
            artifact,
            evaluated,
            at,
        });
    }
    let comparison = build(settings, &scored)?;
    page::write(settings, &comparison, &scores_csv(&scored)?)?;
    Ok(comparison)
}

/// Each compared lead's outcome and score under every model (columns named by model file).
fn scores_csv(scored: &[Scored]) -> Result<Vec<u8>> {
    let table = &scored[0].evaluated.batch.table;
    let mut header = vec![
        table.id_column.clone().unwrap_or_else(|| "row".into()),
        "converted".into(),
    ];
    header.extend(scored.iter().map(|s| format!("score {}", s.path.display())));
    let mut bytes = crate::scoring::writer::csv_line(&header.iter().map(String::as_str).collect::<Vec<_>>())?;
    for r in common_rows(scored) {
        let mut cells = vec![
            table.ids.get(r).cloned().unwrap_or_else(|| (r + 1).to_string()),
            u8::from(scored[0].evaluated.outcome[scored[0].at[&r]]).to_string(),
        ];
        cells.extend(scored.iter().map(|s| format!("{}", s.evaluated.scores[s.at[&r]].score)));
        bytes.extend(crate::scoring::writer::csv_line(
            &cells.iter().map(String::as_str).collect::<Vec<_>>(),
        )?);
    }
    Ok(bytes)
}

/// The rows of the file every model scored, in file order.
fn common_rows(scored: &[Scored]) -> Vec<usize> {
    (scored[0].evaluated.batch.rows.iter().copied())
        .filter(|r| scored[1..].iter().all(|s| s.at.contains_key(r)))
        .collect()
}

fn build(settings: &CompareSettings, scored: &[Scored]) -> Result<Comparison> {
    let rows = common_rows(scored);
    let champion = &scored[0];
    let outcome: Vec<bool> = rows
        .iter()
        .map(|r| champion.evaluated.outcome[champion.at[r]])
        .collect();
    let conversions = outcome.iter().filter(|&&y| y).count();
    if rows.is_empty() || conversions == 0 || conversions == rows.len() {
        return Err(Error::rejected(
            Location::file(&settings.data),
            format!(
                "{} leads were scored by every model, {} of them converted: no comparison can be made",
                rows.len(),
                conversions
            ),
            "compare on labelled leads of which some converted and some did not, with the columns of every model",
        ));
    }
    let period = evaluation::covered_period(&champion.evaluated.batch);
    let figures: Vec<ModelFigures> = (scored.iter().enumerate())
        .map(|(i, s)| model_figures(s, i, &rows, &outcome, period.as_ref()))
        .collect();
    let challengers = (1..scored.len())
        .map(|i| challenge(&scored[0], &scored[i], &figures[0], &figures[i], &rows, &outcome))
        .collect::<Result<Vec<_>>>()?;
    Ok(Comparison {
        schema: "leadscore-comparison".into(),
        schema_version: SCHEMA_VERSION,
        leadscore_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        data: ComparedLeads {
            file: settings.data.display().to_string(),
            leads: rows.len(),
            conversions,
            base_rate: conversions as f64 / rows.len() as f64,
            left_out: champion.evaluated.batch.table.n_rows - rows.len(),
            period,
        },
        models: figures,
        challengers,
        verdict_rule: verdict_rule(),
        segments: by_segment(scored, &rows, &outcome),
    })
}

/// With a model with segments among those compared: every model on each of its segments.
fn by_segment(scored: &[Scored], rows: &[usize], outcome: &[bool]) -> Option<BySegment> {
    let (segmented, segmentation) = scored
        .iter()
        .find_map(|s| s.artifact.segments.as_ref().map(|seg| (s, seg)))?;
    let codes = segmentation.codes_of(&segmented.evaluated.batch.table.features, rows);
    let groups = (0..segmentation.segments.len() as u32).chain([crate::features::encoded::NONE]);
    let rows = groups
        .filter_map(|code| {
            let members: Vec<usize> = (0..rows.len()).filter(|&k| codes[k] == code).collect();
            if members.is_empty() {
                return None;
            }
            let y: Vec<bool> = members.iter().map(|&k| outcome[k]).collect();
            let of = |s: &Scored, value: fn(&crate::scorer::LeadScore) -> f64| -> Vec<f64> {
                (members.iter())
                    .map(|&k| value(&s.evaluated.scores[s.at[&rows[k]]]))
                    .collect()
            };
            let scores: Vec<Vec<f64>> = scored.iter().map(|s| of(s, |l| l.score)).collect();
            Some(SegmentFigures {
                segment: segmentation.name_of(code).to_string(),
                leads: members.len(),
                conversions: y.iter().filter(|&&c| c).count(),
                roc_auc: scores.iter().map(|score| metrics::roc_auc(&y, score)).collect(),
                ece: (scored.iter())
                    .map(|s| {
                        Some(metrics::expected_calibration_error(&y, &of(s, |l| l.probability), 10))
                            .filter(|e| e.is_finite())
                    })
                    .collect(),
                paired: (scores[1..].iter())
                    .map(|score| metrics::delong_paired(&y, &scores[0], score))
                    .collect(),
            })
        })
        .collect();
    Some(BySegment {
        column: segmentation.column.clone(),
        model: segmented.path.display().to_string(),
        rows,
    })
}

/// The verdict's rule in words.
pub fn verdict_rule() -> String {
    format!(
        "promote when the 95 % interval of the challenger's ROC AUC minus the champion's (paired, DeLong) lies above \
         zero and its calibration error is at most {:.0} points above the champion's; keep when the interval lies \
         below zero, or when the challenger ranks better but its calibration error is more than that above \
         (recalibrate it and compare again); otherwise inconclusive: these leads cannot tell the two apart",
        ECE_TOLERANCE * 100.0
    )
}

/// `promote`, `keep` or `inconclusive`, and why.
pub fn verdict(auc: &PairedAuc, ece_change: f64) -> (&'static str, String) {
    let interval = format!(
        "ROC AUC {:+.4} (95 % interval {:+.4} to {:+.4})",
        auc.difference, auc.low, auc.high
    );
    let ece = format!("calibration error {:+.1} points", ece_change * 100.0);
    if auc.low > 0.0 && ece_change <= ECE_TOLERANCE {
        (
            "promote",
            format!("the challenger ranks better beyond doubt: {interval}; {ece}"),
        )
    } else if auc.high < 0.0 {
        ("keep", format!("the champion ranks better beyond doubt: {interval}"))
    } else if auc.low > 0.0 {
        (
            "keep",
            format!("the challenger ranks better ({interval}) but is less well calibrated ({ece}): recalibrate it and compare again"),
        )
    } else {
        (
            "inconclusive",
            format!("no difference these leads can show: {interval}; {ece}"),
        )
    }
}

fn model_figures(
    s: &Scored,
    index: usize,
    rows: &[usize],
    outcome: &[bool],
    period: Option<&report::Period>,
) -> ModelFigures {
    let scores: Vec<&crate::scorer::LeadScore> = rows.iter().map(|r| &s.evaluated.scores[s.at[r]]).collect();
    let score: Vec<f64> = scores.iter().map(|l| l.score).collect();
    let probability: Vec<f64> = scores.iter().map(|l| l.probability).collect();
    let mqls = scores.iter().filter(|l| l.mql).count();
    let mql_conversions = scores.iter().zip(outcome).filter(|(l, &y)| l.mql && y).count();
    let bands = &s.artifact.scorer.bands;
    let bands = (bands.names.iter().enumerate())
        .map(|(b, name)| BandFigures {
            name: name.clone(),
            leads: scores.iter().filter(|l| l.band == b).count(),
            conversions: scores.iter().zip(outcome).filter(|(l, &y)| l.band == b && y).count(),
        })
        .collect();
    ModelFigures {
        role: if index == 0 { "champion" } else { "challenger" }.into(),
        model: evaluation::model_info(&s.artifact, &s.path),
        roc_auc: metrics::roc_auc(outcome, &score).unwrap_or(f64::NAN),
        roc_auc_probability: metrics::roc_auc(outcome, &probability).unwrap_or(f64::NAN),
        pr_auc: metrics::average_precision(outcome, &score).unwrap_or(f64::NAN),
        log_loss: metrics::log_loss(outcome, &probability),
        brier: metrics::brier(outcome, &probability),
        ece: metrics::expected_calibration_error(outcome, &probability, 10),
        ks: metrics::ks_statistic(outcome, &score).unwrap_or(f64::NAN),
        mqls,
        mql_conversions,
        mqls_per_week: period.map(|p| mqls as f64 / (p.days / 7.0).max(1.0)),
        bands,
        gains: metrics::gains(outcome, &score, 10)
            .iter()
            .map(|g| g.cumulative_conversions)
            .collect(),
        roc_curve: report::thin(
            metrics::roc_curve(outcome, &score).unwrap_or_default(),
            report::ROC_POINTS,
        ),
        score_psi: s.evaluated.drift.score_psi,
    }
}

fn challenge(
    champion: &Scored,
    challenger: &Scored,
    a: &ModelFigures,
    b: &ModelFigures,
    rows: &[usize],
    outcome: &[bool],
) -> Result<Challenge> {
    let score_of = |s: &Scored| -> Vec<f64> { rows.iter().map(|r| s.evaluated.scores[s.at[r]].score).collect() };
    let (score_a, score_b) = (score_of(champion), score_of(challenger));
    let roc_auc = metrics::delong_paired(outcome, &score_a, &score_b)
        .ok_or_else(|| Error::Runtime("the compared leads hold one outcome only".into()))?;
    let ece_change = b.ece - a.ece;
    let (verdict, why) = verdict(&roc_auc, ece_change);
    Ok(Challenge {
        file: challenger.path.display().to_string(),
        roc_auc,
        ece_change,
        verdict: verdict.into(),
        why,
        transitions: transitions(champion, challenger, rows),
        movers: movers(champion, challenger, rows, outcome, &score_a, &score_b)?,
        changes: changes(&champion.artifact, &challenger.artifact),
    })
}

fn transitions(champion: &Scored, challenger: &Scored, rows: &[usize]) -> Transitions {
    let (from, to) = (
        &champion.artifact.scorer.bands.names,
        &challenger.artifact.scorer.bands.names,
    );
    let mut counts = vec![vec![0; to.len()]; from.len()];
    let (mut became_mql, mut left_mql) = (0, 0);
    for r in rows {
        let (a, b) = (
            &champion.evaluated.scores[champion.at[r]],
            &challenger.evaluated.scores[challenger.at[r]],
        );
        counts[a.band][b.band] += 1;
        became_mql += usize::from(b.mql && !a.mql);
        left_mql += usize::from(a.mql && !b.mql);
    }
    Transitions {
        from: from.clone(),
        to: to.clone(),
        counts,
        became_mql,
        left_mql,
    }
}

fn movers(
    champion: &Scored,
    challenger: &Scored,
    rows: &[usize],
    outcome: &[bool],
    score_a: &[f64],
    score_b: &[f64],
) -> Result<Movers> {
    let moved: Vec<usize> = (0..rows.len())
        .filter(|&k| (score_b[k] - score_a[k]).abs() > MOVER_POINTS)
        .collect();
    let count = |up: bool, converted: bool| {
        (moved.iter())
            .filter(|&&k| (score_b[k] > score_a[k]) == up && (!converted || outcome[k]))
            .count()
    };
    let mut largest = moved.clone();
    largest.sort_by(|&x, &y| {
        let (dx, dy) = ((score_b[x] - score_a[x]).abs(), (score_b[y] - score_a[y]).abs());
        dy.total_cmp(&dx).then(x.cmp(&y))
    });
    largest.truncate(MOVERS_SHOWN);
    let reasons = |s: &Scored, k: usize| -> Result<String> {
        let rules = s.artifact.blended_rules(&s.path)?;
        let at = s.at[&rows[k]];
        let mut out = String::new();
        Reasons::new(&s.artifact, &s.evaluated.batch, rules.as_ref()).write(&mut out, at, &s.evaluated.scores[at]);
        Ok(out)
    };
    let table = &champion.evaluated.batch.table;
    let leads = (largest.iter())
        .map(|&k| {
            Ok(Mover {
                lead: table
                    .ids
                    .get(rows[k])
                    .cloned()
                    .unwrap_or_else(|| format!("row {}", rows[k] + 1)),
                converted: outcome[k],
                champion_score: score_a[k],
                challenger_score: score_b[k],
                champion_reasons: reasons(champion, k)?,
                challenger_reasons: reasons(challenger, k)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Movers {
        points: MOVER_POINTS,
        up: count(true, false),
        up_converted: count(true, true),
        down: count(false, false),
        down_converted: count(false, true),
        leads,
    })
}

/// Features added and dropped, the inputs whose weight moved most, and the blended rules that
/// changed.
pub fn changes(champion: &ModelArtifact, challenger: &ModelArtifact) -> Changes {
    let features =
        |a: &ModelArtifact| -> BTreeSet<String> { a.pipeline.steps.iter().map(|s| s.feature.clone()).collect() };
    let (fa, fb) = (features(champion), features(challenger));
    let weights = |a: &ModelArtifact| -> BTreeMap<String, f64> {
        (a.input_names.iter().cloned())
            .zip(a.model.coefficients.iter().copied())
            .collect()
    };
    let (wa, wb) = (weights(champion), weights(challenger));
    let mut inputs: Vec<InputChange> = (wa.keys().chain(wb.keys()).collect::<BTreeSet<_>>().into_iter())
        .map(|input| InputChange {
            input: input.clone(),
            champion: wa.get(input).copied(),
            challenger: wb.get(input).copied(),
        })
        .collect();
    let moved = |c: &InputChange| (c.challenger.unwrap_or(0.0) - c.champion.unwrap_or(0.0)).abs();
    inputs.sort_by(|x, y| moved(y).total_cmp(&moved(x)));
    inputs.retain(|c| moved(c) >= 0.005);
    inputs.truncate(INPUTS_SHOWN);
    let rules = |a: &ModelArtifact| -> BTreeMap<String, f64> {
        (a.blend.iter().flat_map(|b| b.rules.rules.iter()))
            .map(|r| (r.name.clone(), r.points))
            .collect()
    };
    let (ra, rb) = (rules(champion), rules(challenger));
    let mut rule_changes = Vec::new();
    for (name, points) in &ra {
        match rb.get(name) {
            None => rule_changes.push(format!("rule \"{name}\" ({points:+}) dropped")),
            Some(p) if p != points => rule_changes.push(format!("rule \"{name}\": {points:+} → {p:+} points")),
            Some(_) => {}
        }
    }
    for (name, points) in rb.iter().filter(|(n, _)| !ra.contains_key(*n)) {
        rule_changes.push(format!("rule \"{name}\" ({points:+}) added"));
    }
    Changes {
        features_added: fb.difference(&fa).cloned().collect(),
        features_dropped: fa.difference(&fb).cloned().collect(),
        inputs,
        rules: rule_changes,
    }
}
