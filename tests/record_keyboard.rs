//! Recording from a MIDI keyboard in the real app (egui_kittest, the shipped model behind the
//! worker, midir's JACK backend against a dummy JACK server). The test's "keyboard" is a
//! virtual JACK MIDI output it plays a motif into, on time, from a thread of its own; the
//! metronome goes through the real player to jack_midi_dump.
//!
//! Checked: the keyboard appears by itself; Record counts in one bar of clicks; the motif shows
//! on the roll while it is played and, quantized, after Stop; "Write chords for this melody"
//! keeps it note for note; the kept idea holds it; no frame waits for the keyboard; unplugging
//! the keyboard while recording ends the take with a message, and plugging one in is announced.
//!
//! Needs `--features jack` and the Debian package jackd2. One test function: the JACK server is
//! chosen through the process environment.
#![cfg(feature = "jack")]

mod jack_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use midir::os::unix::VirtualOutput;
use midir::{MidiOutput, MidiOutputConnection};
use songsketch::engine::ThreadPlayer;
use songsketch::library::Library;
use songsketch::playback::control::PlayerControl;
use songsketch::recording::MidirKeyboards;
use songsketch::recording::metronome::{ACCENT_NOTE, BEAT_NOTE, CLICK_CHANNEL};
use songsketch::ui::piano_roll::Voice;
use songsketch::ui::{RecordingPhase, SongsketchApp};
use songsketch::worker::Material;

const BPM: f64 = 120.0;
const BEAT: f64 = 60.0 / BPM;
/// Grid ticks per beat (a quarter).
const TICKS: u32 = 12;

/// The motif: (MIDI pitch, start, length) in beats from bar 1; two bars of 4/4 with eighths.
const MOTIF: [(u8, f64, f64); 7] = [
    (72, 0.0, 1.0),
    (76, 1.0, 1.0),
    (79, 2.0, 0.5),
    (81, 2.5, 0.5),
    (79, 3.0, 1.0),
    (76, 4.0, 2.0),
    (72, 6.0, 2.0),
];

/// The motif as the importer should read it: (pitch, onset in grid ticks from bar 1).
fn motif_on_the_grid() -> Vec<(u8, u32)> {
    MOTIF
        .iter()
        .map(|&(pitch, start, _)| (pitch, (start * f64::from(TICKS)) as u32))
        .collect()
}

/// The virtual keyboard's port as JACK (and so the app) names it.
const KEYBOARD: &str = "test-keyboard:keys";

fn plug_in_keyboard() -> MidiOutputConnection {
    MidiOutput::new("test-keyboard")
        .expect("a JACK MIDI client")
        .create_virtual("keys")
        .expect("a virtual MIDI output")
}

/// Plays the motif starting at `bar_one`, a human's few milliseconds off the beat, each note
/// let go a little before its full length.
fn play_motif(mut keyboard: MidiOutputConnection, bar_one: Instant) -> MidiOutputConnection {
    let mut messages: Vec<(f64, [u8; 3])> = Vec::new();
    for (i, &(pitch, start, length)) in MOTIF.iter().enumerate() {
        let human = [0.012, -0.008, 0.004, 0.015, -0.01, 0.006, 0.0][i];
        messages.push(((start * BEAT) + human, [0x90, pitch, 96]));
        messages.push(((start + length * 0.85) * BEAT + human, [0x80, pitch, 0]));
    }
    messages.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (seconds, bytes) in messages {
        let at = bar_one + Duration::from_secs_f64(seconds.max(0.0));
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        keyboard.send(&bytes).expect("the keyboard sends");
    }
    keyboard
}

/// (pitch, onset in grid ticks) of every melody note the roll shows.
fn roll_melody(app: &SongsketchApp) -> Vec<(u8, u32)> {
    let content = app.roll().content().expect("the roll shows something");
    let mut notes: Vec<(u8, u32)> = content
        .notes
        .iter()
        .filter(|note| note.voice == Voice::Melody)
        .map(|note| (note.pitch, note.start))
        .collect();
    notes.sort_by_key(|&(pitch, start)| (start, pitch));
    notes
}

fn melody_of(sheet: &songsketch::music::LeadSheet) -> Vec<(u8, u32)> {
    sheet
        .melody()
        .iter()
        .map(|n| (n.item.pitch.0, n.absolute(n.item.onset)))
        .collect()
}

/// The melody of the first two bars (the motif's length).
fn opening(sheet: &songsketch::music::LeadSheet) -> Vec<(u8, u32)> {
    let two_bars = 2 * 4 * TICKS;
    melody_of(sheet)
        .into_iter()
        .filter(|&(_, onset)| onset < two_bars)
        .collect()
}

/// Steps frames until `done`, timing each one; returns the longest.
fn step_timed(
    harness: &mut Harness<SongsketchApp>,
    limit: Duration,
    mut done: impl FnMut(&SongsketchApp) -> bool,
) -> Duration {
    let deadline = Instant::now() + limit;
    let mut longest = Duration::ZERO;
    while !done(harness.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out; status {:?}",
            harness.state().status()
        );
        let start = Instant::now();
        harness.step();
        longest = longest.max(start.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    longest
}

#[test]
fn a_motif_played_on_a_keyboard_is_recorded_harmonized_and_kept() {
    let server = format!("songsketch-record-{}", std::process::id());
    // SAFETY: set once, before this test creates any thread or JACK client; this file has no other test.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &server) };
    let _jack = jack_support::start_jack(&server);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");

    let clicks = jack_support::MidiDump::start("clicks");
    let mut player = ThreadPlayer::spawn().expect("the player thread");
    player
        .select_output("clicks:input")
        .expect("the click port");
    let parts = songsketch::ui::AppParts {
        player: Box::new(player),
        keyboards: Box::new(MidirKeyboards::default()),
        ..support::shipped_model_parts(&data)
    };
    let mut harness = support::harness(parts, None);
    let mut settings = harness.state().settings().generate.clone();
    settings.tempo_bpm = BPM;
    harness.state_mut().set_generate_settings(settings);
    support::step_until(&mut harness, "the model", Duration::from_secs(60), |app| {
        app.model().is_some()
    });

    // Plugged in while the app runs: it appears in the list and is announced.
    let keyboard = plug_in_keyboard();
    support::step_until(
        &mut harness,
        "the keyboard",
        Duration::from_secs(10),
        |app| app.keyboards().names.iter().any(|n| n == KEYBOARD),
    );
    let status = harness.state().status().activity.clone();
    assert!(
        status.contains("Keyboard plugged in") && status.contains(KEYBOARD),
        "{status}"
    );
    harness.state_mut().choose_keyboard(KEYBOARD.into());
    let listed = songsketch::recording::input::list_keyboards().expect("JACK MIDI input");
    assert!(
        listed.iter().any(|n| n == KEYBOARD),
        "`songsketch ports` lists {listed:?}"
    );

    harness.get_by_label("Record R").click();
    harness.step();
    let bar_one = harness.state().recording_bar_one().expect("recording");
    assert!(
        matches!(
            harness.state().recording_phase(),
            Some(RecordingPhase::CountIn(4))
        ),
        "{:?}",
        harness.state().recording_phase()
    );
    let player_thread = std::thread::spawn(move || play_motif(keyboard, bar_one));
    let longest_frame = step_timed(&mut harness, Duration::from_secs(20), |_| {
        player_thread.is_finished()
    });
    let keyboard = player_thread.join().expect("the motif was played");
    // The last notes' messages reach the app within a JACK period or two.
    step_timed(&mut harness, Duration::from_secs(1), {
        let until = Instant::now() + Duration::from_millis(300);
        move |_| Instant::now() > until
    });
    assert_eq!(
        roll_melody(harness.state()),
        motif_on_the_grid(),
        "the roll shows the take while recording"
    );
    println!("longest frame while recording: {longest_frame:?}");
    assert!(
        longest_frame < Duration::from_millis(250),
        "a frame waited: {longest_frame:?}"
    );

    harness.get_by_label("Stop recording R").click();
    harness.run_steps(3);
    assert!(harness.state().recording_phase().is_none());
    assert!(
        matches!(
            harness.state().pending_material(),
            Some(Material::Recorded(_))
        ),
        "the take waits for a choice"
    );
    assert_eq!(roll_melody(harness.state()), motif_on_the_grid());

    // The count-in and the clicks under the take reached the output, accent first.
    let clicked: Vec<(u64, u8)> = clicks
        .take_timed()
        .into_iter()
        .filter(|(_, bytes)| bytes.len() == 3 && bytes[0] == 0x90 | CLICK_CHANNEL && bytes[2] > 0)
        .map(|(frame, bytes)| (frame, bytes[1]))
        .collect();
    assert!(clicked.len() >= 4 + 8, "{clicked:?}");
    let notes: Vec<u8> = clicked.iter().take(5).map(|c| c.1).collect();
    assert_eq!(
        notes,
        [ACCENT_NOTE, BEAT_NOTE, BEAT_NOTE, BEAT_NOTE, ACCENT_NOTE]
    );
    let beat_frames = (clicked[4].0 - clicked[0].0) as f64 / 4.0;
    let beat_seconds = beat_frames / jack_support::RATE;
    assert!(
        (beat_seconds - BEAT).abs() < 0.01,
        "a click every {beat_seconds} s"
    );

    harness.get_by_label("Write chords for this melody").click();
    support::step_until(&mut harness, "the idea", Duration::from_secs(120), |app| {
        !app.is_waiting_for_idea() && app.current().is_some()
    });
    let idea = harness.state().current().expect("an idea").idea.clone();
    // Two bars are a motif, not a verse and a chorus: harmonized, they open the verse.
    assert_eq!(
        opening(idea.sheet()),
        motif_on_the_grid(),
        "kept note for note"
    );
    assert!(
        idea.sheet()
            .chord_changes()
            .iter()
            .any(|c| c.item.chord.is_some())
    );

    harness.get_by_label("Keep K").click();
    harness.run_steps(3);
    let library_file = data.join(songsketch::library::LIBRARY_FILE);
    wait_until_saved(&library_file);
    let (library, _) = Library::open(&library_file).expect("the library reads");
    let kept = library.ideas().last().expect("a kept idea");
    assert_eq!(
        opening(kept.idea.sheet()),
        motif_on_the_grid(),
        "in the library"
    );

    a_new_idea_cancels_the_take(&mut harness);
    unplugging_the_keyboard_ends_the_take(&mut harness, keyboard);
}

/// Next idea during a take drops it.
fn a_new_idea_cancels_the_take(harness: &mut Harness<SongsketchApp>) {
    harness.get_by_label("Record R").click();
    harness.step();
    assert!(harness.state().recording_phase().is_some());
    harness.get_by_label("Next idea N").click();
    harness.step();
    assert!(
        harness.state().recording_phase().is_none(),
        "the take is dropped"
    );
    step_timed(harness, Duration::from_secs(120), |app| {
        !app.is_waiting_for_idea() && app.current().is_some()
    });
}

fn wait_until_saved(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(path).is_ok_and(|text| text.contains("\"ideas\"")) {
        assert!(Instant::now() < deadline, "the library was not saved");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Record, play one note, pull the keyboard out: the take ends with what was played and a
/// message, and the window goes on.
fn unplugging_the_keyboard_ends_the_take(
    harness: &mut Harness<SongsketchApp>,
    mut keyboard: MidiOutputConnection,
) {
    harness.get_by_label("Record R").click();
    harness.step();
    let bar_one = harness.state().recording_bar_one().expect("recording");
    step_timed(harness, Duration::from_secs(5), |_| {
        Instant::now() > bar_one
    });
    keyboard.send(&[0x90, 67, 100]).expect("a note");
    step_timed(harness, Duration::from_secs(1), {
        let until = Instant::now() + Duration::from_millis(300);
        move |_| Instant::now() > until
    });
    drop(keyboard);
    step_timed(harness, Duration::from_secs(10), |app| {
        app.recording_phase().is_none()
    });
    let status = harness.state().status().activity.clone();
    assert!(
        status.contains("was unplugged, so the take ended")
            && status.contains("Recorded 1 note in"),
        "{status}"
    );
    assert_eq!(
        roll_melody(harness.state())
            .iter()
            .map(|n| n.0)
            .collect::<Vec<_>>(),
        [67]
    );
    assert!(harness.state().status().error.is_none());
}
