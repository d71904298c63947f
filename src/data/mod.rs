//! Lead data in: reading files, typing columns, the outcome, ids, dates and events.
//!
//! [`load_leads`] turns a CSV/Parquet export into a [`LeadTable`]: typed candidate feature
//! columns (dates already expanded into age/month/weekday, e-mail addresses into domain types),
//! the parsed outcome, the lead ids and each lead's cutoff moment.

pub mod events;
pub mod infer;
pub mod read;
pub mod values;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{ColumnType, Config, Role};
use crate::error::{Error, Location, Result};
use crate::formats::CellFormat;
use infer::{parse_bool, parse_required_cells, parse_timestamp, type_text_column, MissingTokens, Reading};
use read::{RawCells, RawFrame};
use values::{Categorical, Values, MISSING};

/// Checks that every given input file exists before any work starts: `(path, flag)` pairs.
pub fn require_files(files: &[(Option<&std::path::Path>, &str)]) -> Result<()> {
    for (path, flag) in files.iter().filter_map(|(p, f)| p.map(|p| (p, f))) {
        let problem = match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "no such file".to_string(),
            Err(e) => format!("cannot open it: {e}"),
            Ok(m) if m.is_dir() => "is a folder, not a file".to_string(),
            Ok(m) if !m.is_file() => {
                "is a pipe or a device, not a file: leadscore reads its inputs more than once".to_string()
            }
            Ok(_) => continue,
        };
        return Err(Error::rejected(
            Location::file(path),
            problem,
            format!("give {flag} a file (save what a pipe delivers to a file first)"),
        ));
    }
    Ok(())
}

/// An 8-byte hash of a lead id, for counting repeated ids without keeping the ids.
pub fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    // Fixed keys: the same id hashes the same in every batch and run.
    std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(id)
}

/// How many leads repeat an id seen before, among the ids' `hashes` (of [`id_hash`]; sorted
/// here).
pub fn repeated_ids(hashes: &mut [u64]) -> usize {
    hashes.sort_unstable();
    hashes.windows(2).filter(|w| w[0] == w[1]).count()
}

/// Today at 00:00 UTC, in seconds since 1970: the one cutoff of leads without a snapshot when
/// no `--as-of` is given, so that a file scored twice in a day gives the same scores.
pub fn today() -> i64 {
    let now = chrono::Utc::now().timestamp();
    now - now.rem_euclid(86_400)
}

/// YYYY-MM-DD of a moment (seconds since 1970 UTC).
pub fn date_of(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A cutoff given on the command line (`--as-of`): the text as written (kept in the model's
/// config and in SQL) and the moment it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    /// As written.
    pub text: String,
    /// Seconds since 1970 UTC.
    pub seconds: i64,
}

impl std::str::FromStr for AsOf {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<AsOf, String> {
        match parse_timestamp(text.trim()) {
            Some(seconds) => Ok(AsOf {
                text: text.to_string(),
                seconds,
            }),
            None => Err("not a date: use YYYY-MM-DD or an RFC 3339 timestamp".into()),
        }
    }
}

/// One candidate feature column.
#[derive(Debug, Clone)]
pub struct FeatureColumn {
    /// Feature name as shown to people (`created_at: age in days`, `Lead Source`).
    pub name: String,
    /// The input column it comes from.
    pub source: String,
    /// How it is computed from its source.
    pub derivation: Derivation,
    /// Explicit (who the lead is) or implicit (what the lead does).
    pub role: Role,
    /// The typed values.
    pub values: Values,
}

impl FeatureColumn {
    /// A feature that is an input column as it is.
    pub fn direct(name: &str, role: Role, values: Values) -> Self {
        FeatureColumn {
            name: name.to_string(),
            source: name.to_string(),
            derivation: Derivation::Direct,
            role,
            values,
        }
    }
}

/// How a derived feature is computed from its source column; kept in the model so scoring
/// derives the same features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Derivation {
    /// The column itself.
    Direct,
    /// Days from a date column to the lead's cutoff.
    AgeDays,
    /// Month (1–12) of a date column.
    Month,
    /// Weekday of a date column.
    Weekday,
    /// Kind of e-mail domain: corporate, free-mail, student, competitor.
    DomainType,
    /// The e-mail domain itself.
    Domain,
    /// Aggregated from the events file.
    Events,
    /// Whether a multi-valued column's cell holds one label (`Interests: Analytics`).
    Label,
}

impl Derivation {
    /// Feature name for a source column.
    pub fn feature_name(self, source: &str) -> String {
        match self {
            Derivation::Direct | Derivation::Events => source.to_string(),
            Derivation::AgeDays => format!("{source}: age in days"),
            Derivation::Month => format!("{source}: month"),
            Derivation::Weekday => format!("{source}: weekday"),
            Derivation::DomainType => format!("{source}: domain type"),
            Derivation::Domain => format!("{source}: domain"),
            // Named by its label (see [`label_feature`]).
            Derivation::Label => source.to_string(),
        }
    }
}

/// The name of the feature of a multi-valued column's `label`: `Interests: Analytics`.
pub fn label_feature(source: &str, label: &str) -> String {
    format!("{source}: {label}")
}

/// The labels of a multi-valued cell: split on `;`, spaces around each trimmed, empty ones
/// dropped (as `export-sql` splits them).
pub fn labels_of(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';')
        .map(|part| part.trim_matches(' '))
        .filter(|part| !part.is_empty())
}

/// Whether a text column holds several labels per cell: a tenth or more of its cells hold a
/// `;`, and its labels (at most 200) are fewer than its different cells — the combinations of
/// HubSpot's multiple checkboxes and Salesforce's multi-select picklists.
pub fn looks_multi_valued(c: &Categorical) -> bool {
    let mut counts = vec![0usize; c.levels.len()];
    for &code in c.codes.iter().filter(|&&code| code != MISSING) {
        counts[code as usize] += 1;
    }
    let present: usize = counts.iter().sum();
    let with_separator: usize = (c.levels.iter().zip(&counts))
        .filter(|(level, _)| level.contains(';'))
        .map(|(_, n)| n)
        .sum();
    let labels: HashSet<&str> = c.levels.iter().flat_map(|level| labels_of(level)).collect();
    present > 0 && with_separator * 10 >= present && labels.len() <= 200 && labels.len() < c.levels.len()
}

/// The labels of a multi-valued column held by at least `min_frequency` leads, sorted.
pub fn frequent_labels(c: &Categorical, min_frequency: usize) -> Vec<String> {
    let mut counts = vec![0usize; c.levels.len()];
    for &code in c.codes.iter().filter(|&&code| code != MISSING) {
        counts[code as usize] += 1;
    }
    let mut per_label: BTreeMap<&str, usize> = BTreeMap::new();
    for (level, n) in c.levels.iter().zip(counts) {
        let mut seen = HashSet::new();
        for label in labels_of(level).filter(|l| seen.insert(*l)) {
            *per_label.entry(label).or_default() += n;
        }
    }
    (per_label.into_iter())
        .filter(|(_, n)| *n >= min_frequency.max(1))
        .map(|(label, _)| label.to_string())
        .collect()
}

/// One 0/1 column per label: 1 where the cell holds it (an empty cell holds none).
fn label_columns(c: &Categorical, labels: &[String]) -> Vec<Values> {
    let holds: Vec<HashSet<&str>> = c.levels.iter().map(|level| labels_of(level).collect()).collect();
    (labels.iter())
        .map(|label| {
            Values::Boolean(
                (c.codes.iter())
                    .map(|&code| match code {
                        MISSING => 0.0,
                        code => f64::from(u8::from(holds[code as usize].contains(label.as_str()))),
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Column choices resolved from flags and config.
#[derive(Debug, Clone, Default)]
pub struct ColumnChoice {
    /// The outcome column (required for training).
    pub target: Option<String>,
    /// The id column.
    pub id: Option<String>,
    /// Columns not to use.
    pub exclude: Vec<String>,
    /// Columns that must be present (the ones a model reads); only these become features.
    pub required: Vec<String>,
    /// Bad cells reject their row (collected in [`LeadTable::bad_cells`]) instead of stopping.
    pub lenient: bool,
    /// How columns' numbers and dates are written (a model's), before `[data] formats`.
    pub formats: BTreeMap<String, CellFormat>,
    /// The columns are read as a model read its training leads: a column without a format in
    /// `formats` is read plainly, and no format is looked for.
    pub as_trained: bool,
}

/// A lead file, typed and ready for the feature pipeline.
#[derive(Debug)]
pub struct LeadTable {
    /// The file.
    pub path: PathBuf,
    /// Rows.
    pub n_rows: usize,
    /// The id column's name, when there is one.
    pub id_column: Option<String>,
    /// One id per lead (the 1-based row number without an id column).
    pub ids: Vec<String>,
    /// The outcome column's name.
    pub target_column: Option<String>,
    /// The outcome per lead, when the file has one.
    pub outcome: Option<Vec<bool>>,
    /// Candidate feature columns.
    pub features: Vec<FeatureColumn>,
    /// Each lead's cutoff (seconds since 1970 UTC): nothing after it is used.
    pub cutoff: Vec<i64>,
    /// Creation time per lead, for time splits.
    pub created: Option<Vec<Option<i64>>>,
    /// Columns left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// Input columns present in the file (for schema checks).
    pub input_columns: Vec<String>,
    /// Cells that could not be read (only when loading leniently), in row order.
    pub bad_cells: Vec<infer::BadCell>,
    /// The columns read with a format (numbers with separators, dates in a day order).
    pub formats: BTreeMap<String, CellFormat>,
    /// Each multi-valued column's labels that became features.
    pub multi_labels: BTreeMap<String, Vec<String>>,
    /// Each multi-valued column's cells as they are, for rules (which test whole cells).
    pub multi_cells: BTreeMap<String, Values>,
}

const TARGET_NAMES: [&str; 7] = [
    "converted",
    "is_converted",
    "conversion",
    "outcome",
    "target",
    "won",
    "y",
];
const ID_NAMES: [&str; 6] = ["leadid", "id", "prospectid", "contactid", "leadnumber", "email"];

/// Names (normalised) of a column that holds each lead's cutoff.
const CUTOFF_NAMES: [&str; 11] = [
    "snapshotat",
    "snapshot",
    "snapshotdate",
    "snapshottime",
    "cutoff",
    "cutoffat",
    "cutoffdate",
    "asof",
    "asofdate",
    "scoredat",
    "observedat",
];

/// The column of `columns` named like an outcome (`converted`, `outcome`, `won`, …), as
/// training finds it when `[data] target` is not set.
pub fn target_column(columns: &[String]) -> Option<&str> {
    (columns.iter())
        .find(|c| TARGET_NAMES.contains(&normalised(c).as_str()))
        .map(String::as_str)
}

/// The column of `columns` named like a lead's cutoff (`snapshot_at`, `cutoff`, `as_of`, …),
/// when exactly one is.
pub fn cutoff_column(columns: &[String]) -> Option<&str> {
    let mut named = columns
        .iter()
        .filter(|c| CUTOFF_NAMES.contains(&normalised(c).as_str()));
    match (named.next(), named.next()) {
        (Some(column), None) => Some(column),
        _ => None,
    }
}

/// CRM columns that record where a lead's funnel went (its stage, its status, the dates it
/// reached later stages), by their names in HubSpot, Salesforce, Marketo, Pardot and Mautic
/// exports, lower case without spaces or punctuation.
const STAGE_NAMES: [&str; 19] = [
    "lifecyclestage",
    "leadstatus",
    "hsleadstatus",
    "leadstage",
    "dealstage",
    "stage",
    "status",
    "stagename",
    "salesstage",
    "opportunitystage",
    "funnelstage",
    "leadstate",
    "isconverted",
    "converted",
    "converteddate",
    "convertedaccount",
    "convertedcontact",
    "convertedopportunity",
    "closedate",
];

/// CRM columns that hold a score from the CRM's own rules or an earlier model.
const SCORE_NAMES: [&str; 15] = [
    "hubspotscore",
    "hubspotscorenew",
    "score",
    "leadscore",
    "points",
    "grade",
    "leadgrade",
    "pardotscore",
    "pardotgrade",
    "rating",
    "leadrating",
    "behaviorscore",
    "behaviourscore",
    "demographicscore",
    "personscore",
];

/// Funnel stages reached early, whose HubSpot "Became a … Date" says nothing of the outcome.
const EARLY_STAGES: [&str; 3] = ["lead", "subscriber", "other"];

/// Why a column named `name` is left out of a model unless it is listed in `[features]
/// include`: a CRM stage (it records where the lead ended up, so the outcome) or a CRM score
/// (what the old scoring thought, often updated after the lead converted).
pub fn crm_record(name: &str) -> Option<&'static str> {
    const STAGE: &str = "a CRM stage or status: it records where the lead ended up, which is the outcome; list it in [features] include to use it anyway";
    const SCORE: &str = "a score from the CRM or an earlier model, often updated after the lead converted; list it in [features] include to use it anyway";
    let plain = normalised(name);
    let became = plain
        .strip_prefix("becamean")
        .or_else(|| plain.strip_prefix("becamea"))
        .and_then(|rest| rest.strip_suffix("date"))
        .is_some_and(|stage| !EARLY_STAGES.contains(&stage));
    let entered = plain.starts_with("dateentered") || plain.starts_with("dateexited");
    if STAGE_NAMES.contains(&plain.as_str()) || became || entered {
        Some(STAGE)
    } else if SCORE_NAMES.contains(&plain.as_str()) {
        Some(SCORE)
    } else {
        None
    }
}

fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Free-mail domains: leads with these are people, not companies.
/// Free e-mail providers: their addresses are a person's, not a company's.
pub const FREE_MAIL: [&str; 14] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "proton.me",
    "protonmail.com",
];

/// Kind of an e-mail domain.
pub fn domain_type(domain: &str, competitors: &[String]) -> &'static str {
    let domain = domain.to_ascii_lowercase();
    if competitors.iter().any(|c| c.eq_ignore_ascii_case(&domain)) {
        "competitor"
    } else if FREE_MAIL.contains(&domain.as_str()) {
        "free-mail"
    } else if domain.ends_with(".edu")
        || domain.contains(".edu.")
        || domain.contains(".ac.")
        || domain.starts_with("student.")
    {
        "student"
    } else {
        "corporate"
    }
}

/// Whether a feature name reads like engagement (what the lead does).
pub fn default_role(name: &str) -> Role {
    const IMPLICIT: [&str; 16] = [
        "visit",
        "view",
        "open",
        "click",
        "download",
        "time spent",
        "activity",
        "form",
        "webinar",
        "page",
        "session",
        "event",
        "email_",
        "engag",
        "unsubscribe",
        "last",
    ];
    let lower = name.to_lowercase();
    if IMPLICIT.iter().any(|word| lower.contains(word)) {
        Role::Implicit
    } else {
        Role::Explicit
    }
}

/// Reads and types a lead file. `need_target` makes a missing outcome column an error.
pub fn load_leads(
    path: &Path,
    choice: &ColumnChoice,
    config: &Config,
    need_target: bool,
    as_of: Option<i64>,
) -> Result<LeadTable> {
    leads_from_frame(read::read_frame(path)?, choice, config, need_target, as_of)
}

/// Types a lead file already read (or one chunk of it).
pub fn leads_from_frame(
    frame: RawFrame,
    choice: &ColumnChoice,
    config: &Config,
    need_target: bool,
    as_of: Option<i64>,
) -> Result<LeadTable> {
    let missing = MissingTokens::new(&config.data.missing_values);
    let input_columns: Vec<String> = frame.columns.iter().map(|c| c.name.clone()).collect();
    let (target_column, id_column) = outcome_and_id_columns(&frame, choice, config, need_target)?;
    let outcome = match &target_column {
        Some(name) if need_target || choice.target.is_some() => {
            Some(parse_outcome(&frame, name, &missing, &config.data.converted_values)?)
        }
        Some(name) => parse_outcome(&frame, name, &missing, &config.data.converted_values).ok(),
        None => None,
    };
    let ids = lead_ids(&frame, id_column.as_deref())?;
    let (candidates, left_out) = candidate_columns(&frame, choice, config, &target_column, &id_column);
    let given = |name: &str| choice.formats.get(name).or(config.data.formats.get(name)).copied();
    type Typed = (String, (Values, Option<CellFormat>), Vec<infer::BadCell>);
    let typed: Vec<Typed> = candidates
        .par_iter()
        .map(|column| {
            let forced = config.features.types.get(&column.name).copied();
            let mut bad_cells = Vec::new();
            let lenient = choice.lenient.then_some(&mut bad_cells);
            let values = match &column.cells {
                RawCells::Text(text) => {
                    let reading = Reading {
                        forced,
                        format: given(&column.name),
                        // A model's columns are read as it says; training may find formats.
                        find: !choice.as_trained,
                    };
                    type_text_column(&frame, &column.name, text, reading, &missing, lenient)?
                }
                RawCells::Typed(values) => (
                    infer::check_typed_column(&frame, &column.name, values.clone(), lenient)?,
                    None,
                ),
            };
            Ok((column.name.clone(), values, bad_cells))
        })
        .collect::<Result<_>>()?;
    let mut formats: BTreeMap<String, CellFormat> = typed
        .iter()
        .filter_map(|(name, (_, format), _)| Some((name.clone(), (*format)?)))
        .collect();
    let typed: Vec<(String, Values, Vec<infer::BadCell>)> = typed
        .into_iter()
        .map(|(name, (values, _), bad)| (name, values, bad))
        .collect();
    let mut bad_cells: Vec<infer::BadCell> = typed.iter().flat_map(|(_, _, bad)| bad.iter().cloned()).collect();
    bad_cells.sort_by_key(|b| b.row);
    let mut time = |name: &Option<String>| -> Result<Option<Vec<Option<i64>>>> {
        let given = name.as_deref().and_then(given);
        let Some((times, format)) = time_column(&frame, name, given, &missing)? else {
            return Ok(None);
        };
        if let (Some(name), Some(format)) = (name, format) {
            formats.insert(name.clone(), format);
        }
        Ok(Some(times))
    };
    let snapshot = time(&config.data.snapshot)?;
    let created = time(&config.data.time)?;

    // One cutoff per lead: its snapshot, else its creation + [data] window_days (at the latest
    // --as-of or today), else --as-of, else the latest date in the file.
    let latest = typed
        .iter()
        .filter_map(|(_, v, _)| match v {
            Values::Datetime(t) => t.iter().flatten().max().copied(),
            _ => None,
        })
        .chain(created.iter().flat_map(|c| c.iter().flatten().max().copied()))
        .max();
    let fallback = as_of.or(latest).unwrap_or_else(today);
    let cutoff: Vec<i64> = match (&snapshot, &created, config.data.window_days) {
        (Some(times), _, _) => times.iter().map(|t| t.unwrap_or(fallback)).collect(),
        // Each lead as it was `window_days` after its creation, and never after --as-of or
        // today: a lead created last week is taken as it is now.
        (None, Some(created), Some(days)) => {
            let window = (days * 86_400.0).round() as i64;
            let now = as_of.unwrap_or_else(today);
            (created.iter())
                .map(|t| t.map_or(now, |t| t.saturating_add(window).min(now)))
                .collect()
        }
        (None, _, _) => vec![fallback; frame.n_rows],
    };

    let mut features = Vec::new();
    let (mut multi_labels, mut multi_cells) = (BTreeMap::new(), BTreeMap::new());
    for (name, values, _) in typed {
        let role = config
            .features
            .roles
            .get(&name)
            .copied()
            .unwrap_or_else(|| default_role(&name));
        // A multi-valued column (declared, a model's, or found by its cells when training)
        // becomes one 0/1 feature per label.
        let multi = match (&values, config.features.types.get(&name)) {
            (Values::Categorical(c), None) if !choice.as_trained => looks_multi_valued(c),
            (Values::Categorical(_), Some(ColumnType::MultiValued)) => true,
            _ => false,
        };
        if let (true, Values::Categorical(c)) = (multi, &values) {
            let labels = match config.features.multi_labels.get(&name) {
                Some(labels) => labels.clone(),
                None => frequent_labels(c, config.features.min_frequency),
            };
            for (label, values) in labels.iter().zip(label_columns(c, &labels)) {
                let feature_name = label_feature(&name, label);
                let role = config.features.roles.get(&feature_name).copied().unwrap_or(role);
                features.push(FeatureColumn {
                    name: feature_name,
                    source: name.clone(),
                    derivation: Derivation::Label,
                    role,
                    values,
                });
            }
            multi_labels.insert(name.clone(), labels);
            multi_cells.insert(name, values);
            continue;
        }
        for (derivation, derived) in derive(values, &cutoff, config) {
            let feature_name = derivation.feature_name(&name);
            let role = config.features.roles.get(&feature_name).copied().unwrap_or(role);
            features.push(FeatureColumn {
                name: feature_name,
                source: name.clone(),
                derivation,
                role,
                values: derived,
            });
        }
    }
    Ok(LeadTable {
        path: frame.path.clone(),
        n_rows: frame.n_rows,
        id_column,
        ids,
        target_column,
        outcome,
        features,
        cutoff,
        created,
        left_out,
        input_columns,
        bad_cells,
        formats,
        multi_labels,
        multi_cells,
    })
}

/// The outcome and id columns, named or found by their usual names; every column the config
/// names must be in the file.
fn outcome_and_id_columns(
    frame: &RawFrame,
    choice: &ColumnChoice,
    config: &Config,
    need_target: bool,
) -> Result<(Option<String>, Option<String>)> {
    let find = |wanted: &[&str]| {
        frame
            .columns
            .iter()
            .find(|c| wanted.contains(&normalised(&c.name).as_str()))
            .map(|c| c.name.clone())
    };
    // Scoring reads the columns the model names: what to do is to bring them, not to rename.
    let require = |name: &str, what: &str, flag: &str| -> Result<usize> {
        if !choice.lenient {
            return frame.require(name, what, flag);
        }
        frame.position(name).ok_or_else(|| {
            Error::rejected(
                Location::file(&frame.path).column(name),
                format!("the model reads this {what} column, and the file does not have it"),
                "score leads exported with the columns the model was trained on",
            )
        })
    };
    let target_column = match &choice.target {
        Some(name) => {
            require(name, "outcome (target)", "--target or [data] target")?;
            Some(name.clone())
        }
        None => find(&TARGET_NAMES),
    };
    if need_target && target_column.is_none() {
        return Err(Error::rejected(
            Location::file(&frame.path),
            "no outcome column: training needs to know which leads converted",
            "name it with --target COLUMN (or [data] target in the config); values must be 1/0, true/false, yes/no or y/n",
        ));
    }
    let id_column = match &choice.id {
        Some(name) => {
            require(name, "id", "--id or [data] id")?;
            Some(name.clone())
        }
        None => find(&ID_NAMES[..3]),
    };
    for name in choice
        .exclude
        .iter()
        .chain(&config.features.include)
        .chain(config.features.types.keys())
    {
        require(name, "configured", "--exclude or the [features] section")?;
    }
    for name in [&config.data.snapshot, &config.data.time].into_iter().flatten() {
        require(name, "configured time", "[data] snapshot / [data] time")?;
    }
    Ok((target_column, id_column))
}

/// Which columns become features, decided before any is typed; the others with the reason
/// they are left out.
fn candidate_columns<'f>(
    frame: &'f RawFrame,
    choice: &ColumnChoice,
    config: &Config,
    target_column: &Option<String>,
    id_column: &Option<String>,
) -> (Vec<&'f read::RawColumn>, Vec<(String, String)>) {
    let excluded: HashSet<&str> = choice
        .exclude
        .iter()
        .chain(&config.features.exclude)
        .map(String::as_str)
        .collect();
    let mut left_out = Vec::new();
    let mut candidates = Vec::new();
    for column in &frame.columns {
        let name = column.name.as_str();
        let reason = if Some(name) == target_column.as_deref() {
            Some("the outcome")
        } else if Some(name) == id_column.as_deref() {
            Some("the lead id")
        } else if excluded.contains(name) {
            Some("excluded by --exclude or [features] exclude")
        } else if !choice.required.is_empty() && !choice.required.iter().any(|r| r == name) {
            Some("not read by the model")
        } else if !config.features.include.is_empty() && !config.features.include.iter().any(|i| i == name) {
            Some("not in [features] include")
        } else if Some(name) == config.data.snapshot.as_deref() {
            Some("the snapshot (cutoff) column")
        } else if Some(name) == config.data.closed.as_deref() {
            Some("the closed-lead column ([data] closed)")
        } else if choice.required.is_empty() && !config.features.include.iter().any(|i| i == name) {
            crm_record(name)
        } else {
            None
        };
        match reason {
            Some(reason) => left_out.push((name.to_string(), reason.to_string())),
            None => candidates.push(column),
        }
    }
    (candidates, left_out)
}

/// Seconds since 1970 per lead, `None` where missing.
type Times = Vec<Option<i64>>;

/// A `[data]` time column (snapshot or creation time) as times, when it is configured.
fn time_column(
    frame: &RawFrame,
    name: &Option<String>,
    format: Option<CellFormat>,
    missing: &MissingTokens,
) -> Result<Option<(Times, Option<CellFormat>)>> {
    let Some(name) = name else { return Ok(None) };
    let index = frame.require(name, "time", "[data]")?;
    let (values, format) = match &frame.columns[index].cells {
        RawCells::Text(text) => type_text_column(
            frame,
            name,
            text,
            Reading::found(Some(ColumnType::Datetime), format),
            missing,
            None,
        )?,
        RawCells::Typed(values) => (values.clone(), None),
    };
    match values {
        Values::Datetime(times) => Ok(Some((times, format))),
        other => Err(Error::rejected(
            frame.locate(name, None),
            format!("the time column holds {} values, not dates", other.kind()),
            "name a date or timestamp column",
        )),
    }
}

/// The features a typed column yields: dates → age/month/weekday, e-mail addresses → domain
/// type and domain, everything else → itself.
pub fn derive(values: Values, cutoff: &[i64], config: &Config) -> Vec<(Derivation, Values)> {
    match values {
        Values::Datetime(times) => vec![
            (
                Derivation::AgeDays,
                Values::Numeric(
                    times
                        .iter()
                        .zip(cutoff)
                        .map(|(t, c)| t.map_or(f64::NAN, |t| (c - t) as f64 / 86_400.0))
                        .collect(),
                ),
            ),
            (
                Derivation::Month,
                Values::Categorical(Categorical::from_values(times.iter().map(|t| t.map(month_name)))),
            ),
            (
                Derivation::Weekday,
                Values::Categorical(Categorical::from_values(times.iter().map(|t| t.map(weekday_name)))),
            ),
        ],
        Values::Categorical(c) if looks_like_email(&c) => {
            let domains = c
                .codes
                .iter()
                .map(|&code| c.levels.get(code as usize).map(|e| email_domain(e)));
            let domains: Vec<Option<String>> = domains.collect();
            let types = domains.iter().map(|d| {
                d.as_deref()
                    .map(|d| domain_type(d, &config.features.competitor_domains))
            });
            vec![
                (
                    Derivation::DomainType,
                    Values::Categorical(Categorical::from_values(types)),
                ),
                (
                    Derivation::Domain,
                    Values::Categorical(Categorical::from_values(domains.iter().map(|d| d.as_deref()))),
                ),
            ]
        }
        values => vec![(Derivation::Direct, values)],
    }
}

/// Whether most values of a text column are e-mail addresses.
pub fn looks_like_email(c: &Categorical) -> bool {
    let sample = c.levels.iter().take(200);
    let (n, with_at) = sample.fold((0, 0), |(n, k), v| {
        (n + 1, k + usize::from(v.contains('@') && !v.contains(' ')))
    });
    n > 0 && with_at * 10 >= n * 9
}

/// The lower-cased domain of an e-mail address.
pub fn email_domain(email: &str) -> String {
    email.rsplit('@').next().unwrap_or(email).trim().to_ascii_lowercase()
}

/// Month names, January first: the values of a date's month feature.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Weekday names, Monday first: the values of a date's weekday feature.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn month_name(t: i64) -> &'static str {
    let date = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    MONTHS[chrono::Datelike::month0(&date) as usize]
}

fn weekday_name(t: i64) -> &'static str {
    let date = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    WEEKDAYS[chrono::Datelike::weekday(&date).num_days_from_monday() as usize]
}

/// Parses the outcome column: every row must be 1/0, true/false, yes/no or y/n; or, when
/// `converted_values` lists the values of a stage column that mean converted, a lead converted
/// when its value is one of them (ignoring case), and not otherwise (an empty cell too).
pub(crate) fn parse_outcome(
    frame: &RawFrame,
    name: &str,
    missing: &MissingTokens,
    converted_values: &[String],
) -> Result<Vec<bool>> {
    let index = frame.require(name, "outcome (target)", "--target")?;
    if !converted_values.is_empty() {
        let converted: HashSet<String> = converted_values.iter().map(|v| v.trim().to_lowercase()).collect();
        let cells = column_as_text(frame, name, "outcome (target)", "--target")?;
        let outcome: Vec<bool> = cells.iter().map(|c| converted.contains(&c.to_lowercase())).collect();
        if !outcome.contains(&true) && !cells.is_empty() {
            let mut seen: Vec<&str> = cells.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
            seen.sort_unstable();
            seen.dedup();
            let shown: Vec<String> = seen.iter().take(12).map(|v| format!("\"{v}\"")).collect();
            return Err(Error::rejected(
                frame.locate(name, None),
                format!(
                    "no lead has one of the converted values {converted_values:?}; the column holds {}{}",
                    shown.join(", "),
                    if seen.len() > shown.len() { ", …" } else { "" }
                ),
                "list the values that mean converted in [data] converted_values",
            ));
        }
        return Ok(outcome);
    }
    let fix =
        "outcome values must be 1/0, true/false, yes/no or y/n; fix the row or drop leads whose outcome is unknown";
    let outcome: Vec<bool> = match &frame.columns[index].cells {
        RawCells::Text(text) => {
            parse_required_cells(frame, name, text, missing, ("outcome", "binary", fix), parse_bool)?
        }
        RawCells::Typed(Values::Numeric(v) | Values::Boolean(v)) => v
            .iter()
            .enumerate()
            .map(|(row, &x)| {
                if x == 1.0 {
                    Ok(true)
                } else if x == 0.0 {
                    Ok(false)
                } else {
                    Err(Error::rejected(
                        frame.locate(name, Some(row)),
                        format!("outcome value {x} is not binary"),
                        fix,
                    ))
                }
            })
            .collect::<Result<_>>()?,
        RawCells::Typed(other) => {
            return Err(Error::rejected(
                frame.locate(name, None),
                format!("the outcome column holds {} values", other.kind()),
                fix,
            ))
        }
    };
    Ok(outcome)
}

/// The cells of column `name` as text (empty when missing); `what` and `flag` name the column in
/// the error when the file lacks it.
pub fn column_as_text(frame: &RawFrame, name: &str, what: &str, flag: &str) -> Result<Vec<String>> {
    let index = frame.require(name, what, flag)?;
    Ok(match &frame.columns[index].cells {
        RawCells::Text(text) => text.iter().map(|c| c.unwrap_or("").trim().to_string()).collect(),
        RawCells::Typed(Values::Numeric(v) | Values::Boolean(v)) => v
            .iter()
            .map(|x| if x.is_nan() { String::new() } else { x.to_string() })
            .collect(),
        RawCells::Typed(Values::Categorical(c)) => {
            (0..c.codes.len()).map(|i| c.get(i).unwrap_or("").to_string()).collect()
        }
        RawCells::Typed(Values::Datetime(t)) => {
            t.iter().map(|t| t.map(|t| t.to_string()).unwrap_or_default()).collect()
        }
    })
}

/// The lead ids of a frame: its `id_column` as text, or without one the rows numbered from 1
/// through the file, whichever chunk they are read in.
pub fn lead_ids(frame: &RawFrame, id_column: Option<&str>) -> Result<Vec<String>> {
    match id_column {
        Some(name) => column_as_text(frame, name, "id", "--id"),
        None => Ok((frame.row_offset + 1..=frame.row_offset + frame.n_rows)
            .map(|r| r.to_string())
            .collect()),
    }
}

/// Parses a user-given cutoff (`--as-of`).
pub fn parse_as_of(text: &str) -> Result<i64> {
    parse_timestamp(text.trim()).ok_or_else(|| {
        Error::Usage(format!(
            "--as-of \"{text}\" is not a date: use YYYY-MM-DD or an RFC 3339 timestamp"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_valued_columns_are_told_by_their_cells_and_split_into_labels() {
        let cells = |cells: &[&str]| Categorical::from_values(cells.iter().map(|c| (!c.is_empty()).then_some(*c)));
        let interests = cells(&["CRM;Ads", "Ads", "CRM ; SEO", "", "SEO;;CRM", "Ads", "CRM", "Ads;CRM"]);
        assert!(looks_multi_valued(&interests));
        assert_eq!(labels_of(" CRM ; SEO;;").collect::<Vec<_>>(), ["CRM", "SEO"]);
        assert_eq!(frequent_labels(&interests, 3), ["Ads", "CRM"]);
        assert_eq!(frequent_labels(&interests, 1), ["Ads", "CRM", "SEO"]);
        let columns = label_columns(&interests, &["CRM".to_string()]);
        assert_eq!(
            columns,
            vec![Values::Boolean(vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0])]
        );
        // A category whose cells rarely hold a `;`, or whose every cell is its own label, is not.
        assert!(!looks_multi_valued(&cells(
            &["Referral", "Organic", "Paid; Social", "Organic", "Referral", "Paid"][..5]
        )));
        assert!(!looks_multi_valued(&cells(&["a;b", "c;d", "e;f"])));
        assert!(!looks_multi_valued(&cells(&["Referral", "Organic", "Paid"])));
    }

    #[test]
    fn crm_stages_and_scores_are_known_by_name_and_nothing_else_is() {
        for stage in [
            "Lifecycle Stage",
            "lifecyclestage",
            "Lead Status",
            "hs_lead_status",
            "Deal Stage",
            "Status",
            "IsConverted",
            "Converted Date",
            "Became a Customer Date",
            "Became an Opportunity Date",
            "Became a Marketing Qualified Lead Date",
            "Date entered \"Customer (Lifecycle Stage Pipeline)\"",
        ] {
            assert!(crm_record(stage).is_some_and(|r| r.contains("stage")), "{stage}");
        }
        for score in [
            "HubSpot Score",
            "hubspotscore",
            "Score",
            "Lead Score",
            "points",
            "Grade",
            "Behavior Score",
        ] {
            assert!(crm_record(score).is_some_and(|r| r.contains("score")), "{score}");
        }
        for feature in [
            "Became a Lead Date",
            "Asymmetrique Activity Score",
            "Lead Source",
            "Lead Origin",
            "Last Notable Activity",
            "poutcome",
            "Number of Pageviews",
            "Create Date",
            "product_line",
            "job_level",
        ] {
            assert_eq!(crm_record(feature), None, "{feature}");
        }
    }

    #[test]
    fn domain_types() {
        let competitors = vec!["rivalsoft.com".to_string()];
        assert_eq!(domain_type("gmail.com", &competitors), "free-mail");
        assert_eq!(domain_type("mit.edu", &competitors), "student");
        assert_eq!(domain_type("ox.ac.uk", &competitors), "student");
        assert_eq!(domain_type("RivalSoft.com", &competitors), "competitor");
        assert_eq!(domain_type("acme.io", &competitors), "corporate");
        assert_eq!(email_domain("Jane.Doe@Acme.IO"), "acme.io");
    }

    #[test]
    fn dates_become_age_month_weekday() {
        // 1970-01-05 was a Monday.
        let day = 86_400;
        let derived = derive(
            Values::Datetime(vec![Some(4 * day), None]),
            &[14 * day, 14 * day],
            &Config::default(),
        );
        assert_eq!(derived.len(), 3);
        let Values::Numeric(age) = &derived[0].1 else {
            panic!("age is numeric")
        };
        assert_eq!(age[0], 10.0);
        assert!(age[1].is_nan());
        let Values::Categorical(weekday) = &derived[2].1 else {
            panic!("weekday is categorical")
        };
        assert_eq!(weekday.get(0), Some("Mon"));
        assert_eq!(weekday.get(1), None);
    }
}
