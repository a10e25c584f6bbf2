//! Import speed on a folder of MIDI files: how many files per second the whole import (parse,
//! melody split, bars, chord recognition, sections, key) and the parse alone get through.
//!
//! The files are read into memory once, so disk speed is left out; each round then imports every
//! file from memory on every core (as [`import_folder`](super::import::import_folder) does), and
//! the median of the rounds is reported. `songsketch bench import DIR` prints the report.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::MidiError;
use super::import::{import_bytes, midi_files_under};
use super::read::read_midi;

/// The measured import speed of one folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBenchReport {
    pub dir: PathBuf,
    /// MIDI files found (every one is imported in each round, failures included).
    pub files: usize,
    /// Files that did not import (bad input), with their reasons counted out of the speed.
    pub failed: usize,
    /// Notes in all files that parse.
    pub notes: usize,
    /// Worker threads used (one per core).
    pub workers: usize,
    /// Rounds measured; the times are their medians.
    pub repeats: usize,
    /// Median seconds to parse every file (no musical analysis).
    pub parse_seconds: f64,
    /// Median seconds to import every file: parse, melody, bars, chords, sections, key.
    pub import_seconds: f64,
}

impl ImportBenchReport {
    /// Whole imports per second.
    pub fn files_per_second(&self) -> f64 {
        per_second(self.files, self.import_seconds)
    }

    /// Parses per second.
    pub fn parse_files_per_second(&self) -> f64 {
        per_second(self.files, self.parse_seconds)
    }
}

fn per_second(count: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        f64::INFINITY
    }
}

impl fmt::Display for ImportBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} MIDI files, {} notes, {} did not import",
            self.dir.display(),
            self.files,
            self.notes,
            self.failed
        )?;
        writeln!(
            f,
            "import (parse + melody + bars + chords): {:.3} s, {:.0} files/s",
            self.import_seconds,
            self.files_per_second()
        )?;
        writeln!(
            f,
            "parse only:                              {:.3} s, {:.0} files/s",
            self.parse_seconds,
            self.parse_files_per_second()
        )?;
        write!(
            f,
            "median of {} rounds on {} threads; files read into memory first",
            self.repeats, self.workers
        )
    }
}

/// Measures the import of every MIDI file under `dir` (recursively): `repeats` rounds (at least
/// one) of parsing only and of whole imports, on every core. A missing folder, one without MIDI
/// files, or a file that cannot be read is an error; a file that does not import counts in
/// [`ImportBenchReport::failed`].
pub fn bench_import(dir: &Path, repeats: usize) -> Result<ImportBenchReport, MidiError> {
    let repeats = repeats.max(1);
    let mut unreadable_folders = Vec::new();
    let paths = midi_files_under(dir, &mut unreadable_folders)?;
    if paths.is_empty() {
        return Err(MidiError::File {
            path: dir.to_path_buf(),
            reason: Box::new(MidiError::Empty(
                "no .mid or .midi files in this folder".into(),
            )),
        });
    }
    let songs = paths
        .iter()
        .map(|path| {
            std::fs::read(path).map_err(|reason| MidiError::Io {
                path: path.clone(),
                reason,
            })
        })
        .collect::<Result<Vec<Vec<u8>>, MidiError>>()?;
    let workers = worker_count(songs.len());
    let notes = in_parallel(&songs, workers, |bytes| {
        read_midi(bytes).map_or(0, |raw| raw.note_count())
    })
    .into_iter()
    .sum();
    let failed = in_parallel(&songs, workers, |bytes| {
        import_bytes(bytes, "bench").is_err()
    })
    .into_iter()
    .filter(|&failed| failed)
    .count();
    let parse_seconds = median_seconds(repeats, || {
        in_parallel(&songs, workers, |bytes| read_midi(bytes).is_ok());
    });
    let import_seconds = median_seconds(repeats, || {
        in_parallel(&songs, workers, |bytes| {
            import_bytes(bytes, "bench").is_ok()
        });
    });
    Ok(ImportBenchReport {
        dir: dir.to_path_buf(),
        files: songs.len(),
        failed,
        notes,
        workers,
        repeats,
        parse_seconds,
        import_seconds,
    })
}

/// One thread per core, no more than there is work for.
fn worker_count(items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16)
        .min(items.max(1))
}

/// The median duration of `rounds` runs of `work`, in seconds.
fn median_seconds(rounds: usize, mut work: impl FnMut()) -> f64 {
    let times = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .collect::<Vec<f64>>();
    crate::stats::median(&times).unwrap_or(0.0)
}

/// `work` on every item on a pool of `workers` threads; the results keep the items' order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    let run = || {
        items
            .par_iter()
            .map(|item| std::hint::black_box(work(item)))
            .collect()
    };
    match rayon::ThreadPoolBuilder::new().num_threads(workers).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

    #[test]
    fn parallel_work_keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = in_parallel(&items, 4, |&x| x * 2);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_few_real_songs_are_counted_and_timed() {
        let dir = Path::new(POP909).join("001");
        let report = bench_import(&dir, 1).unwrap();
        assert_eq!(report.files, 1);
        assert_eq!(report.failed, 0);
        assert!(report.notes > 100, "{report}");
        assert!(report.import_seconds > 0.0 && report.parse_seconds > 0.0);
        assert!(report.to_string().contains("files/s"));
    }

    #[test]
    fn a_folder_without_midi_files_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let error = bench_import(dir.path(), 1).unwrap_err();
        assert!(error.to_string().contains("no .mid"), "{error}");
    }
}
