//! Melody-track choice in multi-track files whose track names say nothing.
//!
//! Built here from every POP909 song: its `MELODY`, `BRIDGE` and `PIANO` tracks renamed
//! `Track 1` … in a shuffled order, plus a bass track playing the roots of `chord_midi.txt`
//! (octave 2, channel 3) and a drum track on channel 10 (a kick on every beat, a hi-hat on every
//! eighth). The importer must take its melody from the track that was `MELODY`. Prints the
//! accuracy; asserts it is at least 0.95.

use std::path::Path;

use midly::num::{u4, u7, u28};
use midly::{MetaMessage, MidiMessage, Smf, TrackEvent, TrackEventKind};
use songsketch::midi::import::import_bytes;

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

/// Absolute-tick events → a track with delta times and an end.
fn track_of(mut events: Vec<(u64, TrackEventKind<'static>)>) -> Vec<TrackEvent<'static>> {
    events.sort_by_key(|(tick, kind)| {
        let is_on = matches!(
            kind,
            TrackEventKind::Midi {
                message: MidiMessage::NoteOn { vel, .. },
                ..
            } if vel.as_int() > 0
        );
        (*tick, is_on)
    });
    let mut last = 0;
    let mut out: Vec<TrackEvent> = events
        .into_iter()
        .map(|(tick, kind)| {
            let delta = u28::new((tick - last) as u32);
            last = tick;
            TrackEvent { delta, kind }
        })
        .collect();
    out.push(TrackEvent {
        delta: 0.into(),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    out
}

fn note(channel: u8, tick: u64, end: u64, pitch: u8) -> [(u64, TrackEventKind<'static>); 2] {
    let kind = |message| TrackEventKind::Midi {
        channel: u4::new(channel),
        message,
    };
    [
        (
            tick,
            kind(MidiMessage::NoteOn {
                key: u7::new(pitch),
                vel: u7::new(90),
            }),
        ),
        (
            end,
            kind(MidiMessage::NoteOff {
                key: u7::new(pitch),
                vel: u7::new(0),
            }),
        ),
    ]
}

fn name(text: &'static [u8]) -> (u64, TrackEventKind<'static>) {
    (0, TrackEventKind::Meta(MetaMessage::TrackName(text)))
}

const NEUTRAL: [&[u8]; 5] = [b"Track 1", b"Track 2", b"Track 3", b"Track 4", b"Track 5"];

/// The song rewritten as described in the module docs; returns the bytes and the index of the
/// track that was `MELODY`.
fn disguised(dir: &Path, seed: usize) -> (Vec<u8>, usize) {
    let stem = dir.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(dir.join(format!("{stem}.mid"))).unwrap();
    let smf = Smf::parse(&bytes).unwrap();
    let tpq = match smf.header.timing {
        midly::Timing::Metrical(t) => t.as_int() as u64,
        _ => panic!("{stem}: not metrical"),
    };
    let raw = songsketch::midi::read::read_midi(&bytes).unwrap();
    // Parts: (was it MELODY, events without its name).
    let mut parts: Vec<(bool, Vec<(u64, TrackEventKind<'static>)>)> = Vec::new();
    for (index, events) in smf.tracks.iter().enumerate() {
        let track_name = raw.tracks[index].name.clone();
        let mut tick = 0u64;
        let mut kept = Vec::new();
        for event in events {
            tick += event.delta.as_int() as u64;
            match event.kind {
                TrackEventKind::Meta(MetaMessage::TrackName(_))
                | TrackEventKind::Meta(MetaMessage::EndOfTrack) => {}
                TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                    kept.push((tick, TrackEventKind::Meta(MetaMessage::Tempo(t))))
                }
                TrackEventKind::Midi { channel, message } => {
                    kept.push((tick, TrackEventKind::Midi { channel, message }))
                }
                _ => {}
            }
        }
        if index == 0 {
            parts.push((false, kept)); // the conductor (tempo) stays first
        } else {
            parts.push((track_name == "MELODY", kept));
        }
    }
    // Bass: chord roots from the annotation, in seconds → ticks.
    let chords = std::fs::read_to_string(dir.join("chord_midi.txt")).unwrap();
    let mut bass = Vec::new();
    for line in chords.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Ok(start), Ok(end)) = (fields[0].parse::<f64>(), fields[1].parse::<f64>()) else {
            continue;
        };
        let Ok(Some(chord)) = songsketch::music::ChordSymbol::parse_harte(fields[2]) else {
            continue;
        };
        let (from, to) = (raw.tick_at(start) as u64, raw.tick_at(end) as u64);
        if to > from {
            bass.extend(note(3, from, to, 36 + chord.root.index()));
        }
    }
    parts.push((false, bass));
    let end = raw.end_tick;
    let mut drums = Vec::new();
    let mut tick = 0;
    while tick + tpq / 2 <= end {
        if tick % tpq == 0 {
            drums.extend(note(9, tick, tick + tpq / 4, 36));
        }
        drums.extend(note(9, tick, tick + tpq / 8, 42));
        tick += tpq / 2;
    }
    parts.push((false, drums));
    // Shuffle every track after the conductor (a fixed permutation per song).
    let mut rest: Vec<_> = parts.drain(1..).collect();
    let mut state = seed as u64 * 2_654_435_761 + 1;
    for i in (1..rest.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        rest.swap(i, (state >> 33) as usize % (i + 1));
    }
    let melody_index = 1 + rest.iter().position(|(was, _)| *was).unwrap();
    parts.extend(rest);
    let mut out = Smf::new(smf.header);
    for (index, (_, mut events)) in parts.into_iter().enumerate() {
        if index > 0 {
            events.push(name(NEUTRAL[(index - 1) % NEUTRAL.len()]));
        }
        out.tracks.push(track_of(events));
    }
    let mut written = Vec::new();
    out.write_std(&mut written).unwrap();
    (written, melody_index)
}

/// Accuracy of the melody-track choice over every POP909 song (see the module docs).
pub fn melody_track_accuracy() -> (usize, usize, Vec<String>) {
    let dirs = songsketch::datasets::pop909::song_dirs(Path::new(POP909)).unwrap();
    let (mut right, mut misses) = (0, Vec::new());
    for (index, dir) in dirs.iter().enumerate() {
        let (bytes, melody_index) = disguised(dir, index);
        let imported = import_bytes(&bytes, "disguised").unwrap();
        let chosen = imported.report.melody_track.as_ref().map(|t| t.track);
        assert!(
            imported
                .report
                .melody_track
                .as_ref()
                .is_some_and(|t| !t.by_name),
            "no name should mark the melody"
        );
        if chosen == Some(melody_index) {
            right += 1;
        } else {
            misses.push(format!(
                "{}: chose track {chosen:?}, the melody is track {melody_index}",
                dir.display()
            ));
        }
    }
    (right, dirs.len(), misses)
}

#[test]
fn the_sung_line_is_found_without_track_names() {
    let (right, total, misses) = melody_track_accuracy();
    let accuracy = right as f64 / total as f64;
    println!(
        "melody track chosen right in {right} of {total} disguised POP909 files ({accuracy:.4}); \
         first misses: {:?}",
        &misses[..misses.len().min(5)]
    );
    assert!(total >= 800);
    assert!(accuracy >= 0.95, "{accuracy}");
}
