//! The command line: one subcommand per headless task. Each lives in its own file as an
//! `Args` struct (clap) and a `run` function; this module dispatches and holds the one argument
//! group two subcommands share ([`SamplingArgs`]). What a subcommand computes lives in the
//! library modules (`model`, `eval`, `datasets`, `midi`, `playback`); subcommands never import
//! each other.

pub mod bench;
pub mod eval;
pub mod generate;
pub mod harmonize;
pub mod inspect;
pub mod play;
pub mod ports;
pub mod render;
pub mod stats;
pub mod train;

use clap::{Parser, Subcommand};

use crate::model::Sampling;
use crate::model::steering::MelodyRange;

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
    /// Write chords under a melody from a MIDI file (the melody is kept note for note).
    Harmonize(harmonize::HarmonizeArgs),
    /// Measure a model beside real songs: likelihood, n-gram baseline, metrics of generated ideas.
    Eval(eval::EvalArgs),
    /// Measure generation and training speed.
    Bench(bench::BenchArgs),
    /// Print the keep-rate the window counted here: ideas shown, kept and discarded.
    Stats(stats::StatsArgs),
}

/// How ideas are sampled (`generate`, `eval`): clap's side of [`Sampling`], whose defaults
/// it shows.
#[derive(Debug, Clone, clap::Args)]
pub struct SamplingArgs {
    /// Low is safe, high is adventurous (rhythm is never sharpened below 1).
    #[arg(long, default_value_t = Sampling::default().temperature)]
    pub temperature: f32,
    /// Nucleus sampling of chords and pitches: the likeliest tokens up to this probability mass.
    #[arg(long, default_value_t = Sampling::default().top_p)]
    pub top_p: f32,
    /// How strongly the melody returns to the bars 4 and 8 before (0 = off, 1 = strongest).
    #[arg(long, default_value_t = Sampling::default().phrase_return)]
    pub phrase_return: f32,
    /// How strongly the chorus is kept from sinking below the verse (0 = off, 1 = strongest).
    #[arg(long, default_value_t = Sampling::default().chorus_lift)]
    pub chorus_lift: f32,
    /// Melody notes per bar: 0 sparse … 1 busy (0.5 = as the model writes).
    #[arg(long, default_value_t = Sampling::default().density)]
    pub density: f32,
    /// Where the melody sits: auto, low, mid or high.
    #[arg(long, default_value = "auto")]
    pub range: MelodyRange,
    /// Chords per bar: 0 fewer changes … 1 more (0.5 = as the model writes).
    #[arg(long, default_value_t = Sampling::default().harmonic_rhythm)]
    pub harmonic_rhythm: f32,
}

impl From<&SamplingArgs> for Sampling {
    fn from(args: &SamplingArgs) -> Sampling {
        Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            phrase_return: args.phrase_return,
            chorus_lift: args.chorus_lift,
            density: args.density,
            melody_range: args.range,
            harmonic_rhythm: args.harmonic_rhythm,
        }
    }
}

/// A section's chord symbols in the sheet's spelling, bar by bar: `Am F | C G | …`.
fn chords_by_bar(sheet: &crate::music::LeadSheet, section: &crate::music::Section) -> String {
    section
        .bars
        .iter()
        .map(|b| {
            b.chords
                .iter()
                .filter_map(|c| c.chord.map(|ch| ch.name(sheet.key.spelling())))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs a subcommand. (Without one, the binary opens the window instead.)
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Inspect(args) => inspect::run(args),
        Command::Play(args) => play::run(args),
        Command::Ports(args) => ports::run(args),
        Command::Render(args) => render::run(args),
        Command::Train(args) => train::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Harmonize(args) => harmonize::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Stats(args) => stats::run(args),
    }
}
