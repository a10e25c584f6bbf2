//! The LSTM as a plain-Rust cell (see the module above for the layout of the weights).

use std::path::Path;

use super::kernels::{matvec_row_major, rows_dot};
use super::weights::read_weights;
use crate::model::ModelError;
use crate::model::network::NetworkConfig;

/// One upper LSTM layer: gates = `w · [h_below ; h] + b`.
#[derive(Debug, Clone)]
struct UpperLayer {
    w: Vec<f32>,
    b: Vec<f32>,
}

/// The network's weights laid out for step-by-step inference.
#[derive(Debug, Clone)]
pub struct LstmNet {
    config: NetworkConfig,
    /// `[vocab, 4h]`: first-layer gate input for each token, biases included.
    input_table: Vec<f32>,
    /// `[4h, h]`.
    w_hh0: Vec<f32>,
    upper: Vec<UpperLayer>,
    /// `[vocab, h]`.
    head_w: Vec<f32>,
    head_b: Vec<f32>,
}

/// The recurrent state of one sequence.
#[derive(Debug, Clone)]
pub struct LstmState {
    h: Vec<Vec<f32>>,
    c: Vec<Vec<f32>>,
    gates: Vec<f32>,
    concat: Vec<f32>,
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Applies the LSTM cell update to `h`, `c` from gate pre-activations in PyTorch order (i, f, g, o).
fn cell(gates: &[f32], h: &mut [f32], c: &mut [f32]) {
    let n = h.len();
    for k in 0..n {
        let i = sigmoid(gates[k]);
        let f = sigmoid(gates[n + k]);
        let g = gates[2 * n + k].tanh();
        let o = sigmoid(gates[3 * n + k]);
        c[k] = f * c[k] + i * g;
        h[k] = o * c[k].tanh();
    }
}

impl LstmNet {
    /// Loads and checks the weights file of a model with this configuration.
    pub fn load(path: &Path, config: &NetworkConfig) -> Result<LstmNet, ModelError> {
        let mut named = read_weights(path, config)?;
        let mut get = |name: &str| -> Result<Vec<f32>, ModelError> {
            named
                .remove(name)
                .ok_or_else(|| ModelError::checkpoint(path, format!("`{name}` is missing")))
        };
        let (v, e, h) = (config.vocab_size, config.embed, config.hidden);
        let embed = get("embed.weight")?;
        let w_ih0 = get("lstm.weight_ih_l0")?;
        let b0: Vec<f32> = get("lstm.bias_ih_l0")?
            .iter()
            .zip(get("lstm.bias_hh_l0")?)
            .map(|(a, b)| a + b)
            .collect();
        let mut input_table = vec![0.0f32; v * 4 * h];
        for t in 0..v {
            let row = &mut input_table[t * 4 * h..(t + 1) * 4 * h];
            row.copy_from_slice(&b0);
            matvec_row_major(&w_ih0, 4 * h, e, &embed[t * e..(t + 1) * e], row);
        }
        let mut upper = Vec::new();
        for layer in 1..config.layers {
            let w_ih = get(&format!("lstm.weight_ih_l{layer}"))?;
            let w_hh = get(&format!("lstm.weight_hh_l{layer}"))?;
            let mut w = Vec::with_capacity(4 * h * 2 * h);
            for r in 0..4 * h {
                w.extend_from_slice(&w_ih[r * h..(r + 1) * h]);
                w.extend_from_slice(&w_hh[r * h..(r + 1) * h]);
            }
            let b = get(&format!("lstm.bias_ih_l{layer}"))?
                .iter()
                .zip(get(&format!("lstm.bias_hh_l{layer}"))?)
                .map(|(a, b)| a + b)
                .collect();
            upper.push(UpperLayer { w, b });
        }
        Ok(LstmNet {
            config: *config,
            input_table,
            w_hh0: get("lstm.weight_hh_l0")?,
            upper,
            head_w: get("head.weight")?,
            head_b: get("head.bias")?,
        })
    }

    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// The zero state a sequence starts from.
    pub fn start(&self) -> LstmState {
        let h = self.config.hidden;
        LstmState {
            h: vec![vec![0.0; h]; self.config.layers],
            c: vec![vec![0.0; h]; self.config.layers],
            gates: vec![0.0; 4 * h],
            concat: vec![0.0; 2 * h],
        }
    }

    /// Feeds one token; the state then holds the output for predicting the next one.
    pub fn step(&self, state: &mut LstmState, token: u16) {
        let h = self.config.hidden;
        let t = token as usize;
        state
            .gates
            .copy_from_slice(&self.input_table[t * 4 * h..(t + 1) * 4 * h]);
        matvec_row_major(&self.w_hh0, 4 * h, h, &state.h[0], &mut state.gates);
        cell(&state.gates, &mut state.h[0], &mut state.c[0]);
        for (i, layer) in self.upper.iter().enumerate() {
            let l = i + 1;
            state.concat[..h].copy_from_slice(&state.h[l - 1]);
            state.concat[h..].copy_from_slice(&state.h[l]);
            state.gates.copy_from_slice(&layer.b);
            matvec_row_major(&layer.w, 4 * h, 2 * h, &state.concat, &mut state.gates);
            let (hs, cs) = (&mut state.h[l], &mut state.c[l]);
            cell(&state.gates, hs, cs);
        }
    }

    /// Logits of the listed tokens, in the same order, into `out`.
    pub fn logits_for(&self, state: &LstmState, ids: &[u16], out: &mut Vec<f32>) {
        let h = self.config.hidden;
        let top = &state.h[self.config.layers - 1];
        out.clear();
        out.resize(ids.len(), 0.0);
        rows_dot(&self.head_w, h, ids, top, out);
        for (o, &id) in out.iter_mut().zip(ids) {
            *o += self.head_b[id as usize];
        }
    }
}
