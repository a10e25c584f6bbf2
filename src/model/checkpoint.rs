//! The model folder on disk. Everything generation needs is in the folder itself, so a model
//! loads without its training data:
//!
//! - `model.json`: the [`ModelCard`]: format version, vocabulary (token names), network
//!   configuration, training settings, data summary, metrics and the loss log;
//! - `model.safetensors`: the weights with the best validation loss;
//! - `originality.bin`: the [`super::originality::OriginalityIndex`] of the training melodies;
//! - `resume.json` + `resume.safetensors`: the latest training state, for `--resume`.
//!
//! Every file is written to a temporary file in the same folder and renamed into place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ModelError;
pub use super::network::NetworkConfig;

pub const CARD_FILE: &str = "model.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const ORIGINALITY_FILE: &str = "originality.bin";
pub const RESUME_FILE: &str = "resume.json";
pub const RESUME_WEIGHTS_FILE: &str = "resume.safetensors";

pub const FORMAT: &str = "songsketch-model";
pub const FORMAT_VERSION: u32 = 1;

/// JSON has no infinity or NaN (serde_json writes them as `null`): a loss not measured yet is
/// infinite, so it is written as `null` and `null` reads back as infinity.
mod infinite_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            serializer.serialize_f64(*value)
        } else {
            serializer.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::INFINITY))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    crate::atomic_file::write_atomically(path, bytes).map_err(|e| ModelError::io(path, e))
}

/// How the network was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub seq_len: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub patience: usize,
    pub validation_percent: u32,
    pub seed: u64,
}

/// What the model was trained on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub songs: usize,
    pub train_songs: usize,
    pub validation_songs: Vec<String>,
    pub train_tokens: usize,
    pub validation_tokens: usize,
    pub bars: usize,
    /// Songs that could not be used, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Songs per key name (`Am`, `Eb` …), before normalization.
    pub keys: BTreeMap<String, usize>,
    /// Songs per meter of their first full bar.
    pub meters: BTreeMap<String, usize>,
    pub median_tempo_bpm: f64,
    /// The model this one was fine-tuned from, if any (its folder as given).
    pub fine_tuned_from: Option<String>,
}

/// One epoch in the loss log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    #[serde(with = "infinite_as_null")]
    pub train_loss: f64,
    #[serde(with = "infinite_as_null")]
    pub validation_loss: f64,
    pub learning_rate: f64,
    pub seconds: f64,
    #[serde(with = "infinite_as_null")]
    pub tokens_per_second: f64,
}

/// Results of training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean cross-entropy per token on the validation songs (nats), best epoch.
    #[serde(with = "infinite_as_null")]
    pub best_validation_loss: f64,
    pub best_epoch: usize,
    #[serde(with = "infinite_as_null")]
    pub validation_bits_per_token: f64,
    pub epochs_run: usize,
    pub training_seconds: f64,
    #[serde(with = "infinite_as_null")]
    pub tokens_per_second: f64,
    pub device: String,
    pub stopped_because: String,
}

/// `model.json`: everything about a model except its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub format_version: u32,
    pub vocab: Vec<String>,
    pub network: NetworkConfig,
    pub training: TrainSettings,
    pub data: DataSummary,
    pub metrics: Metrics,
    pub loss_log: Vec<EpochLog>,
    pub originality_windows: usize,
}

impl ModelCard {
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| ModelError::Internal(format!("model card to JSON: {e}")))?;
        write_atomic(&dir.join(CARD_FILE), &json)
    }

    /// Reads and checks `model.json` of a model folder.
    pub fn load(dir: &Path) -> Result<ModelCard, ModelError> {
        let path = dir.join(CARD_FILE);
        if !dir.is_dir() {
            return Err(ModelError::checkpoint(dir, "no such model folder"));
        }
        let text = std::fs::read(&path).map_err(|e| ModelError::io(&path, e))?;
        let card: ModelCard = serde_json::from_slice(&text)
            .map_err(|e| ModelError::checkpoint(&path, format!("not a model card: {e}")))?;
        if card.format != FORMAT {
            return Err(ModelError::checkpoint(
                &path,
                format!("format `{}` is not `{FORMAT}`", card.format),
            ));
        }
        if card.format_version > FORMAT_VERSION {
            return Err(ModelError::checkpoint(
                &path,
                format!(
                    "format version {} was written by a newer Songsketch (this one reads {FORMAT_VERSION})",
                    card.format_version
                ),
            ));
        }
        if card.vocab.len() != card.network.vocab_size {
            return Err(ModelError::checkpoint(
                &path,
                format!(
                    "{} vocabulary entries but a network for {}",
                    card.vocab.len(),
                    card.network.vocab_size
                ),
            ));
        }
        Ok(card)
    }
}

/// The paths of a model folder's files.
#[derive(Debug, Clone)]
pub struct ModelDir {
    pub dir: PathBuf,
}

impl ModelDir {
    pub fn new(dir: impl Into<PathBuf>) -> ModelDir {
        ModelDir { dir: dir.into() }
    }

    pub fn card(&self) -> PathBuf {
        self.dir.join(CARD_FILE)
    }

    pub fn weights(&self) -> PathBuf {
        self.dir.join(WEIGHTS_FILE)
    }

    pub fn originality(&self) -> PathBuf {
        self.dir.join(ORIGINALITY_FILE)
    }

    pub fn resume(&self) -> PathBuf {
        self.dir.join(RESUME_FILE)
    }

    pub fn resume_weights(&self) -> PathBuf {
        self.dir.join(RESUME_WEIGHTS_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_not_measured_yet_survives_json() {
        let before = Metrics {
            best_validation_loss: f64::INFINITY,
            validation_bits_per_token: 1.5,
            ..Metrics::default()
        };
        let json = serde_json::to_string(&before).expect("metrics to JSON");
        assert!(json.contains("\"best_validation_loss\":null"), "{json}");
        let after: Metrics = serde_json::from_str(&json).expect("metrics from JSON");
        assert_eq!(after, before);
    }
}
