//! The model file: one self-contained, versioned, checksummed artifact.
//!
//! Layout: the 8-byte magic `LEADSCOR`, the format version (u32, little endian), the payload
//! length (u64), the SHA-256 of the payload (32 bytes), then the payload (bincode of
//! [`ModelArtifact`]). The header is checked before anything is decoded, so a truncated,
//! corrupted, foreign or newer file is refused with a clear message, and decoding is capped so
//! a hostile length prefix cannot make it allocate gigabytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{ColumnType, Config, Role};
use crate::data::events::{EventCounts, EventFeatureSpec};
use crate::error::{Error, Location, Result};
use crate::features::leakage::LeakageCheck;
use crate::features::{Dropped, FeaturePipeline};
use crate::formats::CellFormat;
use crate::metrics::Summary;
use crate::model::cv::GridSearch;
use crate::model::logistic::LogisticModel;

mod legacy;

/// The current format version; files with a larger one need a newer leadscore. Version 5 keeps
/// the settings as JSON text (settings added later leave files readable); version 4 added the
/// columns' formats to the input schema's type words; versions 3 and 4 read as they are.
pub const FORMAT_VERSION: u32 = 5;
/// The oldest format version read.
const OLDEST_FORMAT_VERSION: u32 = 3;
const MAGIC: &[u8; 8] = b"LEADSCOR";
const HEADER_LEN: usize = 8 + 4 + 8 + 32;
/// Largest payload decoded (model files are kilobytes to a few megabytes).
const MAX_PAYLOAD: usize = 256 * 1024 * 1024;

/// What identifies the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// File name as given.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Leads.
    pub rows: usize,
    /// Column names.
    pub columns: Vec<String>,
    /// SHA-256 over the size, the first and the last MiB of the file.
    pub sample_sha256: String,
}

/// The input columns a lead file must have to be scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SchemaOnDisk", into = "SchemaOnDisk")]
pub struct InputSchema {
    /// The id column, when training had one.
    pub id_column: Option<String>,
    /// The outcome column.
    pub target_column: String,
    /// Input columns the pipeline reads (before derivation), with their type.
    pub columns: Vec<(String, ColumnType)>,
    /// The snapshot (cutoff) column, when configured.
    pub snapshot_column: Option<String>,
    /// How the input columns' numbers or dates are written, where training found a format
    /// (`1,250`, `12/6/2024 5:14 AM`): every batch is read the same way.
    pub formats: BTreeMap<String, CellFormat>,
}

/// The schema as the model file holds it: each column with the word of its type, followed by
/// its format's word when it has one (`numeric 1,234.5`, `datetime month-first`; format 4).
#[derive(Serialize, Deserialize)]
struct SchemaOnDisk {
    id_column: Option<String>,
    target_column: String,
    columns: Vec<(String, String)>,
    snapshot_column: Option<String>,
}

impl From<InputSchema> for SchemaOnDisk {
    fn from(schema: InputSchema) -> Self {
        let columns = (schema.columns.iter())
            .map(|(column, kind)| {
                let word = match schema.formats.get(column) {
                    Some(format) => format!("{} {}", kind.name(), format.word()),
                    None => kind.name().to_string(),
                };
                (column.clone(), word)
            })
            .collect();
        SchemaOnDisk {
            id_column: schema.id_column,
            target_column: schema.target_column,
            columns,
            snapshot_column: schema.snapshot_column,
        }
    }
}

impl TryFrom<SchemaOnDisk> for InputSchema {
    type Error = String;

    fn try_from(disk: SchemaOnDisk) -> std::result::Result<Self, String> {
        let mut formats = BTreeMap::new();
        let mut columns = Vec::with_capacity(disk.columns.len());
        for (column, word) in disk.columns {
            let (kind, format) = match word.split_once(' ') {
                Some((kind, format)) => (kind, Some(format)),
                None => (word.as_str(), None),
            };
            let unknown = || format!("unknown column type \"{word}\" of \"{column}\"");
            let kind = ColumnType::from_name(kind).ok_or_else(unknown)?;
            if let Some(format) = format {
                formats.insert(column.clone(), CellFormat::from_word(format).ok_or_else(unknown)?);
            }
            columns.push((column, kind));
        }
        Ok(InputSchema {
            id_column: disk.id_column,
            target_column: disk.target_column,
            columns,
            snapshot_column: disk.snapshot_column,
            formats,
        })
    }
}

/// How the validation leads were held out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationSplit {
    /// Out-of-fold predictions of every lead (k-fold cross-fitting); the model is refitted on all.
    OutOfFold(usize),
    /// A stratified random share of the training file (models of earlier leadscore versions).
    Random,
    /// The newest leads of the training file.
    Time,
    /// A separate labelled file (`--validation-data`), as its path was given.
    File(String),
}

impl std::fmt::Display for ValidationSplit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValidationSplit::OutOfFold(folds) => write!(f, "out-of-fold ({folds}-fold cross-fitting)"),
            ValidationSplit::Random => f.write_str("random (stratified)"),
            ValidationSplit::Time => f.write_str("time (newest leads held out)"),
            ValidationSplit::File(path) => write!(f, "validation file {path}"),
        }
    }
}

impl std::str::FromStr for ValidationSplit {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<ValidationSplit, String> {
        match text {
            "random (stratified)" => Ok(ValidationSplit::Random),
            "time (newest leads held out)" => Ok(ValidationSplit::Time),
            _ => {
                if let Some(path) = text.strip_prefix("validation file ") {
                    return Ok(ValidationSplit::File(path.to_string()));
                }
                let folds = (text.strip_prefix("out-of-fold ("))
                    .and_then(|rest| rest.strip_suffix("-fold cross-fitting)"))
                    .and_then(|k| k.parse().ok());
                folds
                    .map(ValidationSplit::OutOfFold)
                    .ok_or_else(|| format!("unknown validation split \"{text}\""))
            }
        }
    }
}

/// Stored as the sentence `inspect` shows, as the model file has always held it.
impl Serialize for ValidationSplit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ValidationSplit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<ValidationSplit, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Figures from training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// How the validation leads were held out.
    pub split: ValidationSplit,
    /// Leads the model was fitted on.
    pub train: Summary,
    /// Leads held out, scored with the calibrated probability.
    pub validation: Summary,
    /// The same leads with the model's own probability (before calibration).
    pub validation_model: Summary,
    /// Training leads held out of the model's fit to fit the calibration.
    pub calibration_leads: usize,
    /// ROC AUC of the rule points alone on the validation leads, when trained with rules.
    pub validation_rules_roc_auc: Option<f64>,
    /// The regularisation search.
    pub grid: GridSearch,
    /// Columns the pipeline left out, and why.
    pub dropped: Vec<Dropped>,
    /// Columns left out before typing (id, outcome, excluded), and why.
    pub left_out: Vec<(String, String)>,
    /// Leakage figures of every column.
    pub leakage: Vec<LeakageCheck>,
    /// Events used, when there was an events file.
    pub events: Option<EventCounts>,
    /// Warnings printed during training.
    pub warnings: Vec<String>,
    /// Seconds spent training.
    pub seconds: f64,
}

/// Everything scoring needs, and everything a reviewer wants to know about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelArtifact {
    /// File format version.
    pub format_version: u32,
    /// leadscore version that wrote the file.
    pub leadscore_version: String,
    /// When training finished (RFC 3339, UTC).
    pub trained_at: String,
    /// The training data.
    pub data: DataFingerprint,
    /// The configuration training ran with (flags and the `[data] source` preset applied);
    /// kept as JSON text.
    #[serde(with = "json_text")]
    pub config: Config,
    /// Columns a lead file must have.
    pub schema: InputSchema,
    /// How events become features, when training used events.
    pub events: Option<EventFeatureSpec>,
    /// The fitted feature pipeline.
    pub pipeline: FeaturePipeline,
    /// Names of the model inputs.
    pub input_names: Vec<String>,
    /// The fitted model.
    pub model: LogisticModel,
    /// The blend with the rules, when trained with rules. Kept as JSON text.
    #[serde(with = "json_text")]
    pub blend: Option<crate::blend::Blend>,
    /// Calibration, bands and reference distributions.
    pub scorer: crate::scorer::Scorer,
    /// Training figures.
    pub training: TrainingReport,
    /// The segments with a model of their own (`[segments]`): then `model` is the pooled
    /// model, whose inputs are the shared ones and each segment's block of them. Kept as JSON
    /// text.
    #[serde(with = "json_text")]
    pub segments: Option<crate::model::segments::Segmentation>,
    /// Each segment's own blend and calibration, when it had leads enough (`None`: the shared
    /// `blend` and the scorer's calibration). Kept as JSON text.
    #[serde(with = "json_text")]
    pub segment_calibrations: Vec<Option<crate::scorer::SegmentCalibration>>,
}

/// One model input with its learned weight.
#[derive(Debug, Clone, Serialize)]
pub struct Factor {
    /// Model input name (`Lead Source = Referral`, `events: webinar`).
    pub input: String,
    /// The feature it belongs to.
    pub feature: String,
    /// Explicit (fit) or implicit (engagement).
    pub role: Role,
    /// Log-odds weight: per standard deviation for numbers, per 0/1 for categories and flags.
    pub coefficient: f64,
}

impl ModelArtifact {
    /// Every model input with its weight, in model order.
    pub fn factors(&self) -> Vec<Factor> {
        let steps = self.pipeline.input_steps();
        self.input_names
            .iter()
            .zip(&self.model.coefficients)
            .zip(steps)
            .map(|((input, &coefficient), step)| {
                let step = &self.pipeline.steps[step];
                Factor {
                    input: input.clone(),
                    feature: step.feature.clone(),
                    role: step.role,
                    coefficient,
                }
            })
            .collect()
    }
}

/// Parts of the model file kept as JSON text (the settings, the segments): read back with the
/// defaults of fields added since, where a field-by-field layout would no longer decode.
mod json_text {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    // Only the model file's own encoding (bincode) holds the text; readable forms such as
    // `inspect --json` show the values as they are.
    pub fn serialize<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return value.serialize(serializer);
        }
        let text = serde_json::to_string(value).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        if deserializer.is_human_readable() {
            return T::deserialize(deserializer);
        }
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_PAYLOAD>()
}

impl ModelArtifact {
    /// Serialises the artifact with its header.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = bincode::serde::encode_to_vec(self, bincode_config())
            .map_err(|e| Error::Runtime(format!("cannot encode the model: {e}")))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(&payload));
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    /// Decodes an artifact, checking magic, version, length and checksum first.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ModelArtifact> {
        let reject = |problem: String, fix: &str| Error::rejected(Location::file(path), problem, fix);
        let retrain = "train the model again with `leadscore train`, or use the original file";
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(reject(
                "not a leadscore model file".into(),
                "pass the file written by `leadscore train --out`",
            ));
        }
        if bytes.len() < HEADER_LEN {
            return Err(reject(
                "the model file is truncated (its header is incomplete)".into(),
                retrain,
            ));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if version < OLDEST_FORMAT_VERSION {
            return Err(reject(
                format!("the model file has format version {version}, from an older leadscore; this one reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"),
                "train the model again with this leadscore",
            ));
        }
        if version > FORMAT_VERSION {
            return Err(reject(
                format!("the model file has format version {version}; this leadscore {} reads up to version {FORMAT_VERSION}", env!("CARGO_PKG_VERSION")),
                "upgrade leadscore to the version that trained the model",
            ));
        }
        let declared = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
        let payload = &bytes[HEADER_LEN..];
        if declared != payload.len() as u64 {
            return Err(reject(
                format!(
                    "the model file is truncated or padded: {} payload bytes, header says {declared}",
                    payload.len()
                ),
                retrain,
            ));
        }
        if Sha256::digest(payload).as_slice() != &bytes[20..52] {
            return Err(reject(
                "the model file is corrupted (checksum mismatch)".into(),
                retrain,
            ));
        }
        let cannot_decode =
            |e: bincode::error::DecodeError| reject(format!("the model file cannot be decoded: {e}"), retrain);
        let (mut artifact, used): (ModelArtifact, usize) = if version >= 5 {
            bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot_decode)?
        } else {
            let (old, used): (legacy::ArtifactV4, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot_decode)?;
            (old.into(), used)
        };
        if used != payload.len() {
            return Err(reject("the model file has trailing bytes".into(), retrain));
        }
        artifact.format_version = version;
        Ok(artifact)
    }

    /// The rules blended into the model, validated again, when it has a blend; `path` (the model
    /// file) is used in messages.
    pub fn blended_rules(&self, path: &Path) -> Result<Option<crate::rules::RuleSet>> {
        self.blend
            .as_ref()
            .map(|blend| crate::rules::RuleSet::from_file(blend.rules.clone(), path, &[]))
            .transpose()
    }

    /// The lead columns scoring reads, besides the id: the model's input columns, the columns
    /// of `rules` (the model's blended rules, or others being audited) and the snapshot column.
    pub fn columns_read(&self, rules: Option<&crate::rules::RuleSet>) -> Vec<String> {
        let mut columns: Vec<String> = self.schema.columns.iter().map(|(c, _)| c.clone()).collect();
        for column in rules.iter().flat_map(|r| r.columns()) {
            if !columns.iter().any(|c| c == column) {
                columns.push(column.to_string());
            }
        }
        columns.extend(self.schema.snapshot_column.iter().cloned());
        if let Some(column) = self.segments_column().filter(|c| !columns.iter().any(|k| k == c)) {
            columns.push(column.to_string());
        }
        columns
    }

    /// The model inputs of `rows` of leads whose feature columns are `features`: the pipeline's,
    /// and with segments each lead's copy of them in its segment's block. `Err` names a feature
    /// the leads lack.
    pub fn encode(
        &self,
        features: &[crate::data::FeatureColumn],
        rows: &[usize],
    ) -> std::result::Result<crate::features::encoded::EncodedLeads, String> {
        let encoded = self.pipeline.transform(features, rows)?;
        Ok(match &self.segments {
            Some(segmentation) => {
                let codes = segmentation.codes_of(features, rows);
                segmentation.augmented(encoded, &codes)
            }
            None => encoded,
        })
    }

    /// The blend of a lead of segment `code` ([`crate::features::encoded::NONE`]: the shared model's).
    pub fn blend_of(&self, code: u32) -> Option<&crate::blend::Blend> {
        match self.segment_calibrations.get(code as usize) {
            Some(Some(own)) => own.blend.as_ref(),
            _ => self.blend.as_ref(),
        }
    }

    /// The segments' own bands (`[[segments.override]]`): (value of the segments column,
    /// bands). A lead of that value gets them whichever model scores it. Empty without
    /// segments or overrides.
    pub fn segment_bands(&self) -> Vec<(String, crate::bands::Bands)> {
        if self.segments.is_none() {
            return Vec::new();
        }
        (self.config.segments.overrides.iter())
            .map(|o| (o.value.clone(), o.bands(&self.scorer.bands)))
            .collect()
    }

    /// The model that scores the leads whose segments column is `value`, as a model without
    /// segments: the segment's own model, blend and calibration when it has them (`true`), else
    /// the shared model's (`false`); with the value's own bands when `[[segments.override]]`
    /// gives them. `None` for a model without segments.
    pub fn model_for_segment(&self, value: &str) -> Option<(ModelArtifact, bool)> {
        let segmentation = self.segments.as_ref()?;
        let own = segmentation.segments.iter().position(|s| s.value == value.trim());
        let mut one = self.clone();
        one.model = match own {
            Some(s) => segmentation.model_of(&self.model, s),
            None => segmentation.shared(&self.model),
        };
        one.input_names.truncate(segmentation.base_width);
        if let Some(Some(calibration)) = own.and_then(|s| self.segment_calibrations.get(s)) {
            one.blend = calibration.blend.clone();
            one.scorer.calibration = calibration.calibration.clone();
        }
        if let Some((_, bands)) = self.segment_bands().into_iter().find(|(v, _)| v == value.trim()) {
            one.scorer.bands = bands;
        }
        one.segments = None;
        one.segment_calibrations = Vec::new();
        Some((one, own.is_some()))
    }

    /// The calibration of a lead of segment `code`.
    pub fn calibration_of(&self, code: u32) -> &crate::calibration::Calibration {
        match self.segment_calibrations.get(code as usize) {
            Some(Some(own)) => &own.calibration,
            _ => &self.scorer.calibration,
        }
    }

    /// The final (blended) log-odds of leads of segments `codes` (empty: no segments) from the
    /// model's, with their rule points.
    pub fn final_log_odds(&self, model_z: &[f64], codes: &[u32], points_of: impl Fn(usize) -> Option<f64>) -> Vec<f64> {
        if self.segment_calibrations.iter().all(Option::is_none) {
            return crate::blend::final_log_odds(self.blend.as_ref(), model_z, points_of);
        }
        (model_z.iter().enumerate())
            .map(|(k, &z)| match self.blend_of(codes[k]) {
                Some(blend) => blend.apply(z, points_of(k).unwrap_or(0.0)),
                None => z,
            })
            .collect()
    }

    /// The pipeline step of each model input (`usize::MAX`: a segment's intercept).
    pub fn input_steps(&self) -> Vec<usize> {
        let steps = self.pipeline.input_steps();
        match &self.segments {
            Some(segmentation) => segmentation.input_steps(&steps),
            None => steps,
        }
    }

    /// The lead columns besides the model's inputs that choose how a lead is scored: the
    /// segments column.
    pub fn segments_column(&self) -> Option<&str> {
        self.segments.as_ref().map(|s| s.column.as_str())
    }

    /// The labels of each multi-valued column that are inputs of the model (its pipeline's
    /// label features), which scoring derives again.
    pub fn multi_labels(&self) -> BTreeMap<String, Vec<String>> {
        let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let steps = self
            .pipeline
            .steps
            .iter()
            .filter(|s| s.derivation == crate::data::Derivation::Label);
        for step in steps {
            let label = (step.feature.strip_prefix(&step.source)).and_then(|rest| rest.strip_prefix(": "));
            if let Some(label) = label {
                labels.entry(step.source.clone()).or_default().push(label.to_string());
            }
        }
        labels
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::output::write_atomically(path, &self.to_bytes()?)
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<ModelArtifact> {
        let metadata = std::fs::metadata(path).map_err(|e| {
            Error::rejected(
                Location::file(path),
                format!("cannot open the model file: {e}"),
                "pass the path written by `leadscore train --out`",
            )
        })?;
        if metadata.is_dir() {
            return Err(Error::rejected(
                Location::file(path),
                "is a folder, not a model file",
                "pass the file written by `leadscore train --out`",
            ));
        }
        if metadata.len() > (MAX_PAYLOAD + HEADER_LEN) as u64 {
            return Err(Error::rejected(
                Location::file(path),
                format!("{} bytes is far larger than any model file", metadata.len()),
                "pass the file written by `leadscore train --out`",
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", e))?;
        ModelArtifact::from_bytes(&bytes, path)
    }
}

/// A cheap fingerprint of a data file: size plus SHA-256 of its first and last MiB.
pub fn fingerprint(path: &Path, rows: usize, columns: Vec<String>) -> Result<DataFingerprint> {
    use std::io::{Read, Seek, SeekFrom};
    const MIB: u64 = 1024 * 1024;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, "read", e))?;
    let bytes = file.metadata().map_err(|e| Error::io(path, "read", e))?.len();
    let mut hasher = Sha256::new();
    hasher.update(bytes.to_le_bytes());
    let mut buffer = Vec::new();
    file.by_ref()
        .take(MIB)
        .read_to_end(&mut buffer)
        .map_err(|e| Error::io(path, "read", e))?;
    hasher.update(&buffer);
    if bytes > 2 * MIB {
        buffer.clear();
        file.seek(SeekFrom::End(-(MIB as i64)))
            .map_err(|e| Error::io(path, "read", e))?;
        file.read_to_end(&mut buffer).map_err(|e| Error::io(path, "read", e))?;
        hasher.update(&buffer);
    }
    let digest = hasher.finalize();
    Ok(DataFingerprint {
        file: path.display().to_string(),
        bytes,
        rows,
        columns,
        sample_sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}
