//! Song folders for training and evaluation: [`read_songs`] reads a folder of MIDI files or an
//! annotated collection that is not plain MIDI (POP909's text files, through [`pop909`]) into
//! [`crate::music::LeadSheet`]s with named sections, each named by its path in the folder.

pub mod phrases;
pub mod pop909;

use std::path::{Path, PathBuf};

use crate::midi::MidiError;
use crate::midi::import::import_folder;
use crate::music::{LeadSheet, MusicError};

/// Songs named by their path relative to the folder they were read from.
pub type NamedSongs = Vec<(String, LeadSheet)>;
/// Files that could not be read, named the same way, with the reason.
pub type Skipped = Vec<(String, String)>;

/// How a folder of songs is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SongReader {
    /// Every MIDI file in the folder and below, through the importer.
    Midi,
    /// A POP909 root: the bar-aligned text files of each song folder.
    Pop909,
}

impl SongReader {
    /// POP909's reader for a folder that looks like its root (song folders with
    /// `melody.txt`), the MIDI importer otherwise.
    pub fn for_folder(folder: &Path) -> SongReader {
        if pop909::looks_like_root(folder) {
            SongReader::Pop909
        } else {
            SongReader::Midi
        }
    }
}

/// The songs of a folder, named by their path relative to it, and the files that were skipped.
pub fn read_songs(folder: &Path, reader: SongReader) -> Result<(NamedSongs, Skipped), MidiError> {
    let name = |p: &Path| {
        p.strip_prefix(folder)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let (songs, skipped) = match reader {
        SongReader::Pop909 => pop909::load_folder(folder),
        SongReader::Midi => {
            let imported = import_folder(folder)?;
            (imported.songs, imported.skipped)
        }
    };
    Ok((
        songs.into_iter().map(|(p, s)| (name(&p), s)).collect(),
        skipped
            .into_iter()
            .map(|(p, why)| (name(&p), why))
            .collect(),
    ))
}

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
