//! Round trip on every real song: import → export → import gives the same lead sheet.
//!
//! For each of the 818 pop909 songs (`pop909/*/*.mid`) and the 969 nottingham tunes
//! (`nottingham/*.mid`), the song is imported from its file, written with the default export
//! options, and the written bytes are imported again under the same title; the two lead sheets
//! must be equal (`==`: title, key, tempo, sections, bars, chords and melody notes). On a failure
//! the first differences of a few songs are printed, bar by bar.

use std::path::{Path, PathBuf};

use songsketch::midi::import::{import_bytes, import_file};
use songsketch::midi::write::{ExportOptions, lead_sheet_to_smf_bytes};
use songsketch::music::{Bar, LeadSheet};

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");
/// How many failing songs are described in detail.
const SONGS_DESCRIBED: usize = 5;
/// How many differences are described per song.
const DIFFERENCES_PER_SONG: usize = 6;

/// The `.mid` files directly inside `dir`, sorted.
fn midi_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .collect();
    files.sort();
    files
}

fn pop909_files() -> Vec<PathBuf> {
    let root = Path::new(DATASETS).join("pop909");
    let mut songs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|p| p.is_dir())
        .collect();
    songs.sort();
    songs.iter().flat_map(|dir| midi_files_in(dir)).collect()
}

/// What happened to one song.
enum Outcome {
    Same,
    /// The first import already failed: not a round-trip question (reported, counted).
    NotImported(String),
    Failed(String),
}

fn round_trip(path: &Path) -> Outcome {
    let first = match import_file(path) {
        Ok(imported) => imported.sheet,
        Err(error) => return Outcome::NotImported(error.to_string()),
    };
    let bytes = match lead_sheet_to_smf_bytes(&first, &ExportOptions::default()) {
        Ok(bytes) => bytes,
        Err(error) => return Outcome::Failed(format!("export failed: {error}")),
    };
    let second = match import_bytes(&bytes, &first.title) {
        Ok(imported) => imported.sheet,
        Err(error) => return Outcome::Failed(format!("re-import failed: {error}")),
    };
    if first == second {
        Outcome::Same
    } else {
        Outcome::Failed(differences(&first, &second).join("\n    "))
    }
}

/// The first differences between two lead sheets, in words.
fn differences(first: &LeadSheet, second: &LeadSheet) -> Vec<String> {
    let mut out = Vec::new();
    if first.title != second.title {
        out.push(format!("title {:?} → {:?}", first.title, second.title));
    }
    if first.key != second.key {
        out.push(format!("key {} → {}", first.key, second.key));
    }
    if first.tempo != second.tempo {
        out.push(format!("tempo {:?} → {:?}", first.tempo, second.tempo));
    }
    let sections = |s: &LeadSheet| -> Vec<String> {
        s.sections
            .iter()
            .map(|x| format!("{:?} {:?} ×{}", x.kind, x.label, x.bars.len()))
            .collect()
    };
    if sections(first) != sections(second) {
        out.push(format!(
            "sections {:?} → {:?}",
            sections(first),
            sections(second)
        ));
    }
    if first.bar_count() != second.bar_count() {
        out.push(format!(
            "{} bars → {} bars",
            first.bar_count(),
            second.bar_count()
        ));
    }
    for (index, (a, b)) in first.bars().zip(second.bars()).enumerate() {
        out.extend(bar_differences(a, b).map(|d| format!("bar index {index}: {d}")));
        if out.len() >= DIFFERENCES_PER_SONG {
            break;
        }
    }
    out.truncate(DIFFERENCES_PER_SONG);
    out
}

fn bar_differences(a: &Bar, b: &Bar) -> impl Iterator<Item = String> {
    let mut out = Vec::new();
    if (a.meter, a.length) != (b.meter, b.length) {
        out.push(format!(
            "meter {} length {} → meter {} length {}",
            a.meter, a.length, b.meter, b.length
        ));
    }
    if a.chords != b.chords {
        out.push(format!("chords {:?} → {:?}", a.chords, b.chords));
    }
    if a.melody != b.melody {
        out.push(format!("melody {:?} → {:?}", a.melody, b.melody));
    }
    out.into_iter()
}

/// Runs [`round_trip`] on every file, on every core, keeping the files' order.
fn round_trip_all(files: &[PathBuf]) -> Vec<Outcome> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| round_trip(p)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a round-trip worker panicked"))
            .collect()
    })
}

fn check_collection(name: &str, files: Vec<PathBuf>, expected: usize) {
    assert_eq!(files.len(), expected, "{name}: number of songs");
    let outcomes = round_trip_all(&files);
    let mut same = 0;
    let mut not_imported = Vec::new();
    let mut failed = Vec::new();
    for (path, outcome) in files.iter().zip(outcomes) {
        match outcome {
            Outcome::Same => same += 1,
            Outcome::NotImported(why) => not_imported.push(why),
            Outcome::Failed(why) => failed.push((path, why)),
        }
    }
    println!(
        "{name}: {} songs checked, {same} the same after import → export → import, \
         {} different, {} not importable",
        files.len(),
        failed.len(),
        not_imported.len()
    );
    for (path, why) in failed.iter().take(SONGS_DESCRIBED) {
        println!("  {}:\n    {why}", path.display());
    }
    assert!(
        not_imported.is_empty(),
        "{name}: songs that do not import: {not_imported:?}"
    );
    assert!(
        failed.is_empty(),
        "{name}: {} of {} songs changed in the round trip (first differences above)",
        failed.len(),
        files.len()
    );
}

#[test]
fn every_pop909_song_survives_export_and_reimport() {
    check_collection("pop909", pop909_files(), 818);
}

#[test]
fn every_nottingham_tune_survives_export_and_reimport() {
    let files = midi_files_in(&Path::new(DATASETS).join("nottingham"));
    check_collection("nottingham", files, 969);
}
