//! Damaged files: a POP909 song cut to its first 300 bytes imports with a warning that names
//! what was lost, the command line shows it with the file's name, and `--strict` skips it.

use std::path::{Path, PathBuf};
use std::process::Command;

use songsketch::midi::import::{FolderOptions, import_file, import_folder_with};

const SONG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/datasets/pop909/001/001.mid"
);

/// A folder holding the song cut to 300 bytes (`cut.mid`) and the whole song (`whole.mid`).
fn folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(SONG).unwrap();
    let cut = dir.path().join("cut.mid");
    std::fs::write(&cut, &bytes[..300]).unwrap();
    std::fs::write(dir.path().join("whole.mid"), &bytes).unwrap();
    (dir, cut)
}

#[test]
fn a_cut_file_imports_with_a_warning_saying_what_was_lost() {
    let (_dir, cut) = folder();
    let imported = import_file(&cut).unwrap();
    let warnings = &imported.report.warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("track 2 ends early at byte 300"),
        "{warnings:?}"
    );
    let bars = imported.sheet.bar_count();
    assert!(
        warnings[0].ends_with(&format!("; {bars} bars read")),
        "{warnings:?}"
    );
    // The whole file has no warning.
    assert!(
        import_file(Path::new(SONG))
            .unwrap()
            .report
            .warnings
            .is_empty()
    );
}

#[test]
fn a_folder_import_warns_and_strict_skips() {
    let (dir, cut) = folder();
    let lenient = import_folder_with(dir.path(), FolderOptions::default()).unwrap();
    assert_eq!(lenient.songs.len(), 2);
    assert_eq!(lenient.warnings.len(), 1);
    assert_eq!(lenient.warnings[0].0, cut);
    let strict = import_folder_with(
        dir.path(),
        FolderOptions {
            strict: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(strict.songs.len(), 1);
    assert_eq!(strict.skipped.len(), 1);
    assert_eq!(strict.skipped[0].0, cut);
    assert!(
        strict.skipped[0]
            .1
            .contains("track 2 ends early at byte 300"),
        "{:?}",
        strict.skipped
    );
    assert!(strict.warnings.is_empty());
}

fn songsketch(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .args(args)
        .output()
        .expect("the songsketch binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn train_names_the_damaged_file_and_strict_skips_it() {
    // Only the cut file: training stops for want of songs, after reading the folder.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(SONG).unwrap();
    std::fs::write(dir.path().join("cut.mid"), &bytes[..300]).unwrap();
    let songs = dir.path().to_str().unwrap();
    let out = dir.path().join("model");
    let out = out.to_str().unwrap();
    let (_, stderr) = songsketch(&["train", "--songs", songs, "--out", out, "--cpu"]);
    assert!(
        stderr.contains("warning: cut.mid is damaged: track 2 ends early at byte 300"),
        "{stderr}"
    );
    assert!(stderr.contains("read 1 songs"), "{stderr}");
    let (ok, stderr) = songsketch(&["train", "--songs", songs, "--out", out, "--cpu", "--strict"]);
    assert!(!ok);
    assert!(
        stderr.contains("skipped cut.mid: damaged (track 2 ends early at byte 300"),
        "{stderr}"
    );
    assert!(stderr.contains("read 0 songs"), "{stderr}");
}

#[test]
fn inspect_shows_the_warning_with_the_file_name() {
    let (_dir, cut) = folder();
    let path = cut.to_str().unwrap();
    let (ok, stderr) = songsketch(&["inspect", path]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: {path} is damaged: track 2 ends early at byte 300"
        )),
        "{stderr}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .args(["inspect", path, "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let warning = json["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("track 2 ends early at byte 300"),
        "{warning}"
    );
}
