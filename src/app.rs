//! The window with the real parts: the libtorch model behind the worker, the player thread
//! behind the window's [`PlayerControl`], the default model and the data folder. This is the
//! binary's wiring; the library's `ui` module knows none of these parts, only their traits and
//! message types.

use anyhow::Context;

use songsketch::engine::{LibtorchBackend, ThreadPlayer};
use songsketch::library::default_data_dir;
use songsketch::model::generate::default_model_dir;
use songsketch::playback::control::{NoPlayback, PlayerControl};
use songsketch::recording::MidirKeyboards;
use songsketch::ui::{AppParts, native_options, run_with};

/// What the window calls the shipped model.
const DEFAULT_MODEL_NAME: &str = "Default (pop songs)";

/// Opens the window and runs until it is closed. `SONGSKETCH_DATA_DIR` keeps the library,
/// trained models and window settings in another folder than the OS data folder (for trying
/// things out and for screenshots).
pub fn run() -> anyhow::Result<()> {
    let chosen_data_dir =
        std::env::var_os(songsketch::library::DATA_DIR_ENV).map(std::path::PathBuf::from);
    let data_dir = match chosen_data_dir.clone() {
        Some(dir) => dir,
        None => default_data_dir().context("this system has no data folder for Songsketch")?,
    };
    let player: Box<dyn PlayerControl> = match ThreadPlayer::spawn() {
        Ok(player) => Box::new(player),
        Err(error) => {
            eprintln!("songsketch: no playback: {error:#}");
            Box::new(NoPlayback)
        }
    };
    let parts = AppParts {
        backend: Box::new(LibtorchBackend),
        player,
        keyboards: Box::new(MidirKeyboards::default()),
        data_dir,
        default_model_dir: default_model_dir()
            .unwrap_or_else(|| std::path::Path::new("models").join("default")),
        default_model_name: DEFAULT_MODEL_NAME.into(),
    };
    run_with(parts, native_options(chosen_data_dir.as_deref()))
}
