//! Import measured on the Nottingham folk tunes (two tracks each: the melody, then block chords):
//! melody extraction from the two tracks merged into one polyphonic track (note-level F1 on
//! onset and pitch), meters (jigs 6/8, 3/4 tunes 3/4, meter changes kept) and pickups.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use midly::{Format, Header, MetaMessage, Smf, Track, TrackEvent, TrackEventKind};
use songsketch::midi::import::{Imported, import_bytes, import_file};
use songsketch::midi::read::read_midi;
use songsketch::music::Meter;

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

fn nottingham_files() -> Vec<PathBuf> {
    let dir = Path::new(DATASETS).join("nottingham");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 900,
        "expected the Nottingham collection, found {}",
        files.len()
    );
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The file's two tracks merged into one track of a format-0 file: one polyphonic part.
fn merged_into_one_track(bytes: &[u8]) -> Vec<u8> {
    let smf = Smf::parse(bytes).expect("a Nottingham file parses");
    let mut events: Vec<(u64, usize, TrackEvent)> = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += event.delta.as_int() as u64;
            if !matches!(event.kind, TrackEventKind::Meta(MetaMessage::EndOfTrack)) {
                events.push((tick, events.len(), *event));
            }
        }
    }
    events.sort_by_key(|&(tick, order, _)| (tick, order));
    let mut merged: Track = Vec::with_capacity(events.len() + 1);
    let mut last = 0u64;
    for (tick, _, event) in events {
        merged.push(TrackEvent {
            delta: ((tick - last) as u32).into(),
            kind: event.kind,
        });
        last = tick;
    }
    merged.push(TrackEvent {
        delta: 0.into(),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let mut out = Smf::new(Header::new(Format::SingleTrack, smf.header.timing));
    out.tracks.push(merged);
    let mut bytes = Vec::new();
    out.write_std(&mut bytes).expect("writing to memory");
    bytes
}

/// (onset on the sheet's grid, pitch) of the real melody: the first track of the original file,
/// placed through the import's timeline (file seconds → sheet grid).
fn reference_melody(original: &[u8], imported: &Imported) -> HashSet<(i64, u8)> {
    let raw = read_midi(original).expect("the original parses");
    raw.tracks[0]
        .notes
        .iter()
        .map(|n| {
            let grid = imported.timeline.grid_at(raw.seconds_at(n.start));
            (grid.round() as i64, n.pitch)
        })
        .collect()
}

fn extracted_melody(imported: &Imported) -> HashSet<(i64, u8)> {
    imported
        .sheet
        .melody()
        .iter()
        .map(|p| (p.absolute(p.item.onset) as i64, p.item.pitch.0))
        .collect()
}

#[derive(Default)]
struct Counts {
    true_positive: usize,
    false_positive: usize,
    false_negative: usize,
}

impl Counts {
    fn add(&mut self, reference: &HashSet<(i64, u8)>, extracted: &HashSet<(i64, u8)>) {
        let hits = reference.intersection(extracted).count();
        self.true_positive += hits;
        self.false_positive += extracted.len() - hits;
        self.false_negative += reference.len() - hits;
    }

    fn f1(&self) -> f64 {
        let tp = self.true_positive as f64;
        2.0 * tp / (2.0 * tp + self.false_positive as f64 + self.false_negative as f64)
    }
}

#[test]
fn melody_is_extracted_from_one_merged_polyphonic_track() {
    let mut merged_counts = Counts::default();
    let mut separate_counts = Counts::default();
    let mut worst: Vec<(f64, String)> = Vec::new();
    let files = nottingham_files();
    for path in &files {
        let original = std::fs::read(path).unwrap();
        let merged = merged_into_one_track(&original);
        let from_merged = import_bytes(&merged, &stem(path))
            .unwrap_or_else(|e| panic!("{}: merged file: {e}", path.display()));
        let reference = reference_melody(&original, &from_merged);
        let mut song = Counts::default();
        song.add(&reference, &extracted_melody(&from_merged));
        merged_counts.add(&reference, &extracted_melody(&from_merged));
        worst.push((song.f1(), stem(path)));

        let from_original = import_file(path).unwrap_or_else(|e| panic!("{e}"));
        let reference = reference_melody(&original, &from_original);
        separate_counts.add(&reference, &extracted_melody(&from_original));
    }
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "melody F1 over {} Nottingham tunes, tracks merged into one: {:.4} \
         (tp {}, fp {}, fn {}); worst: {:?}",
        files.len(),
        merged_counts.f1(),
        merged_counts.true_positive,
        merged_counts.false_positive,
        merged_counts.false_negative,
        &worst[..5]
    );
    println!(
        "melody F1 with the two tracks as in the files: {:.4}",
        separate_counts.f1()
    );
    assert!(merged_counts.f1() >= 0.95, "F1 {:.4}", merged_counts.f1());
    assert!(
        separate_counts.f1() >= 0.99,
        "F1 {:.4}",
        separate_counts.f1()
    );
}

/// The time signatures a file declares, in order, read straight from its events (not by the
/// importer): the first track that has any.
fn declared_meters(bytes: &[u8]) -> Vec<Meter> {
    let smf = Smf::parse(bytes).unwrap();
    for track in &smf.tracks {
        let meters: Vec<Meter> = track
            .iter()
            .filter_map(|e| match e.kind {
                TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, _, _)) => {
                    Some(Meter::new(n, 1 << d).unwrap())
                }
                _ => None,
            })
            .collect();
        if !meters.is_empty() {
            return meters;
        }
    }
    Vec::new()
}

#[test]
fn jigs_come_out_in_six_eight_and_waltz_time_in_three_four() {
    let six_eight: Meter = "6/8".parse().unwrap();
    let three_four: Meter = "3/4".parse().unwrap();
    let (mut jigs, mut jigs_six_eight, mut threes, mut changing) = (0, 0, 0, 0);
    let mut jigs_declared_otherwise = Vec::new();
    for path in nottingham_files() {
        let bytes = std::fs::read(&path).unwrap();
        let declared = declared_meters(&bytes);
        let sheet = import_file(&path).unwrap_or_else(|e| panic!("{e}")).sheet;
        let name = stem(&path);
        // The sheet's meter is the file's first time signature.
        assert_eq!(Some(&sheet.meter()), declared.first(), "{name}");
        if name.starts_with("jigs") {
            jigs += 1;
            if sheet.meter() == six_eight {
                jigs_six_eight += 1;
            } else {
                jigs_declared_otherwise.push((name.clone(), declared[0].to_string()));
            }
        }
        if declared.first() == Some(&three_four) {
            threes += 1;
            assert_eq!(sheet.meter(), three_four, "{name}");
        }
        // Meter changes are kept: every declared meter has bars.
        let used: HashSet<Meter> = sheet.bars().map(|b| b.meter).collect();
        let wanted: HashSet<Meter> = declared.iter().copied().collect();
        if wanted.len() > 1 {
            changing += 1;
        }
        assert_eq!(used, wanted, "{name}: meters of the bars");
    }
    println!(
        "jigs: {jigs_six_eight} of {jigs} in 6/8; the others declare another meter in the file: \
         {jigs_declared_otherwise:?}; 3/4 tunes: {threes}, all 3/4; tunes with meter changes: {changing}"
    );
    // Every jig the file itself calls 6/8 comes out 6/8 (checked above); the exceptions are
    // jigs written in another meter by the file itself.
    assert!(jigs_six_eight + jigs_declared_otherwise.len() == jigs);
    assert!(threes >= 6);
}

#[test]
fn pickups_are_found_and_bars_keep_their_place() {
    let jig = import_file(&Path::new(DATASETS).join("nottingham/jigs1.mid")).unwrap();
    let first = jig.sheet.bars().next().unwrap();
    // jigs1 starts with one eighth (6 ticks) before its first full 6/8 bar.
    assert_eq!(
        (first.length, first.meter.to_string()),
        (6, "6/8".to_string())
    );
    assert_eq!(first.melody.len(), 1);
    assert!(first.chords.is_empty());
    // The first full bar begins where the file's second bar begins (3072 ticks at 1024 per quarter).
    let second_bar_seconds = 3.0 * 0.5;
    assert!((jig.timeline.seconds_at(6.0) - second_bar_seconds).abs() < 1e-9);

    let mut with_pickup = 0;
    let mut checked = 0;
    let files = nottingham_files();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let imported = import_file(path).unwrap();
        let sheet = &imported.sheet;
        if sheet.bars().next().is_some_and(|b| b.is_pickup()) {
            with_pickup += 1;
        }
        // In a one-meter tune (no tempo events: 120 BPM, 24 grid ticks a second) every bar
        // after the first starts on a bar line of the file.
        let declared = declared_meters(&bytes);
        if declared.len() != 1 || !read_midi(&bytes).unwrap().tempos.is_empty() {
            continue;
        }
        checked += 1;
        let bar_ticks = declared[0].bar_ticks() as f64;
        for start in sheet.bar_starts().into_iter().skip(1) {
            let file_grid = imported.timeline.seconds_at(start as f64) * 24.0;
            let off = file_grid.rem_euclid(bar_ticks);
            assert!(
                off < 1e-6 || bar_ticks - off < 1e-6,
                "{}: bar at sheet tick {start} lies {off} ticks off the file's bar line",
                path.display()
            );
        }
    }
    println!(
        "{with_pickup} of {} Nottingham tunes start with a pickup; bar lines checked in {checked}",
        files.len()
    );
    assert!(with_pickup > 100);
    assert!(checked > 900);
}
