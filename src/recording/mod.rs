//! Recording a motif from a MIDI keyboard: the keyboards there are and a connection to one
//! ([`input`]), the metronome's click track ([`metronome`]), and the take itself ([`take`]):
//! what was played, in seconds from bar 1, read back through the importer so it is quantized by
//! the same rules as a MIDI file.
//!
//! The window owns the take and draws it; the keyboard's messages reach it through a channel it
//! drains each frame, and the clicks go through the player like any idea.

pub mod input;
pub mod metronome;
pub mod take;

mod smf;

pub use input::{InputEvent, KeyboardInput, KeyboardList, Keyboards, MidirKeyboards, NoKeyboards};
pub use take::{KeyMessage, PlayedNote, Take};
