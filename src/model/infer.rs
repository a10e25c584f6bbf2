//! The trained network as a plain-Rust LSTM cell for sampling one token at a time on the CPU.
//!
//! Calling libtorch once per token costs far more in per-op overhead (dispatch, allocation,
//! a dozen small kernels per layer) than the arithmetic itself. Here a step is a few
//! matrix-vector products over contiguous `f32` rows, with no allocation:
//! - the first layer's input projection is folded into a table: row `t` holds
//!   `W_ih0 · embed[t] + b_ih0 + b_hh0`, so embedding plus projection is one row lookup;
//! - upper layers multiply `[W_ih | W_hh]` by `[h_below ; h]` in one pass;
//! - the output head is evaluated only for the tokens the grammar allows next.
//!
//! The weights are read with the `safetensors` crate, not libtorch: sampling needs no tensor
//! library at all. The same weights give the same logits as the libtorch network (checked in
//! the tests to 1e-4).

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::ModelError;
use super::network::NetworkConfig;

/// One upper LSTM layer: gates = `w · [h_below ; h] + b`.
#[derive(Debug, Clone)]
struct UpperLayer {
    w: Vec<f32>,
    b: Vec<f32>,
}

/// The network's weights laid out for step-by-step inference.
#[derive(Debug, Clone)]
pub struct InferenceNet {
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
pub struct State {
    h: Vec<Vec<f32>>,
    c: Vec<Vec<f32>>,
    gates: Vec<f32>,
    concat: Vec<f32>,
}

/// A tensor element type as libtorch names it (`Float` for 32-bit floats).
fn dtype_name(dtype: Dtype) -> String {
    match dtype {
        Dtype::F32 => "Float".into(),
        Dtype::F64 => "Double".into(),
        Dtype::F16 => "Half".into(),
        Dtype::BF16 => "BFloat16".into(),
        other => format!("{other:?}"),
    }
}

/// Reads a safetensors file and checks that it holds exactly the tensors `config` needs, as
/// 32-bit floats of the right shapes; each comes back flattened, row-major.
pub fn read_weights(
    path: &Path,
    config: &NetworkConfig,
) -> Result<HashMap<String, Vec<f32>>, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            "the weights file is missing".to_string()
        } else {
            format!("the weights file cannot be read ({e})")
        };
        ModelError::checkpoint(path, reason)
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        ModelError::checkpoint(path, format!("not a readable safetensors file ({e:?})"))
    })?;
    let expected = config.tensor_shapes();
    let mut weights = HashMap::with_capacity(expected.len());
    for (name, shape) in &expected {
        let view = file
            .tensor(name)
            .map_err(|_| ModelError::checkpoint(path, format!("the tensor `{name}` is missing")))?;
        let found: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        if view.dtype() != Dtype::F32 || found != *shape {
            return Err(ModelError::checkpoint(
                path,
                format!(
                    "the tensor `{name}` is {} {found:?}, but the model's configuration needs Float {shape:?}",
                    dtype_name(view.dtype())
                ),
            ));
        }
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        weights.insert(name.clone(), values);
    }
    if file.len() != expected.len() {
        return Err(ModelError::checkpoint(
            path,
            format!(
                "{} tensors where the configuration has {}",
                file.len(),
                expected.len()
            ),
        ));
    }
    Ok(weights)
}

/// `out[r] += w[r, :] · x` for a row-major `rows × cols` matrix, using AVX2+FMA when the CPU
/// has them (checked once per call; the same machine always takes the same path, so results
/// are reproducible there).
fn matvec_row_major(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        unsafe { matvec_avx2(w, rows, cols, x, out) };
        return;
    }
    matvec_portable(w, rows, cols, x, out);
}

fn matvec_portable(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate().take(rows) {
        *o += dot(&w[r * cols..(r + 1) * cols], x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matvec_avx2(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate().take(rows) {
        *o += dot(&w[r * cols..(r + 1) * cols], x);
    }
}

/// `out[k] = w[ids[k], :] · x` for the listed rows only.
fn rows_dot(w: &[f32], cols: usize, ids: &[u16], x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        unsafe { rows_dot_avx2(w, cols, ids, x, out) };
        return;
    }
    for (o, &id) in out.iter_mut().zip(ids) {
        let r = id as usize;
        *o = dot(&w[r * cols..(r + 1) * cols], x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_dot_avx2(w: &[f32], cols: usize, ids: &[u16], x: &[f32], out: &mut [f32]) {
    for (o, &id) in out.iter_mut().zip(ids) {
        let r = id as usize;
        *o = dot(&w[r * cols..(r + 1) * cols], x);
    }
}

/// Dot product with eight independent accumulators, which the compiler turns into SIMD.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let rest: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    acc.iter().sum::<f32>() + rest
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

impl InferenceNet {
    /// Loads and checks the weights file of a model with this configuration.
    pub fn load(path: &Path, config: &NetworkConfig) -> Result<InferenceNet, ModelError> {
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
        Ok(InferenceNet {
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
    pub fn start(&self) -> State {
        let h = self.config.hidden;
        State {
            h: vec![vec![0.0; h]; self.config.layers],
            c: vec![vec![0.0; h]; self.config.layers],
            gates: vec![0.0; 4 * h],
            concat: vec![0.0; 2 * h],
        }
    }

    /// Feeds one token; the state then holds the output for predicting the next one.
    pub fn step(&self, state: &mut State, token: u16) {
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
    pub fn logits_for(&self, state: &State, ids: &[u16], out: &mut Vec<f32>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::network::Network;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn plain_cell_matches_libtorch_on_the_same_weights() {
        tch::manual_seed(3);
        let config = NetworkConfig {
            vocab_size: 40,
            embed: 12,
            hidden: 20,
            layers: 3,
            dropout: 0.0,
        };
        let net = Network::new(config, Device::Cpu);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        net.save(&path).unwrap();
        let fast = InferenceNet::load(&path, &config).unwrap();
        let tokens: Vec<i64> = vec![1, 5, 7, 39, 0, 22, 22, 3];
        let input = Tensor::from_slice(&tokens).view([1, -1]);
        let logits = tch::no_grad(|| net.forward(&input, false)).to_kind(Kind::Float);
        let expected: Vec<f32> = Vec::try_from(logits.flatten(0, -1)).unwrap();
        let mut state = fast.start();
        let all: Vec<u16> = (0..40).collect();
        let mut out = Vec::new();
        for (step, &t) in tokens.iter().enumerate() {
            fast.step(&mut state, t as u16);
            fast.logits_for(&state, &all, &mut out);
            for k in 0..40 {
                let want = expected[step * 40 + k];
                assert!(
                    (out[k] - want).abs() < 1e-4,
                    "step {step} token {k}: {} vs {want}",
                    out[k]
                );
            }
        }
    }

    /// Weights written by the `safetensors` crate alone load and step: sampling needs no
    /// tensor library, and a file whose shapes do not fit is refused by name.
    #[test]
    fn weights_load_without_libtorch() {
        use safetensors::tensor::TensorView;
        let config = NetworkConfig {
            vocab_size: 6,
            embed: 4,
            hidden: 5,
            layers: 2,
            dropout: 0.0,
        };
        let shapes = config.tensor_shapes();
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = shapes
            .iter()
            .enumerate()
            .map(|(k, (name, shape))| {
                let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                let count: usize = shape.iter().product();
                let bytes = (0..count)
                    .flat_map(|i| (((i * 7 + k) % 11) as f32 / 20.0 - 0.25).to_le_bytes())
                    .collect();
                (name.clone(), shape, bytes)
            })
            .collect();
        let views: Vec<(String, TensorView<'_>)> = data
            .iter()
            .map(|(name, shape, bytes)| {
                let view = TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap();
                (name.clone(), view)
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        safetensors::serialize_to_file(views, &None, &path).unwrap();
        let net = InferenceNet::load(&path, &config).unwrap();
        let mut state = net.start();
        let mut out = Vec::new();
        for token in [1u16, 4, 2] {
            net.step(&mut state, token);
        }
        net.logits_for(&state, &[0, 3, 5], &mut out);
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|l| l.is_finite()));
        assert!(out[0] != out[1] || out[1] != out[2], "{out:?}");

        let wider = NetworkConfig {
            hidden: 6,
            ..config
        };
        let error = InferenceNet::load(&path, &wider).unwrap_err().to_string();
        assert!(error.contains("needs Float"), "{error}");
    }
}
