//! Song folders for training and evaluation: [`read_songs`] reads a folder of MIDI files or an
//! annotated collection that is not plain MIDI (POP909's text files, through [`pop909`]) into
//! [`crate::music::LeadSheet`]s with named sections, each named by its path in the folder.

pub mod pop909;

/// The phrase-label rule, which unmarked MIDI imports share: it lives in `music`.
pub use crate::music::phrases;

use std::path::{Path, PathBuf};

use crate::midi::MidiError;
use crate::midi::import::{FolderOptions, import_folder_with};
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

/// Damaged files read anyway, named the same way, with what was lost.
pub type Warnings = Vec<(String, String)>;

/// The songs of a folder, named by their path relative to it, and the files that were skipped
/// (damaged files are read with what they hold; see [`read_songs_with`]).
pub fn read_songs(folder: &Path, reader: SongReader) -> Result<(NamedSongs, Skipped), MidiError> {
    read_songs_with(folder, reader, FolderOptions::default())
        .map(|(songs, skipped, _)| (songs, skipped))
}

/// [`read_songs`], also returning the damaged files read anyway with what was lost; MIDI files
/// are read with `options` (strict: damaged files skipped; sections inferred or not).
pub fn read_songs_with(
    folder: &Path,
    reader: SongReader,
    options: FolderOptions,
) -> Result<(NamedSongs, Skipped, Warnings), MidiError> {
    let name = |p: &Path| {
        p.strip_prefix(folder)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let (songs, skipped, warnings) = match reader {
        SongReader::Pop909 => {
            let (songs, skipped) = pop909::load_folder(folder);
            (songs, skipped, Vec::new())
        }
        SongReader::Midi => {
            let imported = import_folder_with(folder, options)?;
            (imported.songs, imported.skipped, imported.warnings)
        }
    };
    let named = |list: Vec<(PathBuf, String)>| -> Vec<(String, String)> {
        list.into_iter().map(|(p, why)| (name(&p), why)).collect()
    };
    Ok((
        songs.into_iter().map(|(p, s)| (name(&p), s)).collect(),
        named(skipped),
        named(warnings),
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
