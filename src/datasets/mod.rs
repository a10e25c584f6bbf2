//! Readers for annotated song collections that are not plain MIDI: they turn a collection's own
//! text files into [`crate::music::LeadSheet`]s with named sections, ready for training and evaluation.

pub mod phrases;
pub mod pop909;

use std::path::PathBuf;

use crate::music::MusicError;

/// What goes wrong reading a dataset song: always names the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Music { path: PathBuf, source: MusicError },
}
