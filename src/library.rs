//! The kept ideas on disk: one JSON file in the OS data folder, written to a temporary file and
//! renamed into place by a writer thread, so a crash never leaves half a library and the window
//! never waits on the disk. A file that cannot be read is moved aside and reported, never emptied.

pub mod keep_rate;

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};

use crate::music::Idea;

/// Name of the library file inside the data folder.
pub const LIBRARY_FILE: &str = "library.json";

/// The format version written into the file.
const FORMAT_VERSION: u32 = 1;

/// What goes wrong with the library, in words for the composer.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("could not read the library {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not save the library to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not move the unreadable library {path} aside: {source}")]
    MoveAside {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not start the library writer: {0}")]
    Thread(std::io::Error),
}

/// One kept idea with what the library shows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptIdea {
    /// Unique within the library, never reused.
    pub id: u64,
    /// The composer's name for it; starts as e.g. `Am · 96 bpm · #12`.
    pub name: String,
    /// When it was kept, seconds since 1970 (UTC).
    pub kept_at: u64,
    /// The seed it was generated with, when known.
    pub seed: Option<u64>,
    /// The model that wrote it.
    pub model: String,
    pub idea: Idea,
}

impl KeptIdea {
    /// The key as musicians write it: `Am`, `F#`.
    pub fn key_text(&self) -> String {
        self.idea.sheet().key.to_string()
    }

    pub fn tempo_text(&self) -> String {
        format!("{:.0} bpm", self.idea.sheet().tempo.bpm())
    }

    /// The day and time it was kept, `2026-11-24 22:40 UTC`.
    pub fn date_text(&self) -> String {
        format_utc(self.kept_at)
    }
}

/// The default name of the `number`th kept idea: key, tempo and number.
pub fn default_name(idea: &Idea, number: u64) -> String {
    let sheet = idea.sheet();
    format!("{} · {:.0} bpm · #{number}", sheet.key, sheet.tempo.bpm())
}

/// The file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LibraryFile {
    version: u32,
    /// The number the next kept idea gets in its default name and id.
    next_number: u64,
    ideas: Vec<KeptIdea>,
}

/// What opening the library found besides the ideas: an unreadable file moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub original: PathBuf,
    pub moved_to: PathBuf,
    pub reason: String,
}

/// The OS data folder for Songsketch (`~/.local/share/songsketch` on Linux): the library,
/// trained models, dragged files and window settings live there.
/// The environment variable that puts the data folder somewhere else.
pub const DATA_DIR_ENV: &str = "SONGSKETCH_DATA_DIR";

/// The data folder in use: `$SONGSKETCH_DATA_DIR` when set, else the OS data folder.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_ENV)
        .map(PathBuf::from)
        .or_else(default_data_dir)
}

pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Songsketch").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The kept ideas, in the order they were kept, saved after every change.
pub struct Library {
    path: PathBuf,
    next_number: u64,
    ideas: Vec<KeptIdea>,
    writer: Writer,
}

impl Library {
    /// Opens the library at `path`. A missing file is an empty library; a file that cannot be
    /// parsed is renamed to `…corrupt-<time>.json` and reported in the returned [`SetAside`].
    pub fn open(path: &Path) -> Result<(Library, Option<SetAside>), LibraryError> {
        let (file, set_aside) = match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<LibraryFile>(&bytes) {
                Ok(file) => (file, None),
                Err(error) => {
                    let moved_to = move_aside(path)?;
                    let reason = format!("it is not a library file Songsketch can read ({error})");
                    let set_aside = SetAside {
                        original: path.to_path_buf(),
                        moved_to,
                        reason,
                    };
                    (LibraryFile::empty(), Some(set_aside))
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                (LibraryFile::empty(), None)
            }
            Err(source) => {
                return Err(LibraryError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let library = Library {
            path: path.to_path_buf(),
            next_number: file.next_number.max(next_free_number(&file.ideas)),
            ideas: file.ideas,
            writer: Writer::spawn(path.to_path_buf())?,
        };
        Ok((library, set_aside))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn ideas(&self) -> &[KeptIdea] {
        &self.ideas
    }

    pub fn get(&self, id: u64) -> Option<&KeptIdea> {
        self.ideas.iter().find(|kept| kept.id == id)
    }

    /// Keeps an idea under its default name and saves.
    pub fn keep(&mut self, idea: Idea, seed: Option<u64>, model: &str) -> &KeptIdea {
        let number = self.next_number;
        self.next_number += 1;
        let kept = KeptIdea {
            id: number,
            name: default_name(&idea, number),
            kept_at: now_seconds(),
            seed,
            model: model.to_string(),
            idea,
        };
        self.ideas.push(kept);
        self.save();
        &self.ideas[self.ideas.len() - 1]
    }

    /// Renames a kept idea and saves; an empty name keeps the old one.
    pub fn rename(&mut self, id: u64, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        if let Some(kept) = self.ideas.iter_mut().find(|kept| kept.id == id) {
            kept.name = name.to_string();
            self.save();
        }
    }

    /// Removes a kept idea and saves; returns it with its place, for undo.
    pub fn remove(&mut self, id: u64) -> Option<(usize, KeptIdea)> {
        let index = self.ideas.iter().position(|kept| kept.id == id)?;
        let kept = self.ideas.remove(index);
        self.save();
        Some((index, kept))
    }

    /// Puts a removed idea back where it was and saves.
    pub fn restore(&mut self, index: usize, kept: KeptIdea) {
        let index = index.min(self.ideas.len());
        self.ideas.insert(index, kept);
        self.save();
    }

    /// The last save that failed, if the most recent one did; drained by the window.
    pub fn take_write_error(&self) -> Option<LibraryError> {
        self.writer.errors.try_iter().last()
    }

    fn save(&self) {
        let file = LibraryFile {
            version: FORMAT_VERSION,
            next_number: self.next_number,
            ideas: self.ideas.clone(),
        };
        self.writer.write(file);
    }
}

impl LibraryFile {
    fn empty() -> Self {
        LibraryFile {
            version: FORMAT_VERSION,
            next_number: 1,
            ideas: Vec::new(),
        }
    }
}

fn next_free_number(ideas: &[KeptIdea]) -> u64 {
    ideas.iter().map(|kept| kept.id + 1).max().unwrap_or(1)
}

/// Renames an unreadable library to `<stem>.corrupt-<seconds>.json` next to it.
fn move_aside(path: &Path) -> Result<PathBuf, LibraryError> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "library".into());
    let moved_to = path.with_file_name(format!("{stem}.corrupt-{}.json", now_seconds()));
    std::fs::rename(path, &moved_to).map_err(|source| LibraryError::MoveAside {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(moved_to)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename,
/// creating the folder first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    crate::atomic_file::write_atomically(path, bytes)
}

/// The thread that writes library snapshots; the newest waiting snapshot wins.
struct Writer {
    snapshots: Option<Sender<LibraryFile>>,
    errors: Receiver<LibraryError>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    fn spawn(path: PathBuf) -> Result<Writer, LibraryError> {
        let (snapshot_tx, snapshot_rx) = crossbeam_channel::unbounded::<LibraryFile>();
        let (error_tx, error_rx) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("songsketch-library".into())
            .spawn(move || {
                while let Ok(mut file) = snapshot_rx.recv() {
                    while let Ok(newer) = snapshot_rx.try_recv() {
                        file = newer;
                    }
                    let result = serde_json::to_vec_pretty(&file)
                        .map_err(std::io::Error::other)
                        .and_then(|bytes| write_atomically(&path, &bytes));
                    if let Err(source) = result {
                        let _ = error_tx.send(LibraryError::Write {
                            path: path.clone(),
                            source,
                        });
                    }
                }
            })
            .map_err(LibraryError::Thread)?;
        Ok(Writer {
            snapshots: Some(snapshot_tx),
            errors: error_rx,
            thread: Some(thread),
        })
    }

    fn write(&self, file: LibraryFile) {
        if let Some(snapshots) = &self.snapshots {
            let _ = snapshots.send(file);
        }
    }
}

impl Drop for Writer {
    /// Finishes the last write before the library goes away.
    fn drop(&mut self) {
        self.snapshots = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since 1970.
pub fn format_utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let minutes_of_day = (seconds % 86_400) / 60;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes_of_day / 60,
        minutes_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_559_700), "2026-11-24 22:35 UTC");
    }

    #[test]
    fn an_unreadable_library_is_moved_aside_and_reported() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(LIBRARY_FILE);
        std::fs::write(&path, b"{ this is not json").unwrap();
        let (library, set_aside) = Library::open(&path).unwrap();
        assert!(library.ideas().is_empty());
        let set_aside = set_aside.expect("the bad file is reported");
        assert_eq!(
            std::fs::read(&set_aside.moved_to).unwrap(),
            b"{ this is not json"
        );
        assert!(!path.exists(), "nothing was written over it");
    }
}
