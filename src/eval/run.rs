//! What `songsketch eval` measures, as a library function: [`evaluate`] a model beside the real
//! songs of a folder — validation bits per token (and per bar) of the network and of an n-gram
//! baseline on the same tokens, the musical metrics of generated ideas beside the real songs'
//! verse+chorus pairs, the originality guard's rejections, and [`Sweep`]s: the same metrics at
//! each value of one [`Sampling`] parameter. The report serializes to JSON as it is.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::datasets::{NamedSongs, SongReader, pop909, read_songs};
use crate::eval::{self, NGramModel, SetMetrics};
use crate::model::train::is_validation;
use crate::model::{GenerateRequest, Model, ModelError, Sampling};
use crate::music::{Idea, LeadSheet, Meter, Section, SectionKind};

/// The values a temperature sweep compares unless others are named.
pub const SWEEP_TEMPERATURES: [f32; 3] = [0.7, 1.0, 1.3];

/// The strengths a phrase-return sweep compares unless others are named.
pub const SWEEP_PHRASE_RETURNS: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// The strengths a chorus-lift sweep compares unless others are named.
pub const SWEEP_CHORUS_LIFTS: [f32; 4] = [0.0, 0.25, 0.5, 1.0];

/// What to measure.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// A POP909 root (folders with melody.txt) or a folder of MIDI files.
    pub songs: PathBuf,
    /// Ideas to generate (at each setting of each sweep too).
    pub ideas: usize,
    /// Seed of the first idea; idea i uses seed + i.
    pub seed: u64,
    /// Bars of the verse and of the chorus, each.
    pub bars: usize,
    pub sampling: Sampling,
    pub split: Split,
    pub sweeps: Vec<Sweep>,
    /// Leave out the (slow) likelihoods of the network and the n-gram baseline.
    pub skip_likelihood: bool,
    /// Order of the n-gram baseline (4 = 4-gram).
    pub ngram_order: usize,
    /// Run the realness test with this many cross-validation folds.
    pub realness_folds: Option<usize>,
}

impl EvalOptions {
    /// Every sampling setting the options generate with in range, or the first that is not.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.ideas == 0 {
            return Err(ModelError::Request("ideas: at least 1".into()));
        }
        self.sampling.validate()?;
        self.sweeps
            .iter()
            .flat_map(|sweep| sweep.settings(self.sampling))
            .try_for_each(|setting| setting.validate())
    }
}

/// A [`Sampling`] parameter a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepParameter {
    Temperature,
    PhraseReturn,
    ChorusLift,
}

impl SweepParameter {
    /// `base` with this parameter at `value`.
    pub fn apply(self, base: Sampling, value: f32) -> Sampling {
        let mut sampling = base;
        *self.field(&mut sampling) = value;
        sampling
    }

    /// This parameter's value in `sampling`.
    pub fn value(self, mut sampling: Sampling) -> f32 {
        *self.field(&mut sampling)
    }

    fn field(self, sampling: &mut Sampling) -> &mut f32 {
        match self {
            SweepParameter::Temperature => &mut sampling.temperature,
            SweepParameter::PhraseReturn => &mut sampling.phrase_return,
            SweepParameter::ChorusLift => &mut sampling.chorus_lift,
        }
    }

    /// The name a composer reads: `temperature`, `phrase return`, `chorus lift`.
    pub fn name(self) -> &'static str {
        match self {
            SweepParameter::Temperature => "temperature",
            SweepParameter::PhraseReturn => "phrase return",
            SweepParameter::ChorusLift => "chorus lift",
        }
    }

    /// The JSON name of the field.
    pub fn key(self) -> &'static str {
        match self {
            SweepParameter::Temperature => "temperature",
            SweepParameter::PhraseReturn => "phrase_return",
            SweepParameter::ChorusLift => "chorus_lift",
        }
    }
}

/// The same number of ideas at each value of one parameter, the others as in the options.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub varies: SweepParameter,
    pub values: Vec<f32>,
}

impl Sweep {
    /// The settings of the sweep around `base`.
    pub fn settings(&self, base: Sampling) -> impl Iterator<Item = Sampling> + '_ {
        self.values
            .iter()
            .map(move |&value| self.varies.apply(base, value))
    }
}

/// The rows of each sweep run, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct SweepReports(pub Vec<(SweepParameter, Vec<SweepRow>)>);

impl Serialize for SweepReports {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (parameter, rows) in &self.0 {
            map.serialize_entry(&format!("{}_sweep", parameter.key()), rows)?;
        }
        map.end()
    }
}

/// Which songs of the folder the likelihood and the real-song metrics are measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Only the songs the model held out in training (the n-gram trains on the rest).
    Validation,
    /// Every song of the folder.
    All,
}

/// Likelihood of a set of songs' tokens under one model.
#[derive(Debug, Clone, Serialize)]
pub struct Likelihood {
    pub songs: usize,
    pub tokens: usize,
    pub bars: usize,
    pub bits_per_token: f64,
    pub bits_per_bar: f64,
}

/// The n-gram baseline and how it was trained.
#[derive(Debug, Clone, Serialize)]
pub struct NGramReport {
    pub order: usize,
    pub smoothing: &'static str,
    pub discount: f64,
    pub trained_songs: usize,
    pub trained_tokens: usize,
    pub validation: Likelihood,
}

#[derive(Debug, Clone, Serialize)]
pub struct LikelihoodReport {
    /// The network on the songs of `--split`.
    pub network: Likelihood,
    /// The network on the validation songs (the same as `network` with `--split validation`).
    pub network_validation: Likelihood,
    pub ngram: NGramReport,
    pub network_beats_ngram: bool,
}

/// How many songs were read and used.
#[derive(Debug, Clone, Serialize)]
pub struct SongCounts {
    pub folder: String,
    /// `pop909` (the text-file adapter) or `midi`.
    pub reader: &'static str,
    pub read: usize,
    pub skipped: usize,
    /// Songs the model's vocabulary cannot encode (left out of the likelihoods).
    pub unencodable: usize,
    pub validation: usize,
    pub training: usize,
    /// Songs of the split measured (likelihood, real-song metrics).
    pub evaluated: usize,
    /// Where the validation split came from: the model card's list or the name hash.
    pub split_source: &'static str,
}

/// The generation settings of a set of ideas.
#[derive(Debug, Clone, Serialize)]
pub struct IdeaSettings {
    pub ideas: usize,
    pub first_seed: u64,
    #[serde(flatten)]
    pub sampling: Sampling,
    pub bars: usize,
    pub meter: String,
}

/// Generated ideas: their metrics and what the originality guard did.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedReport {
    pub settings: IdeaSettings,
    pub metrics: SetMetrics,
    /// Sampled ideas the originality guard rejected (and sampled again), over all seeds.
    pub rejected_unoriginal: u32,
    pub ideas_with_rejections: usize,
    /// Seeds for which every attempt was rejected (no idea).
    pub failed_seeds: Vec<u64>,
    /// Ideas whose verse and chorus both have `bars` bars in 4/4.
    pub well_formed: usize,
    pub median_ms_per_idea: f64,
    pub seconds: f64,
}

/// The real songs' verse+chorus pairs.
#[derive(Debug, Clone, Serialize)]
pub struct RealReport {
    /// How the pairs were cut: `verse_chorus_pairs` (POP909) or MIDI section markers / first bars.
    pub pairs_from: &'static str,
    pub songs_without_pair: usize,
    pub metrics: SetMetrics,
}

/// One setting of a sweep and what its ideas measured.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    #[serde(flatten)]
    pub setting: Sampling,
    #[serde(flatten)]
    pub metrics: SetMetrics,
    pub rejected_unoriginal: u32,
    pub median_ms_per_idea: f64,
}

/// Everything `songsketch eval` measures.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    pub split: Split,
    pub songs: SongCounts,
    /// `None` with `--skip-likelihood`.
    pub likelihood: Option<LikelihoodReport>,
    pub generated: GeneratedReport,
    pub real: RealReport,
    /// Each sweep's rows, in JSON under `temperature_sweep`, `phrase_return_sweep`,
    /// `chorus_lift_sweep`.
    #[serde(flatten)]
    pub sweeps: SweepReports,
    /// `None` without `--realness`.
    pub realness: Option<eval::RealnessReport>,
    pub seconds: f64,
}

/// The validation names among `songs`: the model card's list when it names songs of this
/// folder, else the training split's name hash.
fn validation_names(model: &Model, songs: &NamedSongs) -> (HashSet<String>, &'static str) {
    let card = model.card();
    let listed: HashSet<&String> = card.data.validation_songs.iter().collect();
    let from_card: HashSet<String> = songs
        .iter()
        .filter(|(name, _)| listed.contains(name))
        .map(|(name, _)| name.clone())
        .collect();
    if !from_card.is_empty() {
        return (from_card, "model card");
    }
    let hashed = songs
        .iter()
        .filter(|(name, _)| is_validation(name, card.training.validation_percent))
        .map(|(name, _)| name.clone())
        .collect();
    (hashed, "name hash")
}

/// Token ids of each song the vocabulary can encode.
fn encode_all<'a>(model: &Model, sheets: &[&'a LeadSheet]) -> Vec<(&'a LeadSheet, Vec<u16>)> {
    sheets
        .iter()
        .filter_map(|&s| {
            crate::model::tokens::encode(model.vocab(), s)
                .ok()
                .map(|ids| (s, ids))
        })
        .collect()
}

fn likelihood(songs: usize, nats: f64, tokens: usize, bars: usize) -> Likelihood {
    let bits = nats / std::f64::consts::LN_2;
    Likelihood {
        songs,
        tokens,
        bars,
        bits_per_token: bits / tokens.max(1) as f64,
        bits_per_bar: bits / bars.max(1) as f64,
    }
}

fn network_likelihood(
    model: &Model,
    songs: &[(&LeadSheet, Vec<u16>)],
) -> anyhow::Result<Likelihood> {
    let (mut nats, mut tokens, mut bars) = (0.0, 0, 0);
    for (sheet, _) in songs {
        let (n, t) = model
            .negative_log_likelihood(sheet)
            .with_context(|| format!("likelihood of {}", sheet.title))?;
        nats += n;
        tokens += t;
        bars += sheet.bar_count();
    }
    Ok(likelihood(songs.len(), nats, tokens, bars))
}

fn ngram_report(
    order: usize,
    vocab_size: usize,
    training: &[(&LeadSheet, Vec<u16>)],
    validation: &[(&LeadSheet, Vec<u16>)],
) -> NGramReport {
    let ngram = NGramModel::train(
        order,
        vocab_size,
        training.iter().map(|(_, ids)| ids.as_slice()),
    );
    let (mut nats, mut tokens, mut bars) = (0.0, 0, 0);
    for (sheet, ids) in validation {
        let (n, t) = ngram.negative_log_likelihood(ids);
        nats += n;
        tokens += t;
        bars += sheet.bar_count();
    }
    NGramReport {
        order: ngram.order(),
        smoothing: "interpolated absolute discounting",
        discount: eval::ngram::DEFAULT_DISCOUNT,
        trained_songs: training.len(),
        trained_tokens: ngram.trained_tokens(),
        validation: likelihood(validation.len(), nats, tokens, bars),
    }
}

/// A verse+chorus idea from an imported song: its first verse and a later chorus when marked,
/// else its first `2 × bars` bars cut in half.
fn idea_from_midi(sheet: &LeadSheet, bars: usize) -> Option<Idea> {
    let position = |kind| sheet.sections.iter().position(|s| s.kind == kind);
    let (verse, chorus) = match (position(SectionKind::Verse), position(SectionKind::Chorus)) {
        (Some(v), Some(c)) if v < c => {
            let mut verse = sheet.sections[v].clone();
            let mut chorus = sheet.sections[c].clone();
            verse.kind = SectionKind::Verse;
            chorus.kind = SectionKind::Chorus;
            (verse, chorus)
        }
        _ => {
            let all: Vec<_> = sheet.bars().filter(|b| !b.is_pickup()).cloned().collect();
            let half = bars.min(all.len() / 2);
            if half == 0 {
                return None;
            }
            (
                Section::new(SectionKind::Verse, all[..half].to_vec()),
                Section::new(SectionKind::Chorus, all[half..2 * half].to_vec()),
            )
        }
    };
    Idea::new(LeadSheet {
        sections: vec![verse, chorus],
        ..sheet.clone()
    })
    .ok()
}

/// The verse+chorus pair a real song is measured by.
fn pair(sheet: &LeadSheet, pop909: bool, bars: usize) -> Option<Idea> {
    if pop909 {
        pop909::verse_chorus_pairs(sheet).into_iter().next()
    } else {
        idea_from_midi(sheet, bars)
    }
}

/// The realness test: the generated ideas against the validation songs' pairs, and the
/// validation songs against the training songs as the control.
fn realness_report(
    ideas: &[Idea],
    songs: &Songs,
    options: &EvalOptions,
    folds: usize,
) -> anyhow::Result<eval::RealnessReport> {
    eprintln!("realness test…");
    let pop909 = songs.reader == SongReader::Pop909;
    let pairs = |sheets: &[LeadSheet]| -> Vec<Idea> {
        sheets
            .iter()
            .filter_map(|s| pair(s, pop909, options.bars))
            .collect()
    };
    let config = eval::RealnessConfig {
        folds,
        section_bars: Some(options.bars),
        seed: options.seed,
        ..eval::RealnessConfig::default()
    };
    Ok(eval::realness(
        ideas,
        &pairs(&songs.validation),
        &pairs(&songs.training),
        &config,
    )?)
}

fn real_report(
    sheets: &[&LeadSheet],
    pop909: bool,
    bars: usize,
    training: &[&LeadSheet],
    split: Split,
) -> RealReport {
    let pairs: Vec<Option<Idea>> = sheets.iter().map(|s| pair(s, pop909, bars)).collect();
    let without = pairs.iter().filter(|p| p.is_none()).count();
    let ideas: Vec<Idea> = pairs.into_iter().flatten().collect();
    let mut metrics = eval::measure(&ideas);
    // Copies of other songs are only meaningful for held-out songs against the training songs.
    if split == Split::Validation {
        let training: Vec<LeadSheet> = training.iter().map(|&s| s.clone()).collect();
        metrics.most_copied_bars = Some(eval::copied_bars(&ideas, &training));
    }
    RealReport {
        pairs_from: if pop909 {
            "pop909 verse_chorus_pairs (first pair of each song)"
        } else {
            "MIDI section markers, else the first 2 x bars bars"
        },
        songs_without_pair: without,
        metrics,
    }
}

/// Ideas for seeds `seed..seed + count` and the guard's work.
struct Batch {
    ideas: Vec<Idea>,
    rejected: u32,
    with_rejections: usize,
    failed: Vec<u64>,
    millis: Vec<f64>,
}

fn generate_batch(
    model: &Model,
    options: &EvalOptions,
    sampling: Sampling,
) -> anyhow::Result<Batch> {
    let mut batch = Batch {
        ideas: Vec::with_capacity(options.ideas),
        rejected: 0,
        with_rejections: 0,
        failed: Vec::new(),
        millis: Vec::new(),
    };
    for seed in options.seed..options.seed + options.ideas as u64 {
        let request = GenerateRequest {
            seed,
            meter: Some(Meter::FOUR_FOUR),
            bars: options.bars,
            sampling,
            ..GenerateRequest::default()
        };
        let started = Instant::now();
        match model.generate(&request) {
            Ok(generated) => {
                batch.millis.push(started.elapsed().as_secs_f64() * 1000.0);
                batch.rejected += generated.rejected_unoriginal;
                batch.with_rejections += usize::from(generated.rejected_unoriginal > 0);
                batch.ideas.push(generated.idea);
            }
            Err(ModelError::NotOriginal(_)) => {
                batch.rejected += request.max_attempts;
                batch.failed.push(seed);
            }
            Err(e) => return Err(e).with_context(|| format!("generating the idea of seed {seed}")),
        }
    }
    Ok(batch)
}

fn median(values: &[f64]) -> f64 {
    crate::stats::median(values).unwrap_or(f64::NAN)
}

fn well_formed(idea: &Idea, bars: usize) -> bool {
    [idea.verse(), idea.chorus()].iter().all(|s| {
        s.bars.len() == bars
            && s.bars
                .iter()
                .all(|b| b.meter == Meter::FOUR_FOUR && b.length == b.meter.bar_ticks())
    })
}

fn generated_report(
    model: &Model,
    options: &EvalOptions,
    corpus: &[LeadSheet],
) -> anyhow::Result<(GeneratedReport, Vec<Idea>)> {
    let started = Instant::now();
    let batch = generate_batch(model, options, options.sampling)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut metrics = eval::measure(&batch.ideas);
    metrics.most_copied_bars = Some(eval::copied_bars(&batch.ideas, corpus));
    let report = GeneratedReport {
        settings: IdeaSettings {
            ideas: options.ideas,
            first_seed: options.seed,
            sampling: options.sampling,
            bars: options.bars,
            meter: Meter::FOUR_FOUR.to_string(),
        },
        metrics,
        rejected_unoriginal: batch.rejected,
        ideas_with_rejections: batch.with_rejections,
        failed_seeds: batch.failed,
        well_formed: batch
            .ideas
            .iter()
            .filter(|i| well_formed(i, options.bars))
            .count(),
        median_ms_per_idea: median(&batch.millis),
        seconds,
    };
    Ok((report, batch.ideas))
}

/// `options.ideas` ideas at each value of one sweep.
fn run_sweep(model: &Model, options: &EvalOptions, sweep: &Sweep) -> anyhow::Result<Vec<SweepRow>> {
    eprintln!(
        "{} sweep: {} ideas at each setting",
        sweep.varies.name(),
        options.ideas
    );
    sweep
        .settings(options.sampling)
        .map(|setting| {
            eprintln!("  {setting:?}…");
            let batch = generate_batch(model, options, setting)?;
            Ok(SweepRow {
                setting,
                metrics: eval::measure(&batch.ideas),
                rejected_unoriginal: batch.rejected,
                median_ms_per_idea: median(&batch.millis),
            })
        })
        .collect()
}

/// The network's and the n-gram baseline's likelihoods.
fn likelihood_report(
    model: &Model,
    options: &EvalOptions,
    encoded_validation: &[(&LeadSheet, Vec<u16>)],
    encoded_training: &[(&LeadSheet, Vec<u16>)],
    all_sheets: &[&LeadSheet],
) -> anyhow::Result<LikelihoodReport> {
    let network_validation = network_likelihood(model, encoded_validation)?;
    let network = match options.split {
        Split::Validation => network_validation.clone(),
        Split::All => network_likelihood(model, &encode_all(model, all_sheets))?,
    };
    let ngram = ngram_report(
        options.ngram_order,
        model.vocab().len(),
        encoded_training,
        encoded_validation,
    );
    Ok(LikelihoodReport {
        network_beats_ngram: network_validation.bits_per_token < ngram.validation.bits_per_token,
        network,
        network_validation,
        ngram,
    })
}

/// The folder's songs, split into validation and training songs.
struct Songs {
    named: NamedSongs,
    skipped: usize,
    reader: SongReader,
    validation: Vec<LeadSheet>,
    training: Vec<LeadSheet>,
    split_source: &'static str,
}

impl Songs {
    fn read(model: &Model, folder: &Path) -> anyhow::Result<Songs> {
        let reader = SongReader::for_folder(folder);
        let (named, skipped) = read_songs(folder, reader)
            .with_context(|| format!("reading the songs of {}", folder.display()))?;
        if named.is_empty() {
            bail!("{}: no songs could be read", folder.display());
        }
        let (validation_names, split_source) = validation_names(model, &named);
        let (validation, training): (Vec<_>, Vec<_>) = named
            .iter()
            .partition(|(name, _)| validation_names.contains(name));
        let sheets = |songs: Vec<&(String, LeadSheet)>| -> Vec<LeadSheet> {
            songs.into_iter().map(|(_, s)| s.clone()).collect()
        };
        let (validation, training) = (sheets(validation), sheets(training));
        if validation.is_empty() || training.is_empty() {
            bail!(
                "{}: {} validation and {} training songs; the baseline needs both",
                folder.display(),
                validation.len(),
                training.len()
            );
        }
        Ok(Songs {
            skipped: skipped.len(),
            named,
            reader,
            validation,
            training,
            split_source,
        })
    }

    fn all(&self) -> Vec<&LeadSheet> {
        self.named.iter().map(|(_, s)| s).collect()
    }

    /// The songs `split` measures.
    fn evaluated(&self, split: Split) -> Vec<&LeadSheet> {
        match split {
            Split::Validation => self.validation.iter().collect(),
            Split::All => self.all(),
        }
    }

    fn counts(&self, folder: &Path, split: Split, unencodable: usize) -> SongCounts {
        SongCounts {
            folder: folder.display().to_string(),
            reader: match self.reader {
                SongReader::Pop909 => "pop909",
                SongReader::Midi => "midi",
            },
            read: self.named.len(),
            skipped: self.skipped,
            unencodable,
            validation: self.validation.len(),
            training: self.training.len(),
            evaluated: self.evaluated(split).len(),
            split_source: self.split_source,
        }
    }
}

/// Measures everything `songsketch eval` reports.
pub fn evaluate(model: &Model, options: &EvalOptions) -> anyhow::Result<EvalReport> {
    let started = Instant::now();
    let songs = Songs::read(model, &options.songs)?;
    let validation: Vec<&LeadSheet> = songs.validation.iter().collect();
    let training: Vec<&LeadSheet> = songs.training.iter().collect();
    let encoded_validation = encode_all(model, &validation);
    let encoded_training = encode_all(model, &training);
    let unencodable = songs.named.len() - encoded_validation.len() - encoded_training.len();
    let likelihood = if options.skip_likelihood {
        None
    } else {
        eprintln!(
            "{} songs ({} validation); measuring likelihoods…",
            songs.named.len(),
            validation.len()
        );
        Some(likelihood_report(
            model,
            options,
            &encoded_validation,
            &encoded_training,
            &songs.all(),
        )?)
    };
    eprintln!("generating {} ideas…", options.ideas);
    let corpus: Vec<LeadSheet> = songs.named.iter().map(|(_, s)| s.clone()).collect();
    let (generated, ideas) = generated_report(model, options, &corpus)?;
    let real = real_report(
        &songs.evaluated(options.split),
        songs.reader == SongReader::Pop909,
        options.bars,
        &training,
        options.split,
    );
    let mut sweeps = SweepReports::default();
    for sweep in &options.sweeps {
        sweeps
            .0
            .push((sweep.varies, run_sweep(model, options, sweep)?));
    }
    let realness = options
        .realness_folds
        .map(|folds| realness_report(&ideas, &songs, options, folds))
        .transpose()?;
    Ok(EvalReport {
        model: model.dir().display().to_string(),
        split: options.split,
        songs: songs.counts(&options.songs, options.split, unencodable),
        likelihood,
        generated,
        real,
        sweeps,
        realness,
        seconds: started.elapsed().as_secs_f64(),
    })
}
