//! Command-line entry point: parses arguments and hands over to the library. No logic lives here.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = songsketch::cli::Cli::parse();
    match songsketch::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("songsketch: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
