//! Redoing chosen bars in the real app (egui_kittest): bars are selected by dragging across the
//! roll's header, Redo melody writes new notes in those bars only, and undo / redo step through
//! the versions of the idea. Ideas come from the POP909 test engine, which splices another
//! song's bars in the way the model splices its own.

mod support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use songsketch::music::{Bar, Idea};
use songsketch::playback::control::NoPlayback;
use songsketch::ui::SongsketchApp;

fn step_until(
    harness: &mut Harness<SongsketchApp>,
    what: &str,
    done: impl Fn(&SongsketchApp) -> bool,
) {
    support::step_until(harness, what, Duration::from_secs(60), done);
}

fn bars(idea: &Idea) -> Vec<Bar> {
    idea.sheet().bars().cloned().collect()
}

fn first_idea(harness: &mut Harness<SongsketchApp>) -> Idea {
    step_until(harness, "the model", |app| app.model().is_some());
    harness.get_by_label("Next idea N").click();
    step_until(harness, "an idea", |app| app.current().is_some());
    harness.state().current().unwrap().idea.clone()
}

/// Drags across the roll's header from the middle of bar `from` to the middle of bar `to`.
fn drag_across_bars(harness: &mut Harness<SongsketchApp>, from: usize, to: usize) {
    let roll = harness.state().roll();
    let layout = roll.layout().expect("the roll was drawn");
    let content = roll.content().expect("an idea on the roll");
    let middle_x = |bar: usize| {
        let start = content.bar_starts[bar] as f32;
        let end = content
            .bar_starts
            .get(bar + 1)
            .map_or(content.total_ticks as f32, |&e| e as f32);
        layout.tick_to_x((start + end) / 2.0)
    };
    let y = layout.rect.top() + 10.0;
    let (start, end) = (egui::pos2(middle_x(from), y), egui::pos2(middle_x(to), y));
    harness.hover_at(start);
    harness.step();
    harness.drag_at(start);
    harness.step();
    for k in 1..=6 {
        harness.hover_at(start + (end - start) * (k as f32 / 6.0));
        harness.step();
    }
    harness.drop_at(end);
    harness.run_steps(2);
}

/// Redo melody (on the selected bars) and the idea that comes back.
fn redo_melody(harness: &mut Harness<SongsketchApp>, original: &Idea) -> Idea {
    harness.get_by_label("Redo melody M").click();
    harness.step();
    step_until(harness, "the redone bars", |app| {
        app.current().is_some_and(|c| &c.idea != original)
    });
    harness.state().current().unwrap().idea.clone()
}

#[test]
fn dragging_over_bars_5_and_6_and_redoing_the_melody_changes_only_those_bars() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = support::harness(
        support::pop909_parts(data.path(), 12, Box::new(NoPlayback)),
        None,
    );
    let original = first_idea(&mut harness);
    drag_across_bars(&mut harness, 4, 5);
    let selection = harness.state().selected_bars().expect("bars are selected");
    assert_eq!((selection.first, selection.last), (4, 5));
    assert!(
        harness
            .state()
            .roll()
            .layout()
            .unwrap()
            .selection_rect
            .is_some()
    );
    let redone = redo_melody(&mut harness, &original);
    let (before, after) = (bars(&original), bars(&redone));
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        if index == 4 || index == 5 {
            assert_eq!(old.chords, new.chords, "bar {index}: the chords stay");
        } else {
            assert_eq!(old, new, "bar {index} changed");
        }
    }
    assert_ne!(before[4..6], after[4..6], "bars 5–6 have a new melody");
    assert!(
        harness.state().status().activity.contains("bars 5–6"),
        "{:?}",
        harness.state().status()
    );
    // The selection stays for another try, and the change can be undone and redone.
    assert!(harness.state().selected_bars().is_some());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, original);
    harness.get_by_label("Redo change").click();
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, redone);
    harness.get_by_label("Undo change").click();
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, original);
    harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, redone);
}

/// The shipped Transformer, chosen in the Retrain window's model list, redoes bars 5–6 of its
/// own idea with the network (the LSTM cannot write bars knowing what follows them).
#[test]
fn the_shipped_transformer_is_listed_and_redoes_chosen_bars() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = support::harness(support::shipped_model_parts(data.path()), None);
    step_until(&mut harness, "the default model", |app| {
        app.model().is_some()
    });
    let transformer = harness
        .state()
        .models()
        .into_iter()
        .find(|m| m.name == "transformer (shipped)")
        .expect("the shipped Transformer is listed");
    harness.get_by_label("Retrain…").click();
    harness.run_steps(2);
    // The default model is in use, so the first Use button is the Transformer's.
    harness
        .get_all_by_label("Use")
        .next()
        .expect("a Use button")
        .click();
    step_until(&mut harness, "the Transformer", |app| {
        app.model() == Some(&transformer)
    });
    harness.get_by_label("Retrain…").click();
    harness.run_steps(2);
    let original = first_idea(&mut harness);
    drag_across_bars(&mut harness, 4, 5);
    let redone = redo_melody(&mut harness, &original);
    let (before, after) = (bars(&original), bars(&redone));
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        if !(4..=5).contains(&index) {
            assert_eq!(old, new, "bar {index} changed");
        }
    }
    assert_ne!(before[4..6], after[4..6], "bars 5–6 have a new melody");
}

#[test]
fn the_c_key_redoes_the_chords_of_the_selection_and_a_new_idea_clears_it() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = support::harness(
        support::pop909_parts(data.path(), 12, Box::new(NoPlayback)),
        None,
    );
    let original = first_idea(&mut harness);
    harness.state_mut().select_bars(2, 3);
    harness.run_steps(2);
    harness.key_press(egui::Key::C);
    harness.step();
    step_until(&mut harness, "new chords", |app| {
        app.current().is_some_and(|c| c.idea != original)
    });
    let redone = harness.state().current().unwrap().idea.clone();
    let (before, after) = (bars(&original), bars(&redone));
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        assert_eq!(old.melody, new.melody, "bar {index}: the melody stays");
    }
    assert!(harness.state().history().can_undo());
    harness.get_by_label("Next idea N").click();
    harness.run_steps(2);
    assert!(harness.state().selected_bars().is_none());
    assert!(!harness.state().history().can_undo());
}

#[test]
fn back_and_forward_step_through_every_idea_of_the_session_with_its_settings() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = support::harness(
        support::pop909_parts(data.path(), 12, Box::new(NoPlayback)),
        None,
    );
    let first = first_idea(&mut harness);
    // The second idea is asked for with another temperature.
    let mut settings = harness.state().settings().generate.clone();
    settings.sampling.temperature = 1.3;
    harness.state_mut().set_generate_settings(settings);
    harness.run_steps(2);
    harness.get_by_label("Next idea N").click();
    // (The test engine may cut the same song again: the session counts ideas, not songs.)
    step_until(&mut harness, "a second idea", |app| {
        app.session().len() == 2
    });
    let second = harness.state().current().unwrap().idea.clone();
    assert_eq!(harness.state().session().len(), 2);
    harness.key_press(egui::Key::ArrowLeft);
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, first);
    assert!(
        harness.state().status().activity.contains("Idea 1 of 2"),
        "{:?}",
        harness.state().status()
    );
    assert!(
        harness
            .state()
            .status()
            .activity
            .contains("temperature 0.90")
    );
    harness.get_by_label("Forward").click();
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, second);
    assert!(
        harness
            .state()
            .status()
            .activity
            .contains("temperature 1.30")
    );
    assert!(!harness.state().session().can_go_forward());
    harness.get_by_label("Back").click();
    harness.run_steps(2);
    assert_eq!(harness.state().current().unwrap().idea, first);
}

#[test]
fn a_meter_the_model_has_never_seen_is_greyed_out_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = support::harness(
        support::pop909_parts(data.path(), 12, Box::new(NoPlayback)),
        None,
    );
    step_until(&mut harness, "the model", |app| app.model().is_some());
    harness.run_steps(2);
    let four = harness.get_by_label("4/4");
    assert!(!four.accesskit_node().is_disabled());
    let waltz = harness.get_by_label("3/4");
    assert!(
        waltz.accesskit_node().is_disabled(),
        "the test engine knows only 4/4"
    );
    waltz.hover();
    // Tooltips wait for the pointer to rest (half a second of frames).
    harness.run_steps(60);
    harness.get_by_label_contains("never seen 3/4: retrain it on songs in 3/4");
    assert!(harness.get_by_label("6/8").accesskit_node().is_disabled());
    assert_eq!(harness.state().settings().generate.meter.to_string(), "4/4");
}
