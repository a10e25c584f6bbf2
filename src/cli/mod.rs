//! The command line: one subcommand per headless task. Each lives in its own file as an
//! `Args` struct (clap) and a `run` function; this module only dispatches.

use clap::{Parser, Subcommand};

/// Songsketch: one fresh song idea after another.
#[derive(Debug, Parser)]
#[command(name = "songsketch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {}

/// Runs the parsed command line. Without a subcommand the app's window opens.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => crate::ui::run_app(crate::ui::AppOptions {
            data_dir: std::env::var_os("SONGSKETCH_DATA_DIR").map(std::path::PathBuf::from),
        }),
    }
}
