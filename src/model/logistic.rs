//! The conversion model: L2-regularised logistic regression, as a linfa estimator —
//! [`LogisticParams`](super::params::LogisticParams) are checked into
//! [`ValidLogisticParams`](super::params::ValidLogisticParams), which `Fit` coded leads into a [`LogisticModel`], which predicts.
//!
//! The objective and optimiser are linfa-logistic's — the summed log loss plus `α/2·‖w‖²`
//! (intercept unpenalised), minimised by argmin's L-BFGS (memory 10; 20 for a pooled model) with a More–Thuente line
//! search — but the loss and its gradient are computed in one parallel pass over
//! [`EncodedLeads`], which is an order of magnitude faster than dense matrix products on lead
//! data (see the README's speed section). `tests/logistic_oracle.rs` checks that the fitted
//! coefficients equal linfa-logistic's on the same data.

use std::sync::Mutex;

use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, IterState, Problem, Solver, TerminationReason,
    TerminationStatus, KV,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::dataset::Records;
use linfa::traits::PredictInplace;
use linfa::DatasetBase;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::loss::{log_loss_and_gradient, logit, sigmoid};
use crate::features::encoded::{EncodedLeads, SegmentBlocks};

/// How much harder than the shared strength a segment's own coefficient held at 0 is pulled.
const HOLD_OWN: f64 = 1e8;

/// Steps L-BFGS remembers (linfa-logistic's).
const LBFGS_MEMORY: usize = 10;

/// A fitted logistic regression: `P(convert) = σ(intercept + coefficients · x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// One weight per model input.
    pub coefficients: Vec<f64>,
    /// The intercept (not penalised).
    pub intercept: f64,
}

/// Why a fit failed.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Only one outcome among the rows.
    #[error("the training leads all have the same outcome")]
    OneClass,
    /// The optimiser failed.
    #[error("logistic regression failed: {0}")]
    Optimiser(String),
    /// A signal asked the work to stop.
    #[error("interrupted")]
    Interrupted,
    /// A hyperparameter is out of its range.
    #[error("invalid fit setting: {0}")]
    InvalidParams(String),
    /// linfa refused the data (leads and outcomes of different lengths).
    #[error("{0}")]
    Linfa(#[from] linfa::Error),
}

/// A failed fit as the error a command reports: a stop signal as the interruption it is,
/// anything else as a failed run (exit code 1).
impl From<FitError> for crate::error::Error {
    fn from(e: FitError) -> Self {
        match e {
            FitError::Interrupted => crate::error::Error::Interrupted,
            e => crate::error::Error::Runtime(format!("model fit failed: {e}")),
        }
    }
}

/// Where the solver moves: each input's weight times its scale (`θ = d ⊙ w`) — except the
/// steps of a shaped number, which it sees as the levels of the number's ranges (`v_r`, the
/// first `r` steps summed; range 0 is the base), times their scale. Neighbouring steps cover
/// nearly the same leads, so in steps the problem is badly conditioned and the solver crawls;
/// in levels each range is its own leads, as a one-hot group is. A change of coordinates moves
/// the path, not the minimum.
///
/// A pooled model's inputs are the shared coefficients `w` and each segment's deviation `δ_s`
/// from them; the solver moves the segment's own coefficients `β_s = w + δ_s` (and its own
/// intercept) instead. The shared inputs are set for every lead and a segment's copy for its
/// leads, so `w` and `δ_s` move together and the solver crawls; `β_s` is moved by its segment's
/// leads only, and `w` by the others, the penalty on `β_s − w` holding them together.
struct Coordinates {
    scale: Vec<f64>,
    /// `(first, width)` of each step group.
    steps: Vec<(usize, usize)>,
    /// A pooled model's segments.
    pooled: Option<PooledInputs>,
}

/// Where a pooled model's segments are among the inputs.
struct PooledInputs {
    /// `(shared, a segment's own)` places of the inputs that a segment's leads set in their
    /// segment's block ([`SegmentBlocks::pairs`]).
    copied: Vec<(usize, usize)>,
    /// `(shared, a segment's own)` places of the intercepts: the shared one is set for every
    /// lead, a segment's for its leads.
    intercepts: Vec<(usize, usize)>,
}

impl PooledInputs {
    fn new(leads: &EncodedLeads, blocks: SegmentBlocks) -> PooledInputs {
        let SegmentBlocks { base_width, segments } = blocks;
        let first = base_width + segments * base_width;
        PooledInputs {
            copied: blocks.pairs(&leads.steps),
            intercepts: (0..segments).map(|s| (leads.width, first + s)).collect(),
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.copied.iter().chain(&self.intercepts).copied()
    }
}

impl Coordinates {
    /// The scale: `d = sqrt(¼·Σx² + α)` per input (the intercept: `sqrt(¼·n)`), each input's
    /// own `α`; for a range's level, `¼·(its leads) + ` the `α` of the two steps it borders.
    fn new(leads: &EncodedLeads, alpha: &[f64], held: &[(usize, usize)], hold: f64) -> Coordinates {
        let mut squares = vec![0.0; leads.width + 1];
        let mut penalty: Vec<f64> = alpha.iter().copied().chain([0.0]).collect();
        for column in &leads.numeric {
            squares[column.input] = column.values.iter().map(|x| x * x).sum();
        }
        for group in &leads.steps {
            let mut per_range = vec![0.0; group.width + 1];
            for &code in &group.codes {
                per_range[code as usize] += 1.0;
            }
            for (r, &leads_in_range) in per_range.iter().enumerate().skip(1) {
                let k = group.first + r - 1;
                squares[k] = leads_in_range;
                penalty[k] = alpha[k] + if r < group.width { alpha[k + 1] } else { 0.0 };
            }
        }
        for block in &leads.blocks {
            for (&code, &x) in block.codes.iter().zip(&block.values) {
                if code != crate::features::encoded::NONE {
                    squares[block.first + code as usize] += x * x;
                }
            }
        }
        for group in &leads.groups {
            for &code in &group.codes {
                if code != crate::features::encoded::NONE {
                    squares[group.first + code as usize] += 1.0;
                }
            }
        }
        squares[leads.width] = leads.n_rows as f64;
        let pooled = leads.segment_blocks.map(|blocks| PooledInputs::new(leads, blocks));
        if let Some(pooled) = &pooled {
            // A shared input is set by the leads of no segment, and pulled toward each
            // segment's own; the shared intercept counts for the leads of no segment.
            for &(shared, own) in &pooled.intercepts {
                squares[shared] -= squares[own];
            }
            for (shared, own) in pooled.pairs() {
                penalty[shared] += penalty[own];
            }
        }
        // A segment's own coefficient held at 0 is one of the solver's coordinates.
        for &(_, own) in held {
            penalty[own] += hold;
        }
        let scale = squares
            .iter()
            .zip(&penalty)
            .map(|(s, a)| (0.25 * s.max(0.0) + a).max(1e-12).sqrt())
            .collect();
        Coordinates {
            scale,
            steps: leads.steps.iter().map(|g| (g.first, g.width)).collect(),
            pooled,
        }
    }

    /// The weights (then the intercept) at the solver's point.
    fn weights(&self, theta: &[f64]) -> Vec<f64> {
        let mut w: Vec<f64> = theta.iter().zip(&self.scale).map(|(t, d)| t / d).collect();
        for &(first, width) in &self.steps {
            // w holds the levels v_1..v_m; the steps are their rises.
            let mut below = 0.0;
            for x in &mut w[first..first + width] {
                let level = *x;
                *x = level - below;
                below = level;
            }
        }
        if let Some(pooled) = &self.pooled {
            // w holds each segment's own coefficients; the deviations are their differences.
            for (shared, own) in pooled.pairs() {
                w[own] -= w[shared];
            }
        }
        w
    }

    /// The solver's point at the weights (then the intercept).
    fn point(&self, weights: &[f64]) -> Vec<f64> {
        let mut v = weights.to_vec();
        if let Some(pooled) = &self.pooled {
            for (shared, own) in pooled.pairs() {
                v[own] += v[shared];
            }
        }
        for &(first, width) in &self.steps {
            let mut level = 0.0;
            for x in &mut v[first..first + width] {
                level += *x;
                *x = level;
            }
        }
        v.iter().zip(&self.scale).map(|(w, d)| w * d).collect()
    }

    /// The gradient in the solver's coordinates, from the one in the weights'.
    fn to_solver(&self, gradient: &mut [f64]) {
        for &(first, width) in &self.steps {
            // v_r is in the rise below it (+) and the one above it (−).
            for k in first..first + width {
                let above = if k + 1 < first + width { gradient[k + 1] } else { 0.0 };
                gradient[k] -= above;
            }
        }
        if let Some(pooled) = &self.pooled {
            // A shared coefficient moves every segment's deviation the other way.
            for (shared, own) in pooled.pairs() {
                gradient[shared] -= gradient[own];
            }
        }
        gradient.iter_mut().zip(&self.scale).for_each(|(g, d)| *g /= d);
    }

    /// The gradient in the weights' coordinates, from the one in the solver's.
    fn to_weights(&self, gradient: &[f64]) -> Vec<f64> {
        let mut g: Vec<f64> = gradient.iter().zip(&self.scale).map(|(g, d)| g * d).collect();
        for &(first, width) in &self.steps {
            // A rise's gradient is that of every level from it up.
            let mut above = 0.0;
            for k in (first..first + width).rev() {
                above += g[k];
                g[k] = above;
            }
        }
        if let Some(pooled) = &self.pooled {
            for (shared, own) in pooled.pairs() {
                g[shared] += g[own];
            }
        }
        g
    }

    /// How much larger a gradient can be in weights than in the solver's coordinates,
    /// beyond the scale (the levels of the widest shaped number, summed; a shared input's,
    /// its segments' summed).
    fn spread(&self) -> f64 {
        let segments = self.pooled.as_ref().map_or(0, |p| p.intercepts.len());
        self.steps.iter().map(|&(_, width)| width as f64).fold(1.0, f64::max) * (segments + 1) as f64
    }
}

/// The penalised objective, in preconditioned coordinates `v = d ⊙ w`; remembers its last
/// evaluation because the line search asks for the cost and the gradient at the same point.
///
/// A one-hot input set for few leads has far less curvature than one set for many, which
/// makes plain L-BFGS crawl. Scaling each coordinate by the square root of its curvature at
/// the start (`d² = ¼·Σx² + α`) changes the path, not the minimum: the fitted coefficients are
/// the same (see `tests/logistic_oracle.rs`).
struct Objective<'a> {
    leads: &'a EncodedLeads,
    outcome: &'a [bool],
    /// The L2 strength of each input.
    alpha: Vec<f64>,
    /// The strength, when all inputs have the same.
    uniform: Option<f64>,
    /// `(shared, a segment's)` inputs whose sum (the segment's own coefficient) is held at 0 by
    /// the strength `hold`.
    held: Vec<(usize, usize)>,
    hold: f64,
    coordinates: &'a Coordinates,
    last: Mutex<Option<Evaluation>>,
    /// Evaluations so far, and at most: the line search may not run on for ever.
    evaluations: std::sync::atomic::AtomicU64,
    most_evaluations: u64,
}

/// The objective at one point.
struct Evaluation {
    at: Array1<f64>,
    cost: f64,
    gradient: Array1<f64>,
}

impl Objective<'_> {
    fn evaluate(&self, params: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Ok(last) = self.last.lock() {
            if let Some(last) = last.as_ref().filter(|last| last.at == *params) {
                return (last.cost, last.gradient.clone());
            }
        }
        let width = self.leads.width;
        let weights = self.coordinates.weights(params.as_slice().expect("a contiguous point"));
        let (loss, mut gradient) = log_loss_and_gradient(self.leads, self.outcome, &weights[..width], weights[width]);
        let mut penalty = 0.0;
        for ((g, w), alpha) in gradient.iter_mut().zip(&weights[..width]).zip(&self.alpha) {
            *g += alpha * w;
            penalty += w * w * if self.uniform.is_some() { 1.0 } else { *alpha };
        }
        // One strength for all: α·Σw², summed as it always was (the same bits, the same fit).
        let mut cost = loss + 0.5 * self.uniform.map_or(penalty, |alpha| alpha * penalty);
        for &(shared, own) in &self.held {
            let sum = weights[shared] + weights[own];
            cost += 0.5 * self.hold * sum * sum;
            gradient[shared] += self.hold * sum;
            gradient[own] += self.hold * sum;
        }
        self.coordinates.to_solver(&mut gradient);
        let gradient = Array1::from(gradient);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(Evaluation {
                at: params.clone(),
                cost,
                gradient: gradient.clone(),
            });
        }
        (cost, gradient)
    }
}

impl CostFunction for Objective<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, params: &Self::Param) -> Result<f64, argmin::core::Error> {
        self.checked(params).map(|(cost, _)| cost)
    }
}

impl Gradient for Objective<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, params: &Self::Param) -> Result<Array1<f64>, argmin::core::Error> {
        self.checked(params).map(|(_, gradient)| gradient)
    }
}

impl Objective<'_> {
    /// [`Objective::evaluate`], stopping the fit when a signal asked it to, when the loss is
    /// not a number (an input too large to fit), or when the evaluations run out.
    fn checked(&self, params: &Array1<f64>) -> Result<(f64, Array1<f64>), argmin::core::Error> {
        if crate::interrupt::interrupted() {
            return Err(argmin::core::Error::msg("interrupted"));
        }
        let done = self.evaluations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if done >= self.most_evaluations {
            return Err(argmin::core::Error::msg(format!(
                "no minimum found after {done} evaluations of the loss"
            )));
        }
        let (cost, gradient) = self.evaluate(params);
        if !cost.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return Err(argmin::core::Error::msg(
                "the log loss is not a number: a model input holds values too large to fit; check the numeric columns for extreme values",
            ));
        }
        Ok((cost, gradient))
    }
}

/// What the solver keeps between iterations.
type FitState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// A solver that also stops by scikit-learn's test: when no component of the true gradient
/// (the solver's, in scaled coordinates, times the scale) is larger than `largest`.
struct StopLikeScikitLearn<'a, S> {
    solver: S,
    coordinates: &'a Coordinates,
    largest: f64,
}

impl<O, S: Solver<O, FitState>> Solver<O, FitState> for StopLikeScikitLearn<'_, S> {
    fn name(&self) -> &str {
        self.solver.name()
    }

    fn init(&mut self, problem: &mut Problem<O>, state: FitState) -> Result<(FitState, Option<KV>), ArgminError> {
        self.solver.init(problem, state)
    }

    fn next_iter(&mut self, problem: &mut Problem<O>, state: FitState) -> Result<(FitState, Option<KV>), ArgminError> {
        self.solver.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &FitState) -> TerminationStatus {
        let own = self.solver.terminate(state);
        if own.terminated() {
            return own;
        }
        match state.get_gradient() {
            Some(g)
                if self
                    .coordinates
                    .to_weights(g.as_slice().expect("a contiguous gradient"))
                    .iter()
                    .all(|g| g.abs() <= self.largest) =>
            {
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            }
            _ => TerminationStatus::NotTerminated,
        }
    }
}

/// How a fit runs: the settings of a checked [`super::params::ValidLogisticParams`].
pub(super) struct Run<'a> {
    pub alpha: f64,
    pub max_iterations: u64,
    pub gradient_tolerance_per_lead: f64,
    pub start: Option<&'a LogisticModel>,
    /// Each input's penalty as a multiple of `alpha` (all 1 when `None`).
    pub penalty_scale: Option<&'a [f64]>,
    /// Inputs of segments' blocks whose segment's own coefficient is held at 0.
    pub held_own: &'a [usize],
}

/// Fits by L-BFGS in preconditioned coordinates; what `ValidLogisticParams`'s `Fit` runs.
pub(super) fn fit(leads: &EncodedLeads, outcome: &[bool], params: &Run) -> Result<LogisticModel, FitError> {
    if outcome.len() != leads.n_rows {
        return Err(FitError::Linfa(linfa::Error::MismatchedShapes(
            leads.n_rows,
            outcome.len(),
        )));
    }
    let positives = outcome.iter().filter(|&&y| y).count();
    if positives == 0 || positives == outcome.len() {
        return Err(FitError::OneClass);
    }
    let width = leads.width;
    let alpha: Vec<f64> = match params.penalty_scale {
        Some(scale) if scale.len() == width => scale.iter().map(|m| params.alpha * m).collect(),
        Some(scale) => {
            return Err(FitError::InvalidParams(format!(
                "{} penalty multiples for {width} inputs",
                scale.len()
            )))
        }
        None => vec![params.alpha; width],
    };
    let init: Vec<f64> = match params.start {
        Some(start) if start.coefficients.len() == width => {
            start.coefficients.iter().copied().chain([start.intercept]).collect()
        }
        // The intercept starts at the base rate's log-odds.
        _ => std::iter::repeat_n(0.0, width)
            .chain([logit(positives as f64 / outcome.len() as f64)])
            .collect(),
    };
    // The solver sees the gradient in its own coordinates, g / d for most inputs; dividing the
    // tolerance by the largest d (and by how far levels' gradients spread to steps') keeps the
    // test on the true gradient at least as strict.
    // A segment's own coefficient held at 0: `(shared input, the segment's)` pairs whose sum is
    // penalised `HOLD_OWN` times the strength.
    let held: Vec<(usize, usize)> = match leads.segment_blocks {
        Some(blocks) => (params.held_own.iter())
            .filter(|&&k| k >= blocks.base_width && k < blocks.base_width * (blocks.segments + 1))
            .map(|&k| (k % blocks.base_width, k))
            .collect(),
        None if params.held_own.is_empty() => Vec::new(),
        None => {
            return Err(FitError::InvalidParams(
                "a segment's own coefficient can only be held in a pooled model".into(),
            ))
        }
    };
    let hold = HOLD_OWN * params.alpha.max(f64::MIN_POSITIVE);
    let coordinates = Coordinates::new(leads, &alpha, &held, hold);
    let largest_scale = coordinates.scale.iter().copied().fold(1.0, f64::max);
    let tolerance = params.gradient_tolerance_per_lead * outcome.len() as f64 / largest_scale / coordinates.spread();
    // A pooled model is a model per segment, held together by the pull: the solver remembers
    // twice as many steps, so that each segment's curvature stays among them.
    let memory = if leads.segment_blocks.is_some() {
        2 * LBFGS_MEMORY
    } else {
        LBFGS_MEMORY
    };
    let solver = StopLikeScikitLearn {
        solver: LBFGS::new(MoreThuenteLineSearch::new(), memory)
            .with_tolerance_grad(tolerance)
            .map_err(|e| FitError::Optimiser(e.to_string()))?,
        coordinates: &coordinates,
        largest: params.gradient_tolerance_per_lead * outcome.len() as f64,
    };
    let init = coordinates.point(&init);
    let objective = Objective {
        leads,
        outcome,
        uniform: params.penalty_scale.is_none().then_some(params.alpha),
        alpha,
        held,
        hold,
        coordinates: &coordinates,
        last: Mutex::new(None),
        evaluations: std::sync::atomic::AtomicU64::new(0),
        // L-BFGS with More–Thuente needs a few evaluations per iteration; far more is a loop.
        most_evaluations: 50 * params.max_iterations + 100,
    };
    let result = Executor::new(objective, solver)
        .configure(|state| state.param(Array1::from(init)).max_iters(params.max_iterations))
        .run()
        .map_err(|e| {
            if crate::interrupt::interrupted() {
                FitError::Interrupted
            } else {
                FitError::Optimiser(e.to_string())
            }
        })?;
    let best = result
        .state
        .best_param
        .ok_or_else(|| FitError::Optimiser("no parameters were found".into()))?;
    let best = coordinates.weights(best.as_slice().expect("a contiguous point"));
    if best.iter().any(|w| !w.is_finite()) {
        return Err(FitError::Optimiser(
            "the coefficients diverged; raise the regularisation (lower C)".into(),
        ));
    }
    Ok(LogisticModel {
        coefficients: best[..width].to_vec(),
        intercept: best[width],
    })
}

/// Leads with their outcomes, as linfa's estimators take them: the records are the coded
/// leads as they are (nothing is made dense).
pub type LabelledLeads<'a> = DatasetBase<&'a EncodedLeads, &'a [bool]>;

/// `leads` with `outcome` (one per lead) as a linfa dataset.
pub fn labelled<'a>(leads: &'a EncodedLeads, outcome: &'a [bool]) -> LabelledLeads<'a> {
    DatasetBase::new(leads, outcome)
}

/// Coded leads are linfa records: one sample per lead, one feature per model input.
impl Records for EncodedLeads {
    type Elem = f64;

    fn nsamples(&self) -> usize {
        self.n_rows
    }

    fn nfeatures(&self) -> usize {
        self.width
    }
}

/// Predicts each lead's conversion probability.
impl PredictInplace<EncodedLeads, Vec<f64>> for LogisticModel {
    fn predict_inplace(&self, leads: &EncodedLeads, probabilities: &mut Vec<f64>) {
        probabilities.clear();
        probabilities.extend(self.log_odds(leads).into_iter().map(sigmoid));
    }

    fn default_target(&self, leads: &EncodedLeads) -> Vec<f64> {
        Vec::with_capacity(leads.n_rows)
    }
}

impl LogisticModel {
    /// Log-odds per lead.
    pub fn log_odds(&self, leads: &EncodedLeads) -> Vec<f64> {
        leads.log_odds(&self.coefficients, self.intercept)
    }

    /// Conversion probability per lead.
    pub fn predict(&self, leads: &EncodedLeads) -> Vec<f64> {
        let mut probabilities = self.default_target(leads);
        self.predict_inplace(leads, &mut probabilities);
        probabilities
    }
}
