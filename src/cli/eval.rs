//! `songsketch eval`: measures a model beside the real songs of a folder (see
//! [`crate::eval::run`]) and prints the report as tables, or as one JSON object with `--json`.
//! Sweeps (`--temperature-sweep`, `--phrase-return-sweep`, `--chorus-lift-sweep`) add the same
//! metrics at each value of one sampling parameter; `--skip-likelihood` leaves the (slow)
//! likelihoods out when only the ideas are of interest; `--realness` asks whether a classifier
//! tells the ideas from the validation songs ([`crate::eval::realness`]).

use std::path::PathBuf;

use anyhow::bail;

use super::SamplingArgs;
use crate::eval::SetMetrics;
use crate::eval::run::{
    EvalOptions, EvalReport, Likelihood, LikelihoodReport, SWEEP_CHORUS_LIFTS,
    SWEEP_PHRASE_RETURNS, SWEEP_TEMPERATURES, Split, Sweep, SweepParameter, SweepRow, evaluate,
};
use crate::eval::table::{Row, render, rows};
use crate::model::{Model, Sampling};

/// Which songs of the folder the likelihood and the real-song metrics are measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
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
    #[arg(long, value_enum, default_value_t = SplitArg::Validation)]
    pub split: SplitArg,
    /// Also generate `--ideas` ideas at each of the sweep's temperatures.
    #[arg(long)]
    pub temperature_sweep: bool,
    /// The temperatures of `--temperature-sweep`.
    #[arg(long, value_delimiter = ',', default_values_t = SWEEP_TEMPERATURES)]
    pub sweep_temperatures: Vec<f32>,
    /// Also generate `--ideas` ideas at each of the sweep's phrase-return strengths.
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

impl EvalArgs {
    fn sweeps(&self) -> Vec<Sweep> {
        let asked = [
            (
                self.temperature_sweep,
                SweepParameter::Temperature,
                &self.sweep_temperatures,
            ),
            (
                self.phrase_return_sweep,
                SweepParameter::PhraseReturn,
                &self.sweep_phrase_returns,
            ),
            (
                self.chorus_lift_sweep,
                SweepParameter::ChorusLift,
                &self.sweep_chorus_lifts,
            ),
        ];
        asked
            .into_iter()
            .filter(|(on, _, _)| *on)
            .map(|(_, varies, values)| Sweep {
                varies,
                values: values.clone(),
            })
            .collect()
    }

    fn options(&self) -> EvalOptions {
        EvalOptions {
            songs: self.songs.clone(),
            ideas: self.ideas,
            seed: self.seed,
            bars: self.bars,
            sampling: Sampling::from(&self.sampling),
            split: match self.split {
                SplitArg::Validation => Split::Validation,
                SplitArg::All => Split::All,
            },
            sweeps: self.sweeps(),
            skip_likelihood: self.skip_likelihood,
            ngram_order: self.ngram_order,
            realness_folds: self.realness.then_some(self.realness_folds),
        }
    }
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

/// A sweep as a table: one column per setting, headed by what varies (`temperature 0.70`).
fn sweep_table(rows: &[SweepRow], varies: SweepParameter) -> String {
    let headers: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {:.2}", varies.name(), varies.value(r.setting)))
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
        g.sampling.temperature,
        g.sampling.top_p,
        g.sampling.phrase_return,
        g.sampling.chorus_lift,
        g.bars,
        g.bars,
        g.meter,
        report.real.pairs_from,
        report.real.songs_without_pair
    ));
    out.push_str(&metrics_table(report));
    for (varies, rows) in &report.sweeps.0 {
        out.push_str(&format!(
            "\nagainst {} (otherwise temperature {}, phrase return {}, chorus lift {})\n",
            varies.name(),
            g.sampling.temperature,
            g.sampling.phrase_return,
            g.sampling.chorus_lift
        ));
        out.push_str(&sweep_table(rows, *varies));
    }
    if let Some(realness) = &report.realness {
        out.push('\n');
        out.push_str(&realness.text());
    }
    out.push_str(&format!("\ntook {:.1} s\n", report.seconds));
    out
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let options = args.options();
    options.validate()?;
    if !args.songs.is_dir() {
        bail!("{}: no such folder of songs", args.songs.display());
    }
    let model = Model::load_or_default(args.model.as_deref())?;
    let report = evaluate(&model, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}
