//! Songsketch: one fresh song idea after another — chords low, a melody above, a verse and a chorus.
//!
//! Data flows one way: MIDI files → [`midi`] → [`music`] lead sheets → model tokens → network,
//! and back: tokens → lead sheet → [`music::Idea`] → piano roll, player, MIDI file.

pub mod atomic_file;
pub mod cli;
pub mod datasets;
pub mod dnd;
pub mod engine;
pub mod eval;
pub mod library;
pub mod midi;
pub mod model;
pub mod music;
pub mod playback;
pub mod recording;
pub mod stats;
pub mod ui;
pub mod worker;
