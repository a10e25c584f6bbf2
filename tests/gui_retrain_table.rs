//! The retrain panel's table of files read, driven through egui_kittest with the real importer
//! behind it: drop a folder on the window, start, and see one row per file (melody track, key
//! and signature, meter, bars, sections, or why it was skipped); sort by a heading; export the
//! table as CSV and read it back with Python's csv module; tick "Skip damaged files" and see the
//! damaged file skipped.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::midi::import::{FileColumn, FileRow};
use songsketch::playback::control::NoPlayback;
use songsketch::ui::SongsketchApp;
use support::{DATASETS, pop909_parts};

/// Three POP909 songs, one of them cut short, a Nottingham jig, and a file that is not MIDI.
fn folder(dir: &Path) -> PathBuf {
    let folder = dir.join("my songs");
    std::fs::create_dir_all(&folder).expect("the songs folder");
    let pop = |song: &str| {
        Path::new(DATASETS)
            .join("pop909")
            .join(song)
            .join(format!("{song}.mid"))
    };
    for song in ["001", "002"] {
        std::fs::copy(pop(song), folder.join(format!("{song}.mid"))).expect("copy a song");
    }
    let whole = std::fs::read(pop("003")).expect("a POP909 song");
    std::fs::write(folder.join("003 cut.mid"), &whole[..300]).expect("a cut file");
    let jig = Path::new(DATASETS).join("nottingham").join("jigs1.mid");
    std::fs::copy(jig, folder.join("jigs1.mid")).expect("copy a jig");
    std::fs::write(folder.join("broken.mid"), b"MThd this is not a song").expect("a bad file");
    folder
}

/// Starts training (which the test backend answers by reading the folder) and waits for the
/// rows.
fn read_folder(harness: &mut Harness<'_, SongsketchApp>) -> Vec<FileRow> {
    harness.get_by_label("Start training").click();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        harness.step();
        let panel = harness.state().retrain_panel();
        if let (Some(files), false) = (&panel.files, panel.is_running()) {
            let files = files.clone();
            harness.run_steps(3);
            return files;
        }
        assert!(Instant::now() < deadline, "the folder was never read");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn row<'a>(files: &'a [FileRow], name: &str) -> &'a FileRow {
    files
        .iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn a_dropped_folder_fills_a_sortable_table_that_exports_as_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let songs = folder(dir.path());
    let mut harness = support::harness(
        pop909_parts(&dir.path().join("data"), 2, Box::new(NoPlayback)),
        None,
    );
    harness.run_steps(2);
    support::drop_on_window(&mut harness, &songs);
    let panel = harness.state().retrain_panel();
    assert!(panel.open, "a dropped folder opens the retrain panel");
    assert_eq!(panel.folder.as_deref(), Some(songs.as_path()));

    let files = read_folder(&mut harness);
    assert_eq!(files.len(), 5, "one row per file: {files:#?}");
    let song = row(&files, "001.mid");
    println!("001.mid: {:?}", FileColumn::ALL.map(|c| song.cell(c)));
    assert_eq!(
        song.cell(FileColumn::MelodyTrack),
        "MELODY (track 1, by name)"
    );
    assert_eq!(
        song.cell(FileColumn::Meter),
        "2/4",
        "POP909 files are written in 2/4"
    );
    assert!(song.cell(FileColumn::Sections).contains("Chorus"));
    assert_eq!(song.cell(FileColumn::Status), "read");
    let jig = row(&files, "jigs1.mid");
    assert_eq!(jig.cell(FileColumn::Meter), "6/8");
    assert_eq!(
        jig.cell(FileColumn::Key),
        "A",
        "the jig's real signature stands"
    );
    assert!(
        jig.cell(FileColumn::Signature).starts_with("A ("),
        "{}",
        jig.cell(FileColumn::Signature)
    );
    let cut = row(&files, "003 cut.mid");
    assert!(
        cut.cell(FileColumn::Status)
            .starts_with("read, damaged: track"),
        "{}",
        cut.cell(FileColumn::Status)
    );
    let broken = row(&files, "broken.mid");
    assert!(broken.cell(FileColumn::Status).starts_with("skipped: "));
    assert_eq!(broken.cell(FileColumn::Key), "");

    // The table shows every file and its status.
    for name in [
        "001.mid",
        "002.mid",
        "003 cut.mid",
        "jigs1.mid",
        "broken.mid",
    ] {
        harness.get_by_label(name);
    }
    let pop_rows = harness
        .query_all_by_label(&song.cell(FileColumn::MelodyTrack))
        .count();
    assert_eq!(
        pop_rows, 3,
        "the three POP909 files name their melody track"
    );
    harness.get_by_label("4 songs read, 1 skipped.");

    // Sorting: by bars ascending (skipped files first), then descending.
    harness.get_by_label("Bars").click();
    harness.run_steps(2);
    let bars = |app: &SongsketchApp| -> Vec<Option<usize>> {
        app.retrain_panel()
            .sorted_files()
            .iter()
            .map(|f| f.summary().map(|s| s.bars))
            .collect()
    };
    let ascending = bars(harness.state());
    assert!(ascending.windows(2).all(|w| w[0] <= w[1]), "{ascending:?}");
    assert_eq!(ascending[0], None, "skipped files sort first");
    harness.get_by_label("Bars (1–9)").click();
    harness.run_steps(2);
    let descending = bars(harness.state());
    assert!(
        descending.windows(2).all(|w| w[0] >= w[1]),
        "{descending:?}"
    );

    // The CSV, read back by another program's parser.
    let csv_path = dir.path().join("songs read.csv");
    let csv = harness
        .state()
        .retrain_panel()
        .files_csv()
        .expect("the CSV");
    std::fs::write(&csv_path, csv).expect("write the CSV");
    let python = std::env::var("SONGSKETCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(
            "import csv, json, sys; rows = list(csv.DictReader(open(sys.argv[1], newline='')));\
             print(json.dumps(rows))",
        )
        .arg(&csv_path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<std::collections::HashMap<String, String>> =
        serde_json::from_slice(&out.stdout).expect("JSON from python");
    assert_eq!(rows.len(), 5);
    let first_bars: Vec<String> = rows.iter().map(|r| r["Bars"].clone()).collect();
    let expected: Vec<String> = descending
        .iter()
        .map(|b| b.map(|n| n.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(first_bars, expected, "the CSV keeps the order shown");
    let jig_row = rows
        .iter()
        .find(|r| r["File"] == "jigs1.mid")
        .expect("the jig");
    assert_eq!(jig_row["Meter"], "6/8");
    assert!(jig_row["Path"].ends_with("jigs1.mid"));

    // With "Skip damaged files" ticked, the cut file is skipped and says why.
    harness.get_by_label("Skip damaged files").click();
    harness.run_steps(2);
    assert!(harness.state().retrain_panel().strict);
    let strict = read_folder(&mut harness);
    let cut = row(&strict, "003 cut.mid");
    assert!(cut.is_skipped());
    assert!(
        cut.cell(FileColumn::Status).contains("damaged (track"),
        "{}",
        cut.cell(FileColumn::Status)
    );
    assert_eq!(harness.state().retrain_panel().songs_read(), Some(3));
}
