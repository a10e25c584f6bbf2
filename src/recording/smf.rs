//! The small single-track MIDI files recording makes (a take, a click track), written with
//! midly: events at file ticks, ordered within a tick (meta, then note offs, then note ons).

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Timing, TrackEvent, TrackEventKind};

use crate::midi::MidiError;
use crate::midi::write::{FILE_TICKS_PER_GRID_TICK, time_signature};
use crate::music::{Meter, Tempo};

/// File ticks per quarter note: the exporter's resolution.
pub const TICKS_PER_QUARTER: u16 = crate::midi::write::FILE_TICKS_PER_QUARTER;

/// One event at a file tick, with its rank among the events of that tick.
#[derive(Debug, Clone, Copy)]
pub struct Timed {
    tick: u64,
    rank: u8,
    kind: TrackEventKind<'static>,
}

impl Timed {
    pub fn meta(tick: u64, message: MetaMessage<'static>) -> Self {
        Timed {
            tick,
            rank: 0,
            kind: TrackEventKind::Meta(message),
        }
    }

    /// A note from `start` to `end` (file ticks; at least one tick long) on `channel` (0-based).
    pub fn note(channel: u8, pitch: u8, velocity: u8, start: u64, end: u64) -> [Timed; 2] {
        let channel = u4::new(channel & 0x0F);
        let key = u7::new(pitch & 0x7F);
        let on = MidiMessage::NoteOn {
            key,
            vel: u7::new(velocity.clamp(1, 127)),
        };
        let off = MidiMessage::NoteOff {
            key,
            vel: u7::new(64),
        };
        [
            Timed {
                tick: start,
                rank: 2,
                kind: TrackEventKind::Midi {
                    channel,
                    message: on,
                },
            },
            Timed {
                tick: end.max(start + 1),
                rank: 1,
                kind: TrackEventKind::Midi {
                    channel,
                    message: off,
                },
            },
        ]
    }
}

/// File ticks of `grid_ticks` lead-sheet grid ticks.
pub fn file_ticks(grid_ticks: u32) -> u64 {
    u64::from(grid_ticks) * FILE_TICKS_PER_GRID_TICK
}

/// Set Tempo and Time Signature at tick 0.
pub fn tempo_and_meter(tempo: Tempo, meter: Meter) -> Vec<Timed> {
    vec![
        Timed::meta(0, MetaMessage::Tempo(u24::new(tempo.micros_per_quarter()))),
        Timed::meta(0, time_signature(meter)),
    ]
}

/// A format-0 file of `events` (in any order), ended at the last one.
pub fn single_track(mut events: Vec<Timed>) -> Result<Vec<u8>, MidiError> {
    events.sort_by_key(|e| (e.tick, e.rank));
    let end = events.last().map_or(0, |e| e.tick);
    events.push(Timed {
        tick: end,
        rank: 3,
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let mut last = 0;
    let mut track = Vec::with_capacity(events.len());
    for event in &events {
        let delta = u32::try_from(event.tick - last)
            .ok()
            .and_then(u28::try_from)
            .ok_or_else(|| MidiError::Unsupported("too long for a MIDI file".into()))?;
        track.push(TrackEvent {
            delta,
            kind: event.kind,
        });
        last = event.tick;
    }
    let header = Header::new(
        Format::SingleTrack,
        Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
    );
    let mut bytes = Vec::new();
    midly::write_std(&header, [&track], &mut bytes)
        .map_err(|e| MidiError::Malformed(format!("could not encode the MIDI file: {e}")))?;
    Ok(bytes)
}
