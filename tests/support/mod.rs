//! Test parts for the app: an idea engine that cuts verses and choruses out of real POP909
//! songs (their bar-aligned melody, chords and phrase labels), and an in-memory eframe storage.
//! Only tests use these: the shipped app never shows ideas it did not generate.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use songsketch::model::{GenerateRequest, Keep, TrainOutcome};
use songsketch::music::{
    Bar, ChordChange, ChordSymbol, Idea, Key, LeadSheet, Meter, Note, Pitch, Section, SectionKind,
    Tempo,
};
use songsketch::worker::{IdeaEngine, ModelBackend, ModelRef, TrainReport, TrainRequest};

pub const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

/// Ticks of a sixteenth note on the 12-per-quarter grid.
const SIXTEENTH: u32 = 3;
const BAR: u32 = 48;

/// One POP909 song on its bar grid: notes and chords with absolute ticks, and phrases.
#[derive(Debug, Clone)]
pub struct Pop909Song {
    pub name: String,
    pub key: Key,
    pub tempo: f64,
    /// (onset, duration, pitch) in ticks.
    pub melody: Vec<(u32, u32, u8)>,
    /// (start, chord) in ticks.
    pub chords: Vec<(u32, Option<ChordSymbol>)>,
    /// (phrase letter, first bar, bars).
    pub phrases: Vec<(char, u32, u32)>,
    pub bars: u32,
}

fn read(dir: &Path, file: &str) -> anyhow::Result<String> {
    let path = dir.join(file);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

impl Pop909Song {
    pub fn load(dir: &Path) -> anyhow::Result<Pop909Song> {
        let key: Key = read(dir, "analyzed_key.txt")?.trim().parse()?;
        let tempo: f64 = read(dir, "tempo.txt")?.trim().parse()?;
        let mut melody = Vec::new();
        let mut at = 0;
        for line in read(dir, "melody.txt")?.lines() {
            let mut fields = line.split_whitespace();
            let (Some(pitch), Some(length)) = (fields.next(), fields.next()) else {
                continue;
            };
            let (pitch, length): (u8, u32) = (pitch.parse()?, length.parse()?);
            let duration = length * SIXTEENTH;
            if pitch > 0 && duration > 0 {
                melody.push((at, duration, pitch));
            }
            at += duration;
        }
        let mut chords = Vec::new();
        let mut at = 0;
        for line in read(dir, "finalized_chord.txt")?.lines() {
            let Some(label) = line.split_whitespace().next() else {
                continue;
            };
            let beats: u32 = line
                .split_whitespace()
                .last()
                .context("a chord line without a length")?
                .parse()?;
            let chord = ChordSymbol::parse_harte(label).ok().flatten();
            chords.push((at, chord));
            at += beats * 12;
        }
        let bars = at / BAR;
        let label = read(dir, "human_label1.txt")?;
        let mut phrases = Vec::new();
        let mut bar = 0;
        let mut chars = label.trim().chars().peekable();
        while let Some(letter) = chars.next() {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|c| c.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let length: u32 = digits.parse().unwrap_or(0);
            phrases.push((letter, bar, length));
            bar += length;
        }
        Ok(Pop909Song {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            key,
            tempo,
            melody,
            chords,
            phrases,
            bars,
        })
    }

    /// The first bar of the first phrase with this letter.
    fn phrase_start(&self, letter: char) -> Option<u32> {
        self.phrases
            .iter()
            .find(|(l, _, _)| *l == letter)
            .map(|(_, start, _)| *start)
    }

    /// `bars` bars from `first_bar` as a section; notes that run past its end are shortened.
    pub fn section(&self, kind: SectionKind, first_bar: u32, bars: u32) -> Option<Section> {
        if first_bar + bars > self.bars {
            return None;
        }
        let (start, end) = (first_bar * BAR, (first_bar + bars) * BAR);
        let mut out = Vec::new();
        for index in 0..bars {
            let bar_start = start + index * BAR;
            let mut bar = Bar::new(Meter::FOUR_FOUR);
            let sounding = self.chords.iter().rev().find(|(at, _)| *at <= bar_start);
            if let Some((_, chord)) = sounding {
                bar.chords.push(ChordChange {
                    position: 0,
                    chord: *chord,
                });
            }
            for (at, chord) in &self.chords {
                if *at > bar_start && *at < bar_start + BAR {
                    bar.chords.push(ChordChange {
                        position: at - bar_start,
                        chord: *chord,
                    });
                }
            }
            for &(onset, duration, pitch) in &self.melody {
                if onset >= bar_start && onset < bar_start + BAR {
                    bar.melody.push(Note {
                        onset: onset - bar_start,
                        duration: duration.min(end - onset),
                        pitch: Pitch(pitch),
                        velocity: 90,
                    });
                }
            }
            out.push(bar);
        }
        Some(Section::new(kind, out))
    }

    /// The song's first A phrase as a verse and first B phrase as a chorus, `bars` bars each.
    pub fn idea(&self, bars: u32) -> Option<Idea> {
        let verse = self.section(SectionKind::Verse, self.phrase_start('A')?, bars)?;
        let chorus = self.section(SectionKind::Chorus, self.phrase_start('B')?, bars)?;
        let sheet = LeadSheet {
            title: format!("POP909 {}", self.name),
            key: self.key,
            tempo: Tempo::new(self.tempo).ok()?,
            sections: vec![verse, chorus],
        };
        Idea::new(sheet).ok()
    }
}

/// Semitones (−6..=5) that take music in `from` to `to`, comparing relative majors.
fn shift(from: Key, to: Key) -> i32 {
    let up = i32::from(
        from.relative_major_tonic()
            .interval_to(to.relative_major_tonic()),
    );
    if up > 5 { up - 12 } else { up }
}

/// Moves a sheet into the key and tempo asked for.
fn fit(mut sheet: LeadSheet, key: Option<Key>, tempo: Option<Tempo>) -> anyhow::Result<Idea> {
    if let Some(key) = key {
        sheet = sheet.transpose(shift(sheet.key, key))?;
        sheet.key = key;
    }
    if let Some(tempo) = tempo {
        sheet.tempo = tempo;
    }
    Ok(Idea::new(sheet)?)
}

/// Ideas cut from real songs, chosen by the request's seed.
pub struct Pop909Engine {
    pub songs: Vec<Pop909Song>,
}

impl Pop909Engine {
    fn pick(
        &self,
        seed: u64,
        bars: u32,
        skip: Option<&str>,
    ) -> anyhow::Result<(&Pop909Song, Idea)> {
        let n = self.songs.len();
        (0..n)
            .map(|i| &self.songs[(seed as usize + i) % n])
            .filter(|song| Some(song.name.as_str()) != skip)
            .find_map(|song| song.idea(bars).map(|idea| (song, idea)))
            .with_context(|| format!("no song has a verse and chorus of {bars} bars"))
    }
}

impl Pop909Engine {
    /// `redo.idea` with the chosen part of the chosen bars taken from another song (spliced
    /// in the way the model splices its own new bars).
    fn redo_bars(&self, redo: &songsketch::model::infill::Redo, seed: u64) -> anyhow::Result<Idea> {
        let idea = &redo.idea;
        let bars = idea.verse().bars.len() as u32;
        let skip = idea.sheet().title.strip_prefix("POP909 ");
        let (_, other) = self.pick(seed, bars, skip)?;
        let sheet = idea.sheet();
        let other = fit(other.into_sheet(), Some(sheet.key), Some(sheet.tempo))?;
        let spliced =
            songsketch::model::infill::splice(sheet, other.sheet(), redo.bars.clone(), redo.part);
        Ok(Idea::new(spliced)?)
    }

    /// `idea` with the part that `keep` does not name taken from another song.
    fn rewrite(&self, idea: &Idea, keep: &Keep, seed: u64) -> anyhow::Result<Idea> {
        let bars = idea.verse().bars.len() as u32;
        let skip = idea.sheet().title.strip_prefix("POP909 ");
        let (_, other) = self.pick(seed, bars, skip)?;
        let sheet = idea.sheet();
        let other = fit(other.into_sheet(), Some(sheet.key), Some(sheet.tempo))?;
        let mut sheet = sheet.clone();
        match keep {
            Keep::Verse(_) => sheet.sections[1] = other.chorus().clone(),
            _ => {
                for (section, source) in
                    sheet.sections.iter_mut().zip(other.sheet().sections.iter())
                {
                    for (bar, from) in section.bars.iter_mut().zip(source.bars.iter()) {
                        bar.melody = from.melody.clone();
                    }
                }
            }
        }
        Ok(Idea::new(sheet)?)
    }
}

impl IdeaEngine for Pop909Engine {
    fn generate(&mut self, request: &GenerateRequest) -> anyhow::Result<Idea> {
        match &request.keep {
            Keep::Nothing => {
                let (_, idea) = self.pick(request.seed, request.bars as u32, None)?;
                fit(idea.into_sheet(), request.key, request.tempo)
            }
            keep @ (Keep::Verse(idea) | Keep::Chords(idea)) => {
                self.rewrite(idea, keep, request.seed)
            }
            Keep::Primer(_) => anyhow::bail!("the POP909 test engine cannot continue a primer"),
            Keep::Melody(_) => anyhow::bail!("the POP909 test engine cannot harmonize"),
            Keep::Bars(redo) => self.redo_bars(redo, request.seed),
        }
    }

    /// Its ideas are cut from 4/4 songs.
    fn meters(&self) -> Vec<songsketch::music::Meter> {
        vec![songsketch::music::Meter::FOUR_FOUR]
    }
}

/// Loads the first `count` POP909 songs into an engine. It cannot train: asked to, it reads the
/// folder with the real importer, reports the files read, then fails.
pub struct Pop909Backend {
    pub count: usize,
}

impl ModelBackend for Pop909Backend {
    fn load(&mut self, _model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>> {
        let folder = PathBuf::from(DATASETS).join("pop909");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        dirs.sort();
        // Songs held back for evaluation are missing; take the first ones that are here.
        let songs: Vec<Pop909Song> = dirs
            .iter()
            .filter_map(|dir| Pop909Song::load(dir).ok())
            .take(self.count)
            .collect();
        anyhow::ensure!(
            songs.len() == self.count,
            "fewer than {} POP909 songs in {}",
            self.count,
            folder.display()
        );
        Ok(Box::new(Pop909Engine { songs }))
    }

    fn train(
        &mut self,
        request: &TrainRequest,
        report: &mut dyn FnMut(TrainReport),
        _cancel: &AtomicBool,
    ) -> anyhow::Result<TrainOutcome> {
        let options = songsketch::midi::import::FolderOptions {
            strict: request.strict,
            ..Default::default()
        };
        let folder = songsketch::midi::import::import_folder_with(&request.songs, options)?;
        report(TrainReport::SongsRead(folder.files));
        anyhow::bail!("the POP909 test backend cannot train")
    }
}

/// eframe storage kept in memory, so a test can rebuild the app from what it saved.
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage(pub HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

/// The app's parts with the POP909 test engine cutting `count` ideas ahead, playing to
/// `player`, keeping its data in `data_dir`; no model folder is needed.
pub fn pop909_parts(
    data_dir: &Path,
    count: usize,
    player: Box<dyn songsketch::playback::control::PlayerControl>,
) -> songsketch::ui::AppParts {
    songsketch::ui::AppParts {
        backend: Box::new(Pop909Backend { count }),
        player,
        keyboards: Box::new(songsketch::recording::NoKeyboards::default()),
        data_dir: data_dir.to_path_buf(),
        default_model_dir: data_dir.join("no-model-needed"),
        default_model_name: "POP909 excerpts (test engine, not a model)".into(),
    }
}

/// The app's parts with the shipped default model (libtorch) behind the worker, no playback,
/// its data in `data_dir`.
pub fn shipped_model_parts(data_dir: &Path) -> songsketch::ui::AppParts {
    songsketch::ui::AppParts {
        backend: Box::new(songsketch::engine::LibtorchBackend),
        player: Box::new(songsketch::playback::control::NoPlayback),
        keyboards: Box::new(songsketch::recording::NoKeyboards::default()),
        data_dir: data_dir.to_path_buf(),
        default_model_dir: songsketch::model::generate::default_model_dir()
            .expect("the shipped model"),
        default_model_name: "Default (pop songs)".into(),
    }
}

/// The app in an egui_kittest harness at 1280×720, built with settings from `storage` if given.
pub fn harness<'a>(
    parts: songsketch::ui::AppParts,
    storage: Option<&'a MemoryStorage>,
) -> egui_kittest::Harness<'a, songsketch::ui::SongsketchApp> {
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_eframe(move |cc| {
            songsketch::ui::SongsketchApp::with_storage(
                &cc.egui_ctx,
                storage.map(|s| s as &dyn eframe::Storage),
                parts,
            )
        })
}

/// Runs frames until `done` holds for the app (the worker answers on its own thread), failing
/// at once when the status line shows an error and after `limit`; then a few more frames so the
/// roll lays out what arrived.
pub fn step_until(
    harness: &mut egui_kittest::Harness<songsketch::ui::SongsketchApp>,
    what: &str,
    limit: std::time::Duration,
    done: impl Fn(&songsketch::ui::SongsketchApp) -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !done(harness.state()) {
        if let Some(error) = &harness.state().status().error {
            panic!("waiting for {what}, the app reports: {error}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; status {:?}, training {:?}",
            harness.state().status(),
            harness.state().retrain_panel().state
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    harness.run_steps(3);
}

/// A file or folder dropped on the window, as the windowing integration hands it to egui.
#[derive(Debug)]
pub struct DroppedPath(pub PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops `path` on the window and runs a few frames.
pub fn drop_on_window(
    harness: &mut egui_kittest::Harness<songsketch::ui::SongsketchApp>,
    path: &Path,
) {
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(path.to_path_buf())));
    harness.run_steps(3);
}
