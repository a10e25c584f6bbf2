//! Finding and loading the SoundFont the built-in synth plays: a file the person chose, else the
//! `SONGSKETCH_SOUNDFONT` environment variable, else the usual system places (Debian/Ubuntu's
//! fluid-soundfont-gm puts FluidR3_GM.sf2 in /usr/share/sounds/sf2/).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustysynth::SoundFont;

use super::error::PlaybackError;

/// Environment variable naming a SoundFont to use when none is chosen.
pub const SOUNDFONT_ENV: &str = "SONGSKETCH_SOUNDFONT";

/// General MIDI SoundFonts preferred in this order, where distributions install them.
const PREFERRED: &[&str] = &[
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
];

/// Folders searched for any `.sf2` when none of the preferred files exists.
fn search_folders() -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = [
        "/usr/share/sounds/sf2",
        "/usr/share/soundfonts",
        "/usr/local/share/soundfonts",
        "/opt/homebrew/share/soundfonts",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(home) = std::env::var_os("HOME") {
        folders.push(Path::new(&home).join(".local/share/soundfonts"));
        folders.push(Path::new(&home).join("Library/Audio/Sounds/Banks"));
    }
    folders
}

/// The SoundFont to use: `chosen` if given (it must exist), else the first one found.
pub fn find_soundfont(chosen: Option<&Path>) -> Result<PathBuf, PlaybackError> {
    if let Some(path) = chosen {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(PlaybackError::BadSoundFont {
                path: path.to_path_buf(),
                reason: "no such file".into(),
            })
        };
    }
    if let Some(from_env) = std::env::var_os(SOUNDFONT_ENV) {
        return find_soundfont(Some(Path::new(&from_env)));
    }
    if let Some(found) = PREFERRED.iter().map(Path::new).find(|p| p.is_file()) {
        return Ok(found.to_path_buf());
    }
    let folders = search_folders();
    for folder in &folders {
        if let Some(found) = first_sf2_in(folder) {
            return Ok(found);
        }
    }
    Err(PlaybackError::NoSoundFont {
        searched: folders
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn first_sf2_in(folder: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sf2")))
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Reads and parses a SoundFont file.
pub fn load_soundfont(path: &Path) -> Result<Arc<SoundFont>, PlaybackError> {
    let file = File::open(path).map_err(|source| PlaybackError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let soundfont =
        SoundFont::new(&mut BufReader::new(file)).map_err(|e| PlaybackError::BadSoundFont {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(Arc::new(soundfont))
}
