//! Exporting lead sheets as standard MIDI files: checked byte-level with midly, read back with the
//! project's own reader, and read by another program's parsers (Python mido and pretty_midi).

use std::path::{Path, PathBuf};
use std::process::Command;

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use serde_json::Value;
use songsketch::midi::MidiError;
use songsketch::midi::read::read_midi;
use songsketch::midi::voicing::voice_chord;
use songsketch::midi::voicing::{BASS_LOWEST as CHORD_LOWEST, UPPER_HIGHEST as CHORD_HIGHEST};
use songsketch::midi::write::{
    ExportOptions, idea_file_name, lead_sheet_to_smf_bytes, write_lead_sheet,
};
use songsketch::music::{
    Bar, ChordChange, ChordSymbol, Idea, Key, LeadSheet, Meter, Note, Pitch, Section, SectionKind,
    Tempo,
};

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");
const READER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_midi.py");

// ---------------------------------------------------------------------------------------------
// Lead sheets built in code

fn note(onset: u32, duration: u32, pitch: u8, velocity: u8) -> Note {
    Note {
        onset,
        duration,
        pitch: Pitch(pitch),
        velocity,
    }
}

/// A bar with chord changes (`"N.C."` for none) and melody notes.
fn bar(meter: &str, changes: &[(u32, &str)], melody: Vec<Note>) -> Bar {
    let mut bar = Bar::new(meter.parse().unwrap());
    bar.chords = changes
        .iter()
        .map(|&(position, text)| ChordChange {
            position,
            chord: (text != "N.C.").then(|| text.parse().unwrap()),
        })
        .collect();
    bar.melody = melody;
    bar
}

fn sheet(title: &str, key: &str, bpm: f64, sections: Vec<Section>) -> LeadSheet {
    LeadSheet {
        title: title.into(),
        key: key.parse().unwrap(),
        tempo: Tempo::new(bpm).unwrap(),
        sections,
    }
}

/// An idea in A minor at 96 BPM: a four-bar verse and a four-bar chorus, with a note tied over a
/// bar line, two changes in some bars, a slash chord and a closing N.C.
fn am_idea() -> Idea {
    let verse = Section::new(
        SectionKind::Verse,
        vec![
            bar(
                "4/4",
                &[(0, "Am")],
                vec![
                    note(0, 12, 76, 90),
                    note(12, 12, 72, 90),
                    note(24, 24, 69, 80),
                ],
            ),
            bar(
                "4/4",
                &[(0, "F"), (24, "G")],
                vec![note(0, 24, 72, 85), note(24, 24, 74, 85)],
            ),
            bar(
                "4/4",
                &[(0, "C")],
                vec![note(0, 36, 76, 95), note(36, 24, 79, 88)],
            ),
            bar("4/4", &[(0, "G"), (24, "E7")], vec![note(12, 36, 71, 70)]),
        ],
    );
    let chorus = Section::new(
        SectionKind::Chorus,
        vec![
            bar("4/4", &[(0, "F")], vec![note(0, 48, 81, 100)]),
            bar(
                "4/4",
                &[(0, "G")],
                vec![note(0, 24, 79, 100), note(24, 24, 77, 90)],
            ),
            bar("4/4", &[(0, "Am"), (24, "Am/G")], vec![note(0, 48, 76, 95)]),
            bar("4/4", &[(0, "E7"), (36, "N.C.")], vec![note(0, 36, 69, 90)]),
        ],
    );
    Idea::new(sheet("Idea 12", "Am", 96.0, vec![verse, chorus])).unwrap()
}

/// (pitch, start, end, velocity) in file ticks, as the Am idea must be written.
const AM_MELODY: [(u8, u64, u64, u8); 13] = [
    (76, 0, 480, 90),
    (72, 480, 960, 90),
    (69, 960, 1920, 80),
    (72, 1920, 2880, 85),
    (74, 2880, 3840, 85),
    (76, 3840, 5280, 95),
    (79, 5280, 6240, 88),
    (71, 6240, 7680, 70),
    (81, 7680, 9600, 100),
    (79, 9600, 10560, 100),
    (77, 10560, 11520, 90),
    (76, 11520, 13440, 95),
    (69, 13440, 14880, 90),
];

/// (symbol, start, end) of every chord change of the Am idea, in file ticks.
const AM_CHORDS: [(&str, u64, u64); 12] = [
    ("Am", 0, 1920),
    ("F", 1920, 2880),
    ("G", 2880, 3840),
    ("C", 3840, 5760),
    ("G", 5760, 6720),
    ("E7", 6720, 7680),
    ("F", 7680, 9600),
    ("G", 9600, 11520),
    ("Am", 11520, 12480),
    ("Am/G", 12480, 13440),
    ("E7", 13440, 14880),
    ("N.C.", 14880, 15360),
];

/// A jig in F major at 120 BPM in 6/8, starting with an eighth-note pickup, with a 9/8 bar in
/// the chorus, slash chords spelled with flats, and no chord under the pickup.
fn jig() -> LeadSheet {
    let mut pickup = Bar::pickup(Meter::new(6, 8).unwrap(), 6);
    pickup.chords.push(ChordChange {
        position: 0,
        chord: None,
    });
    pickup.melody.push(note(0, 6, 72, 80));
    let verse = Section::new(
        SectionKind::Verse,
        vec![
            pickup,
            bar(
                "6/8",
                &[(0, "F"), (18, "Bb/D")],
                vec![note(0, 18, 77, 90), note(18, 18, 74, 90)],
            ),
            bar("6/8", &[(0, "C7/E")], vec![note(0, 36, 76, 85)]),
        ],
    );
    let mut chorus = Section::new(
        SectionKind::Chorus,
        vec![
            bar(
                "9/8",
                &[(0, "Dm"), (36, "Bb")],
                vec![note(0, 36, 74, 95), note(36, 18, 70, 80)],
            ),
            bar("6/8", &[(0, "C7"), (18, "F")], vec![note(0, 36, 77, 100)]),
        ],
    );
    chorus.label = "Chorus 1".into();
    sheet("Jig in F", "F", 120.0, vec![verse, chorus])
}

/// The jig's file ticks: the pickup is padded by (36 − 6) grid ticks = 1200 file ticks.
const JIG_MELODY: [(u8, u64, u64, u8); 7] = [
    (72, 1200, 1440, 80),
    (77, 1440, 2160, 90),
    (74, 2160, 2880, 90),
    (76, 2880, 4320, 85),
    (74, 4320, 5760, 95),
    (70, 5760, 6480, 80),
    (77, 6480, 7920, 100),
];
const JIG_CHORD_TEXTS: [(&str, u64); 8] = [
    ("N.C.", 1200),
    ("F", 1440),
    ("Bb/D", 2160),
    ("C7/E", 2880),
    ("Dm", 4320),
    ("Bb", 5760),
    ("C7", 6480),
    ("F", 7200),
];
const JIG_METERS: [(u8, u8, u64); 3] = [(6, 8, 0), (9, 8, 4320), (6, 8, 6480)];

/// A 4/4 sheet with a 2/4 bar inside it and a bar of one 8th-note triplet (no time signature
/// holds that): the first gets its own meter, the second is padded with a rest at its end.
fn short_bars() -> LeadSheet {
    let mut two_four = bar("4/4", &[(0, "G")], vec![note(0, 24, 67, 90)]);
    two_four.length = 24;
    let mut triplet = bar("4/4", &[(0, "Dm")], vec![note(0, 4, 69, 90)]);
    triplet.length = 4;
    let section = Section::new(
        SectionKind::Verse,
        vec![
            bar("4/4", &[(0, "C")], vec![note(0, 48, 72, 90)]),
            two_four,
            triplet,
            bar("4/4", &[(0, "F")], vec![note(0, 48, 65, 90)]),
        ],
    );
    sheet("Short bars", "C", 100.0, vec![section])
}

// ---------------------------------------------------------------------------------------------
// A real song: POP909 song 001 from its bar-aligned melody, chords and phrase labels

/// Builds a lead sheet from POP909's `melody.txt` (pitch and length in 16ths), `finalized_chord.txt`
/// (Harte label, length in beats), `human_label1.txt` (phrases), `tempo.txt` and `analyzed_key.txt`.
fn pop909_song(number: &str) -> LeadSheet {
    let folder = PathBuf::from(DATASETS).join("pop909").join(number);
    let read = |name: &str| {
        std::fs::read_to_string(folder.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", folder.join(name).display()))
    };
    let bar_ticks = Meter::FOUR_FOUR.bar_ticks();
    let phrases = parse_phrases(read("human_label1.txt").trim());
    let bar_count: u32 = phrases.iter().map(|(_, bars)| bars).sum();
    let mut bars: Vec<Bar> = (0..bar_count).map(|_| Bar::new(Meter::FOUR_FOUR)).collect();

    let mut tick = 0u32;
    for line in read("melody.txt").lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<u32> = line
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        let (pitch, length) = (fields[0], fields[1] * 3);
        let index = (tick / bar_ticks) as usize;
        if pitch > 0 && index < bars.len() {
            bars[index]
                .melody
                .push(note(tick % bar_ticks, length, pitch as u8, 100));
        }
        tick += length;
    }
    let mut tick = 0u32;
    for line in read("finalized_chord.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let label = line.split_whitespace().next().unwrap();
        let beats: u32 = line.split_whitespace().last().unwrap().parse().unwrap();
        let index = (tick / bar_ticks) as usize;
        if index < bars.len() {
            bars[index].chords.push(ChordChange {
                position: tick % bar_ticks,
                chord: harte_or_triad(label),
            });
        }
        tick += beats * 12;
    }
    let mut sections = Vec::new();
    let mut rest = bars.into_iter();
    let mut sounding = None;
    for (letter, count) in phrases {
        let mut section_bars: Vec<Bar> = rest.by_ref().take(count as usize).collect();
        // Each section restates the chord sounding at its start (sections end their chords).
        if section_bars[0]
            .chords
            .first()
            .is_none_or(|c| c.position > 0)
        {
            section_bars[0].chords.insert(
                0,
                ChordChange {
                    position: 0,
                    chord: sounding,
                },
            );
        }
        sounding = section_bars
            .iter()
            .flat_map(|b| b.chords.last())
            .last()
            .and_then(|c| c.chord);
        let kind = match letter {
            'i' => SectionKind::Intro,
            'A' => SectionKind::Verse,
            'B' => SectionKind::Chorus,
            'o' => SectionKind::Outro,
            _ => SectionKind::Other,
        };
        sections.push(Section::new(kind, section_bars));
    }
    let key: Key = read("analyzed_key.txt").trim().parse().unwrap();
    let bpm: f64 = read("tempo.txt").trim().parse().unwrap();
    let song = sheet(&format!("POP909 {number}"), "C", bpm, sections);
    LeadSheet { key, ..song }
}

/// `i4A4B8` → [('i', 4), ('A', 4), ('B', 8)].
fn parse_phrases(text: &str) -> Vec<(char, u32)> {
    let mut phrases = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(letter) = chars.next() {
        let mut digits = String::new();
        while let Some(d) = chars.next_if(|c| c.is_ascii_digit()) {
            digits.push(d);
        }
        phrases.push((letter, digits.parse().unwrap()));
    }
    phrases
}

/// A Harte label, or its plain triad when the quality is one the lead sheet does not know (`maj9`).
fn harte_or_triad(label: &str) -> Option<ChordSymbol> {
    ChordSymbol::parse_harte(label).unwrap_or_else(|_| {
        let (root, quality) = label.split_once(':').unwrap();
        let triad = if quality.starts_with("min") {
            "min"
        } else {
            "maj"
        };
        ChordSymbol::parse_harte(&format!("{root}:{triad}")).unwrap()
    })
}

// ---------------------------------------------------------------------------------------------
// Reading the bytes back with midly

/// What a track holds, with absolute ticks.
#[derive(Debug, Default)]
struct TrackView {
    name: Option<String>,
    /// (pitch, start, end, velocity, channel)
    notes: Vec<(u8, u64, u64, u8, u8)>,
    texts: Vec<(String, u64)>,
    markers: Vec<(String, u64)>,
    meters: Vec<(u8, u8, u64)>,
    tempos: Vec<(u32, u64)>,
    keys: Vec<(i8, bool, u64)>,
    programs: Vec<(u8, u8, u64)>,
    note_offs: usize,
    zero_velocity_note_ons: usize,
    /// Where End of Track is, and whether it is the last event.
    end_of_track: Option<u64>,
    end_is_last: bool,
}

fn view_track(events: &[midly::TrackEvent]) -> TrackView {
    let mut view = TrackView::default();
    let mut sounding: Vec<(u8, u8, u64, u8)> = Vec::new();
    let mut tick = 0u64;
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
    for (index, event) in events.iter().enumerate() {
        tick += event.delta.as_int() as u64;
        match event.kind {
            TrackEventKind::Midi { channel, message } => {
                let channel = channel.as_int();
                match message {
                    MidiMessage::NoteOn { key, vel } if vel > 0 => {
                        sounding.push((channel, key.as_int(), tick, vel.as_int()));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        if matches!(message, MidiMessage::NoteOff { .. }) {
                            view.note_offs += 1;
                        } else {
                            view.zero_velocity_note_ons += 1;
                        }
                        let at = sounding
                            .iter()
                            .position(|s| s.0 == channel && s.1 == key.as_int())
                            .expect("a note off without a note on");
                        let (channel, pitch, start, velocity) = sounding.remove(at);
                        view.notes.push((pitch, start, tick, velocity, channel));
                    }
                    MidiMessage::ProgramChange { program } => {
                        view.programs.push((channel, program.as_int(), tick));
                    }
                    _ => {}
                }
            }
            TrackEventKind::Meta(meta) => match meta {
                MetaMessage::TrackName(name) => view.name = Some(text(name)),
                MetaMessage::Text(t) => view.texts.push((text(t), tick)),
                MetaMessage::Marker(t) => view.markers.push((text(t), tick)),
                MetaMessage::TimeSignature(n, d, _, _) => view.meters.push((n, 1 << d, tick)),
                MetaMessage::Tempo(t) => view.tempos.push((t.as_int(), tick)),
                MetaMessage::KeySignature(s, m) => view.keys.push((s, m, tick)),
                MetaMessage::EndOfTrack => {
                    view.end_of_track = Some(tick);
                    view.end_is_last = index == events.len() - 1;
                }
                _ => {}
            },
            _ => {}
        }
    }
    assert!(
        sounding.is_empty(),
        "notes never switched off: {sounding:?}"
    );
    view.notes.sort_by_key(|n| (n.1, n.0));
    view
}

/// The three tracks of an exported file, after checking the header.
fn view_file(bytes: &[u8]) -> [TrackView; 3] {
    let smf = Smf::parse(bytes).expect("midly parses the export");
    assert_eq!(smf.header.format, midly::Format::Parallel, "format 1");
    assert_eq!(
        smf.header.timing,
        Timing::Metrical(midly::num::u15::new(480))
    );
    assert_eq!(smf.tracks.len(), 3);
    let views: Vec<TrackView> = smf.tracks.iter().map(|t| view_track(t)).collect();
    let end = views[0].end_of_track;
    for view in &views {
        assert!(view.end_is_last, "End of Track closes every track");
        assert_eq!(view.end_of_track, end, "all tracks end together");
    }
    views.try_into().unwrap()
}

fn melody_of(view: &TrackView) -> Vec<(u8, u64, u64, u8)> {
    view.notes
        .iter()
        .map(|&(p, s, e, v, _)| (p, s, e, v))
        .collect()
}

/// The chord track's notes grouped by onset: (start, end, pitches low to high).
fn chords_of(view: &TrackView) -> Vec<(u64, u64, Vec<u8>)> {
    let mut groups: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    for &(pitch, start, end, _, _) in &view.notes {
        match groups.last_mut() {
            Some(group) if group.0 == start => {
                assert_eq!(group.1, end, "a block chord's notes end together");
                group.2.push(pitch);
            }
            _ => groups.push((start, end, vec![pitch])),
        }
    }
    for group in &mut groups {
        group.2.sort_unstable();
    }
    groups
}

// ---------------------------------------------------------------------------------------------
// Tests with midly

#[test]
fn an_idea_is_written_with_conductor_chords_and_melody_tracks() {
    let idea = am_idea();
    let bytes = lead_sheet_to_smf_bytes(idea.sheet(), &ExportOptions::default()).unwrap();
    let [conductor, chords, melody] = view_file(&bytes);

    assert_eq!(conductor.name.as_deref(), Some("Idea 12"));
    assert_eq!(conductor.tempos, [(625_000, 0)]);
    assert_eq!(conductor.meters, [(4, 4, 0)]);
    assert_eq!(conductor.keys, [(0, true, 0)], "A minor: no sharps, minor");
    assert_eq!(
        conductor.markers,
        [("Verse".to_string(), 0), ("Chorus".to_string(), 7680)]
    );
    assert_eq!(conductor.end_of_track, Some(15360));

    assert_eq!(chords.name.as_deref(), Some("Chords"));
    assert_eq!(chords.programs, [(1, 0, 0)], "piano on channel 2");
    let expected_texts: Vec<(String, u64)> = AM_CHORDS
        .iter()
        .map(|&(name, start, _)| (name.to_string(), start))
        .collect();
    assert_eq!(chords.texts, expected_texts);
    let sounding: Vec<(u64, u64)> = chords_of(&chords).iter().map(|g| (g.0, g.1)).collect();
    let expected: Vec<(u64, u64)> = AM_CHORDS
        .iter()
        .filter(|c| c.0 != "N.C.")
        .map(|&(_, start, end)| (start, end))
        .collect();
    assert_eq!(
        sounding, expected,
        "each chord sounds until the next change"
    );
    assert!(chords.notes.iter().all(|n| n.3 == 70 && n.4 == 1));

    assert_eq!(melody.name.as_deref(), Some("Melody"));
    assert_eq!(melody.programs, [(0, 0, 0)], "piano on channel 1");
    assert_eq!(melody_of(&melody), AM_MELODY);
    assert!(melody.notes.iter().all(|n| n.4 == 0));
    assert_eq!(
        melody.zero_velocity_note_ons + chords.zero_velocity_note_ons,
        0
    );
    assert_eq!(melody.note_offs, AM_MELODY.len(), "real Note Off events");
}

#[test]
fn chords_are_voiced_low_with_the_bass_lowest_and_moving_smoothly() {
    let idea = am_idea();
    let bytes = lead_sheet_to_smf_bytes(idea.sheet(), &ExportOptions::default()).unwrap();
    let [_, chords, melody] = view_file(&bytes);
    let groups = chords_of(&chords);
    let symbols: Vec<ChordSymbol> = AM_CHORDS
        .iter()
        .filter(|c| c.0 != "N.C.")
        .map(|c| c.0.parse().unwrap())
        .collect();
    let mut previous: Option<Vec<u8>> = None;
    for (group, symbol) in groups.iter().zip(&symbols) {
        let pitches = &group.2;
        assert!(
            pitches
                .iter()
                .all(|&p| (CHORD_LOWEST..=CHORD_HIGHEST).contains(&p)),
            "{symbol}: {pitches:?} leaves the chord register"
        );
        assert_eq!(
            pitches[0] % 12,
            symbol.bass_note().index(),
            "{symbol}: bass lowest"
        );
        for class in symbol.pitch_classes() {
            assert!(pitches.iter().any(|p| p % 12 == class.index()), "{symbol}");
        }
        assert_eq!(*pitches, voice_chord(*symbol, previous.as_deref()));
        previous = Some(pitches.clone());
    }
    let top_of_chords = groups.iter().flat_map(|g| g.2.iter()).max().unwrap();
    let bottom_of_melody = melody.notes.iter().map(|n| n.0).min().unwrap();
    assert!(
        top_of_chords < &bottom_of_melody,
        "the melody stays above the chords"
    );
}

#[test]
fn a_pickup_is_padded_to_a_full_bar_and_meter_changes_are_written() {
    let bytes = lead_sheet_to_smf_bytes(&jig(), &ExportOptions::default()).unwrap();
    let [conductor, chords, melody] = view_file(&bytes);
    let meters: Vec<(u8, u8, u64)> = conductor.meters.clone();
    assert_eq!(meters, JIG_METERS);
    assert_eq!(conductor.keys, [(-1, false, 0)], "F major: one flat");
    assert_eq!(conductor.tempos, [(500_000, 0)]);
    assert_eq!(
        conductor.markers,
        [("Verse".to_string(), 1200), ("Chorus 1".to_string(), 4320)],
        "markers at the pickup and at the chorus"
    );
    let texts: Vec<(&str, u64)> = chords.texts.iter().map(|(t, k)| (t.as_str(), *k)).collect();
    assert_eq!(texts, JIG_CHORD_TEXTS, "flats in F: Bb/D, not A#/D");
    assert_eq!(melody_of(&melody), JIG_MELODY);
    let groups = chords_of(&chords);
    assert_eq!(groups[0].0, 1440, "nothing sounds under the N.C. pickup");
    let slash = &groups[1];
    assert_eq!((slash.0, slash.1), (2160, 2880));
    assert_eq!(slash.2[0], 50, "Bb/D has D3 in the bass: {:?}", slash.2);
    assert_eq!(
        groups.last().unwrap().1,
        7920,
        "the last chord lasts to the end"
    );
    assert_eq!(conductor.end_of_track, Some(7920));
}

#[test]
fn short_bars_inside_a_song_get_a_meter_or_a_rest() {
    let bytes = lead_sheet_to_smf_bytes(&short_bars(), &ExportOptions::default()).unwrap();
    let [conductor, chords, melody] = view_file(&bytes);
    assert_eq!(conductor.meters, [(4, 4, 0), (2, 4, 1920), (4, 4, 2880)]);
    assert_eq!(
        melody_of(&melody),
        [
            (72, 0, 1920, 90),
            (67, 1920, 2880, 90),
            (69, 2880, 3040, 90),
            (65, 4800, 6720, 90)
        ]
    );
    let spans: Vec<(u64, u64)> = chords_of(&chords).iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(spans, [(0, 1920), (1920, 2880), (2880, 3040), (4800, 6720)]);
}

#[test]
fn options_choose_channels_program_and_chord_loudness() {
    let options = ExportOptions {
        melody_channel: 3,
        chord_channel: 5,
        program: 4,
        chord_velocity: 55,
    };
    let bytes = lead_sheet_to_smf_bytes(am_idea().sheet(), &options).unwrap();
    let [_, chords, melody] = view_file(&bytes);
    assert_eq!(chords.programs, [(5, 4, 0)]);
    assert_eq!(melody.programs, [(3, 4, 0)]);
    assert!(chords.notes.iter().all(|n| n.4 == 5 && n.3 == 55));
    assert!(melody.notes.iter().all(|n| n.4 == 3));

    for bad in [
        ExportOptions {
            chord_channel: 0,
            ..ExportOptions::default()
        },
        ExportOptions {
            melody_channel: 16,
            ..ExportOptions::default()
        },
        ExportOptions {
            chord_channel: 9,
            ..ExportOptions::default()
        },
        ExportOptions {
            chord_velocity: 0,
            ..ExportOptions::default()
        },
        ExportOptions {
            program: 128,
            ..ExportOptions::default()
        },
    ] {
        let error = lead_sheet_to_smf_bytes(am_idea().sheet(), &bad).unwrap_err();
        assert!(error.to_string().contains("export options"), "{error}");
    }
}

#[test]
fn invalid_or_empty_sheets_are_refused_with_a_reason() {
    let empty = sheet("Nothing", "C", 120.0, vec![]);
    let error = lead_sheet_to_smf_bytes(&empty, &ExportOptions::default()).unwrap_err();
    assert!(matches!(error, MidiError::Empty(_)), "{error}");
    let mut overlapping = am_idea().into_sheet();
    overlapping.sections[0].bars[0].melody[1].onset = 6;
    let error = lead_sheet_to_smf_bytes(&overlapping, &ExportOptions::default()).unwrap_err();
    assert!(error.to_string().contains("one line"), "{error}");
}

#[test]
fn export_then_import_gives_back_the_notes_meters_and_markers() {
    for song in [am_idea().into_sheet(), jig(), pop909_song("001")] {
        let bytes = lead_sheet_to_smf_bytes(&song, &ExportOptions::default()).unwrap();
        let raw = read_midi(&bytes).unwrap();
        assert_eq!(raw.ticks_per_quarter, 480);
        let names: Vec<&str> = raw.tracks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, [song.title.as_str(), "Chords", "Melody"]);
        let pad = first_bar_padding(&song);
        let expected: Vec<(u8, u64, u64, u8)> = song
            .melody()
            .iter()
            .map(|placed| {
                let start = pad + placed.absolute(placed.item.onset) as u64 * 40;
                let end = start + placed.item.duration as u64 * 40;
                (placed.item.pitch.0, start, end, placed.item.velocity)
            })
            .collect();
        let read: Vec<(u8, u64, u64, u8)> = raw.tracks[2]
            .notes
            .iter()
            .map(|n| (n.pitch, n.start, n.end, n.velocity))
            .collect();
        assert_eq!(read, expected, "{}", song.title);
        let labels: Vec<&str> = song.sections.iter().map(|s| s.label.as_str()).collect();
        let texts: Vec<&str> = raw.markers.iter().map(|m| m.value.as_str()).collect();
        let found = labels.iter().filter(|l| texts.contains(l)).count();
        assert_eq!(found, labels.len(), "{}: section markers", song.title);
        assert_eq!(
            raw.key_signatures[0].value,
            (
                song.key.signature(),
                song.key.mode == songsketch::music::Mode::Minor
            )
        );
        assert_eq!(raw.meters[0].value, song.meter());
        let changes = song
            .chord_changes()
            .iter()
            .filter(|c| c.item.chord.is_some())
            .count();
        let onsets: std::collections::BTreeSet<u64> =
            raw.tracks[1].notes.iter().map(|n| n.start).collect();
        assert_eq!(
            onsets.len(),
            changes,
            "{}: one chord per change",
            song.title
        );
    }
}

fn first_bar_padding(song: &LeadSheet) -> u64 {
    song.bars()
        .next()
        .filter(|b| b.is_pickup())
        .map_or(0, |b| (b.meter.bar_ticks() - b.length) as u64 * 40)
}

#[test]
fn a_real_song_is_written_completely() {
    let song = pop909_song("001");
    song.validate().unwrap();
    let bytes = lead_sheet_to_smf_bytes(&song, &ExportOptions::default()).unwrap();
    let [conductor, chords, melody] = view_file(&bytes);
    assert_eq!(melody.notes.len(), song.melody().len());
    assert_eq!(
        melody.notes.len(),
        264,
        "POP909 001 sings 264 notes (the pitched lines of melody.txt)"
    );
    let spelling = song.key.spelling();
    let expected_texts: Vec<String> = song
        .chord_changes()
        .iter()
        .map(|c| c.item.chord.map_or("N.C.".into(), |c| c.name(spelling)))
        .collect();
    let texts: Vec<String> = chords.texts.iter().map(|t| t.0.clone()).collect();
    assert_eq!(texts, expected_texts);
    assert!(
        texts.iter().any(|t| t == "Gb" || t == "Ebm"),
        "Gb major is spelled with flats"
    );
    assert_eq!(conductor.markers.len(), song.sections.len());
    assert_eq!(conductor.end_of_track, Some(song.total_ticks() as u64 * 40));
    assert!(
        chords
            .notes
            .iter()
            .all(|n| (CHORD_LOWEST..=CHORD_HIGHEST).contains(&n.0))
    );
}

// ---------------------------------------------------------------------------------------------
// Another program's parser: Python mido and pretty_midi

/// Runs tests/python/read_midi.py on the files and returns its JSON, one object per file.
fn read_with_python(paths: &[PathBuf]) -> Vec<Value> {
    let python = std::env::var("SONGSKETCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&python)
        .arg(READER_SCRIPT)
        .args(paths)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run `{python}` ({e}). Run `make test`: it installs mido and \
                 pretty_midi in .deps/venv and sets SONGSKETCH_PYTHON"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        panic!("{stderr}\nThe MIDI cross-check needs mido and pretty_midi: run `make test`.");
    }
    assert!(
        output.status.success(),
        "{python} {READER_SCRIPT} failed: {stderr}"
    );
    let value: Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    value
        .as_array()
        .expect("a list, one entry per file")
        .clone()
}

fn seconds(ticks: u64, micros_per_quarter: u32) -> f64 {
    ticks as f64 / 480.0 * micros_per_quarter as f64 / 1e6
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Melody notes as pretty_midi reports them: (pitch, start s, end s, velocity).
fn instrument_notes(file: &Value, name: &str) -> Vec<(u8, f64, f64, u8)> {
    let instrument = file["pretty_midi"]["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("pretty_midi finds no instrument named {name}"));
    assert_eq!(instrument["program"], 0, "{name} is a piano");
    assert_eq!(instrument["is_drum"], false);
    instrument["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["pitch"].as_u64().unwrap() as u8,
                n["start"].as_f64().unwrap(),
                n["end"].as_f64().unwrap(),
                n["velocity"].as_u64().unwrap() as u8,
            )
        })
        .collect()
}

fn assert_notes_in_seconds(
    read: &[(u8, f64, f64, u8)],
    expected: &[(u8, u64, u64, u8)],
    micros: u32,
) {
    assert_eq!(read.len(), expected.len());
    for (r, e) in read.iter().zip(expected) {
        assert_eq!(r.0, e.0);
        assert_eq!(r.3, e.3);
        assert!(
            close(r.1, seconds(e.1, micros)) && close(r.2, seconds(e.2, micros)),
            "{r:?} should span {}..{} s",
            seconds(e.1, micros),
            seconds(e.2, micros)
        );
    }
}

#[test]
fn python_mido_and_pretty_midi_read_the_exports_as_written() {
    let folder = tempfile::tempdir().unwrap();
    let am_path = folder.path().join(idea_file_name(&am_idea(), 12));
    let jig_path = folder.path().join("jig.mid");
    let song_path = folder.path().join("pop909-001.mid");
    let options = ExportOptions::default();
    write_lead_sheet(am_idea().sheet(), &am_path, &options).unwrap();
    write_lead_sheet(&jig(), &jig_path, &options).unwrap();
    let song = pop909_song("001");
    write_lead_sheet(&song, &song_path, &options).unwrap();
    let files = read_with_python(&[am_path, jig_path, song_path]);
    let [am, jig_file, song_file] = &files[..] else {
        panic!("three files in, three out");
    };

    // The Am idea at 96 BPM: 625 000 µs per quarter.
    let mido = &am["mido"];
    assert_eq!(mido["format"], 1);
    assert_eq!(mido["ticks_per_beat"], 480);
    let names: Vec<&str> = mido["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Idea 12", "Chords", "Melody"]);
    assert_eq!(mido["tracks"][0]["tempos"][0]["microseconds"], 625_000);
    assert!(close(
        am["pretty_midi"]["tempo_changes"][0]["bpm"]
            .as_f64()
            .unwrap(),
        96.0
    ));
    assert_eq!(mido["tracks"][0]["key_signatures"][0]["key"], "Am");
    assert_eq!(
        am["pretty_midi"]["key_signatures"][0]["key_number"], 21,
        "A minor"
    );
    let markers: Vec<(&str, u64)> = mido["tracks"][0]["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["text"].as_str().unwrap(), m["tick"].as_u64().unwrap()))
        .collect();
    assert_eq!(markers, [("Verse", 0), ("Chorus", 7680)]);
    for track in mido["tracks"].as_array().unwrap() {
        assert_eq!(track["end_of_track"], 15360);
        assert_eq!(track["events_after_end_of_track"], 0);
        assert_eq!(track["unfinished_notes"], 0);
    }
    assert_notes_in_seconds(&instrument_notes(am, "Melody"), &AM_MELODY, 625_000);
    let texts: Vec<(String, f64)> = am["pretty_midi"]["text_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["text"].as_str().unwrap().to_string(),
                t["time"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(texts.len(), AM_CHORDS.len());
    for ((text, time), (name, start, _)) in texts.iter().zip(AM_CHORDS) {
        assert_eq!(text, name);
        assert!(close(*time, seconds(start, 625_000)));
    }
    let chord_notes = instrument_notes(am, "Chords");
    assert!(
        chord_notes
            .iter()
            .all(|n| (CHORD_LOWEST..=CHORD_HIGHEST).contains(&n.0))
    );
    assert!(close(
        am["pretty_midi"]["end_time"].as_f64().unwrap(),
        seconds(14880, 625_000)
    ));

    // The jig at 120 BPM with its pickup, 6/8 → 9/8 → 6/8.
    let meters: Vec<(u64, u64, f64)> = jig_file["pretty_midi"]["time_signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["numerator"].as_u64().unwrap(),
                m["denominator"].as_u64().unwrap(),
                m["time"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(meters.len(), JIG_METERS.len());
    for (read, (n, d, tick)) in meters.iter().zip(JIG_METERS) {
        assert_eq!((read.0, read.1), (n as u64, d as u64));
        assert!(close(read.2, seconds(tick, 500_000)));
    }
    assert_eq!(
        jig_file["mido"]["tracks"][0]["key_signatures"][0]["key"],
        "F"
    );
    assert_eq!(jig_file["mido"]["tracks"][0]["markers"][0]["tick"], 1200);
    assert_notes_in_seconds(&instrument_notes(jig_file, "Melody"), &JIG_MELODY, 500_000);

    // The real song: every melody note where the lead sheet puts it.
    let micros = song.tempo.micros_per_quarter();
    let expected: Vec<(u8, u64, u64, u8)> = song
        .melody()
        .iter()
        .map(|p| {
            let start = p.absolute(p.item.onset) as u64 * 40;
            (
                p.item.pitch.0,
                start,
                start + p.item.duration as u64 * 40,
                p.item.velocity,
            )
        })
        .collect();
    assert_notes_in_seconds(&instrument_notes(song_file, "Melody"), &expected, micros);
    assert_eq!(
        song_file["mido"]["tracks"][0]["markers"]
            .as_array()
            .unwrap()
            .len(),
        song.sections.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Saving

fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn saving_replaces_the_old_file_whole_and_leaves_no_temporary_file() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("idea.mid");
    std::fs::write(&path, b"old content").unwrap();
    write_lead_sheet(am_idea().sheet(), &path, &ExportOptions::default()).unwrap();
    let written = std::fs::read(&path).unwrap();
    assert_eq!(
        written,
        lead_sheet_to_smf_bytes(am_idea().sheet(), &ExportOptions::default()).unwrap()
    );
    assert_eq!(files_in(folder.path()), ["idea.mid"]);
}

#[test]
fn a_failed_save_keeps_the_old_file_and_names_the_path() {
    let folder = tempfile::tempdir().unwrap();
    let sheet = am_idea().into_sheet();
    let options = ExportOptions::default();

    // A missing folder: nothing can be written, and the error says where.
    let missing = folder.path().join("no such folder").join("idea.mid");
    let error = write_lead_sheet(&sheet, &missing, &options).unwrap_err();
    assert!(error.to_string().contains("no such folder"), "{error}");

    // The target is a folder: the temporary file is written, the rename fails, the folder and
    // its content stay, and the temporary file is removed.
    let target = folder.path().join("taken.mid");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside.txt"), b"keep me").unwrap();
    let error = write_lead_sheet(&sheet, &target, &options).unwrap_err();
    assert!(error.to_string().contains("taken.mid"), "{error}");
    assert_eq!(
        std::fs::read(target.join("inside.txt")).unwrap(),
        b"keep me"
    );
    assert_eq!(files_in(folder.path()), ["taken.mid"]);

    // A sheet that cannot be written leaves the existing file untouched.
    let path = folder.path().join("old.mid");
    std::fs::write(&path, b"old content").unwrap();
    let mut broken = sheet.clone();
    broken.sections[0].bars[0].melody[0].velocity = 0;
    let error = write_lead_sheet(&broken, &path, &options).unwrap_err();
    assert!(error.to_string().contains("old.mid"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old content");
    assert_eq!(files_in(folder.path()), ["old.mid", "taken.mid"]);
}

#[test]
fn idea_file_names_say_key_tempo_and_number_in_safe_characters() {
    assert_eq!(idea_file_name(&am_idea(), 12), "Am-96bpm-12.mid");
    let mut sheet = am_idea().into_sheet();
    sheet.key = "F#m".parse().unwrap();
    sheet.tempo = Tempo::new(119.6).unwrap();
    let idea = Idea::new(sheet.clone()).unwrap();
    assert_eq!(idea_file_name(&idea, 3), "Fsharpm-120bpm-3.mid");
    sheet.key = "Bb".parse().unwrap();
    let idea = Idea::new(sheet).unwrap();
    let name = idea_file_name(&idea, 1);
    assert_eq!(name, "Bb-120bpm-1.mid");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    );
}
