//! Import speed on the real songs: files per second for parsing alone, for the whole import
//! (parse, melody split, bars, chords), and for `import_folder` on the pop909 folder.
//! Run with `cargo bench --bench import_speed`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use songsketch::midi::import::{import_bytes, import_folder};
use songsketch::midi::read::read_midi;

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

fn midi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            midi_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "mid") {
            out.push(path);
        }
    }
}

/// Best of three rounds, in seconds.
fn best_of_three(mut work: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    for collection in ["pop909", "nottingham"] {
        let dir = Path::new(DATASETS).join(collection);
        let mut files = Vec::new();
        midi_files(&dir, &mut files);
        files.sort();
        let songs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let notes: usize = songs
            .iter()
            .filter_map(|b| read_midi(b).ok())
            .map(|raw| raw.note_count())
            .sum();
        let parse = best_of_three(|| {
            for bytes in &songs {
                std::hint::black_box(read_midi(bytes).ok());
            }
        });
        let mut failures = 0;
        let import = best_of_three(|| {
            failures = 0;
            for bytes in &songs {
                if std::hint::black_box(import_bytes(bytes, "bench")).is_err() {
                    failures += 1;
                }
            }
        });
        let folder = best_of_three(|| {
            std::hint::black_box(import_folder(&dir).unwrap());
        });
        let n = songs.len() as f64;
        println!(
            "{collection}: {} files, {notes} notes; parse only {:.3} s ({:.0} files/s); \
             import from memory {:.3} s ({:.0} files/s, {failures} failed); \
             import_folder {:.3} s ({:.0} files/s)",
            songs.len(),
            parse,
            n / parse,
            import,
            n / import,
            folder,
            n / folder
        );
    }
}
