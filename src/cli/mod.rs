//! The command line: one subcommand per headless task. Each lives in its own file as an
//! `Args` struct (clap) and a `run` function; this module only dispatches.

use clap::{Parser, Subcommand};

pub mod inspect;

/// Songsketch: one fresh song idea after another.
#[derive(Debug, Parser)]
#[command(name = "songsketch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the lead sheet read from a MIDI file.
    Inspect(inspect::InspectArgs),
}

/// Runs the parsed command line. Without a subcommand the app's window opens.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => {
            eprintln!("The window is not built yet; see `songsketch --help` for the commands.");
            Ok(())
        }
        Some(Command::Inspect(args)) => inspect::run(args),
    }
}
