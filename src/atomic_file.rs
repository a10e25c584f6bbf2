//! Saving without ever leaving half a file: whatever Songsketch saves (kept ideas, exported MIDI,
//! checkpoints, model cards, rendered audio) is written to a temporary file beside its target
//! and renamed into place (`tempfile::NamedTempFile::persist`), so a crash or a kill during the
//! save leaves the old file whole. A failed save removes its temporary file.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// Writes `bytes` to `path`: `path` then holds either its old content or all of the new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Lets `write` fill a temporary file beside `path`, then moves it into place.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let mut temp = temporary_beside(path)?;
    write(temp.as_file_mut())?;
    finish(temp, path)
}

/// For writers that take a path (libtorch, WAV): `write` writes the temporary file at the path
/// it is given, which is then moved to `path`.
pub fn write_atomically_at(
    path: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let temp = temporary_beside(path)?;
    write(temp.path())?;
    finish(temp, path)
}

/// An empty temporary file in `path`'s folder (so the rename stays on one file system), named
/// `.NAME.XXXXXX.partial`.
fn temporary_beside(path: &Path) -> io::Result<NamedTempFile> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".partial")
        .tempfile_in(folder)
}

fn finish(temp: NamedTempFile, path: &Path) -> io::Result<()> {
    // A writer that took the path wrote the same file (it truncates, it does not replace), so
    // syncing through the temporary file's own handle, which can write, covers its data too.
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    sync_folder(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Makes the rename itself durable where the platform allows syncing a folder (best effort).
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    }) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_save_replaces_the_whole_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idea.mid");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new content").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new content");
        assert_eq!(names(dir.path()), ["idea.mid"]);
    }

    #[test]
    fn a_failed_save_keeps_the_old_file_and_removes_its_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.json");
        write_atomically(&path, b"kept").unwrap();
        let failed = write_atomically_with(&path, |file| {
            file.write_all(b"half")?;
            Err(io::Error::other("killed mid-save"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert_eq!(names(dir.path()), ["library.json"]);
    }

    #[test]
    fn writers_that_take_a_path_write_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        write_atomically_at(&path, |temp| {
            assert_ne!(temp, path);
            std::fs::write(temp, b"weights")
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"weights");
        assert_eq!(names(dir.path()), ["w.safetensors"]);
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomically(&dir.path().join("no/such/x.mid"), b"x").is_err());
    }
}
