//! The conventions shared with the exporter, read back exactly: a conductor track (title, tempo,
//! meters, key signature, section markers), a `Chords` track with chord-symbol texts, a
//! `Melody` track, and a pickup written padded to a full bar. Plus pop909: every song imports,
//! its `MELODY` track is the melody, and the timeline agrees with the annotated beats.

use std::path::Path;

use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use songsketch::midi::import::{import_bytes, import_file};
use songsketch::midi::read::read_midi;
use songsketch::music::{Key, Meter, SectionKind};

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");
const TPQ: u32 = 480;

/// Events at absolute ticks → one track with deltas.
fn track<'a>(mut events: Vec<(u32, TrackEventKind<'a>)>) -> Vec<TrackEvent<'a>> {
    events.sort_by_key(|(tick, kind)| (*tick, !matches!(kind, TrackEventKind::Meta(_))));
    let mut last = 0;
    let mut out: Vec<TrackEvent> = events
        .into_iter()
        .map(|(tick, kind)| {
            let delta = tick - last;
            last = tick;
            TrackEvent {
                delta: delta.into(),
                kind,
            }
        })
        .collect();
    out.push(TrackEvent {
        delta: 0.into(),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    out
}

fn meta(tick: u32, message: MetaMessage<'static>) -> (u32, TrackEventKind<'static>) {
    (tick, TrackEventKind::Meta(message))
}

fn notes(channel: u8, list: &[(u32, u32, u8)]) -> Vec<(u32, TrackEventKind<'static>)> {
    let midi = |message| TrackEventKind::Midi {
        channel: channel.into(),
        message,
    };
    list.iter()
        .flat_map(|&(start, end, pitch)| {
            [
                (
                    start,
                    midi(MidiMessage::NoteOn {
                        key: pitch.into(),
                        vel: 80.into(),
                    }),
                ),
                (
                    end,
                    midi(MidiMessage::NoteOff {
                        key: pitch.into(),
                        vel: 0.into(),
                    }),
                ),
            ]
        })
        .collect()
}

/// A song as the exporter writes it: 3/4, a one-beat pickup padded to a full bar, verse of two
/// bars, chorus of one bar that turns to 2/4 for its last bar.
fn exported_song() -> Vec<u8> {
    let q = TPQ;
    let bar = 3 * q;
    let mut conductor = vec![
        meta(0, MetaMessage::TrackName(b"Sketch No. 1")),
        meta(0, MetaMessage::Tempo(600_000.into())), // 100 BPM
        meta(0, MetaMessage::TimeSignature(3, 2, 24, 8)),
        meta(0, MetaMessage::KeySignature(-2, true)), // G minor
        meta(2 * q, MetaMessage::Marker(b"Verse")),
        meta(3 * bar, MetaMessage::Marker(b"Chorus 1")),
        meta(4 * bar, MetaMessage::TimeSignature(2, 2, 24, 8)),
    ];
    conductor.sort_by_key(|e| e.0);
    let chords_track = {
        let mut events = vec![
            meta(0, MetaMessage::TrackName(b"Chords")),
            meta(2 * q, MetaMessage::Text(b"N.C.")),
            meta(bar, MetaMessage::Text(b"Gm")),
            meta(bar + 2 * q, MetaMessage::Text(b"D7/F#")),
            meta(2 * bar, MetaMessage::Text(b"Ebmaj7")),
            meta(3 * bar, MetaMessage::Text(b"Cm7")),
            meta(4 * bar, MetaMessage::Text(b"D")),
        ];
        events.extend(notes(
            1,
            &[
                (bar, bar + 2 * q, 43),
                (bar, bar + 2 * q, 46),
                (bar, bar + 2 * q, 50),
                (bar + 2 * q, 2 * bar, 42),
                (bar + 2 * q, 2 * bar, 45),
                (bar + 2 * q, 2 * bar, 48),
                (2 * bar, 3 * bar, 39),
                (2 * bar, 3 * bar, 43),
                (2 * bar, 3 * bar, 46),
                (3 * bar, 4 * bar, 36),
                (3 * bar, 4 * bar, 39),
                (3 * bar, 4 * bar, 43),
                (4 * bar, 4 * bar + 2 * q, 38),
                (4 * bar, 4 * bar + 2 * q, 42),
                (4 * bar, 4 * bar + 2 * q, 45),
            ],
        ));
        events
    };
    let melody_track = {
        let mut events = vec![meta(0, MetaMessage::TrackName(b"Melody"))];
        events.extend(notes(
            0,
            &[
                (2 * q, 2 * q + q / 2, 62), // the pickup: an eighth on the last beat…
                (2 * q + q / 2, bar, 65),   // …and another
                (bar, bar + q, 67),
                (bar + q, bar + 3 * q, 66),
                (2 * bar, 3 * bar, 70),
                (3 * bar, 3 * bar + q, 72),
                (3 * bar + q, 4 * bar, 74),
                (4 * bar, 4 * bar + 2 * q, 66),
            ],
        ));
        events
    };
    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical((TPQ as u16).into()),
    ));
    smf.tracks = vec![track(conductor), track(chords_track), track(melody_track)];
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).unwrap();
    bytes
}

#[test]
fn an_exported_song_reads_back_exactly() {
    let imported = import_bytes(&exported_song(), "fallback").unwrap();
    let sheet = &imported.sheet;
    assert_eq!(sheet.title, "Sketch No. 1");
    assert_eq!(sheet.tempo.micros_per_quarter(), 600_000);
    assert_eq!(sheet.key, "Gm".parse::<Key>().unwrap());
    let kinds: Vec<(SectionKind, &str, usize)> = sheet
        .sections
        .iter()
        .map(|s| (s.kind, s.label.as_str(), s.bars.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            (SectionKind::Verse, "Verse", 3),
            (SectionKind::Chorus, "Chorus 1", 2)
        ]
    );
    let bars: Vec<_> = sheet.bars().collect();
    let three_four: Meter = "3/4".parse().unwrap();
    let two_four: Meter = "2/4".parse().unwrap();
    // The pickup: one beat (12 ticks), its two eighths, and its N.C.
    assert_eq!((bars[0].meter, bars[0].length), (three_four, 12));
    assert_eq!(bars[0].melody.len(), 2);
    assert_eq!(
        (bars[0].melody[0].onset, bars[0].melody[0].duration),
        (0, 6)
    );
    assert_eq!(bars[0].chords.len(), 1);
    assert_eq!(bars[0].chords[0].chord, None);
    let symbols = |i: usize| -> Vec<(u32, String)> {
        bars[i]
            .chords
            .iter()
            .map(|c| (c.position, c.chord.map_or("N.C.".into(), |c| c.to_string())))
            .collect()
    };
    assert_eq!(
        symbols(1),
        [(0, "Gm".to_string()), (24, "D7/F#".to_string())]
    );
    assert_eq!(symbols(2), [(0, "D#maj7".to_string())]);
    assert_eq!(symbols(3), [(0, "Cm7".to_string())]);
    assert_eq!((bars[4].meter, bars[4].length), (two_four, 24));
    assert_eq!(symbols(4), [(0, "D".to_string())]);
    let melody: Vec<(usize, u32, u32, u8)> = sheet
        .melody()
        .iter()
        .map(|p| (p.bar_index, p.item.onset, p.item.duration, p.item.pitch.0))
        .collect();
    assert_eq!(
        melody,
        [
            (0, 0, 6, 62),
            (0, 6, 6, 65),
            (1, 0, 12, 67),
            (1, 12, 24, 66),
            (2, 0, 36, 70),
            (3, 0, 12, 72),
            (3, 12, 24, 74),
            (4, 0, 24, 66)
        ]
    );
    // The sheet starts two beats into the file, at 100 BPM.
    assert!((imported.timeline.seconds_at(0.0) - 1.2).abs() < 1e-9);
    assert!((imported.timeline.grid_at(1.8) - 12.0).abs() < 1e-9);
}

#[test]
fn without_chord_texts_chords_are_recognised_and_markers_still_make_sections() {
    // The same song with its chord texts removed: the harmony notes give the chords.
    let bytes = exported_song();
    let smf = Smf::parse(&bytes).unwrap();
    // Rebuilt from absolute ticks so that the deltas stay right without the texts.
    let mut rebuilt = Smf::new(smf.header);
    for (index, events) in smf.tracks.iter().enumerate() {
        let mut tick = 0u32;
        let mut absolute = Vec::new();
        for event in events {
            tick += event.delta.as_int();
            let is_text = matches!(event.kind, TrackEventKind::Meta(MetaMessage::Text(_)));
            let is_end = matches!(event.kind, TrackEventKind::Meta(MetaMessage::EndOfTrack));
            let dropped = is_end || (index == 1 && is_text);
            if !dropped {
                absolute.push((tick, event.kind));
            }
        }
        rebuilt.tracks.push(track(absolute));
    }
    let mut out = Vec::new();
    rebuilt.write_std(&mut out).unwrap();
    let sheet = import_bytes(&out, "x").unwrap().sheet;
    assert_eq!(sheet.sections.len(), 2);
    let bars: Vec<_> = sheet.bars().collect();
    assert!(
        bars[0].chords.is_empty(),
        "a pickup has no recognised chord"
    );
    assert!(bars[1..].iter().all(|b| !b.chords.is_empty()));
    let first = bars[1].chords[0]
        .chord
        .expect("a chord under the first bar");
    assert_eq!(first.root.index(), 7, "G minor's root is G: {first}");
}

#[test]
fn every_pop909_song_imports_with_its_melody_track_as_the_melody() {
    let root = Path::new(DATASETS).join("pop909");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 800);
    let (mut hits, mut reference_total, mut extracted_total) = (0usize, 0usize, 0usize);
    let mut beat_error_sum = 0.0;
    let mut beats = 0usize;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let path = dir.join(format!("{name}.mid"));
        let imported = import_file(&path).unwrap_or_else(|e| panic!("{e}"));
        imported.sheet.validate().unwrap();
        let raw = read_midi(&std::fs::read(&path).unwrap()).unwrap();
        let melody_track = raw.tracks.iter().find(|t| t.name == "MELODY").unwrap();
        let reference: std::collections::HashSet<(i64, u8)> = melody_track
            .notes
            .iter()
            .map(|n| {
                let grid = imported.timeline.grid_at(raw.seconds_at(n.start));
                (grid.round() as i64, n.pitch)
            })
            .collect();
        let extracted: std::collections::HashSet<(i64, u8)> = imported
            .sheet
            .melody()
            .iter()
            .map(|p| (p.absolute(p.item.onset) as i64, p.item.pitch.0))
            .collect();
        hits += reference.intersection(&extracted).count();
        reference_total += reference.len();
        extracted_total += extracted.len();
        // The annotated beats (seconds, from the audio) sit at a constant phase from the
        // MIDI's beats: through the timeline they keep that phase across tempo changes.
        let beat_file = std::fs::read_to_string(dir.join("beat_midi.txt")).unwrap();
        let phases: Vec<f64> = beat_file
            .lines()
            .filter_map(|line| line.split_whitespace().next()?.parse::<f64>().ok())
            .map(|seconds| (imported.timeline.grid_at(seconds) / 12.0).rem_euclid(1.0))
            .collect();
        if let Some(&first) = phases.first() {
            for phase in &phases {
                let drift = (phase - first + 0.5).rem_euclid(1.0) - 0.5;
                beat_error_sum += drift.abs() * 12.0;
                beats += 1;
            }
        }
    }
    let f1 = 2.0 * hits as f64 / (reference_total + extracted_total) as f64;
    let mean_beat_error = beat_error_sum / beats as f64;
    println!(
        "pop909: {} songs imported; melody F1 vs the MELODY track {f1:.4}; annotated beats drift \
         {mean_beat_error:.3} grid ticks on average from their song's first beat phase \
         ({beats} beats)",
        dirs.len()
    );
    assert!(f1 >= 0.98, "{f1}");
    assert!(mean_beat_error < 0.5, "{mean_beat_error}");
}
