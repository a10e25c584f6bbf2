//! File dialogs (rfd) run on their own short-lived threads so the window keeps drawing while
//! one is open; the answers come back over a channel and are read once per frame.

use std::path::PathBuf;

use crossbeam_channel::{Receiver, Sender};

use crate::music::Idea;

/// What a dialog was opened for, and what came of it.
#[derive(Debug)]
pub enum DialogResult {
    /// The folder of songs to retrain on.
    TrainingFolder(PathBuf),
    /// A SoundFont for the built-in synth.
    SoundFont(PathBuf),
    /// An idea (or a table) was written to this file.
    Saved(PathBuf),
    /// Writing the file failed.
    SaveFailed { path: PathBuf, error: String },
}

/// Opens dialogs without blocking the window.
pub struct Dialogs {
    results_tx: Sender<DialogResult>,
    results: Receiver<DialogResult>,
    wake: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl Dialogs {
    pub fn new(wake: std::sync::Arc<dyn Fn() + Send + Sync>) -> Self {
        let (results_tx, results) = crossbeam_channel::unbounded();
        Dialogs {
            results_tx,
            results,
            wake,
        }
    }

    /// Answers that arrived since the last call.
    pub fn poll(&self) -> Vec<DialogResult> {
        self.results.try_iter().collect()
    }

    /// Asks for a folder of songs to train on.
    pub fn pick_training_folder(&self) -> std::io::Result<()> {
        self.spawn(|| {
            rfd::FileDialog::new()
                .set_title("Choose a folder of MIDI songs to learn from")
                .pick_folder()
                .map(DialogResult::TrainingFolder)
        })
    }

    /// Asks for a SoundFont (.sf2) for the built-in synth.
    pub fn pick_soundfont(&self) -> std::io::Result<()> {
        self.spawn(|| {
            rfd::FileDialog::new()
                .set_title("Choose a SoundFont for the built-in synth")
                .add_filter("SoundFont", &["sf2"])
                .set_directory("/usr/share/sounds/sf2")
                .pick_file()
                .map(DialogResult::SoundFont)
        })
    }

    /// Asks where to save an idea as a MIDI file, then writes it there.
    pub fn save_as_midi(&self, idea: Idea, suggested_name: String) -> std::io::Result<()> {
        self.spawn(move || {
            let path = rfd::FileDialog::new()
                .set_title("Save the idea as a MIDI file")
                .set_file_name(&suggested_name)
                .add_filter("MIDI file", &["mid"])
                .save_file()?;
            Some(match save_idea_as_midi(&idea, &path) {
                Ok(()) => DialogResult::Saved(path),
                Err(error) => DialogResult::SaveFailed {
                    path,
                    error: format!("{error:#}"),
                },
            })
        })
    }

    /// Asks where to save `text` (a CSV table, say), then writes it there atomically.
    pub fn save_text(
        &self,
        title: &'static str,
        suggested_name: &'static str,
        text: String,
    ) -> std::io::Result<()> {
        self.spawn(move || {
            let path = rfd::FileDialog::new()
                .set_title(title)
                .set_file_name(suggested_name)
                .save_file()?;
            Some(
                match crate::atomic_file::write_atomically(&path, text.as_bytes()) {
                    Ok(()) => DialogResult::Saved(path),
                    Err(error) => DialogResult::SaveFailed {
                        path,
                        error: error.to_string(),
                    },
                },
            )
        })
    }

    fn spawn(
        &self,
        dialog: impl FnOnce() -> Option<DialogResult> + Send + 'static,
    ) -> std::io::Result<()> {
        let results = self.results_tx.clone();
        let wake = std::sync::Arc::clone(&self.wake);
        std::thread::Builder::new()
            .name("songsketch-dialog".into())
            .spawn(move || {
                if let Some(result) = dialog() {
                    let _ = results.send(result);
                    wake();
                }
            })
            .map(|_| ())
    }
}

/// Writes an idea as a standard MIDI file (atomically), exactly as drag-out will.
pub fn save_idea_as_midi(idea: &Idea, path: &std::path::Path) -> anyhow::Result<()> {
    crate::midi::write::write_lead_sheet(
        idea.sheet(),
        path,
        &crate::midi::write::ExportOptions::default(),
    )?;
    Ok(())
}
