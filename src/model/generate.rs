//! Generation: [`Model::load`] a model folder and [`Model::generate`] verse+chorus ideas.
//!
//! Sampling draws each token from the network's distribution with temperature and nucleus
//! (top-p) truncation, never greedily, from a seeded [`Rng`], so the same request gives the same
//! idea byte for byte. Only the tokens the [`Grammar`] allows are scored. An idea that repeats
//! more than two consecutive bars of a training song is rejected and sampled again; the count
//! of rejections comes back with the idea.

use std::path::{Path, PathBuf};

use crate::music::register::{MELODY_HIGHEST_MEAN, MELODY_LOWEST_MEAN};
use crate::music::{
    ChordChange, Idea, Key, LeadSheet, Meter, Mode, PitchClass, Section, SectionKind, Tempo,
};

use super::ModelError;
use super::checkpoint::{CARD_FILE, ModelCard, ModelDir};
use super::grammar::{Grammar, Plan, PlanSection};
use super::infer::InferenceNet;
use super::infill::{FillPrompt, Redo, RedoPart, fill_prompt, splice};
use super::originality::{OriginalityIndex, WINDOW_BARS, window_hashes};
use super::phrase::PhraseMemory;
use super::positions::{Position, PositionTracker};
use super::register::ChorusLift;
use super::rng::Rng;
use super::sampling::Sampling;
use super::steering::Steering;
use super::tokens::{
    MAX_SECTION_LEN, Token, Vocab, canonical, decode, encode, encode_bar, encode_section,
    normalizing_shift,
};

/// Mixed into the seed to draw the key up front when a melody range is chosen.
const RANGE_KEY_SALT: u64 = 0x52_41_4E_47_45;

/// The environment variable that points at a model folder to use by default.
pub const MODEL_DIR_ENV: &str = "SONGSKETCH_MODEL_DIR";

/// Material an idea must keep.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Keep {
    #[default]
    Nothing,
    /// Keep every chord of this idea (its bar counts too) and write a new melody over them.
    Chords(Idea),
    /// Keep this idea's verse and write a new chorus after it.
    Verse(Idea),
    /// Start the verse with the bars of this sheet (melody and chords) and continue from there.
    Primer(LeadSheet),
    /// Keep everything of this idea but the chosen bars, and write those anew knowing what comes
    /// before and after them (a model trained to fill in bars only).
    Bars(Redo),
    /// Keep this melody note for note and write chords under it: a request for
    /// [`Model::chords_for_melody`] (which [`Model::generate`] refuses); a melody of 4 bars or
    /// more becomes a verse and a chorus.
    Melody(LeadSheet),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub seed: u64,
    /// The key to write in; by default the key of the kept material, or one drawn from the
    /// training songs' keys of the mode the model chose.
    pub key: Option<Key>,
    /// By default the kept material's tempo, or the training songs' median tempo.
    pub tempo: Option<Tempo>,
    /// By default the kept material's meter, or one the model chooses among the meters of the
    /// songs it was (last) trained on.
    pub meter: Option<Meter>,
    /// Bars of the verse and of the chorus (each), unless kept material fixes them.
    pub bars: usize,
    pub sampling: Sampling,
    pub keep: Keep,
    /// Attempts before giving up on finding an original idea.
    pub max_attempts: u32,
    /// Whether a bar may have no melody at all.
    pub allow_empty_bars: bool,
}

impl Default for GenerateRequest {
    fn default() -> Self {
        GenerateRequest {
            seed: 0,
            key: None,
            tempo: None,
            meter: None,
            bars: 8,
            sampling: Sampling::default(),
            keep: Keep::Nothing,
            max_attempts: 20,
            allow_empty_bars: false,
        }
    }
}

/// A generated idea and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedIdea {
    pub idea: Idea,
    /// Sampling attempts, 1 when the first idea was original.
    pub attempts: u32,
    /// Ideas rejected for copying a training song.
    pub rejected_unoriginal: u32,
    /// Tokens of the accepted idea.
    pub tokens: usize,
}

/// A loaded model, ready to generate.
#[derive(Debug, Clone)]
pub struct Model {
    dir: PathBuf,
    card: ModelCard,
    vocab: Vocab,
    net: InferenceNet,
    index: OriginalityIndex,
}

/// Where the default model is: `$SONGSKETCH_MODEL_DIR` when set, else `models/default` in a
/// folder above the executable (`target/release/songsketch` → the crate root), else
/// `models/default` in the crate the binary was built from.
pub fn default_model_dir() -> Option<PathBuf> {
    let has_card = |dir: &Path| dir.join(CARD_FILE).is_file();
    if let Some(dir) = std::env::var_os(MODEL_DIR_ENV).map(PathBuf::from) {
        return Some(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        let exe = exe.canonicalize().unwrap_or(exe);
        for folder in exe.ancestors().skip(1) {
            let candidate = folder.join("models").join("default");
            if has_card(&candidate) {
                return Some(candidate);
            }
        }
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join("default");
    has_card(&built).then_some(built)
}

/// Temperature and top-p for a timing choice (where the next event falls, how long a note
/// lasts): never sharpened below temperature 1, and no nucleus cut. Sharpening timing favours
/// the likeliest next position, the very next 16th, and cuts off the long tail of rests, so the
/// melody crowds into runs of short notes: measured on 100 ideas of the default model at
/// temperature 0.9 / top-p 0.95, 8.19 melody notes per bar and 63% shorter than an eighth with
/// timing sharpened like the rest, against 5.60 and 43% in the real validation songs (the
/// network sampled plainly at temperature 1 writes 6.08 and 48%). A temperature above 1 still
/// loosens the rhythm.
pub fn timing_sampling(temperature: f32) -> (f32, f32) {
    (temperature.max(1.0), 1.0)
}

/// Keeps the tokens of `logits` (for `ids`) inside the top-p nucleus at `temperature` and draws one.
fn sample(ids: &[u16], logits: &[f32], temperature: f32, top_p: f32, rng: &mut Rng) -> u16 {
    let t = temperature.max(1e-3) as f64;
    let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
    let mut probs: Vec<(f64, usize)> = logits
        .iter()
        .enumerate()
        .map(|(i, &l)| (((l as f64 - max) / t).exp(), i))
        .collect();
    let total: f64 = probs.iter().map(|p| p.0).sum();
    probs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut kept = 0;
    let mut mass = 0.0;
    for (p, _) in &probs {
        mass += p / total;
        kept += 1;
        if mass >= top_p as f64 {
            break;
        }
    }
    let nucleus = &probs[..kept];
    let nucleus_total: f64 = nucleus.iter().map(|p| p.0).sum();
    let mut draw = rng.next_f64() * nucleus_total;
    for &(p, i) in nucleus {
        draw -= p;
        if draw <= 0.0 {
            return ids[i];
        }
    }
    ids[nucleus[kept - 1].1]
}

/// Adds log-probability bonuses to logits so that they count in full after division by the
/// temperature (`(l + b·t) / t = l/t + b`).
fn add_bias(logits: &mut [f32], bias: &[f32], temperature: f32) {
    let t = temperature.max(1e-3);
    for (l, b) in logits.iter_mut().zip(bias) {
        *l += b * t;
    }
}

/// Chords of a kept section, bar by bar, in the normalized key, each bar starting with a chord.
fn kept_chords(
    section: &Section,
    shift: i32,
    carried: &mut Option<ChordChange>,
) -> Result<Vec<Vec<ChordChange>>, ModelError> {
    let mut out = Vec::new();
    for (b, bar) in section.bars.iter().enumerate() {
        let mut chords: Vec<ChordChange> = bar
            .chords
            .iter()
            .filter(|c| c.chord.is_some())
            .map(|c| ChordChange {
                position: c.position,
                chord: c.chord.map(|ch| ch.transpose(shift)),
            })
            .collect();
        if chords.first().is_none_or(|c| c.position > 0) {
            let start = match carried {
                Some(c) => *c,
                None if !chords.is_empty() => chords.remove(0),
                None => {
                    return Err(ModelError::Request(format!(
                        "bar {} of the {} has no chord to keep",
                        b + 1,
                        section.kind
                    )));
                }
            };
            chords.insert(
                0,
                ChordChange {
                    position: 0,
                    chord: start.chord,
                },
            );
        }
        *carried = chords.last().copied();
        out.push(chords);
    }
    Ok(out)
}

/// The plan, forced prefix, first bar that is generated, and the normalized→output key.
struct Setup {
    plan: Plan,
    prefix: Vec<u16>,
    /// When bars are filled in: what the network reads instead of `prefix`, and what follows.
    fill: Option<FillPrompt>,
    first_free_bar: usize,
    key: Option<Key>,
    tempo: Option<Tempo>,
}

impl Model {
    /// Loads a model folder; it needs nothing but the folder.
    pub fn load(dir: impl AsRef<Path>) -> Result<Model, ModelError> {
        let dir = dir.as_ref();
        let card = ModelCard::load(dir)?;
        let vocab = Vocab::from_names(&card.vocab)
            .map_err(|e| ModelError::checkpoint(dir.join(CARD_FILE), e.to_string()))?;
        for needed in [Token::Bos, Token::Eos, Token::Bar, Token::Pos(0)] {
            vocab
                .require(needed)
                .map_err(|e| ModelError::checkpoint(dir.join(CARD_FILE), e.to_string()))?;
        }
        let files = ModelDir::new(dir);
        let net = InferenceNet::load(&files.weights(), &card.network)?;
        let index = OriginalityIndex::load(&files.originality())?;
        Ok(Model {
            dir: dir.to_path_buf(),
            card,
            vocab,
            net,
            index,
        })
    }

    /// Loads the default model (see [`default_model_dir`]).
    pub fn load_default() -> Result<Model, ModelError> {
        let dir = default_model_dir().ok_or_else(|| {
            ModelError::Request(format!(
                "no default model found: looked for models/default above the executable and in the source tree; \
                 pass --model DIR or set {MODEL_DIR_ENV}"
            ))
        })?;
        Model::load(dir)
    }

    /// Loads the model folder `dir`, or the default model when there is none.
    pub fn load_or_default(dir: Option<&Path>) -> Result<Model, ModelError> {
        match dir {
            Some(dir) => Model::load(dir),
            None => Model::load_default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The meters of the songs the model was (last) trained on: those it writes fresh ideas in.
    pub fn known_meters(&self) -> Vec<Meter> {
        self.card
            .data
            .meters
            .keys()
            .filter_map(|m| m.parse().ok())
            .collect()
    }

    /// The network, for the other ways of writing with it ([`super::harmonize`]).
    pub(crate) fn net(&self) -> &InferenceNet {
        &self.net
    }

    pub fn originality_index(&self) -> &OriginalityIndex {
        &self.index
    }

    /// The plan and forced prefix of a request, one function per kind of kept material.
    fn setup(&self, request: &GenerateRequest) -> Result<Setup, ModelError> {
        let max_bars = MAX_SECTION_LEN as usize;
        if request.bars == 0 || request.bars > max_bars {
            return Err(ModelError::Request(format!(
                "{} bars per section: choose 1 to {max_bars}",
                request.bars
            )));
        }
        match &request.keep {
            Keep::Nothing => Ok(self.setup_fresh(request)),
            Keep::Chords(idea) => self.setup_kept_chords(request, idea),
            Keep::Verse(idea) => self.setup_kept_verse(request, idea),
            Keep::Primer(primer) => self.setup_primer(request, primer),
            Keep::Bars(redo) => self.setup_redo(request, redo),
            Keep::Melody(_) => Err(ModelError::Request(
                "chords for a melody are written by Model::chords_for_melody, not sampled".into(),
            )),
        }
    }

    /// A plan of `sections` in `mode` and `meter` (either chosen by the model when `None`).
    fn plan(
        &self,
        request: &GenerateRequest,
        mode: Option<Mode>,
        meter: Option<Meter>,
        sections: Vec<PlanSection>,
    ) -> Plan {
        Plan {
            mode,
            meter,
            meter_choices: self.known_meters(),
            sections,
            max_same_pitch: 8,
            allow_empty_bars: request.allow_empty_bars,
        }
    }

    /// Verse and chorus, everything sampled.
    fn setup_fresh(&self, request: &GenerateRequest) -> Setup {
        Setup {
            plan: self.plan(
                request,
                request.key.map(|k| k.mode),
                request.meter,
                vec![
                    plan_section(SectionKind::Verse, request.bars, None),
                    plan_section(SectionKind::Chorus, request.bars, None),
                ],
            ),
            prefix: Vec::new(),
            fill: None,
            first_free_bar: 0,
            key: request.key,
            tempo: request.tempo,
        }
    }

    /// Every chord of `idea` kept, a new melody over them.
    fn setup_kept_chords(
        &self,
        request: &GenerateRequest,
        idea: &Idea,
    ) -> Result<Setup, ModelError> {
        let sheet = idea.sheet();
        let shift = normalizing_shift(sheet.key);
        let mut carried = None;
        let verse = kept_chords(idea.verse(), shift, &mut carried)?;
        let chorus = kept_chords(idea.chorus(), shift, &mut carried)?;
        Ok(Setup {
            plan: self.plan(
                request,
                Some(sheet.key.mode),
                Some(sheet.meter()),
                vec![
                    plan_section(SectionKind::Verse, verse.len(), Some(verse)),
                    plan_section(SectionKind::Chorus, chorus.len(), Some(chorus)),
                ],
            ),
            prefix: Vec::new(),
            fill: None,
            first_free_bar: 0,
            key: Some(kept_key(request, sheet)),
            tempo: request.tempo.or(Some(sheet.tempo)),
        })
    }

    /// The verse of `idea` kept as it is, a new chorus after it.
    fn setup_kept_verse(
        &self,
        request: &GenerateRequest,
        idea: &Idea,
    ) -> Result<Setup, ModelError> {
        let v = &self.vocab;
        let sheet = idea.sheet();
        let shift = normalizing_shift(sheet.key);
        let mut meter = sheet.meter();
        let mut prefix = vec![
            v.require(Token::Bos)?,
            v.require(Token::Mode(sheet.key.mode))?,
            v.require(Token::Meter(meter))?,
        ];
        let verse = canonical(sheet).sections[0].clone();
        encode_section(v, &verse, shift, &mut meter, &mut prefix)?;
        // The chorus starts right away: nothing may be added to the verse's last bar.
        prefix.push(v.require(Token::Section(SectionKind::Chorus))?);
        Ok(Setup {
            plan: self.plan(
                request,
                Some(sheet.key.mode),
                Some(sheet.meter()),
                vec![
                    plan_section(SectionKind::Verse, verse.bars.len(), None),
                    plan_section(SectionKind::Chorus, request.bars, None),
                ],
            ),
            prefix,
            fill: None,
            first_free_bar: verse.bars.len(),
            key: Some(kept_key(request, sheet)),
            tempo: request.tempo.or(Some(sheet.tempo)),
        })
    }

    /// The primer's first full bars start the verse; the rest is sampled after them.
    fn setup_primer(
        &self,
        request: &GenerateRequest,
        primer: &LeadSheet,
    ) -> Result<Setup, ModelError> {
        let v = &self.vocab;
        let canon = canonical(primer);
        let meter = request.meter.unwrap_or(canon.meter());
        let bars: Vec<_> = canon
            .bars()
            .filter(|b| !b.is_pickup() && b.meter == meter)
            .take(request.bars)
            .cloned()
            .collect();
        if bars.is_empty() {
            return Err(ModelError::Request(format!(
                "the primer has no full bar in {meter}"
            )));
        }
        let shift = normalizing_shift(primer.key);
        let mut prefix = vec![
            v.require(Token::Bos)?,
            v.require(Token::Mode(primer.key.mode))?,
            v.require(Token::Meter(meter))?,
            v.require(Token::Section(SectionKind::Verse))?,
            v.require(Token::SectionLen(request.bars as u8))?,
        ];
        let mut current = meter;
        for bar in &bars {
            let mut bar = bar.clone();
            // Notes tied past the verse end are shortened; the chord grid needs a chord at 0.
            if bar.chords.first().is_none_or(|c| c.position > 0) {
                return Err(ModelError::Request(
                    "the primer's first bar has no chord at its start".into(),
                ));
            }
            bar.chords.retain(|c| c.chord.is_some());
            encode_bar(v, &bar, shift, &mut current, &mut prefix)?;
        }
        Ok(Setup {
            plan: self.plan(
                request,
                Some(primer.key.mode),
                Some(meter),
                vec![
                    plan_section(SectionKind::Verse, request.bars, None),
                    plan_section(SectionKind::Chorus, request.bars, None),
                ],
            ),
            prefix,
            fill: None,
            first_free_bar: bars.len(),
            key: Some(
                request
                    .key
                    .filter(|k| k.mode == primer.key.mode)
                    .unwrap_or(primer.key),
            ),
            tempo: request.tempo.or(Some(primer.tempo)),
        })
    }

    /// Everything of `redo.idea` kept but its chosen bars, which the network fills in.
    fn setup_redo(&self, request: &GenerateRequest, redo: &Redo) -> Result<Setup, ModelError> {
        let idea = &redo.idea;
        let sheet = idea.sheet();
        let ids = super::tokens::encode(&self.vocab, sheet)?;
        let fill = fill_prompt(&self.vocab, &ids, redo.bars.clone())?;
        let kept = |section: &Section, carried: &mut Option<ChordChange>| match redo.part {
            RedoPart::Melody => {
                kept_chords(section, normalizing_shift(sheet.key), carried).map(Some)
            }
            RedoPart::Both | RedoPart::Chords => Ok(None),
        };
        let mut carried = None;
        let verse = kept(idea.verse(), &mut carried)?;
        let chorus = kept(idea.chorus(), &mut carried)?;
        Ok(Setup {
            plan: self.plan(
                request,
                Some(sheet.key.mode),
                Some(sheet.meter()),
                vec![
                    plan_section(SectionKind::Verse, idea.verse().bars.len(), verse),
                    plan_section(SectionKind::Chorus, idea.chorus().bars.len(), chorus),
                ],
            ),
            prefix: fill.prefix.clone(),
            fill: Some(fill),
            first_free_bar: redo.bars.start,
            key: Some(sheet.key),
            tempo: Some(sheet.tempo),
        })
    }

    /// Samples one token sequence under the plan, after the forced prefix.
    ///
    /// When bars are filled in, the network reads the fill prompt instead of the prefix, and the
    /// sequence ends (before the grammar's end) once the span's bars are written: the bar line
    /// after the last one becomes `Fill:end`.
    fn sample_sequence(
        &self,
        setup: &Setup,
        request: &GenerateRequest,
        rng: &mut Rng,
    ) -> Result<Vec<u16>, ModelError> {
        let (plan, prefix) = (&setup.plan, &setup.prefix);
        let mut grammar = Grammar::new(&self.vocab, plan.clone())?;
        let mut state = self.net.start();
        let mut tracker = PositionTracker::default();
        let mut ids = Vec::with_capacity(1024);
        let mut allowed = Vec::with_capacity(self.vocab.len());
        let mut logits = Vec::with_capacity(self.vocab.len());
        let mut memory = PhraseMemory::new(&self.vocab, request.sampling.phrase_return);
        let mut bias = Vec::with_capacity(self.vocab.len());
        let mut lift = ChorusLift::new(&self.vocab, request.sampling.chorus_lift);
        let s = &request.sampling;
        let key_shift = setup.key.map_or(0, super::tokens::denormalizing_shift);
        let steering = Steering::new(s.density, s.melody_range, s.harmonic_rhythm, key_shift);
        for &t in prefix {
            grammar.advance(t)?;
            let at = tracker.observe(self.vocab.token(t));
            if setup.fill.is_none() {
                self.net.step(&mut state, t, at);
            }
            if let Some(m) = memory.as_mut() {
                m.observe(t, self.vocab.token(t));
            }
            if let Some(l) = lift.as_mut() {
                l.observe(self.vocab.token(t));
            }
            ids.push(t);
        }
        if let Some(fill) = &setup.fill {
            for &(t, at) in &fill.network_prompt {
                self.net.step(&mut state, t, at);
            }
            grammar.end_notes_within_next_bars(fill.bars);
        }
        let mut bars_written = 0;
        let limit = 400 * plan.sections.iter().map(|s| s.bars).sum::<usize>() + 64;
        while !grammar.is_done() {
            grammar.allowed(&mut allowed)?;
            if let Some(fill) = setup.fill.as_ref().filter(|f| bars_written == f.bars) {
                self.end_fill_at_bar_line(&mut allowed, fill.end);
            }
            let next = if allowed.len() == 1 {
                allowed[0]
            } else {
                self.net.logits_for(&state, &allowed, &mut logits);
                let (temperature, top_p) = self.sampling_for(&allowed, request);
                let steer = steering.map(|s| (s, tracker.current()));
                if self.decoding_bias(&allowed, memory.as_ref(), lift.as_ref(), steer, &mut bias) {
                    add_bias(&mut logits, &bias, temperature);
                }
                sample(&allowed, &logits, temperature, top_p, rng)
            };
            if setup.fill.as_ref().is_some_and(|f| next == f.end) {
                break;
            }
            grammar.advance(next)?;
            if self.vocab.token(next) == Token::Bar {
                bars_written += 1;
            }
            if let Some(m) = memory.as_mut() {
                m.observe(next, self.vocab.token(next));
            }
            if let Some(l) = lift.as_mut() {
                l.observe(self.vocab.token(next));
            }
            ids.push(next);
            if ids.len() > limit {
                return Err(ModelError::Internal(format!(
                    "an idea ran past {limit} tokens without ending"
                )));
            }
            if !grammar.is_done() {
                let at = tracker.observe(self.vocab.token(next));
                self.net.step(&mut state, next, at);
            }
        }
        Ok(ids)
    }

    /// Once a fill's bars are written, what would start the next bar (a bar line, a section or
    /// the end) ends the fill instead.
    fn end_fill_at_bar_line(&self, allowed: &mut Vec<u16>, end: u16) {
        let before = allowed.len();
        allowed.retain(|&id| {
            !matches!(
                self.vocab.token(id),
                Token::Bar | Token::Section(_) | Token::Eos
            )
        });
        if allowed.len() < before {
            allowed.push(end);
        }
    }

    /// The decoding-time log-probability bonuses for `allowed` (phrase memory, chorus lift and
    /// the steering controls at the position of the last token) into `out`; whether any is
    /// non-zero.
    fn decoding_bias(
        &self,
        allowed: &[u16],
        memory: Option<&PhraseMemory>,
        lift: Option<&ChorusLift>,
        steering: Option<(Steering, Position)>,
        out: &mut Vec<f32>,
    ) -> bool {
        out.clear();
        out.resize(allowed.len(), 0.0);
        let remembered = memory.is_some_and(|m| m.bias(allowed, out));
        let lifted = lift.is_some_and(|l| l.bias(allowed, out));
        let steered = steering.is_some_and(|(s, at)| s.bias(&self.vocab, allowed, at, out));
        remembered || lifted || steered
    }

    /// The temperature and top-p for a choice among `allowed`: the request's for what is played
    /// (chords, pitches, form), unsharpened for timing (see [`timing_sampling`]). A choice that
    /// offers any position or duration is a timing choice, even where a pitch is offered beside
    /// the next position (after a chord change: a note here, or the next event later).
    fn sampling_for(&self, allowed: &[u16], request: &GenerateRequest) -> (f32, f32) {
        let timing = allowed
            .iter()
            .any(|&id| matches!(self.vocab.token(id), Token::Pos(_) | Token::Dur(_)));
        let sampling = &request.sampling;
        if timing {
            timing_sampling(sampling.temperature)
        } else {
            (sampling.temperature, sampling.top_p)
        }
    }

    /// A key for a sampled mode: drawn from the training songs' keys of that mode (of either
    /// mode when `mode` is `None`).
    fn draw_key(&self, mode: Option<Mode>, rng: &mut Rng) -> Key {
        let candidates: Vec<(Key, usize)> = self
            .card
            .data
            .keys
            .iter()
            .filter_map(|(name, &count)| name.parse::<Key>().ok().map(|k| (k, count)))
            .filter(|(k, _)| mode.is_none_or(|m| k.mode == m))
            .collect();
        let total: usize = candidates.iter().map(|c| c.1).sum();
        if total == 0 {
            return super::tokens::normalized_key(mode.unwrap_or(Mode::Major));
        }
        let mut draw = rng.below(total);
        for (key, count) in &candidates {
            if draw < *count {
                return *key;
            }
            draw -= count;
        }
        Key::major(PitchClass::new(0))
    }

    /// Generates one idea. Deterministic: the same request gives the same idea.
    pub fn generate(&self, request: &GenerateRequest) -> Result<GeneratedIdea, ModelError> {
        request.sampling.validate()?;
        if let Keep::Bars(redo) = &request.keep
            && redo.part == RedoPart::Chords
        {
            return self.rechord(request, redo);
        }
        let mut setup = self.setup(request)?;
        if request.sampling.melody_range.centre().is_some() && setup.key.is_none() {
            // A chosen range is a register in the finished idea, so its key is known first.
            let key = self.draw_key(None, &mut Rng::new(request.seed ^ RANGE_KEY_SALT));
            setup.plan.mode = Some(key.mode);
            setup.key = Some(key);
        }
        let mut rng = Rng::new(request.seed);
        let mut rejected = 0;
        for attempt in 1..=request.max_attempts.max(1) {
            let mut ids = self.sample_sequence(&setup, request, &mut rng)?;
            if let Some(fill) = &setup.fill {
                ids.extend_from_slice(&fill.suffix);
            }
            let mode = super::tokens::sequence_mode(&self.vocab, &ids).unwrap_or(Mode::Major);
            let key = setup
                .key
                .unwrap_or_else(|| self.draw_key(Some(mode), &mut rng));
            let tempo = setup
                .tempo
                .or_else(|| Tempo::new(self.card.data.median_tempo_bpm.round()).ok())
                .unwrap_or_default();
            let title = format!("Idea {}", request.seed);
            let mut sheet = decode(&self.vocab, &ids, key, tempo, &title)?;
            if matches!(request.keep, Keep::Nothing | Keep::Chords(_)) {
                match request.sampling.melody_range.centre() {
                    Some(centre) => place_melody_near(&mut sheet, centre),
                    None => place_melody_above_chords(&mut sheet),
                }
            }
            if let Keep::Bars(redo) = &request.keep {
                sheet = splice(redo.idea.sheet(), &sheet, redo.bars.clone(), redo.part);
            }
            if self.copies_training_song(&sheet, setup.first_free_bar) {
                rejected += 1;
                continue;
            }
            let idea = Idea::new(sheet)
                .map_err(|e| ModelError::Internal(format!("generated idea: {e}")))?;
            return Ok(GeneratedIdea {
                idea,
                attempts: attempt,
                rejected_unoriginal: rejected,
                tokens: ids.len(),
            });
        }
        Err(ModelError::NotOriginal(format!(
            "all {} ideas for seed {} repeated more than {} bars of a training song; try another seed or a higher temperature",
            request.max_attempts,
            request.seed,
            WINDOW_BARS - 1
        )))
    }

    /// New chords for the chosen bars, the melody kept (see [`Model::rechord_bars`]).
    fn rechord(&self, request: &GenerateRequest, redo: &Redo) -> Result<GeneratedIdea, ModelError> {
        let sheet = self.rechord_bars(
            redo.idea.sheet(),
            redo.bars.clone(),
            request.seed,
            request.sampling.temperature,
        )?;
        self.finished(sheet, "rechorded idea")
    }

    /// A whole sheet written outside the sampling loop, as a generated idea.
    pub(super) fn finished(
        &self,
        sheet: LeadSheet,
        what: &str,
    ) -> Result<GeneratedIdea, ModelError> {
        let tokens = super::tokens::encode(&self.vocab, &sheet)?.len();
        let idea = Idea::new(sheet).map_err(|e| ModelError::Internal(format!("{what}: {e}")))?;
        Ok(GeneratedIdea {
            idea,
            attempts: 1,
            rejected_unoriginal: 0,
            tokens,
        })
    }

    /// Whether a window that includes a generated bar repeats a training song.
    fn copies_training_song(&self, sheet: &LeadSheet, first_free_bar: usize) -> bool {
        window_hashes(sheet)
            .into_iter()
            .filter(|(first, _)| first + WINDOW_BARS > first_free_bar)
            .any(|(_, h)| self.index.contains(h))
    }

    /// Negative log-likelihood (nats) of a sheet's tokens under the model, and the token count
    /// (predictions made: every token after `Bos`). For evaluation.
    pub fn negative_log_likelihood(&self, sheet: &LeadSheet) -> Result<(f64, usize), ModelError> {
        let ids = encode(&self.vocab, sheet)?;
        let all: Vec<u16> = (0..self.vocab.len() as u16).collect();
        let mut state = self.net.start();
        let mut tracker = PositionTracker::default();
        let mut logits = Vec::with_capacity(all.len());
        let mut total = 0.0f64;
        for pair in ids.windows(2) {
            let at = tracker.observe(self.vocab.token(pair[0]));
            self.net.step(&mut state, pair[0], at);
            self.net.logits_for(&state, &all, &mut logits);
            let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
            let log_sum = logits
                .iter()
                .map(|&l| (l as f64 - max).exp())
                .sum::<f64>()
                .ln()
                + max;
            total += log_sum - logits[pair[1] as usize] as f64;
        }
        Ok((total, ids.len().saturating_sub(1)))
    }
}

/// Places a freshly written melody in the octave where it sings above the chords. The tokens
/// are in C major / A minor and the key change to the requested key moves them by up to six
/// semitones down, so a melody the network wrote low can land inside the chord register (in 2
/// of the 5 ideas of the listening check its mean was Bb3 and E4). An octave up (or
/// down, above C6) keeps every interval and the rhythm; only its register moves.
fn place_melody_above_chords(sheet: &mut LeadSheet) {
    let Some(mean) = melody_mean(sheet) else {
        return;
    };
    let octaves: i32 = if mean < MELODY_LOWEST_MEAN {
        1
    } else if mean > MELODY_HIGHEST_MEAN {
        -1
    } else {
        0
    };
    move_melody(sheet, octaves);
}

/// The mean melody pitch, if there is a melody.
fn melody_mean(sheet: &LeadSheet) -> Option<f64> {
    let pitches: Vec<f64> = sheet
        .bars()
        .flat_map(|b| &b.melody)
        .map(|n| f64::from(n.pitch.0))
        .collect();
    (!pitches.is_empty()).then(|| pitches.iter().sum::<f64>() / pitches.len() as f64)
}

/// Places the melody in the octave whose mean is nearest `centre` (a chosen melody range),
/// never outside the melody register.
fn place_melody_near(sheet: &mut LeadSheet, centre: f64) {
    let Some(mean) = melody_mean(sheet) else {
        return;
    };
    let best = (-2..=2)
        .map(|k: i32| (k, mean + 12.0 * f64::from(k)))
        .filter(|(_, m)| (MELODY_LOWEST_MEAN..=MELODY_HIGHEST_MEAN).contains(m))
        .min_by(|a, b| (a.1 - centre).abs().total_cmp(&(b.1 - centre).abs()))
        .map_or(0, |(k, _)| k);
    move_melody(sheet, best);
}

/// Moves every melody note by `octaves`.
fn move_melody(sheet: &mut LeadSheet, octaves: i32) {
    if octaves == 0 {
        return;
    }
    for note in sheet
        .sections
        .iter_mut()
        .flat_map(|s| &mut s.bars)
        .flat_map(|b| &mut b.melody)
    {
        let moved = i32::from(note.pitch.0) + 12 * octaves;
        note.pitch.0 = moved.clamp(0, 127) as u8;
    }
}

fn plan_section(
    kind: SectionKind,
    bars: usize,
    kept_chords: Option<Vec<Vec<ChordChange>>>,
) -> PlanSection {
    PlanSection {
        kind,
        bars,
        kept_chords,
    }
}

/// The key for kept material: the requested key when it has the material's mode, else its own.
fn kept_key(request: &GenerateRequest, sheet: &LeadSheet) -> Key {
    request
        .key
        .filter(|k| k.mode == sheet.key.mode)
        .unwrap_or(sheet.key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval;
    use crate::model::sampling::{DEFAULT_CHORUS_LIFT, DEFAULT_PHRASE_RETURN};

    /// The model shipped in this crate.
    fn shipped() -> Model {
        Model::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default"))
            .expect("the shipped model loads from models/default")
    }

    fn sampled(seed: u64, sampling: Sampling) -> GenerateRequest {
        GenerateRequest {
            seed,
            meter: Some(Meter::FOUR_FOUR),
            sampling,
            ..GenerateRequest::default()
        }
    }

    fn request(seed: u64, phrase_return: f32) -> GenerateRequest {
        sampled(
            seed,
            Sampling {
                phrase_return,
                ..Sampling::default()
            },
        )
    }

    fn plain(seed: u64) -> GenerateRequest {
        sampled(seed, Sampling::default().without_priors())
    }

    fn lifted(seed: u64, chorus_lift: f32) -> GenerateRequest {
        sampled(
            seed,
            Sampling {
                chorus_lift,
                ..Sampling::default().without_priors()
            },
        )
    }

    /// The sampling loop as it was before phrase memory: grammar, network and sampler only.
    fn plain_sequence(model: &Model, plan: &Plan, request: &GenerateRequest) -> Vec<u16> {
        let mut rng = Rng::new(request.seed);
        let mut grammar = Grammar::new(&model.vocab, plan.clone()).unwrap();
        let mut state = model.net.start();
        let mut tracker = PositionTracker::default();
        let (mut ids, mut allowed, mut logits) = (Vec::new(), Vec::new(), Vec::new());
        while !grammar.is_done() {
            grammar.allowed(&mut allowed).unwrap();
            let next = if allowed.len() == 1 {
                allowed[0]
            } else {
                model.net.logits_for(&state, &allowed, &mut logits);
                let (temperature, top_p) = model.sampling_for(&allowed, request);
                sample(&allowed, &logits, temperature, top_p, &mut rng)
            };
            grammar.advance(next).unwrap();
            ids.push(next);
            if !grammar.is_done() {
                let at = tracker.observe(model.vocab.token(next));
                model.net.step(&mut state, next, at);
            }
        }
        ids
    }

    #[test]
    fn timing_choices_are_never_sharpened() {
        let model = shipped();
        let id = |t: Token| model.vocab.require(t).unwrap();
        let request = sampled(
            0,
            Sampling {
                temperature: 0.7,
                top_p: 0.9,
                ..Sampling::default().without_priors()
            },
        );
        let next_event = [id(Token::Pos(6)), id(Token::Pos(12)), id(Token::Bar)];
        assert_eq!(model.sampling_for(&next_event, &request), (1.0, 1.0));
        assert_eq!(
            model.sampling_for(&[id(Token::Dur(3))], &request),
            (1.0, 1.0)
        );
        let pitches = [id(Token::Pitch(60)), id(Token::Pitch(64))];
        assert_eq!(model.sampling_for(&pitches, &request), (0.7, 0.9));
        assert_eq!(timing_sampling(1.3), (1.3, 1.0));
    }

    #[test]
    fn decoding_biases_at_zero_sample_exactly_as_without_them() {
        let model = shipped();
        for seed in 0..6 {
            let off = plain(seed);
            let setup = model.setup(&off).unwrap();
            let mut rng = Rng::new(seed);
            let ids = model.sample_sequence(&setup, &off, &mut rng).unwrap();
            assert_eq!(
                ids,
                plain_sequence(&model, &setup.plan, &off),
                "seed {seed}"
            );
            let on = [request(seed, 0.5), lifted(seed, 0.5)];
            for on in on {
                let mut rng = Rng::new(seed);
                let biased = model.sample_sequence(&setup, &on, &mut rng).unwrap();
                assert_ne!(ids, biased, "seed {seed}: {on:?} changes nothing");
            }
        }
    }

    #[test]
    fn chorus_lift_raises_the_chorus_above_the_verse() {
        let model = shipped();
        let lift = |strength: f32| {
            let ideas: Vec<Idea> = (200..230)
                .map(|seed| model.generate(&lifted(seed, strength)).unwrap().idea)
                .collect();
            eval::measure(&ideas).chorus_minus_verse_pitch.unwrap()
        };
        let (without, with) = (lift(0.0), lift(DEFAULT_CHORUS_LIFT.max(0.5)));
        assert!(
            with > without + 1.0 && with > 1.5,
            "chorus minus verse: {with:+.2} with the lift, {without:+.2} without"
        );
    }

    #[test]
    fn phrase_return_brings_bars_four_apart_closer_and_stays_deterministic() {
        let model = shipped();
        let ideas = |strength: f32| -> Vec<Idea> {
            (100..130)
                .map(|seed| model.generate(&request(seed, strength)).unwrap().idea)
                .collect()
        };
        let similarity_at_4 = |set: &[Idea]| {
            let m = eval::measure(set);
            let at = |list: &[eval::DistanceSimilarity]| {
                list.iter().find(|d| d.distance == 4).unwrap().mean.unwrap()
            };
            (at(&m.bar_similarity), at(&m.shuffled_bar_similarity))
        };
        let (plain, _) = similarity_at_4(&ideas(0.0));
        let with_return = ideas(DEFAULT_PHRASE_RETURN.max(0.5));
        let (returned, shuffled) = similarity_at_4(&with_return);
        assert!(
            returned > plain + 0.05,
            "similarity at 4 bars: {returned:.3} with phrase return, {plain:.3} without"
        );
        assert!(
            returned > shuffled + 0.05,
            "{returned:.3} vs shuffled {shuffled:.3}"
        );
        let again = model.generate(&request(100, DEFAULT_PHRASE_RETURN.max(0.5)));
        assert_eq!(again.unwrap().idea, with_return[0]);
    }

    #[test]
    fn strengths_outside_zero_to_one_are_refused() {
        let model = shipped();
        for bad in [-0.1, 1.5, f32::NAN] {
            let err = model.generate(&request(0, bad)).unwrap_err();
            assert!(err.to_string().contains("phrase return"), "{err}");
            let err = model.generate(&lifted(0, bad)).unwrap_err();
            assert!(err.to_string().contains("chorus lift"), "{err}");
        }
    }

    #[test]
    fn fresh_melodies_sing_above_the_chords() {
        let model = shipped();
        for seed in 0..40 {
            let idea = model.generate(&request(seed, 0.5)).expect("an idea").idea;
            let pitches: Vec<f64> = idea
                .sheet()
                .melody()
                .iter()
                .map(|n| f64::from(n.item.pitch.0))
                .collect();
            let mean = pitches.iter().sum::<f64>() / pitches.len() as f64;
            assert!(
                (MELODY_LOWEST_MEAN..=MELODY_HIGHEST_MEAN).contains(&mean),
                "seed {seed}: melody mean {mean:.1}"
            );
        }
    }
}
