//! Shared by the playback tests: where the real songs are, ideas exported as the app exports them,
//! reading WAV files back, and measuring loudness over time so "sounds while notes play, silent
//! otherwise" can be checked.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use songsketch::datasets::pop909;
use songsketch::midi::write::idea_file_name;
use songsketch::music::{Idea, Section};
use songsketch::playback::Timeline;

pub fn datasets() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets"))
}

pub fn load(relative: &str) -> Timeline {
    let path = datasets().join(relative);
    songsketch::playback::load_timeline(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first verse+chorus idea the POP909 adapter cuts from `song` (e.g. `"009"`), each section
/// shortened to its first `bars` bars (notes cut at the section's end).
pub fn pop909_idea(song: &str, bars: usize) -> Idea {
    let folder = datasets().join("pop909").join(song);
    let sheet = pop909::load_song(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    let idea = pop909::verse_chorus_pairs(&sheet)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{}: no verse followed by a chorus", folder.display()));
    let mut sheet = idea.into_sheet();
    for section in &mut sheet.sections {
        shorten(section, bars);
    }
    Idea::new(sheet).expect("a shortened idea is still an idea")
}

/// Keeps the first `bars` bars of `section`; a note reaching past them ends with them.
fn shorten(section: &mut Section, bars: usize) {
    assert!(
        section.bars.len() >= bars,
        "{} has only {} bars",
        section.label,
        section.bars.len()
    );
    section.bars.truncate(bars);
    let mut remaining: u32 = section.bars.iter().map(|b| b.length).sum();
    for bar in &mut section.bars {
        for note in &mut bar.melody {
            note.duration = note.duration.min(remaining - note.onset);
        }
        remaining -= bar.length;
    }
}

/// Writes `idea` into `dir` through the app's "Save as MIDI…" (the exporter, default options)
/// and returns the file.
pub fn export_idea(idea: &Idea, dir: &Path) -> PathBuf {
    let path = dir.join(idea_file_name(idea, 1));
    songsketch::ui::dialogs::save_idea_as_midi(idea, &path)
        .unwrap_or_else(|e| panic!("exporting {}: {e:#}", path.display()));
    path
}

/// The player's timeline of an exported MIDI file.
pub fn load_file(path: &Path) -> Timeline {
    songsketch::playback::load_timeline(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A WAV file as mono samples in -1..1 (channels averaged) and its sample rate.
pub fn read_wav_mono(path: &Path) -> (u32, Vec<f32>) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()
        }
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mono = samples
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    (spec.sample_rate, mono)
}

/// Loudness in dBFS (RMS) of consecutive windows of `window` seconds.
pub fn loudness_db(samples: &[f32], rate: u32, window: f64) -> Vec<f64> {
    let size = ((f64::from(rate) * window) as usize).max(1);
    samples
        .chunks(size)
        .map(|chunk| {
            let power =
                chunk.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / chunk.len() as f64;
            10.0 * power.max(1e-20).log10()
        })
        .collect()
}

/// Loudest window (dBFS) between `start` and `end` seconds.
pub fn max_db(loudness: &[f64], window: f64, start: f64, end: f64) -> f64 {
    range(loudness, window, start, end).fold(f64::NEG_INFINITY, f64::max)
}

/// Quietest window (dBFS) between `start` and `end` seconds.
pub fn min_db(loudness: &[f64], window: f64, start: f64, end: f64) -> f64 {
    range(loudness, window, start, end).fold(f64::INFINITY, f64::min)
}

fn range(loudness: &[f64], window: f64, start: f64, end: f64) -> impl Iterator<Item = f64> + '_ {
    let first = (start / window).ceil().max(0.0) as usize;
    let last = ((end / window).floor().max(0.0) as usize).min(loudness.len());
    loudness[first.min(last)..last].iter().copied()
}

/// The stretches where at least one note sounds, as (start, end) seconds, merged.
pub fn sounding_spans(timeline: &Timeline) -> Vec<(f64, f64)> {
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for note in timeline.note_spans() {
        match spans.last_mut() {
            Some(last) if note.start <= last.1 => last.1 = last.1.max(note.end),
            _ => spans.push((note.start, note.end)),
        }
    }
    spans
}

/// First time (seconds) the loudness rises above `threshold_db`.
pub fn first_loud(loudness: &[f64], window: f64, threshold_db: f64) -> Option<f64> {
    loudness
        .iter()
        .position(|&db| db > threshold_db)
        .map(|i| i as f64 * window)
}
