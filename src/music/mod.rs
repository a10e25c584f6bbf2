//! The musical domain, pure and free of I/O: pitches, keys, meters and tempo, chord symbols,
//! and the lead sheet (sections → bars → chords + one melody line) that every other module speaks.

pub mod chord;
pub mod key;
pub mod lead_sheet;
pub mod phrases;
pub mod pitch;
pub mod register;
pub mod time;

pub use chord::{ChordQuality, ChordSymbol, MajMin};
pub use key::{Key, Mode};
pub use lead_sheet::{Bar, ChordChange, Idea, LeadSheet, Note, Placed, Section, SectionKind};
pub use pitch::{Pitch, PitchClass, Spelling};
pub use time::{Meter, TICKS_PER_QUARTER, Tempo};

/// What goes wrong with musical values: text that does not parse, or values out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MusicError {
    #[error("{0}")]
    Parse(String),
    #[error("{0}")]
    Invalid(String),
}
