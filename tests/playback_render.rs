//! The built-in synth offline: real songs, and an idea exported as the app saves it, rendered with
//! rustysynth and FluidR3_GM (package fluid-soundfont-gm); the audio must be loud where notes
//! sound and silent where none do.

mod playback_support;

use std::path::Path;
use std::process::Command;

use playback_support::{
    datasets, export_idea, load, load_file, loudness_db, max_db, min_db, pop909_idea,
    read_wav_mono, sounding_spans,
};
use songsketch::playback::render::{DEFAULT_TAIL_SECONDS, render_audio};
use songsketch::playback::soundfont::{find_soundfont, load_soundfont};
use songsketch::playback::synthesizer::new_synthesizer;

const WINDOW: f64 = 0.02;
const LOUD_DB: f64 = -65.0;
const SILENT_DB: f64 = -90.0;
/// Release and reverb die away within this long after the last note-off.
const RELEASE: f64 = 1.0;

/// Loud inside every span where notes sound; silent in every gap longer than the release.
fn assert_spans_match(loudness: &[f64], spans: &[(f64, f64)], end: f64) {
    for (start, stop) in spans {
        let quietest = min_db(loudness, WINDOW, start + 0.05, stop - 0.05);
        assert!(
            quietest > LOUD_DB,
            "only {quietest:.1} dB while notes sound ({start:.2}–{stop:.2} s)"
        );
    }
    let gaps = spans
        .windows(2)
        .map(|w| (w[0].1, w[1].0))
        .chain(spans.last().map(|last| (last.1, end)));
    let mut checked = 0;
    if let Some(&(first, _)) = spans.first()
        && first > 0.1
    {
        let before = max_db(loudness, WINDOW, 0.0, first - 0.02);
        assert!(
            before < SILENT_DB,
            "{before:.1} dB before the first note at {first:.2} s"
        );
        checked += 1;
    }
    for (from, to) in gaps.filter(|(from, to)| to - from > RELEASE + 0.2) {
        let loudest = max_db(loudness, WINDOW, from + RELEASE, to - 0.02);
        assert!(
            loudest < SILENT_DB,
            "{loudest:.1} dB where no note sounds ({from:.2}–{to:.2} s)"
        );
        checked += 1;
    }
    assert!(checked > 0, "no silent stretch was checked");
}

#[test]
fn rendered_audio_is_loud_exactly_where_notes_sound() {
    let tune = load("nottingham/ashover1.mid");
    let phrase = tune.first_bars(4);
    let later = tune.slice(tune.bar_starts()[8], tune.bar_starts()[12]);
    let timeline = phrase.then(3.0, &later);
    assert_eq!(
        timeline.note_on_count(),
        phrase.note_on_count() + later.note_on_count()
    );

    let path = find_soundfont(None).expect("a SoundFont (fluid-soundfont-gm) is installed");
    let font = load_soundfont(&path).expect("SoundFont loads");
    let mut synth = new_synthesizer(&font, 44_100, &path).expect("synth");
    let audio = render_audio(&timeline, &mut synth, DEFAULT_TAIL_SECONDS);
    assert_eq!(
        audio.left.len(),
        ((timeline.duration() + DEFAULT_TAIL_SECONDS) * 44_100.0).ceil() as usize
    );

    let mono: Vec<f32> = audio
        .left
        .iter()
        .zip(&audio.right)
        .map(|(l, r)| (l + r) / 2.0)
        .collect();
    let loudness = loudness_db(&mono, 44_100, WINDOW);
    let spans = sounding_spans(&timeline);
    assert_eq!(spans.len(), 2, "two phrases with a gap: {spans:?}");
    assert_spans_match(&loudness, &spans, audio.seconds());
}

/// `songsketch render` of an idea saved as the app saves it ("Save as MIDI…"): a verse and a
/// chorus cut from a real POP909 song. The WAV is loud exactly where the idea's notes sound.
#[test]
fn render_command_of_an_exported_idea_writes_a_wav_that_follows_the_notes() {
    let saved = tempfile::tempdir().expect("temp dir");
    let idea = pop909_idea("009", 4);
    let file = export_idea(&idea, saved.path());
    let timeline = load_file(&file);
    let melody_ons = timeline
        .messages()
        .iter()
        .filter(|m| m.is_note_on() && m.channel() == 0)
        .count();
    assert_eq!(
        melody_ons,
        idea.sheet().melody().len(),
        "the file holds the idea's melody"
    );
    assert!(timeline.note_on_count() > melody_ons, "and its chords");

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("idea.wav");
    let status = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .arg("render")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("songsketch runs");
    assert!(status.success());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "only the WAV, no temporary file");

    let (rate, samples) = read_wav_mono(&out);
    assert_eq!(rate, 44_100);
    let seconds = samples.len() as f64 / f64::from(rate);
    assert!((seconds - (timeline.duration() + DEFAULT_TAIL_SECONDS)).abs() < 0.01);
    assert_spans_match(
        &loudness_db(&samples, rate, WINDOW),
        &sounding_spans(&timeline),
        seconds,
    );
}

#[test]
fn render_reports_bad_files_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake_font = dir.path().join("broken.sf2");
    std::fs::write(&fake_font, b"not a soundfont").expect("write");
    let song = datasets().join("nottingham/ashover1.mid");
    let run = |args: &[&Path]| {
        let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
            .arg("render")
            .args(args)
            .output()
            .expect("songsketch runs");
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let out = dir.path().join("x.wav");
    let missing = run(&[Path::new("/no/such/song.mid"), Path::new("--out"), &out]);
    assert!(missing.contains("/no/such/song.mid"), "{missing}");
    let broken = run(&[
        &song,
        Path::new("--out"),
        &out,
        Path::new("--soundfont"),
        &fake_font,
    ]);
    assert!(
        broken.contains("broken.sf2") && broken.contains("SoundFont"),
        "{broken}"
    );
    assert!(!out.exists(), "nothing written on failure");
}
