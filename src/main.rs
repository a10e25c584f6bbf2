//! Command-line entry point: parses arguments and hands over to a subcommand, or without one
//! opens the window with the real parts (see [`app`]). No logic lives here.

mod app;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = songsketch::cli::Cli::parse();
    let outcome = match cli.command {
        Some(command) => songsketch::cli::run(command),
        None => app::run(),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("songsketch: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
