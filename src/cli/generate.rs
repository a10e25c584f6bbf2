//! `songsketch generate`: writes one verse+chorus idea from a model to a MIDI file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::SamplingArgs;
use crate::model::infill::{Redo, RedoPart};
use crate::model::{GenerateRequest, Keep, Model};
use crate::music::{Idea, Key, LeadSheet, Meter, SectionKind, Tempo};

/// Which section `--primer` fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SectionChoice {
    /// The primer's bars start the verse; the rest is new.
    Verse,
    /// The primer's verse is kept whole; a new chorus follows it.
    Chorus,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Model folder (default: the shipped model, found from any working directory).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The MIDI file to write.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Key, e.g. `Am`, `C`, `F#m`, `Bb` (default: drawn like the training songs' keys).
    #[arg(long)]
    pub key: Option<Key>,
    /// Tempo in BPM (default: the training songs' median).
    #[arg(long)]
    pub tempo: Option<f64>,
    /// Time signature, e.g. `4/4`, `6/8` (default: the model chooses).
    #[arg(long)]
    pub meter: Option<Meter>,
    /// Bars of the verse and of the chorus, each.
    #[arg(long, default_value_t = 8)]
    pub bars: usize,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// A MIDI file to continue (its bars start the verse), or with `--section chorus` whose
    /// verse is kept and answered by a new chorus.
    #[arg(long)]
    pub primer: Option<PathBuf>,
    /// Keep every chord of this MIDI idea (verse and chorus) and write a new melody over them.
    #[arg(long, conflicts_with = "primer")]
    pub keep_chords_from: Option<PathBuf>,
    /// With `--primer`: which section to write anew.
    #[arg(long, value_enum, default_value_t = SectionChoice::Verse, requires = "primer")]
    pub section: SectionChoice,
    /// An idea (MIDI) whose bars `--redo-bars` rewrites; everything else is kept.
    #[arg(long, conflicts_with_all = ["primer", "keep_chords_from"], requires = "redo_bars")]
    pub from: Option<PathBuf>,
    /// Bars to write anew, counted from 1 across verse and chorus: `5-6`, or `7` for one bar.
    /// New melody (`--part melody` or `both`) needs a model trained to fill in bars
    /// (`train --arch transformer`); new chords (`--part chords`) work with any model.
    #[arg(long, requires = "from")]
    pub redo_bars: Option<BarSpan>,
    /// With `--redo-bars`: which part of those bars is new.
    #[arg(long, value_enum, default_value_t = PartChoice::Both, requires = "from")]
    pub part: PartChoice,
}

/// `--part`: what `--redo-bars` writes anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PartChoice {
    /// A new melody over the bars' own chords.
    Melody,
    /// New chords under the bars' own melody (any model).
    Chords,
    /// New chords and a new melody.
    Both,
}

/// A span of bars as the composer counts them (from 1, inclusive), e.g. `5-6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarSpan {
    pub first: usize,
    pub last: usize,
}

impl BarSpan {
    /// The 0-based, end-exclusive range.
    pub fn range(self) -> std::ops::Range<usize> {
        self.first - 1..self.last
    }
}

impl std::str::FromStr for BarSpan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a span of bars: write e.g. `5-6` or `7`");
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let first: usize = a.trim().parse().map_err(|_| bad())?;
        let last: usize = b.trim().parse().map_err(|_| bad())?;
        if first == 0 || last < first {
            return Err(bad());
        }
        Ok(BarSpan { first, last })
    }
}

fn read_sheet(path: &Path) -> anyhow::Result<LeadSheet> {
    Ok(crate::midi::import::import_file(path)?.sheet)
}

/// A verse+chorus idea from a file: its sections marked Verse and Chorus, or its first two sections.
fn read_idea(path: &Path) -> anyhow::Result<Idea> {
    let mut sheet = read_sheet(path)?;
    let verse = sheet
        .sections
        .iter()
        .position(|s| s.kind == SectionKind::Verse);
    let chorus = sheet
        .sections
        .iter()
        .position(|s| s.kind == SectionKind::Chorus);
    let (v, c) = match (verse, chorus) {
        (Some(v), Some(c)) if v < c => (v, c),
        _ if sheet.sections.len() >= 2 => (0, 1),
        _ => anyhow::bail!(
            "{}: needs a verse and a chorus (section markers) or at least two sections",
            path.display()
        ),
    };
    let mut verse = sheet.sections[v].clone();
    let mut chorus = sheet.sections[c].clone();
    verse.kind = SectionKind::Verse;
    chorus.kind = SectionKind::Chorus;
    sheet.sections = vec![verse, chorus];
    Idea::new(sheet).with_context(|| format!("{}: not a usable idea", path.display()))
}

/// `--from … --redo-bars … --part …` as kept material.
fn redo_from(args: &GenerateArgs) -> anyhow::Result<Keep> {
    let (Some(from), Some(span)) = (&args.from, args.redo_bars) else {
        anyhow::bail!("--from needs --redo-bars");
    };
    Ok(Keep::Bars(Redo {
        idea: read_idea(from)?,
        bars: span.range(),
        part: match args.part {
            PartChoice::Melody => RedoPart::Melody,
            PartChoice::Chords => RedoPart::Chords,
            PartChoice::Both => RedoPart::Both,
        },
    }))
}

fn request_from(args: &GenerateArgs) -> anyhow::Result<GenerateRequest> {
    let keep = match (&args.primer, &args.keep_chords_from, args.section) {
        _ if args.from.is_some() => redo_from(args)?,
        (Some(primer), _, SectionChoice::Verse) => Keep::Primer(read_sheet(primer)?),
        (Some(primer), _, SectionChoice::Chorus) => Keep::Verse(read_idea(primer)?),
        (None, Some(chords), _) => Keep::Chords(read_idea(chords)?),
        (None, None, _) => Keep::Nothing,
    };
    Ok(GenerateRequest {
        seed: args.seed,
        key: args.key,
        tempo: args.tempo.map(Tempo::new).transpose()?,
        meter: args.meter,
        bars: args.bars,
        sampling: (&args.sampling).into(),
        keep,
        ..GenerateRequest::default()
    })
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let model = Model::load_or_default(args.model.as_deref())?;
    let request = request_from(&args)?;
    let started = std::time::Instant::now();
    let generated = model.generate(&request)?;
    let elapsed = started.elapsed();
    let sheet = generated.idea.sheet();
    crate::midi::write::write_lead_sheet(
        sheet,
        &args.out,
        &crate::midi::write::ExportOptions::default(),
    )?;
    let chords = |kind: usize| super::chords_by_bar(sheet, &sheet.sections[kind]);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {}: {} at {} BPM in {}, {} + {} bars; seed {}; {} ms; {} attempt(s), {} rejected as copies of training songs",
        args.out.display(),
        sheet.key,
        sheet.tempo.bpm(),
        sheet.meter(),
        generated.idea.verse().bars.len(),
        generated.idea.chorus().bars.len(),
        request.seed,
        elapsed.as_millis(),
        generated.attempts,
        generated.rejected_unoriginal
    )?;
    writeln!(out, "verse:  {}", chords(0))?;
    writeln!(out, "chorus: {}", chords(1))?;
    Ok(())
}
