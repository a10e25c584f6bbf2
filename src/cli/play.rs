//! `songsketch play FILE.mid [--port NAME] [--loop]`: plays a MIDI file (an exported idea or any
//! song) through a MIDI port or the built-in synth. Ctrl-C stops cleanly: every sounding note gets
//! its note-off, then sustain off and All Notes Off. With `--jitter` it measures timing instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use crossbeam_channel::select;

use crate::playback::bench::measure_bars_jitter;
use crate::playback::{
    OutputChoice, Player, PlayerCommand, PlayerEvent, load_timeline, open_output,
};

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// The MIDI file to play.
    pub file: PathBuf,
    /// MIDI output port: its name or a unique part of it (see `songsketch ports`).
    /// Without it the built-in synth plays.
    #[arg(long)]
    pub port: Option<String>,
    /// SoundFont for the built-in synth (default: the first found, e.g. FluidR3_GM.sf2).
    #[arg(long)]
    pub soundfont: Option<PathBuf>,
    /// Start again at the end until Ctrl-C.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Tempo factor: 1.0 as written, 2.0 twice as fast.
    #[arg(long, default_value_t = 1.0)]
    pub tempo: f64,
    /// Measure timing instead of listening: play the first --bars bars and print the spread of
    /// actual − intended send times (through --port, or through no output at all).
    #[arg(long)]
    pub jitter: bool,
    /// Bars played by --jitter.
    #[arg(long, default_value_t = 32)]
    pub bars: usize,
}

pub fn run(args: PlayArgs) -> anyhow::Result<()> {
    let timeline = load_timeline(&args.file)?;
    if args.jitter {
        return run_jitter(&args, timeline);
    }
    let output = open_output(&output_choice(&args))?;
    let output_name = output.describe();
    let (interrupt_tx, interrupt_rx) = crossbeam_channel::bounded::<()>(1);
    ctrlc::set_handler(move || {
        let _ = interrupt_tx.try_send(());
    })
    .context("could not catch Ctrl-C")?;
    let player = Player::spawn(Some(output)).context("could not start the player thread")?;
    player.send(PlayerCommand::SetLoop(args.looping));
    player.send(PlayerCommand::SetTempoScale(args.tempo));
    eprintln!(
        "Playing {} ({}) through {output_name}{}. Ctrl-C stops.",
        args.file.display(),
        minutes_seconds(timeline.duration() / args.tempo.max(f64::MIN_POSITIVE)),
        if args.looping { ", looping" } else { "" }
    );
    player.play(timeline);
    let outcome = wait_for_end(&player, &interrupt_rx);
    // Dropping the player silences every channel used and closes the output.
    drop(player);
    outcome
}

fn output_choice(args: &PlayArgs) -> OutputChoice {
    match (&args.port, &args.soundfont) {
        (Some(port), _) => OutputChoice::Port(port.clone()),
        (None, Some(soundfont)) => OutputChoice::BuiltInSynth {
            soundfont: Some(soundfont.clone()),
        },
        (None, None) => OutputChoice::Automatic,
    }
}

fn wait_for_end(
    player: &Player,
    interrupt: &crossbeam_channel::Receiver<()>,
) -> anyhow::Result<()> {
    loop {
        select! {
            recv(interrupt) -> _ => {
                eprintln!("Stopped.");
                return Ok(());
            }
            recv(player.events()) -> event => match event {
                Ok(PlayerEvent::Finished) => return Ok(()),
                Ok(PlayerEvent::PortLost(reason)) => bail!("playback stopped: {reason}"),
                Ok(PlayerEvent::Error(reason)) => bail!("{reason}"),
                Ok(_) => {}
                Err(_) => bail!("the player thread ended unexpectedly"),
            },
            default(Duration::from_secs(3600)) => {}
        }
    }
}

/// `--jitter`: the player's timing over the first `--bars` bars instead of playing.
fn run_jitter(args: &PlayArgs, timeline: crate::playback::Timeline) -> anyhow::Result<()> {
    measure_and_print(&args.file, &timeline, args.bars, args.port.as_deref())
}

/// Prints what is measured, then the report of [`measure_bars_jitter`].
fn measure_and_print(
    file: &Path,
    timeline: &crate::playback::Timeline,
    bars: usize,
    port: Option<&str>,
) -> anyhow::Result<()> {
    eprintln!(
        "Measuring timing over the first {} bars of {} ({:.1} s)…",
        timeline.bar_starts().len().min(bars),
        file.display(),
        timeline.first_bars(bars).duration()
    );
    println!("{}", measure_bars_jitter(timeline, bars, port)?);
    Ok(())
}

fn minutes_seconds(seconds: f64) -> String {
    let whole = seconds.round().max(0.0) as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}
