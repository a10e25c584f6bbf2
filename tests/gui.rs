//! The real app driven through egui_kittest: buttons are found by their accessible labels and
//! clicked; ideas come from a worker engine that cuts verses and choruses out of real POP909
//! songs; the library is written to a temporary data folder and read back.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::model::TrainOutcome;
use songsketch::music::Idea;
use songsketch::music::Key;
use songsketch::playback::control::{NoPlayback, PlayerControl};
use songsketch::ui::piano_roll::Voice;
use songsketch::ui::{AppParts, SongsketchApp};
use songsketch::worker::{IdeaEngine, ModelBackend, ModelRef, TrainReport, TrainRequest};
use support::MemoryStorage;

fn parts(data_dir: &Path) -> AppParts {
    support::pop909_parts(data_dir, 12, Box::new(NoPlayback))
}

fn app<'a>(parts: AppParts, storage: Option<&'a MemoryStorage>) -> Harness<'a, SongsketchApp> {
    support::harness(parts, storage)
}

/// Runs frames until `done` holds for the app, for up to a minute.
fn step_until(
    harness: &mut Harness<SongsketchApp>,
    what: &str,
    done: impl Fn(&SongsketchApp) -> bool,
) {
    support::step_until(harness, what, Duration::from_secs(60), done);
}

fn next_idea(harness: &mut Harness<SongsketchApp>) -> songsketch::music::Idea {
    step_until(harness, "the model", |app| app.model().is_some());
    let before = harness.state().current().cloned();
    harness.get_by_label("Next idea N").click();
    step_until(harness, "an idea", |app| {
        app.current().is_some() && app.current() != before.as_ref()
    });
    harness.state().current().unwrap().idea.clone()
}

#[test]
fn next_idea_fills_the_roll_with_chords_melody_and_labelled_sections() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = app(parts(data.path()), None);
    let idea = next_idea(&mut harness);

    let roll = harness.state().roll();
    let content = roll.content().expect("the roll shows the idea");
    let layout = roll.layout().expect("the roll was drawn");
    let melody_notes = idea.sheet().melody().len();
    assert!(melody_notes > 0);
    assert_eq!(content.count(Voice::Melody), melody_notes);
    assert!(content.count(Voice::Chord) >= 3 * idea.sheet().chord_changes().len() / 2);
    // The idea fills the view: every note is visible, inside the grid, and the song spans it.
    assert_eq!(layout.visible_notes.len(), content.notes.len());
    for (_, rect) in &layout.visible_notes {
        assert!(
            layout.grid.expand(1.0).contains_rect(*rect),
            "{rect:?} outside {:?}",
            layout.grid
        );
    }
    let song_end_x = layout.tick_to_x(content.total_ticks as f32);
    assert!(
        (song_end_x - layout.grid.right()).abs() < 2.0,
        "the idea fills the width"
    );
    // Chords sit in the low register, under the melody on average.
    let mean = |voice: Voice| {
        let pitches: Vec<f32> = content
            .notes
            .iter()
            .filter(|n| n.voice == voice)
            .map(|n| f32::from(n.pitch))
            .collect();
        pitches.iter().sum::<f32>() / pitches.len() as f32
    };
    assert!(mean(Voice::Chord) < mean(Voice::Melody));
    assert!(
        content
            .notes
            .iter()
            .filter(|n| n.voice == Voice::Chord)
            .all(|n| (40..=76).contains(&n.pitch))
    );
    let sections: Vec<&str> = layout
        .visible_sections
        .iter()
        .map(|(label, _)| label.as_str())
        .collect();
    assert_eq!(sections, ["Verse", "Chorus"]);
    assert!(!layout.visible_chord_labels.is_empty());
    // The status line says what happened, and there is no sound in this build: it says so.
    assert!(
        harness.state().status().activity.contains("new idea"),
        "{:?}",
        harness.state().status()
    );
}

#[test]
fn a_kept_idea_is_in_the_library_after_the_app_is_rebuilt_from_storage() {
    let data = tempfile::tempdir().unwrap();
    let mut storage = MemoryStorage::default();
    let kept = {
        let mut harness = app(parts(data.path()), None);
        // A setting changed through the UI persists too.
        harness.get_by_label("4").click();
        harness.run_steps(2);
        let idea = next_idea(&mut harness);
        assert_eq!(idea.verse().bars.len(), 4);
        harness.get_by_label("Keep K").click();
        harness.run_steps(2);
        let library = harness.state().library().unwrap();
        assert_eq!(library.ideas().len(), 1);
        let name = library.ideas()[0].name.clone();
        assert!(name.ends_with(" bpm · #1"), "{name}");
        harness.get_by_label(&name);
        eframe::App::save(harness.state_mut(), &mut storage);
        name
    };
    let mut harness = app(parts(data.path()), Some(&storage));
    harness.run_steps(2);
    assert_eq!(harness.state().settings().generate.bars_per_section, 4);
    let library = harness.state().library().unwrap();
    assert_eq!(library.ideas().len(), 1);
    assert_eq!(library.ideas()[0].name, kept);
    // Clicking it in the library shows it on the roll.
    harness.get_by_label(&kept).click();
    harness.run_steps(2);
    let shown = harness.state().current().expect("the kept idea is shown");
    assert_eq!(
        shown.idea,
        harness.state().library().unwrap().ideas()[0].idea
    );
    assert_eq!(
        shown.kept_id,
        Some(harness.state().library().unwrap().ideas()[0].id)
    );
}

#[test]
fn discard_brings_the_next_idea_and_undo_brings_the_discarded_one_back_once() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = app(parts(data.path()), None);
    next_idea(&mut harness);
    // Ideas are told apart by their seeds (the test engine may cut the same song twice).
    let first = harness.state().current().unwrap().clone();
    harness.get_by_label("Discard D").click();
    step_until(&mut harness, "the next idea", |app| {
        app.current().is_some_and(|c| c.seed != first.seed)
    });
    harness.get_by_label("Undo discard").click();
    harness.run_steps(2);
    assert_eq!(harness.state().current(), Some(&first));
    assert!(!harness.state().can_undo_discard(), "undo works once");
}

#[test]
fn the_next_idea_is_in_the_key_chosen_in_the_key_menu() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = app(parts(data.path()), None);
    step_until(&mut harness, "the model", |app| app.model().is_some());
    harness.get_by_value("Auto").click();
    harness.run_steps(2);
    // The minor keys are far down the menu: ask for the click as a screen reader would.
    harness.get_by_label("Dm").click_accesskit();
    harness.run_steps(2);
    let dm: Key = "Dm".parse().unwrap();
    assert_eq!(harness.state().settings().generate.key, Some(dm));
    for _ in 0..3 {
        let idea = next_idea(&mut harness);
        assert_eq!(idea.sheet().key, dm);
    }
}

#[test]
fn deleting_a_kept_idea_can_be_undone_and_renaming_sticks() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = app(parts(data.path()), None);
    next_idea(&mut harness);
    harness.get_by_label("Keep K").click();
    harness.run_steps(2);
    harness.get_by_label("Rename").click();
    harness.run_steps(2);
    let field = harness.get_by_role(egui::accesskit::Role::TextInput);
    field.type_text(" (bridge?)");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    let name = harness.state().library().unwrap().ideas()[0].name.clone();
    assert!(name.ends_with("#1 (bridge?)"), "{name}");
    harness.get_by_label("Delete").click();
    harness.run_steps(2);
    assert!(harness.state().library().unwrap().ideas().is_empty());
    harness.get_by_label("Undo delete").click();
    harness.run_steps(2);
    assert_eq!(harness.state().library().unwrap().ideas()[0].name, name);
    drop(harness);
    // What is on disk agrees.
    let (reopened, set_aside) =
        songsketch::library::Library::open(&data.path().join("library.json")).unwrap();
    assert!(set_aside.is_none());
    assert_eq!(reopened.ideas()[0].name, name);
}

#[test]
fn without_a_model_the_status_line_says_so_and_no_idea_appears() {
    let data = tempfile::tempdir().unwrap();
    let mut parts = parts(data.path());
    parts.backend = Box::new(MissingModel);
    let mut harness = app(parts, None);
    step_until(&mut harness, "the load to fail", |app| {
        app.status().error.is_some()
    });
    let error = harness.state().status().error.clone().unwrap();
    assert!(error.contains("no model code"), "{error}");
    harness.get_by_label("Next idea N").click();
    harness.run_steps(5);
    std::thread::sleep(Duration::from_millis(100));
    harness.run_steps(5);
    assert!(harness.state().current().is_none());
    assert!(harness.state().roll().content().is_none());
    assert!(
        harness
            .state()
            .status()
            .error
            .as_deref()
            .unwrap()
            .contains("No model is loaded")
    );
}

#[test]
fn save_as_midi_writes_the_ideas_melody_and_the_chords_the_roll_shows() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = app(parts(data.path()), None);
    let idea = next_idea(&mut harness);
    let path = data.path().join("saved.mid");
    songsketch::ui::dialogs::save_idea_as_midi(&idea, &path).unwrap();
    let midi = songsketch::midi::read::read_midi(&std::fs::read(&path).unwrap()).unwrap();
    let mut written: Vec<u8> = midi
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter().map(|n| n.pitch))
        .collect();
    let content = harness.state().roll().content().unwrap();
    let mut shown: Vec<u8> = content.notes.iter().map(|n| n.pitch).collect();
    written.sort_unstable();
    shown.sort_unstable();
    assert_eq!(written, shown, "the file holds the notes the roll draws");
}

/// Stands in for the player where the machine has no MIDI ports or sound card: it offers the
/// outputs it is given and records every output the window chooses. It plays nothing.
struct OutputsPlayer {
    outputs: Vec<String>,
    selected: Arc<Mutex<Vec<String>>>,
}

impl OutputsPlayer {
    fn new(outputs: &[&str]) -> (Self, Arc<Mutex<Vec<String>>>) {
        let selected = Arc::new(Mutex::new(Vec::new()));
        let player = OutputsPlayer {
            outputs: outputs.iter().map(|o| o.to_string()).collect(),
            selected: Arc::clone(&selected),
        };
        (player, selected)
    }
}

impl PlayerControl for OutputsPlayer {
    fn unavailable_reason(&self) -> Option<String> {
        None
    }

    fn refresh_outputs(&mut self) -> Vec<String> {
        self.outputs.clone()
    }

    fn select_output(&mut self, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!(self.outputs.iter().any(|o| o == name), "no output {name}");
        self.selected.lock().unwrap().push(name.to_string());
        Ok(())
    }

    fn play(&mut self, _idea: &Idea, _looping: bool, _from_seconds: f64) -> anyhow::Result<()> {
        anyhow::bail!("this test player plays nothing")
    }

    fn stop(&mut self) {}

    fn set_looping(&mut self, _looping: bool) {}

    fn playhead_seconds(&mut self) -> Option<f64> {
        None
    }
}

const BUILT_IN: &str = "Built-in synth";
const FLUID_PORT: &str = "FLUID Synth (4242):Synth input port (4242:0)";

#[test]
fn the_output_chosen_in_the_menu_is_chosen_again_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut storage = MemoryStorage::default();
    let with_player = |player: OutputsPlayer| AppParts {
        player: Box::new(player),
        ..parts(data.path())
    };
    {
        let (player, selected) = OutputsPlayer::new(&[BUILT_IN, FLUID_PORT]);
        let mut harness = app(with_player(player), None);
        harness.run_steps(2);
        assert_eq!(harness.state().settings().output, None);
        assert!(selected.lock().unwrap().is_empty(), "nothing chosen yet");
        // The menu shows the first output until one is chosen.
        harness.get_by_value(BUILT_IN).click();
        harness.run_steps(2);
        harness.get_by_label(FLUID_PORT).click();
        harness.run_steps(2);
        assert_eq!(*selected.lock().unwrap(), [FLUID_PORT]);
        assert_eq!(
            harness.state().settings().output.as_deref(),
            Some(FLUID_PORT)
        );
        eframe::App::save(harness.state_mut(), &mut storage);
    }

    // Restarted from the same storage: the port is chosen again, before any click, and shown.
    let (player, selected) = OutputsPlayer::new(&[BUILT_IN, FLUID_PORT]);
    let mut harness = app(with_player(player), Some(&storage));
    harness.run_steps(2);
    assert_eq!(*selected.lock().unwrap(), [FLUID_PORT]);
    assert_eq!(
        harness.state().settings().output.as_deref(),
        Some(FLUID_PORT)
    );
    harness.get_by_value(FLUID_PORT);
    drop(harness);

    // Restarted while that synth is not running: the built-in synth is shown, nothing is forced
    // on the player, and the choice is kept for when the port is back.
    let (player, selected) = OutputsPlayer::new(&[BUILT_IN]);
    let mut harness = app(with_player(player), Some(&storage));
    harness.run_steps(2);
    assert!(selected.lock().unwrap().is_empty());
    harness.get_by_value(BUILT_IN);
    assert_eq!(
        harness.state().settings().output.as_deref(),
        Some(FLUID_PORT)
    );
}

/// The backend of a build without model code: it says so instead of inventing ideas.
#[derive(Debug, Default)]
struct MissingModel;

const MISSING_MODEL: &str =
    "this build of Songsketch has no model code yet, so it cannot write ideas";

impl ModelBackend for MissingModel {
    fn load(&mut self, model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>> {
        anyhow::bail!("cannot load {}: {MISSING_MODEL}", model.dir.display())
    }

    fn train(
        &mut self,
        _request: &TrainRequest,
        _report: &mut dyn FnMut(TrainReport),
        _cancel: &std::sync::atomic::AtomicBool,
    ) -> anyhow::Result<TrainOutcome> {
        anyhow::bail!("cannot train: {MISSING_MODEL}")
    }
}
