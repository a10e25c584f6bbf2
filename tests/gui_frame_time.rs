//! No frame waits on the model: the real app (egui_kittest, the shipped model behind the worker)
//! is stepped frame by frame while the worker writes a fresh idea, new chords for bars 5–6, and
//! chords for a dropped melody. Each frame's time (the app's update and egui's layout, timed
//! here) is compared with how long the worker took: a frame that waited on the model would
//! last as long as the job. Prints the longest frame of each, for the README.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use songsketch::midi::write::{ExportOptions, write_lead_sheet};
use songsketch::ui::SongsketchApp;
use support::{DATASETS, Pop909Song};

/// How long the job took, and the longest frame while it ran.
struct Timed {
    job: Duration,
    longest_frame: Duration,
    frames: usize,
}

/// Steps frames until `done`, timing each.
fn time_frames(
    harness: &mut Harness<SongsketchApp>,
    what: &str,
    done: impl Fn(&SongsketchApp) -> bool,
) -> Timed {
    let started = Instant::now();
    let mut timed = Timed {
        job: Duration::ZERO,
        longest_frame: Duration::ZERO,
        frames: 0,
    };
    while !done(harness.state()) {
        if let Some(error) = &harness.state().status().error {
            panic!("{what}: {error}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{what} never came"
        );
        let frame = Instant::now();
        harness.step();
        timed.longest_frame = timed.longest_frame.max(frame.elapsed());
        timed.frames += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    timed.job = started.elapsed();
    println!(
        "{what}: worker {:.0} ms, {} frames, longest frame {:.1} ms",
        timed.job.as_secs_f64() * 1000.0,
        timed.frames,
        timed.longest_frame.as_secs_f64() * 1000.0
    );
    timed
}

/// A frame that waited on the job would last about as long as the job.
fn assert_no_frame_waited(timed: &Timed, what: &str) {
    assert!(
        timed.frames >= 2 && timed.longest_frame * 2 < timed.job.max(Duration::from_millis(100)),
        "{what}: a frame of {:?} while the job took {:?}",
        timed.longest_frame,
        timed.job
    );
}

#[test]
fn frames_stay_short_while_the_worker_writes() {
    let dir = tempfile::tempdir().unwrap();
    let parts = support::shipped_model_parts(&dir.path().join("data"));
    let mut harness = support::harness(parts, None);
    support::step_until(&mut harness, "the model", Duration::from_secs(60), |app| {
        app.model().is_some()
    });
    harness.run_steps(5);

    // Right after the model loads, the first idea is still being written.
    harness.get_by_label("Next idea N").click();
    let next = time_frames(&mut harness, "next idea", |app| app.current().is_some());

    harness.state_mut().select_bars(4, 5);
    harness.run_steps(2);
    harness.get_by_label("Redo chords C").click();
    let before = harness.state().current().unwrap().idea.clone();
    let redo = time_frames(&mut harness, "redo chords, bars 5–6", |app| {
        !app.is_waiting_for_idea() && app.current().is_some_and(|c| c.idea != before)
    });
    assert_no_frame_waited(&redo, "redo");

    let song = Pop909Song::load(&Path::new(DATASETS).join("pop909").join("004")).unwrap();
    let file = dir.path().join("melody.mid");
    write_lead_sheet(
        song.idea(8).unwrap().sheet(),
        &file,
        &ExportOptions::default(),
    )
    .unwrap();
    support::drop_on_window(&mut harness, &file);
    harness.get_by_label("Write chords for this melody").click();
    let shown = harness.state().current().unwrap().idea.clone();
    let harmonize = time_frames(&mut harness, "chords for a dropped 16-bar melody", |app| {
        !app.is_waiting_for_idea() && app.current().is_some_and(|c| c.idea != shown)
    });
    assert_no_frame_waited(&harmonize, "harmonize");
    assert!(next.longest_frame < Duration::from_secs(1));
}
