//! The trained network in plain Rust for sampling one token at a time on the CPU.
//!
//! Calling libtorch once per token costs far more in per-op overhead (dispatch, allocation,
//! a dozen small kernels per layer) than the arithmetic itself. Here a step is a few
//! matrix-vector products over contiguous `f32` rows ([`kernels`]), with no allocation:
//! - [`lstm`]: the first layer's input projection is folded into a table (row `t` holds
//!   `W_ih0 · embed[t] + b_ih0 + b_hh0`), and upper layers multiply `[W_ih | W_hh]` by
//!   `[h_below ; h]` in one pass;
//! - [`transformer`]: each layer's keys and values are cached, so a step attends over the past
//!   without recomputing it;
//! - either way the output head is evaluated only for the tokens the grammar allows next.
//!
//! The weights are read with the `safetensors` crate ([`weights`]), not libtorch: sampling needs
//! no tensor library at all. The same weights give the same logits as the libtorch network
//! (checked in the tests to 1e-4).

pub mod kernels;
pub mod lstm;
pub mod transformer;
pub mod weights;

use std::path::Path;

pub use weights::read_weights;

use super::ModelError;
use super::network::{Arch, NetworkConfig};
use super::positions::Position;
use lstm::{LstmNet, LstmState};
use transformer::{TransformerNet, TransformerState};

/// A model's network, ready to step.
#[derive(Debug, Clone)]
pub enum InferenceNet {
    Lstm(LstmNet),
    Transformer(TransformerNet),
}

/// The state of one sequence under an [`InferenceNet`].
#[derive(Debug, Clone)]
pub enum State {
    Lstm(LstmState),
    Transformer(TransformerState),
}

impl InferenceNet {
    /// Loads and checks the weights file of a model with this configuration.
    pub fn load(path: &Path, config: &NetworkConfig) -> Result<InferenceNet, ModelError> {
        config
            .check()
            .map_err(|e| ModelError::checkpoint(path, e.to_string()))?;
        Ok(match config.arch {
            Arch::Lstm => InferenceNet::Lstm(LstmNet::load(path, config)?),
            Arch::Transformer => InferenceNet::Transformer(TransformerNet::load(path, config)?),
        })
    }

    pub fn config(&self) -> &NetworkConfig {
        match self {
            InferenceNet::Lstm(net) => net.config(),
            InferenceNet::Transformer(net) => net.config(),
        }
    }

    /// The state a sequence starts from.
    pub fn start(&self) -> State {
        match self {
            InferenceNet::Lstm(net) => State::Lstm(net.start()),
            InferenceNet::Transformer(net) => State::Transformer(net.start()),
        }
    }

    /// Feeds one token at its musical position (which the LSTM does not use); the state then
    /// holds the output for predicting the next one.
    pub fn step(&self, state: &mut State, token: u16, at: Position) {
        match (self, state) {
            (InferenceNet::Lstm(net), State::Lstm(s)) => net.step(s, token),
            (InferenceNet::Transformer(net), State::Transformer(s)) => net.step(s, token, at),
            _ => panic!("a state stepped by another kind of network"),
        }
    }

    /// Logits of the listed tokens, in the same order, into `out`.
    pub fn logits_for(&self, state: &State, ids: &[u16], out: &mut Vec<f32>) {
        match (self, state) {
            (InferenceNet::Lstm(net), State::Lstm(s)) => net.logits_for(s, ids, out),
            (InferenceNet::Transformer(net), State::Transformer(s)) => net.logits_for(s, ids, out),
            _ => panic!("a state read by another kind of network"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::network::{NetInput, Network};
    use safetensors::Dtype;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn plain_cell_matches_libtorch_on_the_same_weights() {
        tch::manual_seed(3);
        let config = NetworkConfig::lstm(40, 12, 20, 3);
        let net = Network::new(config, Device::Cpu);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        net.save(&path).unwrap();
        let fast = InferenceNet::load(&path, &config).unwrap();
        let tokens: Vec<i64> = vec![1, 5, 7, 39, 0, 22, 22, 3];
        let input = Tensor::from_slice(&tokens).view([1, -1]);
        let logits =
            tch::no_grad(|| net.forward(&NetInput::tokens_only(input), false)).to_kind(Kind::Float);
        let expected: Vec<f32> = Vec::try_from(logits.flatten(0, -1)).unwrap();
        let mut state = fast.start();
        let all: Vec<u16> = (0..40).collect();
        let mut out = Vec::new();
        for (step, &t) in tokens.iter().enumerate() {
            fast.step(&mut state, t as u16, Position::default());
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
        let config = NetworkConfig::lstm(6, 4, 5, 2);
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
            net.step(&mut state, token, Position::default());
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

    #[test]
    fn cached_transformer_matches_libtorch_on_the_same_weights() {
        tch::manual_seed(5);
        let config = NetworkConfig {
            arch: Arch::Transformer,
            vocab_size: 30,
            embed: 16,
            hidden: 24,
            layers: 2,
            heads: 4,
            dropout: 0.0,
        };
        let net = Network::new(config, Device::Cpu);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        net.save(&path).unwrap();
        let fast = InferenceNet::load(&path, &config).unwrap();
        let tokens: Vec<i64> = vec![1, 5, 7, 29, 2, 22, 22, 3, 9, 14];
        let at: Vec<Position> = (0..tokens.len())
            .map(|i| Position {
                bar: (i / 3) as u8,
                beat: (i * 7 % 90) as u8,
            })
            .collect();
        let column = |v: Vec<i64>| Tensor::from_slice(&v).view([1, -1]);
        let input = NetInput {
            tokens: column(tokens.clone()),
            bars: column(at.iter().map(|p| p.bar as i64).collect()),
            beats: column(at.iter().map(|p| p.beat as i64).collect()),
        };
        let logits = tch::no_grad(|| net.forward(&input, false)).to_kind(Kind::Float);
        let expected: Vec<f32> = Vec::try_from(logits.flatten(0, -1)).unwrap();
        let mut state = fast.start();
        let all: Vec<u16> = (0..30).collect();
        let mut out = Vec::new();
        for (step, &t) in tokens.iter().enumerate() {
            fast.step(&mut state, t as u16, at[step]);
            fast.logits_for(&state, &all, &mut out);
            for k in 0..30 {
                let want = expected[step * 30 + k];
                assert!(
                    (out[k] - want).abs() < 1e-4,
                    "step {step} token {k}: {} vs {want}",
                    out[k]
                );
            }
        }
    }

    #[test]
    fn a_transformer_whose_width_does_not_split_into_heads_is_refused_by_name() {
        let config = NetworkConfig {
            arch: Arch::Transformer,
            vocab_size: 30,
            embed: 18,
            hidden: 24,
            layers: 1,
            heads: 4,
            dropout: 0.0,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let error = InferenceNet::load(&path, &config).unwrap_err().to_string();
        assert!(error.contains("multiple of the heads"), "{error}");
        assert!(error.contains("w.safetensors"), "{error}");
    }
}
