//! MIDI files in and out: read any standard MIDI file into a lead sheet, and write lead sheets
//! and ideas back as files a DAW opens.

pub mod chords;
pub mod grid;
pub mod read;
pub mod voicing;
pub mod write;

use std::path::PathBuf;

/// Why a MIDI file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MidiError {
    #[error("not a readable MIDI file: {0}")]
    Malformed(String),
    #[error("unsupported MIDI file: {0}")]
    Unsupported(String),
    #[error("nothing to import: {0}")]
    Empty(String),
    #[error("{0}")]
    Music(#[from] crate::music::MusicError),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: Box<MidiError>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
