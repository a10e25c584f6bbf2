//! The command line: one subcommand per headless task. Each lives in its own file as an
//! `Args` struct (clap) and a `run` function; this module only dispatches.

pub mod bench;
pub mod eval;
pub mod generate;
pub mod inspect;
pub mod play;
pub mod ports;
pub mod render;
pub mod train;

use clap::{Parser, Subcommand};

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
    /// Play a MIDI file through a MIDI port or the built-in synth (Ctrl-C stops).
    Play(play::PlayArgs),
    /// List the MIDI output ports and whether the built-in synth can play.
    Ports(ports::PortsArgs),
    /// Render a MIDI file to a WAV file with the built-in synth.
    Render(render::RenderArgs),
    /// Train a model on a folder of songs, or fine-tune one (`--from`).
    Train(train::TrainArgs),
    /// Write one verse+chorus idea to a MIDI file.
    Generate(generate::GenerateArgs),
    /// Measure a model beside real songs: likelihood, n-gram baseline, metrics of generated ideas.
    Eval(eval::EvalArgs),
    /// Measure generation and training speed.
    Bench(bench::BenchArgs),
}

/// Runs the parsed command line. Without a subcommand the app's window opens.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => crate::ui::run_app(crate::ui::AppOptions {
            data_dir: std::env::var_os("SONGSKETCH_DATA_DIR").map(std::path::PathBuf::from),
        }),
        Some(Command::Inspect(args)) => inspect::run(args),
        Some(Command::Play(args)) => play::run(args),
        Some(Command::Ports(args)) => ports::run(args),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Generate(args)) => generate::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Eval(args)) => eval::run(args),
    }
}
