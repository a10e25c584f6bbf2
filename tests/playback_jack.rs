//! The player against a real MIDI synth: a JACK server with the dummy driver (its own server name,
//! killed at the end), FluidSynth as a JACK MIDI client writing its audio to a WAV file, and
//! jack_midi_dump listening to the same port. Needs `--features jack` (midir's JACK backend) and
//! the Debian packages jackd2, fluidsynth, fluid-soundfont-gm.
//!
//! One test function runs the scenarios in order because the JACK server is chosen through the
//! process environment (JACK_DEFAULT_SERVER), which must not change while other threads use it.
#![cfg(feature = "jack")]

mod jack_support;
mod playback_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jack_support::{
    DumpedMessage, Guard, MidiDump, PERIOD_FRAMES, RATE, connect, jack_ports, our_port, start_jack,
    wait_for,
};
use playback_support::{
    export_idea, first_loud, load, load_file, loudness_db, max_db, pop909_idea, read_wav_mono,
    sounding_spans,
};
use songsketch::playback::ports::{PortSink, list_output_ports};
use songsketch::playback::{Player, PlayerCommand, PlayerEvent, TimedMessage, Timeline};

const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
const WINDOW: f64 = 0.02;
/// Louder than this counts as sound; quieter than SILENT_DB as silence (FluidSynth's dither
/// noise floor is about -93 dB; its reverb tail takes about 1.2 s to fall below -85 dB).
const LOUD_DB: f64 = -70.0;
const SILENT_DB: f64 = -85.0;
const RELEASE: f64 = 1.5;

/// FluidSynth taking MIDI from JACK and writing audio to `wav` (in real time, file driver).
struct FluidSynth {
    child: Guard,
    port: String,
    wav: PathBuf,
}

impl FluidSynth {
    fn start(id: &str, wav: &Path) -> FluidSynth {
        let child = Command::new("fluidsynth")
            .args(["-a", "file", "-m", "jack", "-r", "44100", "-o"])
            .arg(format!("audio.file.name={}", wav.display()))
            .args(["-o", &format!("midi.jack.id={id}"), SOUNDFONT])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fluidsynth starts");
        let port = format!("{id}:midi_00");
        let guard = Guard(child);
        wait_for("FluidSynth's MIDI port", Duration::from_secs(20), || {
            jack_ports().contains(&port)
        });
        // Its audio starts once the SoundFont is loaded; let the WAV begin before any note.
        wait_for("FluidSynth's audio file", Duration::from_secs(20), || {
            std::fs::metadata(wav).is_ok_and(|m| m.len() > 44_100 * 4 / 2)
        });
        FluidSynth {
            child: guard,
            port,
            wav: wav.to_path_buf(),
        }
    }

    /// Quits through its shell so the WAV header is written; returns the instant it quit.
    fn quit(mut self) -> (Instant, PathBuf) {
        if let Some(stdin) = self.child.0.stdin.as_mut() {
            let _ = stdin.write_all(b"quit\n");
            let _ = stdin.flush();
        }
        let quit_at = Instant::now();
        let _ = self.child.0.wait();
        (quit_at, self.wav.clone())
    }
}

fn wait_event(
    player: &Player,
    limit: Duration,
    wanted: impl Fn(&PlayerEvent) -> bool,
) -> PlayerEvent {
    let start = Instant::now();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match player.events().recv_timeout(left) {
            Ok(event) if wanted(&event) => return event,
            Ok(PlayerEvent::Error(e)) => panic!("player error: {e}"),
            Ok(_) => {}
            Err(_) => panic!("no awaited player event within {limit:?}"),
        }
    }
}

/// The instant second 0 of the piece played (Started at position 0).
fn started_origin(event: &PlayerEvent) -> Instant {
    match event {
        PlayerEvent::Started { at, position, .. } => {
            assert_eq!(*position, 0.0);
            *at
        }
        other => panic!("expected Started, got {other:?}"),
    }
}

#[test]
fn player_drives_fluidsynth_through_jack() {
    let server = format!("songsketch-test-{}", std::process::id());
    // SAFETY: set once, before this test creates any thread or JACK client; this file has no other test.
    unsafe { std::env::set_var("JACK_DEFAULT_SERVER", &server) };
    let _jack = start_jack(&server);
    let dir = tempfile::tempdir().expect("temp dir");

    an_exported_idea_plays_and_every_note_sounds(dir.path());
    stop_in_a_held_chord_leaves_silence(dir.path());
    a_looped_idea_comes_round_on_time_until_stopped(dir.path());
    pause_resume_seek_and_tempo_follow_the_commands(dir.path());
    a_vanished_port_is_reported_and_the_player_goes_on(dir.path());
}

/// An idea as the app saves it: a four-bar verse and a four-bar chorus that the POP909 adapter
/// cut from a real song, written to a file by "Save as MIDI…", read back into a timeline and
/// played to FluidSynth. Every note-on arrives, the WAV sounds while notes play and falls silent
/// after the end, and every note got its note-off.
fn an_exported_idea_plays_and_every_note_sounds(dir: &Path) {
    let idea = pop909_idea("009", 4);
    let timeline = load_file(&export_idea(&idea, dir));
    let eight_bars = 8.0 * 4.0 * 60.0 / idea.sheet().tempo.bpm();
    assert!(
        (timeline.duration() - eight_bars).abs() < 0.01,
        "the file lasts the idea's 8 bars of 4/4: {:.3} s",
        timeline.duration()
    );
    let fluid = FluidSynth::start("fluid-a", &dir.join("a.wav"));
    assert!(
        list_output_ports()
            .expect("JACK ports")
            .iter()
            .any(|p| p.name == fluid.port)
    );
    let sink = PortSink::connect("fluid-a").expect("connect to FluidSynth");
    let dump = MidiDump::start("dump-a");
    connect(&our_port(), "dump-a:input");
    let player = Player::spawn(Some(Box::new(sink))).expect("player");
    player.play(timeline.clone());
    let origin = started_origin(&wait_event(&player, Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Started { .. })
    }));
    wait_event(
        &player,
        Duration::from_secs_f64(timeline.duration() + 5.0),
        |e| *e == PlayerEvent::Finished,
    );
    let finished_at = Instant::now();
    std::thread::sleep(Duration::from_millis(2500));
    let (quit_at, wav) = fluid.quit();
    drop(player);
    std::thread::sleep(Duration::from_millis(300));
    let received = dump.take();

    let note_ons = received
        .iter()
        .filter(|m| m[0] & 0xF0 == 0x90 && m[2] > 0)
        .count();
    assert_eq!(
        note_ons,
        timeline.note_on_count(),
        "note-ons received by JACK"
    );
    assert_sounding_notes_all_ended(&received);

    let (rate, samples) = read_wav_mono(&wav);
    let loudness = loudness_db(&samples, rate, WINDOW);
    let wav_end = samples.len() as f64 / f64::from(rate);
    // The WAV ends when FluidSynth quit: place the player's origin on the WAV's time line.
    let origin_in_wav = wav_end - (quit_at - origin).as_secs_f64();
    let first_note = timeline.note_spans()[0].start;
    let heard_first = first_loud(&loudness, WINDOW, LOUD_DB).expect("the WAV has sound");
    assert!(
        (heard_first - (origin_in_wav + first_note)).abs() < 0.15,
        "first sound at {heard_first:.3} s, first note due at {:.3} s",
        origin_in_wav + first_note
    );
    for (start, end) in sounding_spans(&timeline) {
        let quietest = playback_support::min_db(
            &loudness,
            WINDOW,
            origin_in_wav + start + 0.1,
            origin_in_wav + end - 0.1,
        );
        assert!(
            quietest > LOUD_DB,
            "silence at {quietest:.1} dB while notes play ({start:.2}–{end:.2} s)"
        );
    }
    let after = wav_end - (quit_at - finished_at).as_secs_f64() + RELEASE;
    let tail = max_db(&loudness, WINDOW, after, wav_end - 0.05);
    assert!(
        tail < SILENT_DB,
        "still sounding ({tail:.1} dB) {RELEASE} s after the end"
    );
}

/// Stop in the middle of a held chord played on an organ (which never decays by itself):
/// the WAV must fall silent right after (within the reverb tail), and the wire must show the
/// note-offs, sustain off and CC 123.
fn stop_in_a_held_chord_leaves_silence(dir: &Path) {
    let song = load("nottingham/ashover1.mid").first_bars(16);
    let organ: Vec<TimedMessage> = song
        .channels_used_list()
        .into_iter()
        .map(|channel| TimedMessage::program_change(0.0, channel, 19))
        .chain(song.messages().iter().copied().filter(|m| m.kind() != 0xC0))
        .collect();
    let timeline = Timeline::from_messages(organ, song.duration(), song.bar_starts().to_vec());
    let (stop_at, held) = held_chord(&timeline, 2.0);

    let fluid = FluidSynth::start("fluid-b", &dir.join("b.wav"));
    let sink = PortSink::connect("fluid-b").expect("connect to FluidSynth");
    let dump = MidiDump::start("dump-b");
    connect(&our_port(), "dump-b:input");
    let player = Player::spawn(Some(Box::new(sink))).expect("player");
    player.play(timeline.clone());
    let origin = started_origin(&wait_event(&player, Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Started { .. })
    }));
    let stop_instant = origin + Duration::from_secs_f64(stop_at);
    std::thread::sleep(stop_instant.saturating_duration_since(Instant::now()));
    player.send(PlayerCommand::Stop);
    let stopped_at = Instant::now();
    wait_event(&player, Duration::from_secs(2), |e| {
        *e == PlayerEvent::Stopped
    });
    std::thread::sleep(Duration::from_millis(2500));
    let (quit_at, wav) = fluid.quit();
    let received = dump.take();

    let (rate, samples) = read_wav_mono(&wav);
    let loudness = loudness_db(&samples, rate, WINDOW);
    let wav_end = samples.len() as f64 / f64::from(rate);
    let stop_in_wav = wav_end - (quit_at - stopped_at).as_secs_f64();
    let before = playback_support::min_db(&loudness, WINDOW, stop_in_wav - 0.4, stop_in_wav - 0.1);
    assert!(
        before > LOUD_DB,
        "the chord sounds before Stop ({before:.1} dB)"
    );
    let after = max_db(&loudness, WINDOW, stop_in_wav + RELEASE, wav_end - 0.05);
    assert!(
        after < SILENT_DB,
        "sound ({after:.1} dB) from {RELEASE} s after Stop: a note is stuck; loudness from 0.5 s before \
         Stop, every 0.1 s: {}",
        profile(&loudness, stop_in_wav - 0.5, wav_end)
    );

    // On the wire: after the last note-on, a note-off for each held note, then CC 64 = 0 and CC 123.
    let last_on = received
        .iter()
        .rposition(|m| m[0] & 0xF0 == 0x90 && m[2] > 0)
        .expect("notes were sent");
    assert_stop_silenced(&received[last_on + 1..], &held, &timeline);
    assert_sounding_notes_all_ended(&received);

    drop(player);
}

/// Looping a two-bar idea (one bar of verse and one of chorus, saved as the app saves it): the
/// notes come round again and again, each pass one timeline duration after the one before as
/// JACK's frame clock saw them arrive; no Finished while looping; Stop in the third pass, while a
/// chord is held, ends every note (note-offs, then CC 64 = 0 and CC 123 on every channel).
fn a_looped_idea_comes_round_on_time_until_stopped(dir: &Path) {
    let folder = dir.join("loop");
    std::fs::create_dir_all(&folder).expect("folder for the looped idea");
    let timeline = load_file(&export_idea(&pop909_idea("009", 1), &folder));
    let per_pass = timeline.note_on_count();
    let duration = timeline.duration();
    let (stop_in_pass, held) = held_chord(&timeline, 0.3);

    let fluid = FluidSynth::start("fluid-e", &dir.join("e.wav"));
    let sink = PortSink::connect("fluid-e").expect("connect to FluidSynth");
    let dump = MidiDump::start("dump-e");
    connect(&our_port(), "dump-e:input");
    let player = Player::spawn(Some(Box::new(sink))).expect("player");
    player.send(PlayerCommand::SetLoop(true));
    player.play(timeline.clone());

    // Each pass reports Started at position 0; the piece never reports Finished.
    let mut pass_starts = Vec::new();
    while pass_starts.len() < 3 {
        let event = wait_event(&player, Duration::from_secs_f64(duration + 5.0), |e| {
            matches!(e, PlayerEvent::Started { .. } | PlayerEvent::Finished)
        });
        assert_ne!(event, PlayerEvent::Finished, "Finished while looping");
        pass_starts.push(started_origin(&event));
    }
    for pair in pass_starts.windows(2) {
        let between = (pair[1] - pair[0]).as_secs_f64();
        assert!(
            (between - duration).abs() < 1e-6,
            "passes start {between:.6} s apart, the idea lasts {duration:.6} s"
        );
    }
    let stop_instant = pass_starts[2] + Duration::from_secs_f64(stop_in_pass);
    std::thread::sleep(stop_instant.saturating_duration_since(Instant::now()));
    player.send(PlayerCommand::Stop);
    let stopped = wait_event(&player, Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Stopped | PlayerEvent::Finished)
    });
    assert_eq!(stopped, PlayerEvent::Stopped, "Finished while looping");
    std::thread::sleep(Duration::from_millis(300));
    let received = dump.take_timed();
    drop(player);
    drop(fluid);

    // The first two passes: the same note-ons in the same order, one duration apart on the wire.
    let note_ons: Vec<&DumpedMessage> = received
        .iter()
        .filter(|(_, m)| m[0] & 0xF0 == 0x90 && m[2] > 0)
        .collect();
    assert!(
        note_ons.len() > 2 * per_pass,
        "{} note-ons for two passes of {per_pass} and part of a third",
        note_ons.len()
    );
    let (first, second) = (&note_ons[..per_pass], &note_ons[per_pass..2 * per_pass]);
    let mut errors = Vec::new();
    for ((frame_1, bytes_1), (frame_2, bytes_2)) in first.iter().zip(second) {
        assert_eq!(bytes_1, bytes_2, "the second pass plays the same notes");
        errors.push((frame_2 - frame_1) as f64 / RATE - duration);
    }
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    let worst = errors.iter().fold(0.0f64, |w, e| w.max(e.abs()));
    eprintln!(
        "loop: {per_pass} note-ons a pass of {duration:.3} s; second pass off by {:.2} ms \
         (median), {:.2} ms at most",
        median * 1000.0,
        worst * 1000.0
    );
    // The wire rounds each message to a JACK period, so one pass can be a period more or less
    // after the other; a little more for the player's and the dummy driver's wake-ups.
    let period = PERIOD_FRAMES / RATE;
    assert!(
        median.abs() < period + 0.002,
        "second-pass notes come {:.1} ms (median) off one duration ({duration:.3} s) after the first",
        median * 1000.0
    );
    // Single notes may meet a late wake-up on a busy machine, never a beat's worth.
    assert!(
        worst < 4.0 * period,
        "a second-pass note comes {:.1} ms off one duration ({duration:.3} s) after the first",
        worst * 1000.0
    );

    // Between the passes everything was silenced (CC 123 on each channel) before notes came again.
    let messages: Vec<Vec<u8>> = received.into_iter().map(|(_, m)| m).collect();
    let ons_at: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m[0] & 0xF0 == 0x90 && m[2] > 0)
        .map(|(i, _)| i)
        .collect();
    let between = &messages[ons_at[per_pass - 1] + 1..ons_at[per_pass]];
    for channel in timeline.channels_used_list() {
        assert!(
            between.contains(&vec![0xB0 | channel, 123, 0]),
            "CC 123 on channel {channel} before the second pass"
        );
    }

    // Stop: after the last note-on, a note-off for every held note, then pedal off and CC 123.
    assert_stop_silenced(&messages[ons_at[ons_at.len() - 1] + 1..], &held, &timeline);
    assert_sounding_notes_all_ended(&messages);
}

/// Tempo ×2, pause, resume and seek: the playhead and the wire follow each command.
fn pause_resume_seek_and_tempo_follow_the_commands(dir: &Path) {
    let timeline = load("nottingham/ashover1.mid");
    let fluid = FluidSynth::start("fluid-d", &dir.join("d.wav"));
    let sink = PortSink::connect("fluid-d").expect("connect to FluidSynth");
    let dump = MidiDump::start("dump-d");
    connect(&our_port(), "dump-d:input");
    let player = Player::spawn(Some(Box::new(sink))).expect("player");
    player.send(PlayerCommand::SetTempoScale(2.0));
    player.play(timeline.clone());
    let started = wait_event(&player, Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Started { .. })
    });
    assert!(matches!(started, PlayerEvent::Started { tempo_scale, .. } if tempo_scale == 2.0));
    std::thread::sleep(Duration::from_millis(2000));
    player.send(PlayerCommand::Pause);
    let paused = wait_event(&player, Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Paused(_))
    });
    let PlayerEvent::Paused(at) = paused else {
        unreachable!()
    };
    assert!(
        (at - 4.0).abs() < 0.2,
        "2 s at double tempo is 4 s in: paused at {at:.3}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let before_pause = dump.take();
    assert_sounding_notes_all_ended(&before_pause);
    assert!(before_pause.ends_with(&[vec![0xB0, 64, 0], vec![0xB0, 123, 0]]));
    let sent_by_then = timeline.messages()[..timeline.index_at(at)]
        .iter()
        .filter(|m| m.is_note_on())
        .count();
    let heard = before_pause
        .iter()
        .filter(|m| m[0] == 0x90 && m[2] > 0)
        .count();
    assert!(
        heard.abs_diff(sent_by_then) <= 2,
        "{heard} note-ons, {sent_by_then} due by {at:.2} s"
    );

    player.send(PlayerCommand::Resume);
    let resumed = wait_event(&player, Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Started { .. })
    });
    assert!(matches!(resumed, PlayerEvent::Started { position, .. } if position == at));
    player.send(PlayerCommand::Seek(30.0));
    wait_event(
        &player,
        Duration::from_secs(2),
        |e| matches!(e, PlayerEvent::Started { position, .. } if *position == 30.0),
    );
    let position = wait_event(&player, Duration::from_secs(2), |e| {
        matches!(e, PlayerEvent::Position(_))
    });
    assert!(matches!(position, PlayerEvent::Position(p) if (30.0..31.0).contains(&p)));
    std::thread::sleep(Duration::from_millis(500));
    player.stop();
    std::thread::sleep(Duration::from_millis(300));
    let after_seek = dump.take();
    let first_after_seek = timeline.messages()[timeline.index_at(30.0)..]
        .iter()
        .find(|m| m.is_note_on())
        .expect("notes after 30 s");
    let last_seek_silence = after_seek
        .iter()
        .rposition(|m| *m == vec![0xB0, 123, 0])
        .expect("seek silences first");
    let seek_silence = after_seek[..last_seek_silence]
        .iter()
        .rposition(|m| *m == vec![0xB0, 123, 0])
        .expect("CC 123 on seek and on stop");
    let first_on = after_seek[seek_silence..]
        .iter()
        .find(|m| m[0] & 0xF0 == 0x90 && m[2] > 0)
        .expect("notes after the seek");
    assert_eq!(
        first_on.as_slice(),
        first_after_seek.bytes(),
        "playing resumes at 30 s"
    );
    assert_sounding_notes_all_ended(&after_seek);
    drop(player);
    drop(fluid);
}

/// FluidSynth is killed while playing: the player reports PortLost and keeps answering.
fn a_vanished_port_is_reported_and_the_player_goes_on(dir: &Path) {
    let timeline = load("nottingham/ashover1.mid");
    let fluid = FluidSynth::start("fluid-c", &dir.join("c.wav"));
    let sink = PortSink::connect("fluid-c").expect("connect to FluidSynth");
    let player = Player::spawn(Some(Box::new(sink))).expect("player");
    player.play(timeline.clone());
    wait_event(&player, Duration::from_secs(5), |e| {
        matches!(e, PlayerEvent::Started { .. })
    });
    std::thread::sleep(Duration::from_millis(1500));
    drop(fluid); // killed, its port vanishes
    let lost = wait_event(&player, Duration::from_secs(3), |e| {
        matches!(e, PlayerEvent::PortLost(_))
    });
    let PlayerEvent::PortLost(reason) = lost else {
        unreachable!()
    };
    assert!(
        reason.contains("fluid-c:midi_00"),
        "reason names the port: {reason}"
    );
    player.play(timeline);
    let answer = wait_event_any(&player, Duration::from_secs(2));
    assert!(
        matches!(&answer, PlayerEvent::Error(e) if e.contains("no output")),
        "after losing the port, Play answers \"no output\": {answer:?}"
    );
}

fn wait_event_any(player: &Player, limit: Duration) -> PlayerEvent {
    player
        .events()
        .recv_timeout(limit)
        .expect("the player still answers")
}

/// A moment, `not_before` seconds or later, where at least three notes sound and go on for at
/// least 0.5 s more, and those notes.
/// (Without note-offs on Stop they would ring for ever: an organ does not decay.)
fn held_chord(timeline: &Timeline, not_before: f64) -> (f64, Vec<(u8, u8)>) {
    let spans = timeline.note_spans();
    for candidate in &spans {
        let t = candidate.start + 0.1;
        if t < not_before {
            continue;
        }
        let held: Vec<(u8, u8)> = spans
            .iter()
            .filter(|s| s.start <= t && s.end >= t + 0.5)
            .map(|s| (s.channel, s.key))
            .collect();
        if held.len() >= 3 {
            return (t, held);
        }
    }
    panic!("no held chord in the excerpt");
}

/// Loudness every 0.1 s from `start` to `end`, for failure messages.
fn profile(loudness: &[f64], start: f64, end: f64) -> String {
    let mut t = start.max(0.0);
    let mut out = Vec::new();
    while t < end {
        out.push(format!("{:.0}", max_db(loudness, WINDOW, t, t + 0.1)));
        t += 0.1;
    }
    out.join(" ")
}

/// What Stop must send after the last note-on: a note-off for every held note, then sustain off
/// (CC 64 = 0) and All Notes Off (CC 123) on every channel the timeline uses.
fn assert_stop_silenced(after_stop: &[Vec<u8>], held: &[(u8, u8)], timeline: &Timeline) {
    for (channel, key) in held {
        assert!(
            after_stop
                .iter()
                .any(|m| m[0] == 0x80 | channel && m[1] == *key),
            "no note-off for held note {key} on channel {channel}"
        );
    }
    for channel in timeline.channels_used_list() {
        assert!(
            after_stop.contains(&vec![0xB0 | channel, 123, 0]),
            "CC 123 on channel {channel} after Stop"
        );
        assert!(
            after_stop.contains(&vec![0xB0 | channel, 64, 0]),
            "CC 64 = 0 on channel {channel} after Stop"
        );
    }
}

/// Replays the received messages: no note may still be on at the end.
fn assert_sounding_notes_all_ended(received: &[Vec<u8>]) {
    let mut on = std::collections::HashSet::new();
    for m in received {
        match (m[0] & 0xF0, m.get(2).copied().unwrap_or(0)) {
            (0x90, v) if v > 0 => {
                on.insert((m[0] & 0x0F, m[1]));
            }
            (0x80, _) | (0x90, _) => {
                on.remove(&(m[0] & 0x0F, m[1]));
            }
            _ => {}
        }
    }
    assert!(on.is_empty(), "notes left sounding: {on:?}");
}
