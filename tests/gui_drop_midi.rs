//! A MIDI file dropped on the real app (egui_kittest, the shipped model behind the worker):
//! "Write chords for this melody" keeps every note of the file's melody and writes a chord in
//! every bar; "Continue this motif" opens the verse with the file's first bars and writes the
//! rest; a file that is not MIDI is refused with a message.

mod support;

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::midi::import::import_file;
use songsketch::midi::write::{ExportOptions, write_lead_sheet};
use songsketch::music::{Bar, Idea, LeadSheet, Note};
use songsketch::ui::SongsketchApp;
use support::{DATASETS, Pop909Song, step_until};

fn app(data_dir: &Path) -> Harness<'static, SongsketchApp> {
    support::harness(support::shipped_model_parts(data_dir), None)
}

/// A real song's verse and chorus (4 bars each) as a MIDI file, as a composer would drop it.
fn melody_file(dir: &Path) -> std::path::PathBuf {
    let song = Pop909Song::load(&Path::new(DATASETS).join("pop909").join("004")).expect("song");
    let idea = song.idea(4).expect("a verse and a chorus");
    let path = dir.join("my melody.mid");
    write_lead_sheet(idea.sheet(), &path, &ExportOptions::default()).expect("write the file");
    path
}

/// Every melody note with its bar number.
fn notes(bars: &[Bar]) -> Vec<(usize, Note)> {
    bars.iter()
        .enumerate()
        .flat_map(|(i, b)| b.melody.iter().map(move |n| (i, *n)))
        .collect()
}

fn bars_of(sheet: &LeadSheet) -> Vec<Bar> {
    sheet.bars().cloned().collect()
}

fn wait_for_new_idea(harness: &mut Harness<SongsketchApp>, before: Option<&Idea>) -> Idea {
    step_until(harness, "the idea", Duration::from_secs(120), |app| {
        !app.is_waiting_for_idea() && app.current().map(|c| &c.idea) != before
    });
    harness.state().current().expect("an idea").idea.clone()
}

#[test]
fn a_dropped_melody_gets_chords_and_a_dropped_motif_is_continued() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = melody_file(dir.path());
    let mine = bars_of(&import_file(&file).expect("the file imports").sheet);
    let mut harness = app(&dir.path().join("data"));
    step_until(&mut harness, "the model", Duration::from_secs(60), |app| {
        app.model().is_some()
    });

    support::drop_on_window(&mut harness, &file);
    harness.get_by_label("What should become of my melody.mid?");
    harness.get_by_label("Write chords for this melody").click();
    let harmonized = wait_for_new_idea(&mut harness, None);
    let bars = bars_of(harmonized.sheet());
    assert_eq!(bars.len(), mine.len(), "one bar of idea per bar of melody");
    assert_eq!(
        notes(&bars),
        notes(&mine),
        "the melody is kept note for note"
    );
    assert!(
        bars.iter()
            .all(|b| b.chords.iter().any(|c| c.chord.is_some())),
        "a chord in every bar"
    );
    let status = harness.state().status().activity.clone();
    assert!(
        status.starts_with("Here is chords for your melody"),
        "{status}"
    );

    support::drop_on_window(&mut harness, &file);
    harness.get_by_label("Continue this motif").click();
    let continued = wait_for_new_idea(&mut harness, Some(&harmonized));
    let verse: Vec<Bar> = continued.verse().bars.clone();
    let opening = 4usize; // half of the 8-bar verse (the default length)
    assert!(verse.len() > opening, "the verse goes on after the motif");
    let pitches = |bars: &[Bar]| -> Vec<(usize, u32, u8)> {
        notes(bars)
            .into_iter()
            .map(|(bar, n)| (bar, n.onset, n.pitch.0))
            .collect()
    };
    assert_eq!(
        pitches(&verse[..opening]),
        pitches(&mine[..opening]),
        "the verse opens with the motif"
    );
    assert!(
        !continued.chorus().bars.is_empty(),
        "a chorus follows the verse"
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not music").expect("a text file");
    support::drop_on_window(&mut harness, &text);
    let error = harness.state().status().error.clone().unwrap_or_default();
    assert!(
        error.contains("neither a MIDI file nor a folder"),
        "{error}"
    );
}
