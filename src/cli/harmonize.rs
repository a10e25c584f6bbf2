//! `songsketch harmonize`: chords for a melody from a MIDI file, written to a new MIDI file;
//! the melody comes out note for note as it went in.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::model::Model;
use crate::model::harmonize::HarmonizeRequest;
use crate::music::Key;

#[derive(Debug, clap::Args)]
pub struct HarmonizeArgs {
    /// The melody: any MIDI file the importer reads (its melody track is the one harmonized).
    pub melody: PathBuf,
    /// The MIDI file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Model folder (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Key to harmonize in, e.g. `Am` (default: the key found in the melody).
    #[arg(long)]
    pub key: Option<Key>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Low keeps to the likeliest harmony, high explores (1: as likely as the model thinks).
    #[arg(long, default_value_t = HarmonizeRequest::DEFAULT_TEMPERATURE)]
    pub temperature: f32,
}

pub fn run(args: HarmonizeArgs) -> anyhow::Result<()> {
    let model = Model::load_or_default(args.model.as_deref())?;
    let melody = crate::midi::import::import_file(&args.melody)
        .with_context(|| format!("reading the melody {}", args.melody.display()))?
        .sheet;
    let request = HarmonizeRequest {
        key: args.key,
        seed: args.seed,
        temperature: args.temperature,
        ..HarmonizeRequest::new(melody)
    };
    let started = std::time::Instant::now();
    let sheet = model.harmonize(&request)?;
    let elapsed = started.elapsed();
    crate::midi::write::write_lead_sheet(
        &sheet,
        &args.out,
        &crate::midi::write::ExportOptions::default(),
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {}: {} bars in {}, {} ms",
        args.out.display(),
        sheet.bar_count(),
        sheet.key,
        elapsed.as_millis()
    )?;
    for section in &sheet.sections {
        let chords = super::chords_by_bar(&sheet, section);
        writeln!(out, "{}: {chords}", section.kind)?;
    }
    Ok(())
}
