//! The playhead on the piano roll, driven through egui_kittest: a new idea plays at once, Space
//! stops and starts the player, the roll draws a line where the player says it is (seconds →
//! grid ticks at the idea's tempo), the line follows as the player moves on, and Stop takes it
//! away. The player here is a double whose position the test sets, so the check is exact; the
//! real player's timing is measured in tests/playback_*.rs.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::music::Idea;
use songsketch::playback::control::PlayerControl;
use songsketch::ui::SongsketchApp;
use songsketch::ui::piano_roll::seconds_to_ticks;

/// Where the "player" is: `None` while stopped.
type Position = Arc<Mutex<Option<f64>>>;

/// A player whose position the test moves by hand.
struct HandMovedPlayer {
    position: Position,
}

impl PlayerControl for HandMovedPlayer {
    fn unavailable_reason(&self) -> Option<String> {
        None
    }

    fn refresh_outputs(&mut self) -> Vec<String> {
        vec!["Test synth".into()]
    }

    fn select_output(&mut self, _name: &str) -> anyhow::Result<()> {
        Ok(())
    }

    fn play(&mut self, _idea: &Idea, _looping: bool, _from_seconds: f64) -> anyhow::Result<()> {
        *self.position.lock().expect("position") = Some(0.0);
        Ok(())
    }

    fn stop(&mut self) {
        *self.position.lock().expect("position") = None;
    }

    fn set_looping(&mut self, _looping: bool) {}

    fn playhead_seconds(&mut self) -> Option<f64> {
        *self.position.lock().expect("position")
    }
}

fn app(data_dir: &std::path::Path, position: Position) -> Harness<'static, SongsketchApp> {
    let parts = support::pop909_parts(data_dir, 4, Box::new(HandMovedPlayer { position }));
    support::harness(parts, None)
}

fn step_until(
    harness: &mut Harness<SongsketchApp>,
    what: &str,
    done: impl Fn(&SongsketchApp) -> bool,
) {
    support::step_until(harness, what, Duration::from_secs(60), done);
}

/// The x where the roll should draw the playhead `seconds` into the idea.
fn expected_x(harness: &Harness<SongsketchApp>, seconds: f64) -> f32 {
    let app = harness.state();
    let bpm = app.current().expect("an idea").idea.sheet().tempo.bpm();
    let layout = app.roll().layout().expect("the roll was drawn");
    layout.tick_to_x(seconds_to_ticks(seconds, bpm))
}

#[test]
fn the_playhead_follows_the_player_and_goes_away_on_stop() {
    let data = tempfile::tempdir().expect("temp dir");
    let position: Position = Arc::default();
    let mut harness = app(data.path(), Arc::clone(&position));
    step_until(&mut harness, "the model", |app| app.model().is_some());
    harness.get_by_label("Next idea N").click();
    step_until(&mut harness, "an idea", |app| {
        app.current().is_some() && !app.is_waiting_for_idea()
    });
    // A new idea plays at once.
    assert_eq!(
        *position.lock().unwrap(),
        Some(0.0),
        "the idea plays at once"
    );
    let start_x = harness.state().roll().layout().unwrap().playhead_x;
    assert!(start_x.is_some_and(|x| (x - expected_x(&harness, 0.0)).abs() < 0.5));
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert_eq!(*position.lock().unwrap(), None, "Space stops it");
    assert_eq!(harness.state().roll().layout().unwrap().playhead_x, None);
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert_eq!(
        *position.lock().unwrap(),
        Some(0.0),
        "and Space plays it again"
    );

    for seconds in [1.0, 2.5, 4.0] {
        *position.lock().unwrap() = Some(seconds);
        harness.run_steps(2);
        let x = harness.state().roll().layout().unwrap().playhead_x;
        let expected = expected_x(&harness, seconds);
        assert!(
            x.is_some_and(|x| (x - expected).abs() < 0.5),
            "at {seconds} s the playhead is at {x:?}, expected {expected}"
        );
    }

    harness.get_by_label("Stop Space").click();
    harness.run_steps(2);
    assert_eq!(*position.lock().unwrap(), None, "Stop stops the player");
    assert_eq!(harness.state().roll().layout().unwrap().playhead_x, None);
}
