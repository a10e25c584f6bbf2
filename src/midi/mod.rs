//! MIDI files in and out: read any standard MIDI file into a lead sheet, and write lead sheets
//! and ideas back as files a DAW opens.

pub mod bench;
pub mod chords;
pub mod grid;
pub mod import;
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
    #[error(transparent)]
    Music(#[from] crate::music::MusicError),
    /// An error about a file: the message names the file, then the reason. The reason is part
    /// of the message and deliberately not the error's `source()`, so that an error chain
    /// (`{:#}` in anyhow) shows it once.
    #[error("{path}: {reason}")]
    File {
        path: PathBuf,
        reason: Box<MidiError>,
    },
    /// A file or folder that could not be read or written (shown once, like [`MidiError::File`]).
    #[error("{path}: {reason}")]
    Io {
        path: PathBuf,
        reason: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole chain as the command line prints it (`{:#}`).
    fn chain(error: MidiError) -> String {
        format!("{:#}", anyhow::Error::from(error))
    }

    #[test]
    fn a_file_error_shows_its_reason_once_in_a_chain() {
        let error = MidiError::File {
            path: PathBuf::from("song.mid"),
            reason: Box::new(MidiError::Malformed("the header chunk is 3 bytes".into())),
        };
        let text = chain(error);
        assert_eq!(
            text,
            "song.mid: not a readable MIDI file: the header chunk is 3 bytes"
        );
    }

    #[test]
    fn io_and_music_errors_show_their_reason_once_in_a_chain() {
        let io = MidiError::Io {
            path: PathBuf::from("gone.mid"),
            reason: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        assert_eq!(chain(io), "gone.mid: no such file");
        let music = MidiError::File {
            path: PathBuf::from("bad.mid"),
            reason: Box::new(MidiError::Music(crate::music::MusicError::Invalid(
                "bar 3: chord changes out of order".into(),
            ))),
        };
        assert_eq!(chain(music), "bad.mid: bar 3: chord changes out of order");
    }
}
