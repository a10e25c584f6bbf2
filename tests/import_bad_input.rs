//! Bad input never panics: truncated and corrupted real songs, headers that are not MIDI, empty
//! and note-less files, absurd tempos, enormous files; folder import skips the bad ones with a
//! reason and goes on. Every error of `import_file` names the file.

use std::path::{Path, PathBuf};

use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use songsketch::midi::MidiError;
use songsketch::midi::import::{MAX_FILE_BYTES, import_bytes, import_file, import_folder};

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

fn song(relative: &str) -> (PathBuf, Vec<u8>) {
    let path = Path::new(DATASETS).join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, bytes)
}

/// Imports and checks the outcome is sensible: a valid sheet, or an error with a message.
fn import_without_panic(bytes: &[u8]) -> Result<(), String> {
    match import_bytes(bytes, "junk") {
        Ok(imported) => {
            imported.sheet.validate().map_err(|e| e.to_string())?;
            assert!(imported.sheet.bar_count() > 0);
            Ok(())
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.trim().is_empty());
            Err(message)
        }
    }
}

#[test]
fn truncated_songs_import_what_is_left_or_fail_cleanly() {
    for relative in [
        "nottingham/jigs1.mid",
        "pop909/001/001.mid",
        "nottingham/ashover1.mid",
    ] {
        let (_, bytes) = song(relative);
        let mut lengths: Vec<usize> = (0..=40).collect();
        lengths.extend((1..200).map(|i| bytes.len() * i / 200));
        let (mut ok, mut failed) = (0, 0);
        for length in lengths {
            match import_without_panic(&bytes[..length]) {
                Ok(()) => ok += 1,
                Err(_) => failed += 1,
            }
        }
        println!("{relative}: truncated copies imported {ok}, refused {failed}");
        assert!(failed >= 41, "the first 40 bytes hold no note");
    }
}

/// The offsets of the `MTrk` chunk headers of a file.
fn track_chunks(bytes: &[u8]) -> Vec<usize> {
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"MTrk")
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn corrupt_chunk_lengths_never_panic() {
    let (_, bytes) = song("nottingham/reelsa-c1.mid");
    let chunks = track_chunks(&bytes);
    assert_eq!(chunks.len(), 2);
    let lengths = [0u32, 1, 5, 100, 0x7FFF_FFFF, 0xFFFF_FFFF];
    let mut outcomes = Vec::new();
    for &offset in chunks.iter().chain([4usize].iter()) {
        // offset 4 is the header chunk's own length
        let at = if offset == 4 { 4 } else { offset + 4 };
        for length in lengths {
            let mut corrupt = bytes.clone();
            corrupt[at..at + 4].copy_from_slice(&length.to_be_bytes());
            outcomes.push(import_without_panic(&corrupt).is_ok());
        }
    }
    // The track count in the header says more tracks than there are, or none (midly reads
    // the chunks that are there either way).
    for tracks in [0u16, 3, 0xFFFF] {
        let mut corrupt = bytes.clone();
        corrupt[10..12].copy_from_slice(&tracks.to_be_bytes());
        outcomes.push(import_without_panic(&corrupt).is_ok());
    }
    println!(
        "corrupt chunk lengths: {} imported, {} refused",
        outcomes.iter().filter(|o| **o).count(),
        outcomes.iter().filter(|o| !**o).count()
    );
}

#[test]
fn headers_that_are_not_midi_are_refused() {
    for junk in [
        &b""[..],
        b"MThd",
        b"hello, world",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x02",
    ] {
        let error = import_bytes(junk, "junk").expect_err("junk is not a song");
        assert!(!error.to_string().is_empty());
    }
}

/// A format-1 file with the given tracks (480 ticks per quarter).
fn file_of(tracks: Vec<Vec<TrackEvent<'static>>>, format: Format, timing: Timing) -> Vec<u8> {
    let mut smf = Smf::new(Header::new(format, timing));
    smf.tracks = tracks;
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).unwrap();
    bytes
}

fn at(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
    TrackEvent {
        delta: delta.into(),
        kind,
    }
}

fn note_on(delta: u32, pitch: u8) -> TrackEvent<'static> {
    at(
        delta,
        TrackEventKind::Midi {
            channel: 0.into(),
            message: MidiMessage::NoteOn {
                key: pitch.into(),
                vel: 90.into(),
            },
        },
    )
}

fn note_off(delta: u32, pitch: u8) -> TrackEvent<'static> {
    at(
        delta,
        TrackEventKind::Midi {
            channel: 0.into(),
            message: MidiMessage::NoteOff {
                key: pitch.into(),
                vel: 0.into(),
            },
        },
    )
}

fn end() -> TrackEvent<'static> {
    at(0, TrackEventKind::Meta(MetaMessage::EndOfTrack))
}

fn tempo(delta: u32, micros: u32) -> TrackEvent<'static> {
    at(
        delta,
        TrackEventKind::Meta(MetaMessage::Tempo(micros.into())),
    )
}

fn metrical() -> Timing {
    Timing::Metrical(480.into())
}

fn one_note_song(first_tempo: Option<u32>) -> Vec<u8> {
    let mut track = Vec::new();
    if let Some(micros) = first_tempo {
        track.push(tempo(0, micros));
    }
    track.extend([note_on(0, 60), note_off(480, 60), end()]);
    file_of(vec![track], Format::SingleTrack, metrical())
}

#[test]
fn empty_files_and_files_without_notes_are_refused() {
    let no_tracks = file_of(Vec::new(), Format::Parallel, metrical());
    assert!(matches!(
        import_bytes(&no_tracks, "x"),
        Err(MidiError::Empty(_))
    ));
    let only_meta = file_of(
        vec![vec![tempo(0, 500_000), end()], vec![end()]],
        Format::Parallel,
        metrical(),
    );
    let error = import_bytes(&only_meta, "x").unwrap_err();
    assert!(matches!(error, MidiError::Empty(_)));
    assert!(error.to_string().contains("nothing to import"), "{error}");
    // Drums alone are no melody and no harmony either.
    let drums = file_of(
        vec![vec![
            at(
                0,
                TrackEventKind::Midi {
                    channel: 9.into(),
                    message: MidiMessage::NoteOn {
                        key: 36.into(),
                        vel: 100.into(),
                    },
                },
            ),
            end(),
        ]],
        Format::SingleTrack,
        metrical(),
    );
    assert!(matches!(
        import_bytes(&drums, "x"),
        Err(MidiError::Empty(_))
    ));
}

#[test]
fn absurd_tempos_are_a_clear_error() {
    assert!(import_bytes(&one_note_song(None), "x").is_ok());
    assert!(import_bytes(&one_note_song(Some(500_000)), "x").is_ok());
    for micros in [1, 100, 16_777_215] {
        let error = import_bytes(&one_note_song(Some(micros)), "x").unwrap_err();
        assert!(error.to_string().contains("tempo"), "{error}");
    }
    // A late absurd tempo (a fermata written as a pause) is held to the range, not refused.
    let late = file_of(
        vec![vec![
            tempo(0, 500_000),
            note_on(0, 60),
            note_off(480, 60),
            tempo(0, 16_777_215),
            note_on(0, 62),
            note_off(480, 62),
            end(),
        ]],
        Format::SingleTrack,
        metrical(),
    );
    let imported = import_bytes(&late, "x").unwrap();
    assert!((imported.timeline.seconds_at(24.0) - (0.5 + 6.0)).abs() < 1e-9);
}

#[test]
fn format_two_and_smpte_timing_are_refused_with_a_reason() {
    let track = vec![note_on(0, 60), note_off(480, 60), end()];
    let sequential = file_of(vec![track.clone()], Format::Sequential, metrical());
    let error = import_bytes(&sequential, "x").unwrap_err();
    assert!(error.to_string().contains("format 2"), "{error}");
    let smpte = file_of(
        vec![track],
        Format::SingleTrack,
        Timing::Timecode(midly::Fps::Fps25, 40),
    );
    let error = import_bytes(&smpte, "x").unwrap_err();
    assert!(error.to_string().contains("SMPTE"), "{error}");
}

/// xorshift64*: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn random_bytes_and_random_damage_never_panic() {
    let mut noise = Noise(0x1234_5678_9abc_def1);
    for _ in 0..500 {
        let length = (noise.next() % 2000) as usize;
        let mut bytes: Vec<u8> = (0..length).map(|_| noise.next() as u8).collect();
        if bytes.len() > 14 && noise.next().is_multiple_of(2) {
            // A plausible header, so the parser reaches the tracks.
            bytes[..14].copy_from_slice(b"MThd\0\0\0\x06\0\x01\0\x02\x01\xe0");
        }
        let _ = import_without_panic(&bytes);
    }
    // Real songs with random bytes overwritten.
    let (_, song) = song("pop909/002/002.mid");
    for _ in 0..200 {
        let mut damaged = song.clone();
        for _ in 0..(1 + noise.next() % 8) {
            let at = (noise.next() as usize) % damaged.len();
            damaged[at] = noise.next() as u8;
        }
        let _ = import_without_panic(&damaged);
    }
}

#[test]
fn a_million_notes_import() {
    // Four-note chords on every 16th (3 grid ticks at 120 ticks per quarter = 30 ticks):
    // 250 000 chords, 1 000 000 notes, 15 625 bars of 4/4.
    let chords = 250_000u32;
    let mut track = Vec::with_capacity(chords as usize * 8 + 1);
    for i in 0..chords {
        let top = 72 + (i % 7) as u8;
        let pitches = [48, 55, 64, top];
        for p in pitches {
            track.push(note_on(0, p));
        }
        for (k, p) in pitches.iter().enumerate() {
            track.push(note_off(if k == 0 { 30 } else { 0 }, *p));
        }
    }
    track.push(end());
    let bytes = file_of(
        vec![track],
        Format::SingleTrack,
        Timing::Metrical(120.into()),
    );
    let imported = import_bytes(&bytes, "million").unwrap();
    assert_eq!(imported.sheet.bar_count(), 15_625);
    let melody = imported.sheet.melody();
    assert_eq!(melody.len(), chords as usize, "the top note of every chord");
    assert!(melody.iter().all(|n| n.item.pitch.0 >= 72));
}

#[test]
fn notes_absurdly_far_apart_are_refused() {
    let track = vec![
        note_on(0, 60),
        note_off(480, 60),
        note_on(0x0FFF_FFFF, 62),
        note_off(480, 62),
        end(),
    ];
    let bytes = file_of(vec![track], Format::SingleTrack, Timing::Metrical(1.into()));
    let error = import_bytes(&bytes, "far").unwrap_err();
    assert!(error.to_string().contains("bars"), "{error}");
}

#[test]
fn huge_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.mid");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse: no disk is used
    let error = import_file(&path).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("huge.mid") && message.contains("MiB"),
        "{message}"
    );
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not a song.mid");
    std::fs::write(&path, b"hello").unwrap();
    let message = import_file(&path).unwrap_err().to_string();
    assert!(message.contains("not a song.mid"), "{message}");
    let missing = import_file(&dir.path().join("missing.mid"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("missing.mid"), "{missing}");
}

#[test]
fn a_folder_of_mixed_junk_imports_the_songs_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (_, jig) = song("nottingham/jigs1.mid");
    let (_, pop) = song("pop909/003/003.mid");
    std::fs::create_dir_all(root.join("deeper/still")).unwrap();
    std::fs::write(root.join("b_jig.mid"), &jig).unwrap();
    std::fs::write(root.join("deeper/still/a_pop.MIDI"), &pop).unwrap();
    let half = &jig[..jig.len() / 3];
    std::fs::write(root.join("half.mid"), half).unwrap();
    std::fs::write(root.join("empty.mid"), b"").unwrap();
    std::fs::write(root.join("noise.Mid"), [7u8; 300]).unwrap();
    std::fs::write(root.join("readme.txt"), b"not looked at").unwrap();
    std::fs::write(root.join("deeper/absurd_tempo.mid"), one_note_song(Some(1))).unwrap();

    let result = import_folder(root).unwrap();
    let names = |paths: Vec<&PathBuf>| -> Vec<String> {
        paths
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let songs = names(result.songs.iter().map(|(p, _)| p).collect());
    let skipped = names(result.skipped.iter().map(|(p, _)| p).collect());
    println!("imported {songs:?}; skipped {:?}", result.skipped);
    // A third of a jig may still hold notes (midly reads what it can of a cut track).
    let half_imports = import_bytes(half, "half").is_ok();
    let mut expected_songs = vec!["b_jig.mid", "deeper/still/a_pop.MIDI"];
    let mut expected_skipped = vec!["deeper/absurd_tempo.mid", "empty.mid", "noise.Mid"];
    if half_imports {
        expected_songs.insert(2, "half.mid");
    } else {
        expected_skipped.insert(2, "half.mid");
    }
    assert_eq!(songs, expected_songs);
    assert_eq!(skipped, expected_skipped);
    assert!(result.skipped.iter().all(|(_, reason)| !reason.is_empty()));
    assert!(
        result.skipped[0].1.contains("tempo"),
        "{:?}",
        result.skipped[0]
    );
    assert!(import_folder(&root.join("nowhere")).is_err());
}

/// Found by the fuzzer: 115 bytes whose one note lies 40,330 bars of 13/8 after the start. It
/// used to be laid out bar by bar for seconds; now it is refused at once, with the reason.
#[test]
fn a_tiny_file_with_notes_ages_apart_is_refused_with_the_reason() {
    let bytes = include_bytes!("data/fuzz-notes-40330-bars-apart.mid");
    let error = import_bytes(bytes, "far-apart.mid").expect_err("far too long a song");
    let message = error.to_string();
    assert!(message.contains("longer than"), "{message}");
    assert!(message.contains("bars"), "{message}");
}
