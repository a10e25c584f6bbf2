//! `songsketch render FILE.mid --out FILE.wav [--soundfont F.sf2]`: renders a MIDI file with the
//! built-in synth into a WAV file, offline, so an idea can be heard or checked anywhere.

use std::path::PathBuf;

use crate::playback::load_timeline;
use crate::playback::render::render_to_wav;

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The MIDI file to render.
    pub file: PathBuf,
    /// Where to write the WAV file (16-bit stereo, 44.1 kHz).
    #[arg(long)]
    pub out: PathBuf,
    /// SoundFont to render with (default: the first found, e.g. FluidR3_GM.sf2).
    #[arg(long)]
    pub soundfont: Option<PathBuf>,
}

pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let timeline = load_timeline(&args.file)?;
    let summary = render_to_wav(&timeline, args.soundfont.as_deref(), &args.out)?;
    println!(
        "Wrote {} ({:.1} s, peak {:.1} dBFS) with {}",
        summary.out.display(),
        summary.seconds,
        20.0 * f64::from(summary.peak.max(1e-9)).log10(),
        summary.soundfont.display()
    );
    Ok(())
}
