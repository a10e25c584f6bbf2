//! The keep-rate: how many ideas the composer was shown, kept and discarded, per model and per
//! setting. Counted on this machine only, in `keep-rate.json` in the data folder; nothing leaves
//! it. The library panel shows the current model's rate and `songsketch stats` prints them all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file in the data folder.
pub const KEEP_RATE_FILE: &str = "keep-rate.json";

/// What happened to an idea.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepEvent {
    /// A fresh idea appeared on the roll.
    Shown,
    Kept,
    Discarded,
}

/// Counts of one model at one setting (or summed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub shown: u64,
    pub kept: u64,
    pub discarded: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.shown += other.shown;
        self.kept += other.kept;
        self.discarded += other.discarded;
    }

    /// "kept 12 of 80 (15%)".
    pub fn summary(&self) -> String {
        let percent = if self.shown == 0 {
            0.0
        } else {
            100.0 * self.kept as f64 / self.shown as f64
        };
        format!("kept {} of {} ({percent:.0}%)", self.kept, self.shown)
    }
}

/// All counts: model name → setting → counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepRate {
    pub models: BTreeMap<String, BTreeMap<String, Counts>>,
}

impl KeepRate {
    pub fn record(&mut self, model: &str, setting: &str, event: KeepEvent) {
        let counts = self
            .models
            .entry(model.to_string())
            .or_default()
            .entry(setting.to_string())
            .or_default();
        match event {
            KeepEvent::Shown => counts.shown += 1,
            KeepEvent::Kept => counts.kept += 1,
            KeepEvent::Discarded => counts.discarded += 1,
        }
    }

    /// One model's counts over all its settings.
    pub fn for_model(&self, model: &str) -> Counts {
        let mut total = Counts::default();
        for counts in self.models.get(model).into_iter().flat_map(|s| s.values()) {
            total.add(*counts);
        }
        total
    }

    /// Every model's and setting's counts as a table, then the total.
    pub fn report(&self) -> String {
        if self.models.is_empty() {
            return "No ideas counted yet: the window counts the ideas it shows, keeps and discards.\n".into();
        }
        let mut out = String::new();
        let mut total = Counts::default();
        for (model, settings) in &self.models {
            out.push_str(&format!("{model}: {}\n", self.for_model(model).summary()));
            for (setting, counts) in settings {
                out.push_str(&format!(
                    "  {setting}: {}, discarded {}\n",
                    counts.summary(),
                    counts.discarded
                ));
                total.add(*counts);
            }
        }
        out.push_str(&format!("all models: {}\n", total.summary()));
        out
    }
}

/// The counts and the file they live in.
#[derive(Debug)]
pub struct KeepRateFile {
    path: PathBuf,
    rate: KeepRate,
}

impl KeepRateFile {
    /// Reads the counts in `data_dir` (none yet is an empty count). A file that cannot be read
    /// is an error naming it; nothing is overwritten then.
    pub fn open(data_dir: &Path) -> Result<KeepRateFile, String> {
        let path = data_dir.join(KEEP_RATE_FILE);
        let rate = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!("the keep-rate file {} cannot be read: {e}", path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => KeepRate::default(),
            Err(e) => return Err(format!("the keep-rate file {}: {e}", path.display())),
        };
        Ok(KeepRateFile { path, rate })
    }

    pub fn rate(&self) -> &KeepRate {
        &self.rate
    }

    /// Counts an event and saves (atomically: a failed save keeps the old file).
    pub fn record(&mut self, model: &str, setting: &str, event: KeepEvent) -> Result<(), String> {
        self.rate.record(model, setting, event);
        let json = serde_json::to_vec_pretty(&self.rate).map_err(|e| e.to_string())?;
        crate::library::write_atomically(&self.path, &json).map_err(|e| {
            format!(
                "the keep-rate was not saved to {}: {e}",
                self.path.display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_model_and_setting_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = KeepRateFile::open(dir.path()).unwrap();
        for _ in 0..80 {
            file.record("default", "temperature 0.90", KeepEvent::Shown)
                .unwrap();
        }
        for _ in 0..12 {
            file.record("default", "temperature 0.90", KeepEvent::Kept)
                .unwrap();
        }
        file.record("default", "temperature 1.20", KeepEvent::Shown)
            .unwrap();
        file.record("my waltzes", "temperature 0.90", KeepEvent::Discarded)
            .unwrap();
        let again = KeepRateFile::open(dir.path()).unwrap();
        assert_eq!(again.rate(), file.rate());
        let default = again.rate().for_model("default");
        assert_eq!(
            default,
            Counts {
                shown: 81,
                kept: 12,
                discarded: 0
            }
        );
        assert_eq!(
            again.rate().models["default"]["temperature 0.90"].summary(),
            "kept 12 of 80 (15%)"
        );
        let report = again.rate().report();
        assert!(report.contains("default: kept 12 of 81 (15%)"), "{report}");
        assert!(report.contains("my waltzes"), "{report}");
        assert!(report.contains("all models: kept 12 of 81"), "{report}");
    }

    #[test]
    fn the_first_count_creates_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("not yet made");
        let mut file = KeepRateFile::open(&data).unwrap();
        file.record("default", "temperature 0.90", KeepEvent::Shown)
            .unwrap();
        let again = KeepRateFile::open(&data).unwrap();
        assert_eq!(again.rate().for_model("default").shown, 1);
    }

    #[test]
    fn an_unreadable_file_is_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEEP_RATE_FILE);
        std::fs::write(&path, b"{ not json").unwrap();
        let error = KeepRateFile::open(dir.path()).unwrap_err();
        assert!(error.contains("keep-rate.json"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");
        assert_eq!(Counts::default().summary(), "kept 0 of 0 (0%)");
    }
}
