//! The keep-rate, counted by the real app (egui_kittest) and printed by `songsketch stats`:
//! ideas shown, kept and discarded per model and setting, in the data folder only.

mod support;

use std::process::Command;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use songsketch::library::keep_rate::{Counts, KeepRateFile};
use songsketch::playback::control::NoPlayback;

#[test]
fn the_window_counts_shown_kept_and_discarded_ideas_and_stats_prints_them() {
    let data = tempfile::tempdir().unwrap();
    {
        let mut harness = support::harness(
            support::pop909_parts(data.path(), 12, Box::new(NoPlayback)),
            None,
        );
        let limit = Duration::from_secs(60);
        support::step_until(&mut harness, "the model", limit, |app| {
            app.model().is_some()
        });
        harness.get_by_label("Next idea N").click();
        support::step_until(&mut harness, "an idea", limit, |app| {
            app.current().is_some()
        });
        harness.get_by_label("Keep K").click();
        harness.run_steps(2);
        let first = harness.state().current().cloned();
        harness.get_by_label("Discard D").click();
        support::step_until(&mut harness, "the next idea", limit, |app| {
            app.current().is_some() && app.current() != first.as_ref()
        });
        assert_eq!(
            harness.state().keep_rate_summary().as_deref(),
            Some("kept 1 of 2 (50%)")
        );
        harness.get_by_label("This model: kept 1 of 2 (50%)");
    }
    let file = KeepRateFile::open(data.path()).unwrap();
    assert_eq!(file.rate().models.len(), 1);
    let model = file.rate().models.keys().next().unwrap().clone();
    assert_eq!(
        file.rate().for_model(&model),
        Counts {
            shown: 2,
            kept: 1,
            discarded: 1
        }
    );
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .args(["stats", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(&format!("{model}: kept 1 of 2 (50%)")),
        "{text}"
    );
    assert!(text.contains("temperature 0.90"), "{text}");
    assert!(text.contains("discarded 1"), "{text}");
}
