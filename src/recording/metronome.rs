//! The metronome: a click track as a MIDI file, played through whatever output the composer
//! chose, so the count-in and the clicks under a take sound where the idea would.
//!
//! General MIDI percussion on channel 10: a high wood block on each bar's first beat, a low one
//! on the other felt beats (two per bar in 6/8).

use super::smf::{self, Timed};
use crate::midi::MidiError;
use crate::music::{Meter, Tempo};

/// Channel 10, General MIDI's percussion (0-based).
pub const CLICK_CHANNEL: u8 = 9;
/// Hi Wood Block, on each bar's first beat.
pub const ACCENT_NOTE: u8 = 76;
/// Low Wood Block, on the other beats.
pub const BEAT_NOTE: u8 = 77;
const ACCENT_VELOCITY: u8 = 112;
const BEAT_VELOCITY: u8 = 80;

/// A click on every felt beat of `bars` bars of `meter` at `tempo`.
pub fn click_track(tempo: Tempo, meter: Meter, bars: u32) -> Result<Vec<u8>, MidiError> {
    let beat = smf::file_ticks(meter.beat_ticks());
    let mut events = smf::tempo_and_meter(tempo, meter);
    for index in 0..u64::from(bars * meter.beats_per_bar()) {
        let accent = index % u64::from(meter.beats_per_bar()) == 0;
        let (note, velocity) = if accent {
            (ACCENT_NOTE, ACCENT_VELOCITY)
        } else {
            (BEAT_NOTE, BEAT_VELOCITY)
        };
        let start = index * beat;
        events.extend(Timed::note(
            CLICK_CHANNEL,
            note,
            velocity,
            start,
            start + beat / 4,
        ));
    }
    smf::single_track(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playback::Timeline;

    /// (seconds, note) of every click's note on.
    fn clicks(bytes: &[u8]) -> Vec<(f64, u8)> {
        Timeline::from_smf_bytes(bytes)
            .unwrap()
            .messages()
            .iter()
            .filter(|m| m.bytes()[0] == 0x90 | CLICK_CHANNEL)
            .map(|m| (m.seconds, m.bytes()[1]))
            .collect()
    }

    #[test]
    fn one_bar_of_four_four_clicks_on_each_beat_accenting_the_first() {
        let bytes = click_track(Tempo::new(120.0).unwrap(), Meter::FOUR_FOUR, 2).unwrap();
        let clicks = clicks(&bytes);
        assert_eq!(clicks.len(), 8);
        for (i, (seconds, note)) in clicks.iter().enumerate() {
            assert!((seconds - i as f64 * 0.5).abs() < 1e-6, "{clicks:?}");
            let accent = i % 4 == 0;
            assert_eq!(*note, if accent { ACCENT_NOTE } else { BEAT_NOTE });
        }
    }

    #[test]
    fn six_eight_clicks_on_its_two_dotted_quarters() {
        let meter = Meter::new(6, 8).unwrap();
        let clicks = clicks(&click_track(Tempo::new(60.0).unwrap(), meter, 1).unwrap());
        let times: Vec<f64> = clicks.iter().map(|c| c.0).collect();
        assert_eq!(times, [0.0, 1.5]);
    }
}
