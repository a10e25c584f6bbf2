//! `songsketch train`: trains a model on a folder of songs (or fine-tunes one), printing progress;
//! Ctrl-C saves a resumable state and exits cleanly.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::datasets::{SongReader, read_songs_with};
use crate::midi::import::FolderOptions;
use crate::model::train::{TrainConfig, TrainEvent, train};

/// Recipes for known datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The shipped default model: POP909's bar-aligned text files (melody.txt,
    /// finalized_chord.txt, human_label1.txt …) read by the dataset adapter.
    Default,
}

impl Preset {
    /// How the preset's folder is read.
    pub fn reader(self) -> SongReader {
        match self {
            Preset::Default => SongReader::Pop909,
        }
    }
}

/// `--arch`: which network a new model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchArg {
    /// The first-generation 2 × 256 LSTM.
    Lstm,
    /// The bar-aware Transformer trained to fill in bars.
    Transformer,
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Folder of songs, read recursively (MIDI files; with `--preset default` the POP909 root).
    #[arg(long)]
    pub songs: PathBuf,
    /// Model folder to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Fine-tune this model folder instead of starting from scratch.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Most epochs to train (early stopping usually ends sooner).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Continue the interrupted run saved in `--out`.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Stop cleanly after this many minutes of training (everything is saved).
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Epochs without improvement before stopping.
    #[arg(long)]
    pub patience: Option<usize>,
    /// The kind of a new model's network (each has its own default shape; the flags below
    /// change it).
    #[arg(long, value_enum, default_value = "lstm")]
    pub arch: ArchArg,
    /// Hidden size of a new model (LSTM cell; Transformer feed-forward width).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Layers of a new model (LSTM layers; Transformer blocks).
    #[arg(long)]
    pub layers: Option<usize>,
    /// Embedding size of a new model (the Transformer's width).
    #[arg(long)]
    pub embed: Option<usize>,
    /// Attention heads per Transformer block.
    #[arg(long)]
    pub heads: Option<usize>,
    #[arg(long)]
    pub dropout: Option<f64>,
    /// AdamW weight decay (0: Adam).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Share of training windows a Transformer sees in the bar-infilling layout.
    #[arg(long)]
    pub infill_rate: Option<f64>,
    /// Tokens per training window.
    #[arg(long)]
    pub seq_len: Option<usize>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long)]
    pub learning_rate: Option<f64>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Train on the CPU even when a GPU is available.
    #[arg(long)]
    pub cpu: bool,
    /// Experiment only (the model card's key-handling comparison): train in all twelve keys
    /// instead of the normalized key. Such a model is not for generating.
    #[arg(long, hide = true)]
    pub all_keys: bool,
    /// Skip damaged MIDI files (a track cut short …) instead of training on what they hold.
    #[arg(long)]
    pub strict: bool,
    /// Learn MIDI files without section markers as one section each, instead of with the verse,
    /// chorus … inferred from their music (for measuring what the inference brings).
    #[arg(long)]
    pub no_inferred_sections: bool,
}

fn config_from(args: &TrainArgs) -> TrainConfig {
    let mut config = match (&args.from, args.arch) {
        (Some(base), _) => TrainConfig::fine_tune(&args.out, base),
        (None, ArchArg::Lstm) => TrainConfig::new(&args.out),
        (None, ArchArg::Transformer) => TrainConfig::transformer(&args.out),
    };
    config.resume = args.resume;
    if let Some(v) = args.epochs {
        config.max_epochs = v;
    }
    if let Some(v) = args.patience {
        config.patience = v;
    }
    if let Some(v) = args.hidden {
        config.hidden = v;
    }
    if let Some(v) = args.layers {
        config.layers = v;
    }
    if let Some(v) = args.embed {
        config.embed = v;
    }
    if let Some(v) = args.heads {
        config.heads = v;
    }
    if let Some(v) = args.dropout {
        config.dropout = v;
    }
    if let Some(v) = args.weight_decay {
        config.weight_decay = v;
    }
    if let Some(v) = args.infill_rate {
        config.infill_rate = v;
    }
    if let Some(v) = args.seq_len {
        config.seq_len = v;
    }
    if let Some(v) = args.batch_size {
        config.batch_size = v;
    }
    if let Some(v) = args.learning_rate {
        config.learning_rate = v;
    }
    if let Some(v) = args.seed {
        config.seed = v;
    }
    config.time_budget = args
        .max_minutes
        .map(|m| Duration::from_secs_f64(m.max(0.0) * 60.0));
    config.allow_cuda = !args.cpu;
    config.all_keys = args.all_keys;
    config
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Prints events: a redrawn bar on a terminal, plain lines (every 30 s) otherwise.
struct Printer {
    terminal: bool,
    last_line: Instant,
}

impl Printer {
    fn show(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Prepared {
                train_songs,
                validation_songs,
                skipped,
                train_tokens,
                validation_tokens,
                parameters,
                device,
                batches_per_epoch,
                first_epoch,
                ..
            } => {
                for (name, why) in skipped {
                    eprintln!("skipped {name}: {why}");
                }
                eprintln!(
                    "training on {train_songs} songs ({train_tokens} tokens), validating on {validation_songs} \
                     ({validation_tokens} tokens); {parameters} parameters on {device}; \
                     {batches_per_epoch} batches per epoch; starting at epoch {first_epoch}"
                );
            }
            TrainEvent::Progress {
                epoch,
                batch,
                batches,
                loss,
                tokens_per_second,
                epoch_eta_seconds,
                run_eta_seconds,
            } => {
                let text = format!(
                    "epoch {epoch} batch {batch}/{batches} loss {loss:.3} {tokens_per_second:.0} tok/s \
                     epoch ETA {} run ETA {}",
                    clock(*epoch_eta_seconds),
                    clock(*run_eta_seconds)
                );
                if self.terminal {
                    let width = 30;
                    let filled = width * batch / (*batches).max(1);
                    eprint!(
                        "\r[{}{}] {text}   ",
                        "#".repeat(filled),
                        "-".repeat(width - filled)
                    );
                    let _ = std::io::stderr().flush();
                } else if self.last_line.elapsed() >= Duration::from_secs(30) || batch == batches {
                    self.last_line = Instant::now();
                    eprintln!("{text}");
                }
            }
            TrainEvent::Epoch { log, improved } => {
                if self.terminal {
                    eprintln!();
                }
                eprintln!(
                    "epoch {} train loss {:.4} validation loss {:.4} ({:.3} bits/token) lr {:.2e} {:.0} tok/s {:.0} s{}",
                    log.epoch,
                    log.train_loss,
                    log.validation_loss,
                    log.validation_loss / std::f64::consts::LN_2,
                    log.learning_rate,
                    log.tokens_per_second,
                    log.seconds,
                    if *improved { "  (best, saved)" } else { "" }
                );
            }
            TrainEvent::Saved { .. } => {}
            TrainEvent::Finished(outcome) => {
                if self.terminal {
                    eprintln!();
                }
                eprintln!(
                    "finished after {} epochs ({}): best validation loss {:.4} at epoch {}; model in {}",
                    outcome.epochs_run,
                    outcome.stopped.describe(),
                    outcome.best_validation_loss,
                    outcome.best_epoch,
                    outcome.model_dir.display()
                );
            }
        }
    }
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let reader = args.preset.map_or(SongReader::Midi, Preset::reader);
    let options = FolderOptions {
        strict: args.strict,
        infer_sections: !args.no_inferred_sections,
    };
    let (songs, skipped, warnings) = read_songs_with(&args.songs, reader, options)
        .with_context(|| format!("reading the songs in {}", args.songs.display()))?;
    for (name, why) in &skipped {
        eprintln!("skipped {name}: {why}");
    }
    for (name, what) in &warnings {
        eprintln!("warning: {name} is damaged: {what} (--strict skips such files)");
    }
    eprintln!("read {} songs from {}", songs.len(), args.songs.display());
    let config = config_from(&args);
    let cancel = Arc::new(AtomicBool::new(false));
    let presses = Arc::new(AtomicUsize::new(0));
    {
        let cancel = cancel.clone();
        ctrlc::set_handler(move || {
            if presses.fetch_add(1, Ordering::SeqCst) > 0 {
                eprintln!("\ninterrupted again: exiting without saving");
                std::process::exit(130);
            }
            eprintln!("\nstopping after this batch and saving (Ctrl-C again to quit at once)");
            cancel.store(true, Ordering::SeqCst);
        })
        .context("installing the Ctrl-C handler")?;
    }
    let mut printer = Printer {
        terminal: std::io::stderr().is_terminal(),
        last_line: Instant::now() - Duration::from_secs(60),
    };
    let outcome = train(config, songs, &mut |event| printer.show(&event), &cancel)
        .with_context(|| format!("training into {}", args.out.display()))?;
    if outcome.stopped == crate::model::train::StopReason::Cancelled {
        eprintln!(
            "saved; continue with: songsketch train --songs {} --out {} --resume",
            args.songs.display(),
            args.out.display()
        );
    }
    Ok(())
}
