//! The Transformer one token at a time, with each layer's keys and values cached: a step costs
//! the block's matrix-vector products plus attention over the tokens so far, and nothing is
//! recomputed for earlier tokens.

use std::collections::HashMap;
use std::path::Path;

use super::kernels::{matvec_row_major, rows_dot};
use super::weights::read_weights;
use crate::model::ModelError;
use crate::model::network::NetworkConfig;
use crate::model::positions::Position;
use crate::model::transformer::LAYER_NORM_EPS;

/// A layer norm's gain and shift.
#[derive(Debug, Clone)]
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Norm {
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let scale = 1.0 / (var + LAYER_NORM_EPS as f32).sqrt();
        for (k, o) in out.iter_mut().enumerate() {
            *o = (x[k] - mean) * scale * self.weight[k] + self.bias[k];
        }
    }
}

/// A linear layer `out = w · x + b`, `w` row-major `[out, in]`.
#[derive(Debug, Clone)]
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Linear {
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.b);
        matvec_row_major(&self.w, self.b.len(), x.len(), x, out);
    }
}

#[derive(Debug, Clone)]
struct Block {
    ln1: Norm,
    qkv: Linear,
    proj: Linear,
    ln2: Norm,
    fc1: Linear,
    fc2: Linear,
}

/// The Transformer's weights laid out for step-by-step inference.
#[derive(Debug, Clone)]
pub struct TransformerNet {
    config: NetworkConfig,
    tok: Vec<f32>,
    bar: Vec<f32>,
    beat: Vec<f32>,
    blocks: Vec<Block>,
    norm: Norm,
    head_w: Vec<f32>,
    head_b: Vec<f32>,
}

/// One sequence's cached keys and values, and scratch space for a step.
#[derive(Debug, Clone)]
pub struct TransformerState {
    /// Per layer and head (`layer * heads + head`), `[tokens, head width]` keys and values:
    /// a head's scores over the cache are then one matrix-vector product.
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    head_width: usize,
    x: Vec<f32>,
    normed: Vec<f32>,
    qkv: Vec<f32>,
    attended: Vec<f32>,
    delta: Vec<f32>,
    wide: Vec<f32>,
    scores: Vec<f32>,
    /// The final layer norm of the last token: what the head reads.
    out: Vec<f32>,
}

impl TransformerState {
    /// Tokens fed so far.
    pub fn len(&self) -> usize {
        self.keys
            .first()
            .map_or(0, |k| k.len() / self.head_width.max(1))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Checked weights, taken out by name.
struct Weights<'p> {
    named: HashMap<String, Vec<f32>>,
    path: &'p Path,
}

impl Weights<'_> {
    fn take(&mut self, name: &str) -> Result<Vec<f32>, ModelError> {
        self.named
            .remove(name)
            .ok_or_else(|| ModelError::checkpoint(self.path, format!("`{name}` is missing")))
    }

    fn norm(&mut self, name: &str) -> Result<Norm, ModelError> {
        Ok(Norm {
            weight: self.take(&format!("{name}.weight"))?,
            bias: self.take(&format!("{name}.bias"))?,
        })
    }

    fn linear(&mut self, name: &str) -> Result<Linear, ModelError> {
        Ok(Linear {
            w: self.take(&format!("{name}.weight"))?,
            b: self.take(&format!("{name}.bias"))?,
        })
    }
}

/// The tanh approximation of GELU, as the training network uses it, with tanh(y) written as
/// 1 − 2 / (1 + e^2y): one `exp` (several times quicker than libm's `tanhf`), within 1e-7 of it.
fn gelu(x: f32) -> f32 {
    const C: f32 = 0.797_884_6; // sqrt(2 / pi)
    let y = C * (x + 0.044_715 * x * x * x);
    let tanh = 1.0 - 2.0 / (1.0 + (2.0 * y).exp());
    0.5 * x * (1.0 + tanh)
}

impl TransformerNet {
    /// Loads and checks the weights file of a Transformer with this configuration.
    pub fn load(path: &Path, config: &NetworkConfig) -> Result<TransformerNet, ModelError> {
        let mut w = Weights {
            named: read_weights(path, config)?,
            path,
        };
        let blocks = (0..config.layers)
            .map(|layer| {
                let p = |part: &str| format!("blocks.{layer}.{part}");
                Ok(Block {
                    ln1: w.norm(&p("ln1"))?,
                    qkv: w.linear(&p("qkv"))?,
                    proj: w.linear(&p("proj"))?,
                    ln2: w.norm(&p("ln2"))?,
                    fc1: w.linear(&p("fc1"))?,
                    fc2: w.linear(&p("fc2"))?,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        Ok(TransformerNet {
            config: *config,
            tok: w.take("tok.weight")?,
            bar: w.take("bar.weight")?,
            beat: w.take("beat.weight")?,
            blocks,
            norm: w.norm("norm")?,
            head_w: w.take("head.weight")?,
            head_b: w.take("head.bias")?,
        })
    }

    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// An empty sequence.
    pub fn start(&self) -> TransformerState {
        let (d, f) = (self.config.embed, self.config.hidden);
        let head_width = d / self.config.heads;
        let caches = self.config.layers * self.config.heads;
        TransformerState {
            keys: vec![Vec::with_capacity(1024 * head_width); caches],
            values: vec![Vec::with_capacity(1024 * head_width); caches],
            head_width,
            x: vec![0.0; d],
            normed: vec![0.0; d],
            qkv: vec![0.0; 3 * d],
            attended: vec![0.0; d],
            delta: vec![0.0; d],
            wide: vec![0.0; f],
            scores: Vec::with_capacity(1024),
            out: vec![0.0; d],
        }
    }

    /// Feeds one token at its musical position; the state then holds the output for predicting
    /// the next one.
    pub fn step(&self, state: &mut TransformerState, token: u16, at: Position) {
        let d = self.config.embed;
        let row = |i: usize| i * d..(i + 1) * d;
        let (tok, bar, beat) = (
            &self.tok[row(token as usize)],
            &self.bar[row(at.bar as usize)],
            &self.beat[row(at.beat as usize)],
        );
        for k in 0..d {
            state.x[k] = tok[k] + bar[k] + beat[k];
        }
        for (layer, block) in self.blocks.iter().enumerate() {
            self.attend(block, layer, state);
            block.ln2.apply(&state.x, &mut state.normed);
            block.fc1.apply(&state.normed, &mut state.wide);
            state.wide.iter_mut().for_each(|v| *v = gelu(*v));
            block.fc2.apply(&state.wide, &mut state.delta);
            state
                .x
                .iter_mut()
                .zip(&state.delta)
                .for_each(|(x, d)| *x += d);
        }
        self.norm.apply(&state.x, &mut state.out);
    }

    /// Causal self-attention of the newest token over the cache, added to `state.x`.
    fn attend(&self, block: &Block, layer: usize, state: &mut TransformerState) {
        let d = self.config.embed;
        let heads = self.config.heads;
        let dh = d / heads;
        block.ln1.apply(&state.x, &mut state.normed);
        block.qkv.apply(&state.normed, &mut state.qkv);
        let scale = 1.0 / (dh as f32).sqrt();
        for h in 0..heads {
            let cache = layer * heads + h;
            let (key, value) = (
                d + h * dh..d + (h + 1) * dh,
                2 * d + h * dh..2 * d + (h + 1) * dh,
            );
            state.keys[cache].extend_from_slice(&state.qkv[key]);
            state.values[cache].extend_from_slice(&state.qkv[value]);
            let (keys, values) = (&state.keys[cache], &state.values[cache]);
            let count = keys.len() / dh;
            let q = &state.qkv[h * dh..(h + 1) * dh];
            state.scores.clear();
            state.scores.resize(count, 0.0);
            matvec_row_major(keys, count, dh, q, &mut state.scores);
            let max = state
                .scores
                .iter()
                .fold(f32::NEG_INFINITY, |m, &s| m.max(s * scale));
            let mut total = 0.0;
            for s in state.scores.iter_mut() {
                *s = (*s * scale - max).exp();
                total += *s;
            }
            let out = &mut state.attended[h * dh..(h + 1) * dh];
            out.fill(0.0);
            for (s, v) in state.scores.iter().zip(values.chunks_exact(dh)) {
                let weight = s / total;
                out.iter_mut().zip(v).for_each(|(o, v)| *o += weight * v);
            }
        }
        block.proj.apply(&state.attended, &mut state.delta);
        state
            .x
            .iter_mut()
            .zip(&state.delta)
            .for_each(|(x, d)| *x += d);
    }

    /// Logits of the listed tokens, in the same order, into `out`.
    pub fn logits_for(&self, state: &TransformerState, ids: &[u16], out: &mut Vec<f32>) {
        out.clear();
        out.resize(ids.len(), 0.0);
        rows_dot(&self.head_w, self.config.embed, ids, &state.out, out);
        for (o, &id) in out.iter_mut().zip(ids) {
            *o += self.head_b[id as usize];
        }
    }
}
