//! Training: lead sheets → token windows → the libtorch network, with a validation split by
//! song, early stopping, typed progress events, cancellation, atomic checkpoints, resume after a
//! kill, and fine-tuning from an existing model.
//!
//! Windows: every training window starts at a section (with the song's `Bos Mode Meter` header
//! in front), so the network learns to start a section the way generation starts one. Windows
//! are at most `seq_len + 1` tokens; the next window starts at the last section (or, in a long
//! section, bar) start the current one reaches, so windows overlap little.
//!
//! Resume keeps the weights, the epoch and batch position, the learning rate, the loss log and
//! the best score; Adam's moment estimates are not saved and restart from zero.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tch::nn::OptimizerConfig;
use tch::{Device, Reduction, Tensor, nn};

use crate::music::LeadSheet;

use super::ModelError;
use super::checkpoint::{
    DataSummary, EpochLog, FORMAT, FORMAT_VERSION, Metrics, ModelCard, ModelDir, TrainSettings,
    write_atomic,
};
use super::infill::bar_cuts;
use super::network::{Arch, NetInput, Network, NetworkConfig};
use super::originality::OriginalityIndex;
use super::positions::{Position, positions};
use super::rng::{Rng, fnv1a};
use super::tokens::{Fill, Token, Vocab, encode};

/// What to train and how.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The model folder to write.
    pub out_dir: PathBuf,
    /// Fine-tune this model instead of starting from random weights.
    pub from: Option<PathBuf>,
    /// Continue the interrupted run saved in `out_dir`.
    pub resume: bool,
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Shape of a new network (ignored with `from` or `resume`, which keep theirs).
    pub arch: Arch,
    pub embed: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub dropout: f64,
    /// AdamW weight decay (0: plain Adam, as the LSTM was trained).
    pub weight_decay: f64,
    /// Share of training windows shown in the infilling layout (a Transformer only; an LSTM
    /// cannot use the bars after the ones it writes).
    pub infill_rate: f64,
    pub seq_len: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Share of songs (by a stable hash of their names) held out for validation.
    pub validation_percent: u32,
    pub seed: u64,
    /// Stop cleanly (saving everything) after this much training time.
    pub time_budget: Option<Duration>,
    /// Use CUDA when libtorch sees a GPU.
    pub allow_cuda: bool,
    /// Minimum time between `Progress` events.
    pub progress_interval: Duration,
    /// The key-handling experiment: train on every song in all twelve keys (validation songs in
    /// their own key) instead of in the normalized key. Such a model measures the alternative;
    /// generation assumes the normalized key.
    pub all_keys: bool,
}

impl TrainConfig {
    /// Defaults for a new model written to `out_dir`.
    pub fn new(out_dir: impl Into<PathBuf>) -> TrainConfig {
        TrainConfig {
            out_dir: out_dir.into(),
            from: None,
            resume: false,
            max_epochs: 30,
            patience: 3,
            arch: Arch::Lstm,
            embed: 96,
            hidden: 256,
            layers: 2,
            heads: 0,
            dropout: 0.1,
            weight_decay: 0.0,
            infill_rate: 0.0,
            seq_len: 256,
            batch_size: 64,
            learning_rate: 3e-3,
            validation_percent: 10,
            seed: 1,
            time_budget: None,
            allow_cuda: true,
            progress_interval: Duration::from_secs(2),
            all_keys: false,
        }
    }

    /// Defaults for a new Transformer written to `out_dir` (the shape and regularization of
    /// the shipped second-generation model; its card says why).
    pub fn transformer(out_dir: impl Into<PathBuf>) -> TrainConfig {
        TrainConfig {
            arch: Arch::Transformer,
            embed: 192,
            hidden: 768,
            layers: 4,
            heads: 4,
            dropout: 0.1,
            weight_decay: 0.05,
            infill_rate: 0.5,
            seq_len: 512,
            batch_size: 16,
            learning_rate: 1e-3,
            ..TrainConfig::new(out_dir)
        }
    }

    /// Defaults for fine-tuning `base` on a small folder: a lower learning rate, short patience.
    pub fn fine_tune(out_dir: impl Into<PathBuf>, base: impl Into<PathBuf>) -> TrainConfig {
        TrainConfig {
            from: Some(base.into()),
            learning_rate: 1e-3,
            batch_size: 16,
            patience: 3,
            max_epochs: 30,
            validation_percent: 15,
            infill_rate: 0.5,
            ..TrainConfig::new(out_dir)
        }
    }
}

/// Why training stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    EarlyStopping,
    MaxEpochs,
    TimeBudget,
    Cancelled,
}

impl StopReason {
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::EarlyStopping => "early stopping: validation loss stopped improving",
            StopReason::MaxEpochs => "reached the maximum number of epochs",
            StopReason::TimeBudget => "reached the time budget",
            StopReason::Cancelled => "cancelled",
        }
    }
}

/// Progress of a training run, for a progress bar and a loss curve.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// Data is encoded and split; training starts.
    Prepared {
        train_songs: usize,
        validation_songs: usize,
        skipped: Vec<(String, String)>,
        train_tokens: usize,
        validation_tokens: usize,
        parameters: usize,
        device: String,
        batches_per_epoch: usize,
        /// The epoch (1-based) the run starts at: above 1 after `--resume`.
        first_epoch: usize,
        /// The most epochs the run trains (early stopping usually ends it sooner).
        max_epochs: usize,
    },
    /// A batch finished (sent at most every `progress_interval`).
    Progress {
        epoch: usize,
        batch: usize,
        batches: usize,
        loss: f64,
        tokens_per_second: f64,
        /// Seconds left in this epoch at the current speed.
        epoch_eta_seconds: f64,
        /// Seconds left until `max_epochs` (or the time budget) at the current speed.
        run_eta_seconds: f64,
    },
    /// An epoch finished and was validated.
    Epoch {
        log: EpochLog,
        improved: bool,
    },
    /// A file was written.
    Saved {
        path: PathBuf,
    },
    Finished(TrainOutcome),
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    pub model_dir: PathBuf,
    pub best_validation_loss: f64,
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub stopped: StopReason,
}

/// Training state saved after every epoch and on cancel.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ResumeState {
    card: ModelCard,
    data_fingerprint: u64,
    /// 0-based epoch in progress.
    epoch: usize,
    /// Batches of that epoch already trained.
    batches_done: usize,
    learning_rate: f64,
    stale_epochs: usize,
    elapsed_seconds: f64,
    has_best: bool,
}

/// One song's tokens, ready for windowing.
struct EncodedSong {
    name: String,
    ids: Vec<u16>,
    /// Index into the songs given to [`train`].
    source: usize,
}

/// Prepared data: windows for training and validation and the summary for the card.
struct Prepared {
    train: Vec<Window>,
    validation: Vec<Window>,
    summary: DataSummary,
    fingerprint: u64,
    index: OriginalityIndex,
}

/// Whether training holds the song named `name` out for validation (a stable hash of the name;
/// `prepare` then makes sure both sides have a song). `songsketch eval` uses the same split.
pub fn is_validation(name: &str, percent: u32) -> bool {
    (fnv1a(name.as_bytes()) % 100) < percent as u64
}

fn prepare(
    vocab: &Vocab,
    songs: &[(String, LeadSheet)],
    config: &TrainConfig,
) -> Result<Prepared, ModelError> {
    let mut summary = DataSummary {
        songs: songs.len(),
        ..DataSummary::default()
    };
    let mut encoded = Vec::new();
    let mut tempos = Vec::new();
    for (source, (name, sheet)) in songs.iter().enumerate() {
        match encode(vocab, sheet) {
            Ok(ids) => {
                *summary.keys.entry(sheet.key.to_string()).or_default() += 1;
                *summary.meters.entry(sheet.meter().to_string()).or_default() += 1;
                summary.bars += sheet.bar_count();
                tempos.push(sheet.tempo.bpm());
                encoded.push(EncodedSong {
                    name: name.clone(),
                    ids,
                    source,
                });
            }
            Err(e) => summary.skipped.push((name.clone(), e.to_string())),
        }
    }
    if encoded.len() < 2 {
        return Err(ModelError::NoData(format!(
            "{} usable songs; training needs at least 2 (one for validation)",
            encoded.len()
        )));
    }
    tempos.sort_by(|a, b| a.total_cmp(b));
    summary.median_tempo_bpm = tempos[tempos.len() / 2];
    let mut val_flags: Vec<bool> = encoded
        .iter()
        .map(|s| is_validation(&s.name, config.validation_percent))
        .collect();
    if !val_flags.iter().any(|&v| v) {
        let pick = (0..encoded.len())
            .min_by_key(|&i| fnv1a(encoded[i].name.as_bytes()) % 100)
            .unwrap_or(0);
        val_flags[pick] = true;
    }
    if val_flags.iter().all(|&v| v) {
        val_flags[0] = false;
    }
    let mut fingerprint_text = String::new();
    let mut train = Vec::new();
    let mut validation = Vec::new();
    for (song, is_val) in encoded.iter().zip(&val_flags) {
        fingerprint_text.push_str(&format!("{}:{}:{};", song.name, song.ids.len(), is_val));
        let windows = if config.all_keys {
            all_key_windows(vocab, &songs[song.source].1, *is_val, config.seq_len)?
        } else {
            windows(vocab, &song.ids, config.seq_len)
        };
        let windows = windows.into_iter().map(|w| Window::new(vocab, w));
        let tokens = |ws: &[Window]| ws.iter().map(|w| w.ids.len() - 1).sum::<usize>();
        if *is_val {
            summary.validation_songs.push(song.name.clone());
            let before = validation.len();
            validation.extend(windows);
            summary.validation_tokens += tokens(&validation[before..]);
        } else {
            summary.train_songs += 1;
            let before = train.len();
            train.extend(windows);
            summary.train_tokens += tokens(&train[before..]);
        }
    }
    // The guard covers every song of the folder, validation songs included.
    let index = OriginalityIndex::build(encoded.iter().map(|s| &songs[s.source].1));
    Ok(Prepared {
        train,
        validation,
        summary,
        fingerprint: fnv1a(fingerprint_text.as_bytes()),
        index,
    })
}

/// The key-handling experiment's windows: a validation song in its own key, a training song in
/// all twelve (moved −5..=+6 semitones from its own key).
fn all_key_windows(
    vocab: &Vocab,
    sheet: &LeadSheet,
    is_validation: bool,
    seq_len: usize,
) -> Result<Vec<Vec<u16>>, ModelError> {
    let shifts = if is_validation { 0..=0 } else { -5..=6 };
    let mut all = Vec::new();
    for shift in shifts {
        let ids = super::tokens::encode_shifted(vocab, sheet, shift)?;
        all.extend(windows(vocab, &ids, seq_len));
    }
    Ok(all)
}

/// Cuts a song's tokens into windows that start at sections (see the module doc). Inside a
/// section longer than a window, a window may start at a bar line; it then repeats the
/// section's header (`Section SectionLen`) after the song header.
fn windows(vocab: &Vocab, ids: &[u16], seq_len: usize) -> Vec<Vec<u16>> {
    if ids.len() < 4 {
        return Vec::new();
    }
    let mut meter_at = Vec::with_capacity(ids.len());
    let mut section_at = Vec::with_capacity(ids.len());
    let mut meter = ids[2];
    let mut section: Option<usize> = None;
    let mut section_starts = Vec::new();
    let mut bar_starts = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        match vocab.token(id) {
            Token::Meter(_) => meter = id,
            Token::Section(_) => {
                section_starts.push(i);
                section = Some(i);
            }
            Token::Bar => bar_starts.push(i),
            _ => {}
        }
        meter_at.push(meter);
        section_at.push(section);
    }
    let Some(&first) = section_starts.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = first;
    loop {
        let mut window = vec![ids[0], ids[1], meter_at[current]];
        if !section_starts.contains(&current)
            && let Some(s) = section_at[current]
        {
            window.extend_from_slice(&ids[s..s + 2]);
        }
        let span = seq_len + 1 - window.len().min(seq_len);
        let end = (current + span).min(ids.len());
        window.extend_from_slice(&ids[current..end]);
        out.push(window);
        if end >= ids.len() {
            break;
        }
        let reach = current + span;
        let in_reach = |starts: &[usize]| {
            starts
                .iter()
                .rev()
                .copied()
                .find(|&s| s > current && s <= reach)
        };
        let next = in_reach(&section_starts)
            .or_else(|| in_reach(&bar_starts))
            .or_else(|| bar_starts.iter().copied().find(|&s| s > current));
        match next {
            Some(s) => current = s,
            None => break,
        }
    }
    out
}

/// A training window: tokens in musical order, each token's position, and where its bars
/// start (the cut points of the infilling layout).
#[derive(Debug, Clone)]
struct Window {
    ids: Vec<u16>,
    positions: Vec<Position>,
    /// Token indices where a bar starts, at its section's header when it opens one.
    cuts: Vec<usize>,
}

impl Window {
    fn new(vocab: &Vocab, ids: Vec<u16>) -> Window {
        Window {
            positions: positions(vocab, &ids),
            cuts: bar_cuts(vocab, &ids),
            ids,
        }
    }

    /// The window as it is shown to the network: in musical order, or (when `fill` says
    /// which bars) in the infilling layout `prefix Fill:after suffix Fill:here middle Fill:end`,
    /// every token keeping the position it has in musical order.
    fn layout(&self, vocab: &Vocab, fill: Option<(usize, usize)>) -> (Vec<u16>, Vec<Position>) {
        let Some((first, count)) = fill else {
            return (self.ids.clone(), self.positions.clone());
        };
        let start = self.cuts[first];
        let end = self
            .cuts
            .get(first + count)
            .copied()
            .unwrap_or(self.ids.len());
        let marker = |m: Fill| vocab.id(Token::Fill(m)).expect("a vocabulary with Fill");
        let mut ids = Vec::with_capacity(self.ids.len() + 3);
        let mut at = Vec::with_capacity(self.ids.len() + 3);
        let mut push = |range: std::ops::Range<usize>, then: Option<Fill>| {
            ids.extend_from_slice(&self.ids[range.clone()]);
            at.extend_from_slice(&self.positions[range]);
            if let Some(m) = then {
                ids.push(marker(m));
                at.push(Position::default());
            }
        };
        push(0..start, Some(Fill::After));
        push(end..self.ids.len(), Some(Fill::Here));
        push(start..end, Some(Fill::End));
        (ids, at)
    }

    /// Which bars to move to the end, if this draw shows the window in the infilling layout:
    /// 1 to 8 bars, leaving at least one bar before or after them.
    fn draw_fill(&self, rate: f64, rng: &mut Rng) -> Option<(usize, usize)> {
        let bars = self.cuts.len();
        if rate <= 0.0 || bars < 2 || rng.next_f64() >= rate {
            return None;
        }
        let count = 1 + rng.below((bars - 1).min(8));
        let first = rng.below(bars - count + 1);
        Some((first, count))
    }
}

/// A batch's network input and targets (`[batch, time]`, padded with `Pad`, id 0), and its
/// count of predicted tokens.
fn batch_tensors(
    windows: &[(Vec<u16>, Vec<Position>)],
    device: Device,
) -> (NetInput, Tensor, usize) {
    let t = windows.iter().map(|w| w.0.len() - 1).max().unwrap_or(1);
    let mut input = vec![0i64; windows.len() * t];
    let mut bars = vec![0i64; windows.len() * t];
    let mut beats = vec![0i64; windows.len() * t];
    let mut target = vec![0i64; windows.len() * t];
    let mut tokens = 0;
    for (b, (ids, at)) in windows.iter().enumerate() {
        for i in 0..ids.len() - 1 {
            input[b * t + i] = ids[i] as i64;
            bars[b * t + i] = at[i].bar as i64;
            beats[b * t + i] = at[i].beat as i64;
            target[b * t + i] = ids[i + 1] as i64;
        }
        tokens += ids.len() - 1;
    }
    let shape = [windows.len() as i64, t as i64];
    let tensor = |v: &[i64]| Tensor::from_slice(v).view(shape).to_device(device);
    (
        NetInput {
            tokens: tensor(&input),
            bars: tensor(&bars),
            beats: tensor(&beats),
        },
        tensor(&target),
        tokens,
    )
}

fn batch_loss(
    net: &Network,
    windows: &[(Vec<u16>, Vec<Position>)],
    train: bool,
) -> (Tensor, usize) {
    let (input, target, tokens) = batch_tensors(windows, net.device());
    let logits = net.forward(&input, train);
    let v = net.config.vocab_size as i64;
    let loss = logits.view([-1, v]).cross_entropy_loss::<Tensor>(
        &target.view([-1]),
        None,
        Reduction::Mean,
        0,
        0.0,
    );
    (loss, tokens)
}

/// Mean cross-entropy per token (nats) over windows in musical order, without dropout or
/// gradients.
fn evaluate_windows(net: &Network, windows: &[Window], batch_size: usize) -> f64 {
    let mut total = 0.0;
    let mut count = 0usize;
    tch::no_grad(|| {
        for chunk in windows.chunks(batch_size.max(1)) {
            let plain: Vec<_> = chunk
                .iter()
                .map(|w| (w.ids.clone(), w.positions.clone()))
                .collect();
            let (loss, tokens) = batch_loss(net, &plain, false);
            total += loss.double_value(&[]) * tokens as f64;
            count += tokens;
        }
    });
    if count == 0 {
        f64::NAN
    } else {
        total / count as f64
    }
}

fn device_name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => format!("cpu ({} threads)", tch::get_num_threads()),
    }
}

/// What the run starts from.
struct Start {
    vocab: Vocab,
    network: NetworkConfig,
    weights: Option<PathBuf>,
    base_index: Option<OriginalityIndex>,
    resume: Option<ResumeState>,
}

fn start_point(config: &TrainConfig) -> Result<Start, ModelError> {
    let out = ModelDir::new(&config.out_dir);
    if config.resume {
        let path = out.resume();
        let text = std::fs::read(&path).map_err(|e| {
            ModelError::checkpoint(
                &path,
                format!("nothing to resume ({e}); start without --resume"),
            )
        })?;
        let state: ResumeState = serde_json::from_slice(&text)
            .map_err(|e| ModelError::checkpoint(&path, format!("not a resume state: {e}")))?;
        let base_index = OriginalityIndex::load(&out.originality()).ok();
        return Ok(Start {
            vocab: Vocab::from_names(&state.card.vocab)?,
            network: state.card.network,
            weights: Some(out.resume_weights()),
            base_index,
            resume: Some(state),
        });
    }
    if let Some(base) = &config.from {
        let card = ModelCard::load(base)?;
        let base_dir = ModelDir::new(base);
        return Ok(Start {
            vocab: Vocab::from_names(&card.vocab)?,
            network: card.network,
            weights: Some(base_dir.weights()),
            base_index: Some(OriginalityIndex::load(&base_dir.originality())?),
            resume: None,
        });
    }
    let vocab = Vocab::standard();
    let network = NetworkConfig {
        arch: config.arch,
        vocab_size: vocab.len(),
        embed: config.embed,
        hidden: config.hidden,
        layers: config.layers,
        heads: config.heads,
        dropout: config.dropout,
    };
    network.check()?;
    Ok(Start {
        vocab,
        network,
        weights: None,
        base_index: None,
        resume: None,
    })
}

/// Trains a model on named lead sheets and writes it to `config.out_dir`.
///
/// Progress goes to `report`, on the caller's thread; setting `cancel` stops after the current
/// batch, saves a resumable state (and a usable model if none was saved yet) and returns with
/// [`StopReason::Cancelled`].
pub fn train(
    config: TrainConfig,
    songs: Vec<(String, LeadSheet)>,
    report: &mut dyn FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> Result<TrainOutcome, ModelError> {
    let mut trainer = Trainer::new(config, songs, report)?;
    let stopped = loop {
        if trainer.state.epoch >= trainer.config.max_epochs {
            break StopReason::MaxEpochs;
        }
        if let Some(stopped) = trainer.run_epoch(cancel) {
            break stopped;
        }
        if trainer.end_epoch()? {
            break StopReason::EarlyStopping;
        }
    };
    trainer.finish(stopped)
}

/// Totals of the batches of one epoch.
struct EpochTotals {
    started: Instant,
    loss: f64,
    tokens: usize,
}

/// One training run: the network, its optimizer, the data and the state a resume needs.
struct Trainer<'a> {
    config: TrainConfig,
    report: &'a mut dyn FnMut(TrainEvent),
    out: ModelDir,
    vocab: Vocab,
    data: Prepared,
    net: Network,
    opt: nn::Optimizer,
    state: ResumeState,
    /// When this process started the run, and the seconds earlier processes trained it.
    started: Instant,
    elapsed_before: f64,
    batches: usize,
    epoch: Option<EpochTotals>,
    trained_tokens_total: usize,
    train_seconds_total: f64,
}

impl<'a> Trainer<'a> {
    /// Prepares the data, builds (or loads) the network and reports [`TrainEvent::Prepared`].
    fn new(
        config: TrainConfig,
        songs: Vec<(String, LeadSheet)>,
        report: &'a mut dyn FnMut(TrainEvent),
    ) -> Result<Trainer<'a>, ModelError> {
        let started = Instant::now();
        let out = ModelDir::new(&config.out_dir);
        std::fs::create_dir_all(&config.out_dir).map_err(|e| ModelError::io(&config.out_dir, e))?;
        let start = start_point(&config)?;
        let mut data = prepare(&start.vocab, &songs, &config)?;
        drop(songs);
        if let Some(base) = &start.base_index {
            data.index.merge(base);
        }
        if let Some(state) = &start.resume
            && state.data_fingerprint != data.fingerprint
        {
            return Err(ModelError::Request(format!(
                "the songs differ from the run saved in {}: resume needs the same folder",
                config.out_dir.display()
            )));
        }
        let device = if config.allow_cuda {
            Device::cuda_if_available()
        } else {
            Device::Cpu
        };
        tch::manual_seed(config.seed as i64);
        let mut net = Network::new(start.network, device);
        if let Some(weights) = &start.weights {
            net.load(weights)?;
        }
        let state = match start.resume {
            Some(state) => state,
            None => fresh_state(&config, &start, &data, device),
        };
        let batches = data.train.len().div_ceil(config.batch_size.max(1));
        report(TrainEvent::Prepared {
            train_songs: state.card.data.train_songs,
            validation_songs: state.card.data.validation_songs.len(),
            skipped: state.card.data.skipped.clone(),
            train_tokens: state.card.data.train_tokens,
            validation_tokens: state.card.data.validation_tokens,
            parameters: start.network.parameters(),
            device: device_name(device),
            batches_per_epoch: batches,
            first_epoch: state.epoch + 1,
            max_epochs: config.max_epochs,
        });
        if !state.has_best {
            data.index.save(&out.originality())?;
        }
        let opt = optimizer(&net, &config, state.learning_rate)?;
        Ok(Trainer {
            elapsed_before: state.elapsed_seconds,
            config,
            report,
            out,
            vocab: start.vocab,
            data,
            net,
            opt,
            state,
            started,
            batches,
            epoch: None,
            trained_tokens_total: 0,
            train_seconds_total: 0.0,
        })
    }

    fn batch_size(&self) -> usize {
        self.config.batch_size.max(1)
    }

    /// Seconds of training in this run, earlier processes included.
    fn elapsed(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    fn over_budget(&self) -> bool {
        self.config
            .time_budget
            .is_some_and(|budget| self.elapsed() >= budget.as_secs_f64())
    }

    /// Trains the epoch's remaining batches; why it stopped early, if it did.
    fn run_epoch(&mut self, cancel: &AtomicBool) -> Option<StopReason> {
        let mut order: Vec<usize> = (0..self.data.train.len()).collect();
        Rng::new(self.config.seed ^ (self.state.epoch as u64).wrapping_mul(0x9E37_79B9))
            .shuffle(&mut order);
        let totals = EpochTotals {
            started: Instant::now(),
            loss: 0.0,
            tokens: 0,
        };
        let totals = self.epoch.insert(totals);
        let started = totals.started;
        let mut last_progress = Instant::now();
        for b in self.state.batches_done..self.batches {
            let stop = if cancel.load(Ordering::SeqCst) {
                Some(StopReason::Cancelled)
            } else if self.over_budget() {
                Some(StopReason::TimeBudget)
            } else {
                None
            };
            if stop.is_some() {
                self.state.batches_done = b;
                return stop;
            }
            let batch_size = self.batch_size();
            let chunk = self.batch(&order[b * batch_size..((b + 1) * batch_size).min(order.len())]);
            let (loss, tokens) = batch_loss(&self.net, &chunk, true);
            self.opt.backward_step_clip_norm(&loss, 1.0);
            let loss_value = loss.double_value(&[]);
            let totals = self.epoch.as_mut().expect("the epoch's totals");
            totals.loss += loss_value * tokens as f64;
            totals.tokens += tokens;
            let epoch_tokens = totals.tokens;
            if last_progress.elapsed() >= self.config.progress_interval || b + 1 == self.batches {
                last_progress = Instant::now();
                let seconds = started.elapsed().as_secs_f64();
                self.report_progress(b, loss_value, epoch_tokens, seconds);
            }
        }
        None
    }

    /// The listed training windows, each in musical order or (for a network that can use what
    /// comes after) in the infilling layout, drawn afresh every epoch.
    fn batch(&self, indices: &[usize]) -> Vec<(Vec<u16>, Vec<Position>)> {
        let can_fill = self.vocab.id(Token::Fill(Fill::Here)).is_some();
        let rate = match self.net.config.arch {
            Arch::Transformer if can_fill => self.config.infill_rate,
            _ => 0.0,
        };
        indices
            .iter()
            .map(|&i| {
                let window = &self.data.train[i];
                let mut rng = Rng::new(
                    self.config.seed
                        ^ (self.state.epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
                );
                window.layout(&self.vocab, window.draw_fill(rate, &mut rng))
            })
            .collect()
    }

    /// Reports [`TrainEvent::Progress`] after batch `b` (0-based) of the epoch.
    fn report_progress(&mut self, b: usize, loss: f64, epoch_tokens: usize, seconds: f64) {
        let done = b + 1 - self.state.batches_done;
        let per_batch = seconds / done.max(1) as f64;
        let epoch_eta = per_batch * (self.batches - b - 1) as f64;
        let epochs_left = self.config.max_epochs.saturating_sub(self.state.epoch + 1) as f64;
        let mut run_eta = epoch_eta + epochs_left * per_batch * self.batches as f64;
        if let Some(budget) = self.config.time_budget {
            run_eta = run_eta.min((budget.as_secs_f64() - self.elapsed()).max(0.0));
        }
        (self.report)(TrainEvent::Progress {
            epoch: self.state.epoch + 1,
            batch: b + 1,
            batches: self.batches,
            loss,
            tokens_per_second: epoch_tokens as f64 / seconds.max(1e-9),
            epoch_eta_seconds: epoch_eta,
            run_eta_seconds: run_eta,
        });
    }

    /// Validates the finished epoch, keeps the model when it improved (else halves the learning
    /// rate) and saves the resume state; whether early stopping ends the run.
    fn end_epoch(&mut self) -> Result<bool, ModelError> {
        let totals = self.epoch.take().expect("an epoch was run");
        let train_seconds = totals.started.elapsed().as_secs_f64();
        self.trained_tokens_total += totals.tokens;
        self.train_seconds_total += train_seconds;
        let validation_loss =
            evaluate_windows(&self.net, &self.data.validation, self.batch_size() * 2);
        let log = EpochLog {
            epoch: self.state.epoch + 1,
            train_loss: totals.loss / totals.tokens.max(1) as f64,
            validation_loss,
            learning_rate: self.state.learning_rate,
            seconds: totals.started.elapsed().as_secs_f64(),
            tokens_per_second: totals.tokens as f64 / train_seconds.max(1e-9),
        };
        let elapsed = self.elapsed();
        let state = &mut self.state;
        let improved = validation_loss < state.card.metrics.best_validation_loss;
        state.card.loss_log.push(log.clone());
        state.card.metrics.epochs_run = state.epoch + 1;
        state.card.metrics.tokens_per_second =
            self.trained_tokens_total as f64 / self.train_seconds_total.max(1e-9);
        state.card.metrics.training_seconds = elapsed;
        (self.report)(TrainEvent::Epoch { log, improved });
        if improved {
            let state = &mut self.state;
            state.stale_epochs = 0;
            state.card.metrics.best_validation_loss = validation_loss;
            state.card.metrics.best_epoch = state.epoch + 1;
            state.card.metrics.validation_bits_per_token = validation_loss / std::f64::consts::LN_2;
            self.save_model()?;
            self.state.has_best = true;
        } else {
            self.state.stale_epochs += 1;
            self.state.learning_rate *= 0.5;
            self.opt.set_lr(self.state.learning_rate);
        }
        self.state.epoch += 1;
        self.state.batches_done = 0;
        self.state.elapsed_seconds = self.elapsed();
        self.save_resume()?;
        Ok(self.state.stale_epochs >= self.config.patience)
    }

    /// Saves what a stopped run leaves behind, writes the card and reports the outcome.
    fn finish(mut self, stopped: StopReason) -> Result<TrainOutcome, ModelError> {
        self.state.elapsed_seconds = self.elapsed();
        if matches!(stopped, StopReason::Cancelled | StopReason::TimeBudget) {
            self.save_resume()?;
            if !self.state.has_best {
                let validation_loss =
                    evaluate_windows(&self.net, &self.data.validation, self.batch_size() * 2);
                let metrics = &mut self.state.card.metrics;
                metrics.best_validation_loss = validation_loss;
                metrics.validation_bits_per_token = validation_loss / std::f64::consts::LN_2;
                self.save_model()?;
            }
        }
        let card = &mut self.state.card;
        card.metrics.stopped_because = stopped.describe().into();
        card.metrics.training_seconds = self.state.elapsed_seconds;
        card.save(&self.config.out_dir)?;
        let outcome = TrainOutcome {
            model_dir: self.config.out_dir.clone(),
            best_validation_loss: card.metrics.best_validation_loss,
            best_epoch: card.metrics.best_epoch,
            epochs_run: card.metrics.epochs_run,
            stopped,
        };
        (self.report)(TrainEvent::Finished(outcome.clone()));
        Ok(outcome)
    }

    fn save_model(&mut self) -> Result<(), ModelError> {
        self.net.save(&self.out.weights())?;
        self.state.card.save(&self.out.dir)?;
        (self.report)(TrainEvent::Saved {
            path: self.out.weights(),
        });
        Ok(())
    }

    fn save_resume(&mut self) -> Result<(), ModelError> {
        self.net.save(&self.out.resume_weights())?;
        let json = serde_json::to_vec_pretty(&self.state)
            .map_err(|e| ModelError::Internal(format!("resume state to JSON: {e}")))?;
        write_atomic(&self.out.resume(), &json)?;
        (self.report)(TrainEvent::Saved {
            path: self.out.resume(),
        });
        Ok(())
    }
}

/// Adam for the LSTM (as it was trained); AdamW, with the configured weight decay, when one
/// is set.
fn optimizer(
    net: &Network,
    config: &TrainConfig,
    learning_rate: f64,
) -> Result<nn::Optimizer, ModelError> {
    let built = if config.weight_decay > 0.0 {
        nn::AdamW {
            wd: config.weight_decay,
            ..Default::default()
        }
        .build(&net.vs, learning_rate)
    } else {
        nn::Adam::default().build(&net.vs, learning_rate)
    };
    built.map_err(ModelError::from)
}

/// The state of a run that starts now (not resumed).
fn fresh_state(
    config: &TrainConfig,
    start: &Start,
    data: &Prepared,
    device: Device,
) -> ResumeState {
    let settings = TrainSettings {
        seq_len: config.seq_len,
        batch_size: config.batch_size,
        learning_rate: config.learning_rate,
        patience: config.patience,
        validation_percent: config.validation_percent,
        seed: config.seed,
    };
    let mut summary = data.summary.clone();
    summary.fine_tuned_from = config.from.as_ref().map(|p| p.display().to_string());
    ResumeState {
        card: ModelCard {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            vocab: start.vocab.names(),
            network: start.network,
            training: settings,
            data: summary,
            metrics: Metrics {
                best_validation_loss: f64::INFINITY,
                device: device_name(device),
                ..Metrics::default()
            },
            loss_log: Vec::new(),
            originality_windows: data.index.len(),
        },
        data_fingerprint: data.fingerprint,
        epoch: 0,
        batches_done: 0,
        learning_rate: config.learning_rate,
        stale_epochs: 0,
        elapsed_seconds: 0.0,
        has_best: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{Bar, Key, Meter, Note, Pitch, PitchClass, Section, SectionKind, Tempo};

    fn long_song() -> LeadSheet {
        let bar = |p: u8| {
            let mut b = Bar::new(Meter::FOUR_FOUR);
            b.chords.push(crate::music::ChordChange {
                position: 0,
                chord: Some("C".parse().unwrap()),
            });
            b.melody = (0..4)
                .map(|i| Note {
                    onset: i * 12,
                    duration: 12,
                    pitch: Pitch(60 + p + i as u8),
                    velocity: 90,
                })
                .collect();
            b
        };
        LeadSheet {
            title: "long".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Verse, (0..20).map(bar).collect()),
                Section::new(SectionKind::Chorus, (0..4).map(bar).collect()),
            ],
        }
    }

    #[test]
    fn windows_cover_every_token_and_start_like_a_prompt() {
        let vocab = Vocab::standard();
        let ids = encode(&vocab, &long_song()).unwrap();
        let ws = windows(&vocab, &ids, 64);
        assert!(ws.len() > 5, "{}", ws.len());
        for w in &ws {
            assert!(w.len() <= 65);
            assert_eq!(vocab.token(w[0]), Token::Bos);
            assert!(matches!(vocab.token(w[3]), Token::Section(_)));
            assert!(matches!(vocab.token(w[4]), Token::SectionLen(_)));
        }
        // The last window reaches the end of the song.
        assert_eq!(ws.last().unwrap().last(), ids.last());
        // Overlap stays bounded: at most about twice the song's tokens.
        let total: usize = ws.iter().map(|w| w.len()).sum();
        assert!(total < ids.len() * 2, "{total} vs {}", ids.len());
    }

    #[test]
    fn the_all_keys_experiment_trains_in_twelve_keys_and_validates_in_one() {
        let vocab = Vocab::standard();
        let song = long_song();
        let normalized = encode(&vocab, &song).unwrap();
        let own_key = super::super::tokens::encode_shifted(&vocab, &song, 0).unwrap();
        assert_eq!(
            super::super::tokens::encode_shifted(
                &vocab,
                &song,
                super::super::tokens::normalizing_shift(song.key)
            )
            .unwrap(),
            normalized
        );
        let validation = all_key_windows(&vocab, &song, true, 64).unwrap();
        assert_eq!(validation, windows(&vocab, &own_key, 64));
        let training = all_key_windows(&vocab, &song, false, 64).unwrap();
        assert_eq!(training.len(), 12 * validation.len());
    }

    #[test]
    fn the_infilling_layout_moves_whole_bars_and_keeps_their_positions() {
        let vocab = Vocab::standard();
        let ids = encode(&vocab, &long_song()).unwrap();
        let window = Window::new(&vocab, windows(&vocab, &ids, 200).remove(0));
        assert!(window.cuts.len() > 4, "{:?}", window.cuts);
        // Every cut is a bar line or the header of the section it opens.
        for &c in &window.cuts {
            assert!(
                matches!(vocab.token(window.ids[c]), Token::Bar | Token::Section(_)),
                "{c}"
            );
        }
        let (plain, _) = window.layout(&vocab, None);
        assert_eq!(plain, window.ids);
        let (ids, at) = window.layout(&vocab, Some((1, 2)));
        let id = |m| vocab.id(Token::Fill(m)).unwrap();
        let after = ids.iter().position(|&t| t == id(Fill::After)).unwrap();
        let here = ids.iter().position(|&t| t == id(Fill::Here)).unwrap();
        assert_eq!(*ids.last().unwrap(), id(Fill::End));
        assert_eq!(ids.len(), window.ids.len() + 3);
        let (start, end) = (window.cuts[1], window.cuts[3]);
        assert_eq!(&ids[..after], &window.ids[..start]);
        assert_eq!(&ids[after + 1..here], &window.ids[end..]);
        assert_eq!(&ids[here + 1..ids.len() - 1], &window.ids[start..end]);
        assert_eq!(&at[here + 1..ids.len() - 1], &window.positions[start..end]);
        assert_eq!(at[after], Position::default());
    }

    #[test]
    fn infilling_draws_leave_music_on_one_side_and_follow_the_rate() {
        let vocab = Vocab::standard();
        let ids = encode(&vocab, &long_song()).unwrap();
        let window = Window::new(&vocab, windows(&vocab, &ids, 200).remove(0));
        let mut rng = Rng::new(9);
        let draws: Vec<_> = (0..400).map(|_| window.draw_fill(0.5, &mut rng)).collect();
        let filled = draws.iter().flatten().count();
        assert!((150..250).contains(&filled), "{filled}");
        for &(first, count) in draws.iter().flatten() {
            assert!((1..=8).contains(&count));
            assert!(count < window.cuts.len());
            assert!(first + count <= window.cuts.len());
        }
        assert!(
            (0..50).all(|_| window.draw_fill(0.0, &mut rng).is_none()),
            "rate 0 never fills"
        );
    }
}
