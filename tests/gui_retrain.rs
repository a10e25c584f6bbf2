//! The retrain panel with the real model (libtorch) behind the worker, driven through
//! egui_kittest: fine-tune the shipped default model on a folder of real POP909 songs with one
//! broken file among them, cancel, resume, see the songs read and skipped, progress and the loss
//! curve, then switch to the new model in one click and get an idea from it.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::ui::SongsketchApp;
use songsketch::ui::retrain::RunState;
use support::{DATASETS, step_until};

/// Real songs to learn from, and a file that only looks like MIDI.
fn training_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("my songs");
    std::fs::create_dir_all(&folder).expect("the songs folder");
    for song in ["001", "002", "003", "004", "005", "006", "008", "009"] {
        let from = Path::new(DATASETS)
            .join("pop909")
            .join(song)
            .join(format!("{song}.mid"));
        std::fs::copy(&from, folder.join(format!("{song}.mid"))).expect("copy a POP909 song");
    }
    std::fs::write(folder.join("broken.mid"), b"MThd this is not a song").expect("a bad file");
    folder
}

fn app(data_dir: &Path) -> Harness<'static, SongsketchApp> {
    support::harness(support::shipped_model_parts(data_dir), None)
}

#[test]
fn fine_tune_on_a_folder_cancel_resume_and_switch_to_the_new_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = training_folder(dir.path());
    let mut harness = app(&dir.path().join("data"));
    step_until(
        &mut harness,
        "the default model",
        Duration::from_secs(30),
        |app| app.model().is_some(),
    );
    let default_model = harness.state().model().cloned().expect("default model");

    harness.get_by_label("Retrain…").click();
    harness.state_mut().choose_training_folder(folder.clone());
    harness.run_steps(2);
    harness.get_by_label("Start training").click();
    step_until(
        &mut harness,
        "the first steps",
        Duration::from_secs(120),
        |app| {
            app.retrain_panel()
                .progress
                .is_some_and(|(step, _, _)| step >= 1)
        },
    );
    let panel = harness.state().retrain_panel();
    assert_eq!(panel.songs_read(), Some(8), "eight songs read");
    let skipped = panel.skipped();
    assert_eq!(skipped.len(), 1, "the broken file is skipped");
    assert!(skipped[0].path.ends_with("broken.mid"));
    assert!(
        skipped[0]
            .cell(songsketch::midi::import::FileColumn::Status)
            .len()
            > "skipped: ".len(),
        "with a reason"
    );

    harness.get_by_label("Cancel").click();
    step_until(
        &mut harness,
        "the cancel",
        Duration::from_secs(120),
        |app| matches!(app.retrain_panel().state, RunState::Cancelled { .. }),
    );
    let steps_before_resume = harness
        .state()
        .retrain_panel()
        .progress
        .expect("progress")
        .0;
    harness.get_by_label("Resume").click();
    step_until(
        &mut harness,
        "the trained model",
        Duration::from_secs(600),
        |app| matches!(app.retrain_panel().state, RunState::Finished(_)),
    );
    let panel = harness.state().retrain_panel();
    let (steps, total, _) = panel.progress.expect("progress");
    assert!(steps > steps_before_resume, "the resumed run went on");
    assert!(steps <= total);
    assert!(panel.losses.len() >= 2, "a loss curve: {:?}", panel.losses);
    let RunState::Finished(trained) = panel.state.clone() else {
        unreachable!()
    };
    assert!(
        trained.dir.join("model.json").is_file(),
        "the new model is saved"
    );
    let models = harness.state().models();
    assert!(models.contains(&trained), "the new model is listed");
    assert!(models.contains(&default_model), "the default one still is");

    harness.get_by_label("Use the new model").click();
    step_until(&mut harness, "the switch", Duration::from_secs(30), |app| {
        app.model() == Some(&trained)
    });
    harness.get_by_label("Next idea N").click();
    step_until(
        &mut harness,
        "an idea of the new model",
        Duration::from_secs(60),
        |app| app.current().is_some() && !app.is_waiting_for_idea(),
    );
    assert_eq!(harness.state().status().error, None);
    let idea = &harness.state().current().expect("an idea").idea;
    assert!(!idea.verse().bars.is_empty() && !idea.chorus().bars.is_empty());
}
