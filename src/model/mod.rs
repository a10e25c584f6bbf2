//! The model: lead sheets as tokens, a network in libtorch (tch) — the first-generation LSTM or
//! the bar-aware Transformer trained to fill in bars — training on a folder of songs, and
//! constrained generation of verse+chorus ideas.
//!
//! - [`tokens`]: the vocabulary and lead sheet ↔ token sequences (key normalized, see there why).
//! - [`network`]: the libtorch networks used for training ([`transformer`] holds the
//!   Transformer's layers, [`positions`] its bar and beat slots, [`netconfig`] the shapes of
//!   both); [`infer`]: the same networks
//!   in plain Rust for fast step-by-step sampling on the CPU.
//! - [`train`](mod@train): the training loop with progress events, cancellation, checkpoints.
//! - [`generate`]: [`Model::load`] and [`Model::generate`]: sampling under the [`grammar`];
//!   [`infill`]: redoing chosen bars with the bars before and after them in the prompt;
//!   [`harmonize`]: chords for a composer's melody, each bar chosen knowing its notes.
//! - [`sampling`]: [`Sampling`], the one definition of how ideas are drawn (temperature,
//!   top-p, decoding priors), with its defaults and range check.
//! - [`phrase`]: phrase memory, a decoding-time bias towards the melody 4 and 8 bars back;
//!   [`register`]: chorus lift, a decoding-time prior against a chorus below its verse.
//! - [`steering`]: note density, melody range and harmonic rhythm, the composer's controls
//!   beyond temperature.
//! - [`originality`]: the index of training melodies that generated ideas must not copy.
//! - [`checkpoint`]: the model folder on disk (safetensors + JSON), written atomically.

pub mod checkpoint;
pub mod generate;
pub mod grammar;
pub mod harmonize;
pub mod infer;
pub mod infill;
pub mod netconfig;
pub mod network;
pub mod originality;
pub mod phrase;
pub mod positions;
pub mod register;
pub mod rng;
pub mod sampling;
pub mod steering;
pub mod tokens;
pub mod train;
pub mod transformer;

pub use checkpoint::ModelCard;
pub use generate::{GenerateRequest, GeneratedIdea, Keep, Model};
pub use network::NetworkConfig;
pub use sampling::{
    DEFAULT_CHORUS_LIFT, DEFAULT_PHRASE_RETURN, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, Sampling,
};
pub use train::{TrainConfig, TrainEvent, TrainOutcome, train};

use std::path::PathBuf;

/// What goes wrong in the model: bad checkpoints, bad requests, data it cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("vocabulary: {0}")]
    Vocabulary(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("malformed token sequence: {0}")]
    Malformed(String),
    #[error("{0}")]
    Request(String),
    #[error("{path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("no training data: {0}")]
    NoData(String),
    #[error("{0}")]
    NotOriginal(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ModelError {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn checkpoint(path: impl Into<PathBuf>, reason: impl Into<String>) -> ModelError {
        ModelError::Checkpoint {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
