//! `songsketch eval`: measures a model beside the real songs of a folder — validation bits per
//! token (and per bar) of the network and of an n-gram baseline on the same tokens, the musical
//! metrics of `--ideas` generated ideas beside the real songs' verse+chorus pairs, the
//! originality guard's rejections, and sweeps: (`--temperature-sweep`) variety and harmony
//! against temperature, (`--phrase-return-sweep`) bar similarity against the phrase-return
//! strength; (`--realness`) whether a classifier tells the ideas from the validation songs
//! ([`crate::eval::realness`]). `--json` prints the same as one JSON object; `--skip-likelihood`
//! leaves the (slow) likelihoods out when only the ideas are of interest.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::cli::generate::{SamplingArgs, load_model};
use crate::cli::train::{NamedSongs, Preset, read_songs};
use crate::datasets::pop909;
use crate::eval::table::{Row, render, rows};
use crate::eval::{self, NGramModel, SetMetrics};
use crate::model::train::is_validation;
use crate::model::{GenerateRequest, Model, ModelError};
use crate::music::{Idea, LeadSheet, Meter, Section, SectionKind};

/// The temperatures `--temperature-sweep` compares unless `--sweep-temperatures` names others.
pub const SWEEP_TEMPERATURES: [f32; 3] = [0.7, 1.0, 1.3];

/// The strengths `--phrase-return-sweep` compares unless `--sweep-phrase-returns` names others.
pub const SWEEP_PHRASE_RETURNS: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// The strengths `--chorus-lift-sweep` compares unless `--sweep-chorus-lifts` names others.
pub const SWEEP_CHORUS_LIFTS: [f32; 4] = [0.0, 0.25, 0.5, 1.0];

/// Which songs of the folder the likelihood and the real-song metrics are measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Only the songs the model held out in training (the n-gram trains on the rest).
    Validation,
    /// Every song of the folder.
    All,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Model folder (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Folder of real songs: a POP909 root (folders with melody.txt) or MIDI files.
    #[arg(long)]
    pub songs: PathBuf,
    /// Ideas to generate.
    #[arg(long, default_value_t = 100)]
    pub ideas: usize,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Bars of the verse and of the chorus, each.
    #[arg(long, default_value_t = 8)]
    pub bars: usize,
    /// Seed of the first idea; idea i uses seed + i.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = Split::Validation)]
    pub split: Split,
    /// Also generate `--ideas` ideas at each of the sweep's temperatures (at `--phrase-return`).
    #[arg(long)]
    pub temperature_sweep: bool,
    /// The temperatures of `--temperature-sweep`.
    #[arg(long, value_delimiter = ',', default_values_t = SWEEP_TEMPERATURES)]
    pub sweep_temperatures: Vec<f32>,
    /// Also generate `--ideas` ideas at each of the sweep's phrase-return strengths (at
    /// `--temperature`).
    #[arg(long)]
    pub phrase_return_sweep: bool,
    /// The strengths of `--phrase-return-sweep`.
    #[arg(long, value_delimiter = ',', default_values_t = SWEEP_PHRASE_RETURNS)]
    pub sweep_phrase_returns: Vec<f32>,
    /// Also generate `--ideas` ideas at each of the sweep's chorus-lift strengths.
    #[arg(long)]
    pub chorus_lift_sweep: bool,
    /// The strengths of `--chorus-lift-sweep`.
    #[arg(long, value_delimiter = ',', default_values_t = SWEEP_CHORUS_LIFTS)]
    pub sweep_chorus_lifts: Vec<f32>,
    /// Leave out the likelihoods of the network and the n-gram baseline.
    #[arg(long)]
    pub skip_likelihood: bool,
    /// Order of the n-gram baseline (4 = 4-gram).
    #[arg(long, default_value_t = 4)]
    pub ngram_order: usize,
    /// Also run the realness test: can a classifier tell the ideas from the validation songs?
    #[arg(long)]
    pub realness: bool,
    /// Folds of the realness test's cross-validation.
    #[arg(long, default_value_t = 5)]
    pub realness_folds: usize,
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
    pub temperature: f32,
    pub top_p: f32,
    pub phrase_return: f32,
    pub chorus_lift: f32,
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
    pub setting: Setting,
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
    pub temperature_sweep: Option<Vec<SweepRow>>,
    pub phrase_return_sweep: Option<Vec<SweepRow>>,
    pub chorus_lift_sweep: Option<Vec<SweepRow>>,
    /// `None` without `--realness`.
    pub realness: Option<eval::RealnessReport>,
    pub seconds: f64,
}

/// Whether `folder` is a POP909 root: a sub-folder holds a `melody.txt`.
pub fn looks_like_pop909(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("melody.txt").is_file())
    })
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

/// `--realness`: the generated ideas against the validation songs' pairs, and the control.
fn realness_report(
    ideas: &[Idea],
    validation: &[&LeadSheet],
    training: &[&LeadSheet],
    pop909: bool,
    args: &EvalArgs,
) -> anyhow::Result<eval::RealnessReport> {
    eprintln!("realness test…");
    let pairs = |sheets: &[&LeadSheet]| -> Vec<Idea> {
        sheets
            .iter()
            .filter_map(|s| pair(s, pop909, args.bars))
            .collect()
    };
    let config = eval::RealnessConfig {
        folds: args.realness_folds,
        section_bars: Some(args.bars),
        seed: args.seed,
        ..eval::RealnessConfig::default()
    };
    Ok(eval::realness(
        ideas,
        &pairs(validation),
        &pairs(training),
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

/// The sampling settings a batch of ideas is generated with.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setting {
    pub temperature: f32,
    pub phrase_return: f32,
    pub chorus_lift: f32,
}

impl Setting {
    fn of(args: &EvalArgs) -> Setting {
        Setting {
            temperature: args.sampling.temperature,
            phrase_return: args.sampling.phrase_return,
            chorus_lift: args.sampling.chorus_lift,
        }
    }
}

fn generate_batch(model: &Model, args: &EvalArgs, setting: Setting) -> anyhow::Result<Batch> {
    let mut batch = Batch {
        ideas: Vec::with_capacity(args.ideas),
        rejected: 0,
        with_rejections: 0,
        failed: Vec::new(),
        millis: Vec::new(),
    };
    for seed in args.seed..args.seed + args.ideas as u64 {
        let request = GenerateRequest {
            seed,
            meter: Some(Meter::FOUR_FOUR),
            bars: args.bars,
            temperature: setting.temperature,
            top_p: args.sampling.top_p,
            phrase_return: setting.phrase_return,
            chorus_lift: setting.chorus_lift,
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

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
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
    args: &EvalArgs,
    corpus: &[LeadSheet],
) -> anyhow::Result<(GeneratedReport, Vec<Idea>)> {
    let started = Instant::now();
    let mut batch = generate_batch(model, args, Setting::of(args))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut metrics = eval::measure(&batch.ideas);
    metrics.most_copied_bars = Some(eval::copied_bars(&batch.ideas, corpus));
    let report = GeneratedReport {
        settings: IdeaSettings {
            ideas: args.ideas,
            first_seed: args.seed,
            temperature: args.sampling.temperature,
            top_p: args.sampling.top_p,
            phrase_return: args.sampling.phrase_return,
            chorus_lift: args.sampling.chorus_lift,
            bars: args.bars,
            meter: Meter::FOUR_FOUR.to_string(),
        },
        metrics,
        rejected_unoriginal: batch.rejected,
        ideas_with_rejections: batch.with_rejections,
        failed_seeds: batch.failed,
        well_formed: batch
            .ideas
            .iter()
            .filter(|i| well_formed(i, args.bars))
            .count(),
        median_ms_per_idea: median(&mut batch.millis),
        seconds,
    };
    Ok((report, batch.ideas))
}

/// `--ideas` ideas at each setting.
fn sweep(
    model: &Model,
    args: &EvalArgs,
    settings: impl Iterator<Item = Setting>,
) -> anyhow::Result<Vec<SweepRow>> {
    settings
        .map(|setting| {
            eprintln!("  {setting:?}…");
            let mut batch = generate_batch(model, args, setting)?;
            Ok(SweepRow {
                setting,
                metrics: eval::measure(&batch.ideas),
                rejected_unoriginal: batch.rejected,
                median_ms_per_idea: median(&mut batch.millis),
            })
        })
        .collect()
}

/// The network's and the n-gram baseline's likelihoods.
fn likelihood_report(
    model: &Model,
    args: &EvalArgs,
    encoded_validation: &[(&LeadSheet, Vec<u16>)],
    encoded_training: &[(&LeadSheet, Vec<u16>)],
    all_sheets: &[&LeadSheet],
) -> anyhow::Result<LikelihoodReport> {
    let network_validation = network_likelihood(model, encoded_validation)?;
    let network = match args.split {
        Split::Validation => network_validation.clone(),
        Split::All => network_likelihood(model, &encode_all(model, all_sheets))?,
    };
    let ngram = ngram_report(
        args.ngram_order,
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

/// Measures everything `songsketch eval` reports.
pub fn evaluate(model: &Model, args: &EvalArgs) -> anyhow::Result<EvalReport> {
    let started = Instant::now();
    let pop909 = looks_like_pop909(&args.songs);
    let preset = pop909.then_some(Preset::Default);
    let (songs, skipped) = read_songs(&args.songs, preset)
        .with_context(|| format!("reading the songs of {}", args.songs.display()))?;
    if songs.is_empty() {
        bail!("{}: no songs could be read", args.songs.display());
    }
    let (validation, split_source) = validation_names(model, &songs);
    let is_val = |name: &String| validation.contains(name);
    let validation_sheets: Vec<&LeadSheet> = songs
        .iter()
        .filter(|(n, _)| is_val(n))
        .map(|(_, s)| s)
        .collect();
    let training_sheets: Vec<&LeadSheet> = songs
        .iter()
        .filter(|(n, _)| !is_val(n))
        .map(|(_, s)| s)
        .collect();
    if validation_sheets.is_empty() || training_sheets.is_empty() {
        bail!(
            "{}: {} validation and {} training songs; the baseline needs both",
            args.songs.display(),
            validation_sheets.len(),
            training_sheets.len()
        );
    }
    let all_sheets: Vec<&LeadSheet> = songs.iter().map(|(_, s)| s).collect();
    let evaluated_sheets = match args.split {
        Split::Validation => &validation_sheets,
        Split::All => &all_sheets,
    };

    let encoded_validation = encode_all(model, &validation_sheets);
    let encoded_training = encode_all(model, &training_sheets);
    let unencodable = songs.len() - encoded_validation.len() - encoded_training.len();
    let likelihood = if args.skip_likelihood {
        None
    } else {
        eprintln!(
            "{} songs ({} validation); measuring likelihoods…",
            songs.len(),
            validation_sheets.len()
        );
        Some(likelihood_report(
            model,
            args,
            &encoded_validation,
            &encoded_training,
            &all_sheets,
        )?)
    };

    eprintln!("generating {} ideas…", args.ideas);
    let corpus: Vec<LeadSheet> = all_sheets.iter().map(|&s| s.clone()).collect();
    let (generated, ideas) = generated_report(model, args, &corpus)?;
    let real = real_report(
        evaluated_sheets,
        pop909,
        args.bars,
        &training_sheets,
        args.split,
    );
    let temperature_sweep = if args.temperature_sweep {
        eprintln!("temperature sweep: {} ideas at each setting", args.ideas);
        let settings = args.sweep_temperatures.iter().map(|&temperature| Setting {
            temperature,
            ..Setting::of(args)
        });
        Some(sweep(model, args, settings)?)
    } else {
        None
    };
    let phrase_return_sweep = if args.phrase_return_sweep {
        eprintln!("phrase-return sweep: {} ideas at each setting", args.ideas);
        let settings = args
            .sweep_phrase_returns
            .iter()
            .map(|&phrase_return| Setting {
                phrase_return,
                ..Setting::of(args)
            });
        Some(sweep(model, args, settings)?)
    } else {
        None
    };
    let chorus_lift_sweep = if args.chorus_lift_sweep {
        eprintln!("chorus-lift sweep: {} ideas at each setting", args.ideas);
        let settings = args.sweep_chorus_lifts.iter().map(|&chorus_lift| Setting {
            chorus_lift,
            ..Setting::of(args)
        });
        Some(sweep(model, args, settings)?)
    } else {
        None
    };
    let (validation, training) = (&validation_sheets, &training_sheets);
    let realness = args
        .realness
        .then(|| realness_report(&ideas, validation, training, pop909, args))
        .transpose()?;
    Ok(EvalReport {
        model: model.dir().display().to_string(),
        split: args.split,
        songs: SongCounts {
            folder: args.songs.display().to_string(),
            reader: if pop909 { "pop909" } else { "midi" },
            read: songs.len(),
            skipped: skipped.len(),
            unencodable,
            validation: validation_sheets.len(),
            training: training_sheets.len(),
            evaluated: evaluated_sheets.len(),
            split_source,
        },
        likelihood,
        generated,
        real,
        temperature_sweep,
        phrase_return_sweep,
        chorus_lift_sweep,
        realness,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn cell(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn likelihood_table(report: &EvalReport, l: &LikelihoodReport) -> String {
    let row = |name: String, x: &Likelihood| -> Row {
        (
            name,
            vec![
                format!("{:.3}", x.bits_per_token),
                format!("{:.1}", x.bits_per_bar),
                cell(x.tokens),
                cell(x.songs),
            ],
        )
    };
    let mut rows = vec![
        row("network, validation songs".into(), &l.network_validation),
        row(
            format!(
                "{}-gram baseline ({}, trained on {} songs)",
                l.ngram.order, l.ngram.smoothing, l.ngram.trained_songs
            ),
            &l.ngram.validation,
        ),
    ];
    if report.split == Split::All {
        rows.push(row("network, all songs".into(), &l.network));
    }
    render(&["bits/token", "bits/bar", "tokens", "songs"], &rows)
}

fn metrics_table(report: &EvalReport) -> String {
    let g = &report.generated;
    let mut out = rows(&[&g.metrics, &report.real.metrics]);
    out.extend([
        (
            "ideas rejected by the originality guard".to_string(),
            vec![cell(g.rejected_unoriginal), "-".into()],
        ),
        (
            "ideas with verse+chorus of the requested bars in 4/4".to_string(),
            vec![
                format!("{}/{}", g.well_formed, g.settings.ideas),
                "-".into(),
            ],
        ),
        (
            "median ms per idea".to_string(),
            vec![format!("{:.0}", g.median_ms_per_idea), "-".into()],
        ),
    ]);
    let real = match report.split {
        Split::Validation => "real songs (validation)",
        Split::All => "real songs (all)",
    };
    render(&["model", real], &out)
}

/// What a sweep varies, for its column headers.
#[derive(Debug, Clone, Copy)]
enum Varies {
    Temperature,
    PhraseReturn,
    ChorusLift,
}

/// A sweep as a table: one column per setting, headed by what varies (`T=0.70`, `return 0.50`).
fn sweep_table(rows: &[SweepRow], varies: Varies) -> String {
    let headers: Vec<String> = rows
        .iter()
        .map(|r| match varies {
            Varies::Temperature => format!("T={:.2}", r.setting.temperature),
            Varies::PhraseReturn => format!("return {:.2}", r.setting.phrase_return),
            Varies::ChorusLift => format!("lift {:.2}", r.setting.chorus_lift),
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let sets: Vec<&SetMetrics> = rows.iter().map(|r| &r.metrics).collect();
    let mut table: Vec<Row> = crate::eval::table::rows(&sets)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("most bars copied"))
        .collect();
    table.extend([
        (
            "rejected by the originality guard".into(),
            rows.iter().map(|r| cell(r.rejected_unoriginal)).collect(),
        ),
        (
            "median ms per idea".into(),
            rows.iter()
                .map(|r| format!("{:.0}", r.median_ms_per_idea))
                .collect(),
        ),
    ]);
    render(&headers, &table)
}

/// The report as text: likelihoods, the metric table, the sweep.
pub fn text(report: &EvalReport) -> String {
    let s = &report.songs;
    let g = &report.generated.settings;
    let mut out = format!(
        "model {}\nsongs {} ({} reader): {} read, {} skipped, {} validation ({}), {} training\n\n",
        report.model,
        s.folder,
        s.reader,
        s.read,
        s.skipped,
        s.validation,
        s.split_source,
        s.training
    );
    if let Some(l) = &report.likelihood {
        out.push_str(&likelihood_table(report, l));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} ideas: seeds {}..{}, temperature {}, top-p {}, phrase return {}, chorus lift {}, {}+{} bars in {}; real songs: {}, {} songs without one\n\n",
        g.ideas,
        g.first_seed,
        g.first_seed + g.ideas as u64,
        g.temperature,
        g.top_p,
        g.phrase_return,
        g.chorus_lift,
        g.bars,
        g.bars,
        g.meter,
        report.real.pairs_from,
        report.real.songs_without_pair
    ));
    out.push_str(&metrics_table(report));
    let sweeps = [
        (
            &report.temperature_sweep,
            "temperature",
            Varies::Temperature,
        ),
        (
            &report.phrase_return_sweep,
            "phrase return",
            Varies::PhraseReturn,
        ),
        (&report.chorus_lift_sweep, "chorus lift", Varies::ChorusLift),
    ];
    for (sweep, name, varies) in sweeps {
        if let Some(rows) = sweep {
            out.push_str(&format!(
                "\nagainst {name} (otherwise temperature {}, phrase return {}, chorus lift {})\n",
                g.temperature, g.phrase_return, g.chorus_lift
            ));
            out.push_str(&sweep_table(rows, varies));
        }
    }
    if let Some(realness) = &report.realness {
        out.push('\n');
        out.push_str(&realness.text());
    }
    out.push_str(&format!("\ntook {:.1} s\n", report.seconds));
    out
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    if args.ideas == 0 {
        bail!("--ideas must be at least 1");
    }
    let returns = std::iter::once(&args.sampling.phrase_return).chain(&args.sweep_phrase_returns);
    if let Some(bad) = returns.into_iter().find(|p| !(0.0..=1.0).contains(*p)) {
        bail!("phrase return {bad} is outside 0..1");
    }
    let lifts = std::iter::once(&args.sampling.chorus_lift).chain(&args.sweep_chorus_lifts);
    if let Some(bad) = lifts.into_iter().find(|c| !(0.0..=1.0).contains(*c)) {
        bail!("chorus lift {bad} is outside 0..1");
    }
    if !args.songs.is_dir() {
        bail!("{}: no such folder of songs", args.songs.display());
    }
    let model = load_model(args.model.as_deref())?;
    let report = evaluate(&model, &args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}
