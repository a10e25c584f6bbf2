//! `songsketch bench import|generate|train|jitter|onsets`: import speed (files per second), idea
//! generation (ms per idea), training (tokens per second), player timing jitter and the built-in
//! synth's onset error, printed as medians and percentiles.

use std::path::PathBuf;
use std::time::Instant;

use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Reduction, Tensor, nn};

use crate::model::network::{Arch, NetInput, Network, NetworkConfig};
use crate::model::positions::{BAR_SLOTS, BEAT_SLOTS};
use crate::model::{GenerateRequest, Model, ModelCard};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchWhat {
    /// Files per second for parse + melody/harmony split + chord recognition of every MIDI file
    /// in a folder (median over `--repeats` passes).
    Import {
        dir: PathBuf,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
    },
    /// Timing jitter of the player thread (actual − intended send time) over the first `--bars`
    /// bars of a MIDI file, to a port or to the scheduler alone.
    Jitter {
        file: PathBuf,
        #[arg(long, default_value_t = 32)]
        bars: usize,
        /// Send to this MIDI port instead of measuring the scheduler alone.
        #[arg(long)]
        port: Option<String>,
    },
    /// Onset error of the built-in synth: a click track through its audio callback on a fake
    /// stream, at each buffer size, before (messages at buffer starts) and after (at their frame).
    Onsets {
        /// The SoundFont to play (default: the first one in the usual places).
        #[arg(long)]
        soundfont: Option<PathBuf>,
        #[arg(long, default_value_t = 48_000)]
        rate: u32,
        /// Buffer sizes in frames.
        #[arg(long, value_delimiter = ',', default_value = "64,256,1024,4096")]
        buffers: Vec<usize>,
        #[arg(long, default_value_t = 100)]
        clicks: usize,
        /// Also run the stream in real time, fed by the real player thread.
        #[arg(long)]
        real_time: bool,
    },
    /// Milliseconds per verse+chorus idea (median over `--ideas` seeds).
    Generate {
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        ideas: u64,
        #[arg(long, default_value_t = 8)]
        bars: usize,
        /// libtorch threads (generation itself runs on one core).
        #[arg(long)]
        threads: Option<i32>,
    },
    /// Training tokens per second of the network on random batches (forward, backward, Adam
    /// step with gradient clipping), the same work `bench/train_compare.py` times in PyTorch.
    Train {
        /// Take the network shape from this model (default: the default training shape).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 64)]
        batch_size: i64,
        #[arg(long, default_value_t = 256)]
        seq_len: i64,
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        #[arg(long, default_value_t = 10)]
        steps: usize,
        #[arg(long)]
        threads: Option<i32>,
        /// Network shape (default: the training defaults).
        #[arg(long)]
        hidden: Option<usize>,
        #[arg(long)]
        embed: Option<usize>,
        #[arg(long)]
        layers: Option<usize>,
        /// Without `--model`: the Transformer's default shape instead of the LSTM's.
        #[arg(long)]
        transformer: bool,
        /// Print one JSON line instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The median, NaN for no values.
fn median(values: &[f64]) -> f64 {
    crate::stats::median(values).unwrap_or(f64::NAN)
}

fn bench_generate(model: Option<PathBuf>, ideas: u64, bars: usize) -> anyhow::Result<()> {
    let load_start = Instant::now();
    let model = Model::load_or_default(model.as_deref())?;
    let load_ms = load_start.elapsed().as_secs_f64() * 1000.0;
    let mut ms = Vec::new();
    let mut per_token_us = Vec::new();
    let mut rejected = 0;
    let mut attempts = 0;
    for seed in 0..ideas {
        let request = GenerateRequest {
            seed,
            bars,
            ..GenerateRequest::default()
        };
        let start = Instant::now();
        let idea = model.generate(&request)?;
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        ms.push(elapsed);
        per_token_us.push(elapsed * 1000.0 / (idea.tokens as f64 * idea.attempts as f64));
        rejected += idea.rejected_unoriginal;
        attempts += idea.attempts;
    }
    let p90 = crate::stats::percentile(&ms, 0.9).unwrap_or(f64::NAN);
    println!(
        "generate: {} ideas of {bars}+{bars} bars with {} ({} parameters): median {:.1} ms per idea, p90 {p90:.1} ms, \
         median {:.1} µs per token; {} attempts, {} rejected as copies; model load {:.0} ms",
        ideas,
        model.dir().display(),
        model.card().network.parameters(),
        median(&ms),
        median(&per_token_us),
        attempts,
        rejected,
        load_ms
    );
    Ok(())
}

fn arch_name(arch: Arch) -> &'static str {
    match arch {
        Arch::Lstm => "lstm",
        Arch::Transformer => "transformer",
    }
}

struct TrainBench {
    batch_size: i64,
    seq_len: i64,
    warmup: usize,
    steps: usize,
}

fn bench_train(config: NetworkConfig, b: TrainBench, json: bool) -> anyhow::Result<()> {
    tch::manual_seed(0);
    let device = Device::cuda_if_available();
    let net = Network::new(config, device);
    let mut opt = nn::Adam::default().build(&net.vs, 2e-3)?;
    let v = config.vocab_size as i64;
    let mut seconds = Vec::new();
    for step in 0..b.warmup + b.steps {
        let shape = [b.batch_size, b.seq_len];
        let input = NetInput {
            tokens: Tensor::randint(v, shape, (Kind::Int64, device)),
            bars: Tensor::randint(BAR_SLOTS as i64, shape, (Kind::Int64, device)),
            beats: Tensor::randint(BEAT_SLOTS as i64, shape, (Kind::Int64, device)),
        };
        let target = Tensor::randint(v, shape, (Kind::Int64, device));
        let start = Instant::now();
        let logits = net.forward(&input, true);
        let loss = logits.view([-1, v]).cross_entropy_loss::<Tensor>(
            &target.view([-1]),
            None,
            Reduction::Mean,
            0,
            0.0,
        );
        opt.backward_step_clip_norm(&loss, 1.0);
        let _ = loss.double_value(&[]);
        if step >= b.warmup {
            seconds.push(start.elapsed().as_secs_f64());
        }
    }
    let per_step = median(&seconds);
    let tokens_per_second = (b.batch_size * b.seq_len) as f64 / per_step;
    if json {
        println!(
            "{{\"impl\":\"tch\",\"arch\":\"{}\",\"tokens_per_second\":{tokens_per_second:.1},\"ms_per_step\":{:.2},\"threads\":{},\"embed\":{},\"hidden\":{},\"layers\":{},\"heads\":{},\"dropout\":{},\"vocab\":{},\"batch\":{},\"seq_len\":{}}}",
            arch_name(config.arch),
            per_step * 1000.0,
            tch::get_num_threads(),
            config.embed,
            config.hidden,
            config.layers,
            config.heads,
            config.dropout,
            config.vocab_size,
            b.batch_size,
            b.seq_len
        );
    } else {
        println!(
            "train (tch): {:.0} tokens/s median, {:.1} ms per step of {}×{} tokens; {} {}×{}, width {}, vocab {}, {} threads, {:?}",
            tokens_per_second,
            per_step * 1000.0,
            b.batch_size,
            b.seq_len,
            arch_name(config.arch),
            config.layers,
            config.hidden,
            config.embed,
            config.vocab_size,
            tch::get_num_threads(),
            device
        );
    }
    Ok(())
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchWhat::Import { dir, repeats } => {
            println!(
                "{}",
                crate::midi::bench::bench_import(&dir, repeats.max(1))?
            );
            Ok(())
        }
        BenchWhat::Jitter { file, bars, port } => {
            let timeline = crate::playback::load_timeline(&file)?;
            let report =
                crate::playback::bench::measure_bars_jitter(&timeline, bars, port.as_deref())?;
            println!("{report}");
            Ok(())
        }
        BenchWhat::Onsets {
            soundfont,
            rate,
            buffers,
            clicks,
            real_time,
        } => {
            let track = crate::playback::onset::ClickTrack {
                clicks: clicks.max(1),
                ..Default::default()
            };
            let reports = crate::playback::onset::bench_onsets(
                soundfont.as_deref(),
                rate,
                &buffers,
                &track,
                real_time,
            )?;
            for report in reports {
                println!("{report}");
            }
            Ok(())
        }
        BenchWhat::Generate {
            model,
            ideas,
            bars,
            threads,
        } => {
            if let Some(t) = threads {
                tch::set_num_threads(t);
            }
            bench_generate(model, ideas, bars)
        }
        BenchWhat::Train {
            model,
            batch_size,
            seq_len,
            warmup,
            steps,
            threads,
            hidden,
            embed,
            layers,
            transformer,
            json,
        } => {
            if let Some(t) = threads {
                tch::set_num_threads(t);
            }
            let config = match model {
                Some(dir) => ModelCard::load(&dir)?.network,
                None => {
                    let defaults = if transformer {
                        crate::model::TrainConfig::transformer("unused")
                    } else {
                        crate::model::TrainConfig::new("unused")
                    };
                    NetworkConfig {
                        arch: defaults.arch,
                        vocab_size: crate::model::tokens::Vocab::standard().len(),
                        embed: embed.unwrap_or(defaults.embed),
                        hidden: hidden.unwrap_or(defaults.hidden),
                        layers: layers.unwrap_or(defaults.layers),
                        heads: defaults.heads,
                        dropout: defaults.dropout,
                    }
                }
            };
            bench_train(
                config,
                TrainBench {
                    batch_size,
                    seq_len,
                    warmup,
                    steps,
                },
                json,
            )
        }
    }
}
