//! Light edits in the real app (egui_kittest, the POP909 test engine behind the worker): click a
//! chord symbol on the roll and type a new one, move the idea to another key, change its tempo;
//! the melody stays, undo steps back, and the exported MIDI file (read back by the importer) is
//! exactly what is shown.

mod support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::midi::import::import_file;
use songsketch::music::{ChordSymbol, Idea, LeadSheet, Note};
use songsketch::playback::control::NoPlayback;
use songsketch::ui::SongsketchApp;
use songsketch::ui::dialogs::save_idea_as_midi;

fn first_idea(harness: &mut Harness<SongsketchApp>) -> Idea {
    support::step_until(harness, "the engine", Duration::from_secs(60), |app| {
        app.model().is_some()
    });
    harness.get_by_label("Next idea N").click();
    support::step_until(harness, "an idea", Duration::from_secs(60), |app| {
        app.current().is_some()
    });
    harness.run_steps(3);
    harness.state().current().unwrap().idea.clone()
}

fn shown(harness: &Harness<SongsketchApp>) -> Idea {
    harness.state().current().expect("an idea").idea.clone()
}

fn melody(sheet: &LeadSheet) -> Vec<(usize, Note)> {
    sheet
        .melody()
        .into_iter()
        .map(|p| (p.bar_index, p.item))
        .collect()
}

fn first_chord(sheet: &LeadSheet) -> Option<ChordSymbol> {
    sheet.chord_changes().first().and_then(|c| c.item.chord)
}

/// Saves the shown idea as MIDI and reads the file back.
fn exported(harness: &Harness<SongsketchApp>, dir: &std::path::Path) -> LeadSheet {
    let path = dir.join("edited.mid");
    save_idea_as_midi(&shown(harness), &path).expect("save");
    import_file(&path).expect("read back").sheet
}

#[test]
fn a_chord_retyped_on_the_roll_a_new_key_and_tempo_are_what_is_exported() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = support::harness(
        support::pop909_parts(&dir.path().join("data"), 4, Box::new(NoPlayback)),
        None,
    );
    let original = first_idea(&mut harness);

    // Click the first chord symbol drawn on the roll and type a new chord.
    let (_, hit) = harness
        .state()
        .roll()
        .layout()
        .expect("the roll")
        .chord_label_hits[0];
    harness.hover_at(hit.center());
    harness.step();
    harness.drag_at(hit.center());
    harness.step();
    harness.drop_at(hit.center());
    harness.run_steps(3);
    let edit = harness
        .state()
        .chord_edit()
        .expect("the chord editor opened");
    assert_eq!(edit.bar, 0);
    assert!(
        harness.state().selected_bars().is_none(),
        "a chord click selects no bars"
    );
    let field = harness.get_by_role(egui::accesskit::Role::TextInput);
    field.focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role(egui::accesskit::Role::TextInput)
        .type_text("Bbmaj7/D");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert!(
        harness.state().chord_edit().is_none(),
        "the editor closed: {:?}",
        harness.state().chord_edit()
    );
    let edited = shown(&harness);
    let expected: ChordSymbol = "Bbmaj7/D".parse().unwrap();
    assert_eq!(first_chord(edited.sheet()), Some(expected));
    assert_eq!(
        melody(edited.sheet()),
        melody(original.sheet()),
        "the melody is untouched"
    );
    assert_eq!(
        edited.sheet().chord_changes()[1..],
        original.sheet().chord_changes()[1..],
        "only that chord changed"
    );
    let file = exported(&harness, dir.path());
    assert_eq!(
        first_chord(&file),
        Some(expected),
        "the file has the new chord"
    );
    assert_eq!(melody(&file), melody(edited.sheet()));

    // A chord that is not one stays in the editor with the reason.
    let (_, hit) = harness.state().roll().layout().unwrap().chord_label_hits[1];
    harness.drag_at(hit.center());
    harness.step();
    harness.drop_at(hit.center());
    harness.run_steps(3);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role(egui::accesskit::Role::TextInput)
        .type_text("Hm7");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    let edit = harness.state().chord_edit().expect("still open");
    assert!(edit.error.is_some(), "with the reason");
    harness.get_by_label("Close window").click();
    harness.run_steps(2);
    assert!(harness.state().chord_edit().is_none());

    // Another key: melody and chords move together, the nearest way.
    let key = edited.sheet().key;
    let target = key.transpose(2);
    harness.get_by_value(&format!("in {key}")).click();
    harness.run_steps(2);
    harness.get_by_label(&target.to_string()).click_accesskit();
    harness.run_steps(3);
    let moved = shown(&harness);
    assert_eq!(moved.sheet().key, target);
    let up_two: Vec<u8> = melody(edited.sheet())
        .iter()
        .map(|(_, n)| n.pitch.0 + 2)
        .collect();
    let now: Vec<u8> = melody(moved.sheet())
        .iter()
        .map(|(_, n)| n.pitch.0)
        .collect();
    assert_eq!(now, up_two);
    assert_eq!(first_chord(moved.sheet()), Some(expected.transpose(2)));

    // Another tempo, then the file again.
    harness.state_mut().set_idea_tempo(96.0);
    harness.run_steps(2);
    let file = exported(&harness, dir.path());
    assert!(
        (file.tempo.bpm() - 96.0).abs() < 0.01,
        "{}",
        file.tempo.bpm()
    );
    assert_eq!(file.key, target);
    assert_eq!(melody(&file), melody(shown(&harness).sheet()));

    // Undo steps back through tempo, key and chord to the idea as it came.
    for _ in 0..3 {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
        harness.run_steps(2);
    }
    assert_eq!(shown(&harness).sheet(), original.sheet());
}
