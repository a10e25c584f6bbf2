//! The key of imported songs, against real annotations.
//!
//! - POP909: all 818 MIDI files against `key_audio.txt` (the longest key segment), exact (tonic
//!   and mode) and tonic-or-relative. Measured three ways: through the importer (the 125 files
//!   with a key signature carry a placeholder, right in 8 of them, which the importer weighs as
//!   evidence); from the notes alone; and, for comparison, with the estimator the importer used
//!   before (Krumhansl–Schmuckler over duration-weighted pitch classes, [`Key::estimate`]).
//! - Nottingham: every tune against its key signature (a real one), from the notes alone and
//!   through the importer (the signature as evidence).
//!
//! Prints the figures; asserts the importer's POP909 exact accuracy ≥ 0.90 (the target) and Nottingham's
//! notes-only exact accuracy ≥ 0.88 and with the signature ≥ 0.92.

use std::path::{Path, PathBuf};

use songsketch::midi::import::key::{KeyMaterial, find_key};
use songsketch::midi::import::{import_bytes, prepare};
use songsketch::midi::read::read_midi;
use songsketch::music::Key;

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

/// The key of the longest segment of `key_audio.txt`.
fn longest_key(dir: &Path) -> Key {
    let text = std::fs::read_to_string(dir.join("key_audio.txt")).unwrap();
    let mut best: Option<(f64, Key)> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let length = fields[1].parse::<f64>().unwrap() - fields[0].parse::<f64>().unwrap();
        let key: Key = fields[2].parse().unwrap();
        if best.is_none_or(|(b, _)| length > b) {
            best = Some((length, key));
        }
    }
    best.unwrap().1
}

fn relative_or_same(a: Key, b: Key) -> bool {
    a.relative_major_tonic() == b.relative_major_tonic()
}

/// Exact and tonic-or-relative hits.
#[derive(Default)]
struct Tally {
    songs: usize,
    exact: usize,
    relative: usize,
}

impl Tally {
    fn add(&mut self, got: Key, truth: Key) {
        self.songs += 1;
        self.exact += (got == truth) as usize;
        self.relative += relative_or_same(got, truth) as usize;
    }
    fn exact(&self) -> f64 {
        self.exact as f64 / self.songs as f64
    }
    fn relative(&self) -> f64 {
        self.relative as f64 / self.songs as f64
    }
    fn line(&self) -> String {
        format!(
            "{} songs: exact {:.4}, tonic or relative {:.4}",
            self.songs,
            self.exact(),
            self.relative()
        )
    }
}

/// The key the notes alone give (no signature).
fn from_notes(raw: &songsketch::midi::read::RawMidi) -> Key {
    let prepared = prepare(raw).unwrap();
    let material = KeyMaterial {
        melody: &prepared.melody,
        harmony: &prepared.harmony,
        bars: &prepared.bars,
        chords: &prepared.chords,
    };
    find_key(&material, None).key
}

/// The estimator the importer used before: Krumhansl–Schmuckler on every pitched note's duration.
fn old_estimate(raw: &songsketch::midi::read::RawMidi) -> Key {
    let mut weights = [0.0; 12];
    for note in raw.tracks.iter().flat_map(|t| &t.notes) {
        weights[(note.pitch % 12) as usize] += (note.end - note.start) as f64;
    }
    Key::estimate(&weights).unwrap()
}

#[test]
fn pop909_keys_from_the_notes() {
    let root = Path::new(DATASETS).join("pop909");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 800);
    let (mut imported, mut notes, mut old, mut old_unmarked, mut unmarked) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let mut overruled = 0;
    for dir in &dirs {
        let stem = dir.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(dir.join(format!("{stem}.mid"))).unwrap();
        let raw = read_midi(&bytes).unwrap();
        let truth = longest_key(dir);
        let song = import_bytes(&bytes, &stem).unwrap();
        imported.add(song.sheet.key, truth);
        overruled += (song.report.key.agreement
            == songsketch::midi::import::key::KeyAgreement::Overruled)
            as usize;
        let by_notes = from_notes(&raw);
        notes.add(by_notes, truth);
        // Before: the first signature when there was one, else the old estimate.
        let before = match raw.key_signatures.first() {
            Some(s) => Key::from_signature(s.value.0, s.value.1),
            None => old_estimate(&raw),
        };
        old.add(before, truth);
        if raw.key_signatures.is_empty() {
            old_unmarked.add(old_estimate(&raw), truth);
            unmarked.add(song.sheet.key, truth);
        }
    }
    println!("pop909 keys against key_audio.txt (longest segment):");
    println!("  importer now:            {}", imported.line());
    println!("  importer before:         {}", old.line());
    println!("  notes alone:             {}", notes.line());
    println!("  unmarked files, now:     {}", unmarked.line());
    println!("  unmarked files, before:  {}", old_unmarked.line());
    println!("  signatures overruled by the notes: {overruled}");
    assert!(imported.exact() >= 0.90, "{}", imported.exact());
    assert!(notes.exact() >= 0.88, "{}", notes.exact());
    assert!(imported.relative() >= 0.96, "{}", imported.relative());
}

#[test]
fn nottingham_keys_against_their_signatures() {
    let root = Path::new(DATASETS).join("nottingham");
    let mut files = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "mid") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 900);
    let (mut notes, mut imported) = (Tally::default(), Tally::default());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(raw) = read_midi(&bytes) else { continue };
        let Some(signature) = raw.key_signatures.first() else {
            continue;
        };
        let truth = Key::from_signature(signature.value.0, signature.value.1);
        let Ok(song) = import_bytes(&bytes, "tune") else {
            continue;
        };
        imported.add(song.sheet.key, truth);
        notes.add(from_notes(&raw), truth);
    }
    println!("nottingham keys against their key signatures:");
    println!("  notes alone:                    {}", notes.line());
    println!("  importer (signature as evidence): {}", imported.line());
    assert!(notes.songs >= 900);
    assert!(notes.exact() >= 0.88, "{}", notes.exact());
    assert!(imported.exact() >= 0.92, "{}", imported.exact());
}
