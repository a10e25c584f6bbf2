//! Picking a SoundFont for the built-in synth, through the app: the real synth of this build
//! (rustysynth) must read the file, the choice is remembered across a restart, and a file that
//! is not a SoundFont gives a plain error that names it while the previous choice stays.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use songsketch::music::Idea;
use songsketch::playback::control::PlayerControl;
use songsketch::ui::SongsketchApp;
use support::MemoryStorage;

/// The General MIDI SoundFont `make test` installs (fluid-soundfont-gm).
const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// A built-in synth without a sound card: it loads the SoundFont with the real synth (so a bad
/// file is refused for the real reason) and records which one it plays with.
struct RecordingSynth {
    soundfonts: Arc<Mutex<Vec<PathBuf>>>,
}

impl PlayerControl for RecordingSynth {
    fn unavailable_reason(&self) -> Option<String> {
        None
    }

    fn refresh_outputs(&mut self) -> Vec<String> {
        vec![songsketch::engine::BUILT_IN_SYNTH.into()]
    }

    fn select_output(&mut self, _name: &str) -> anyhow::Result<()> {
        Ok(())
    }

    fn play(&mut self, _idea: &Idea, _looping: bool, _from_seconds: f64) -> anyhow::Result<()> {
        Ok(())
    }

    fn stop(&mut self) {}

    fn set_looping(&mut self, _looping: bool) {}

    fn playhead_seconds(&mut self) -> Option<f64> {
        None
    }

    fn use_soundfont(&mut self, path: &Path) -> anyhow::Result<()> {
        songsketch::playback::soundfont::load_soundfont(path)?;
        self.soundfonts
            .lock()
            .expect("record")
            .push(path.to_path_buf());
        Ok(())
    }
}

fn app<'a>(
    data_dir: &Path,
    storage: Option<&'a MemoryStorage>,
    soundfonts: &Arc<Mutex<Vec<PathBuf>>>,
) -> Harness<'a, SongsketchApp> {
    let synth = RecordingSynth {
        soundfonts: Arc::clone(soundfonts),
    };
    let parts = support::pop909_parts(data_dir, 2, Box::new(synth));
    support::harness(parts, storage)
}

#[test]
fn a_picked_soundfont_is_used_and_remembered_and_a_bad_one_is_refused_by_name() {
    assert!(
        Path::new(SOUNDFONT).is_file(),
        "{SOUNDFONT} missing: make test installs fluid-soundfont-gm"
    );
    let data = tempfile::tempdir().expect("temp dir");
    let mut storage = MemoryStorage::default();
    let soundfonts = Arc::new(Mutex::new(Vec::new()));
    let mut harness = app(data.path(), None, &soundfonts);
    // The model's "ready" would overwrite the status line: let it come first.
    support::step_until(
        &mut harness,
        "the test engine",
        std::time::Duration::from_secs(30),
        |app| app.model().is_some(),
    );
    harness
        .state_mut()
        .choose_soundfont(PathBuf::from(SOUNDFONT));
    harness.run_steps(2);
    assert_eq!(*soundfonts.lock().unwrap(), [PathBuf::from(SOUNDFONT)]);
    assert!(
        harness.state().status().activity.contains("FluidR3_GM.sf2"),
        "{:?}",
        harness.state().status()
    );

    let not_a_soundfont = data.path().join("drums.sf2");
    std::fs::write(&not_a_soundfont, b"RIFF....sfbk but not really").expect("write");
    harness
        .state_mut()
        .choose_soundfont(not_a_soundfont.clone());
    harness.run_steps(2);
    let error = harness.state().status().error.clone().expect("an error");
    assert!(error.contains("drums.sf2"), "{error}");
    assert_eq!(
        harness.state().settings().soundfont.as_deref(),
        Some(Path::new(SOUNDFONT)),
        "the good choice stays"
    );
    eframe::App::save(harness.state_mut(), &mut storage);
    drop(harness);

    soundfonts.lock().unwrap().clear();
    let _again = app(data.path(), Some(&storage), &soundfonts);
    assert_eq!(
        *soundfonts.lock().unwrap(),
        [PathBuf::from(SOUNDFONT)],
        "a restart plays with the remembered SoundFont"
    );
}
