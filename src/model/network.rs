//! The network in libtorch, for training: token embedding → stacked LSTM → linear head over the
//! vocabulary. The whole sequence goes through libtorch's fused `lstm` op (one call per batch).
//! Generation does not use this module: [`super::infer`] runs the same weights step by step.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

use super::ModelError;

/// The shape of the network, saved with every checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    pub vocab_size: usize,
    pub embed: usize,
    pub hidden: usize,
    pub layers: usize,
    /// Dropout between layers and on the embedding and output, during training only.
    pub dropout: f64,
}

impl NetworkConfig {
    /// Number of weights.
    pub fn parameters(&self) -> usize {
        let (v, e, h) = (self.vocab_size, self.embed, self.hidden);
        let mut n = v * e + h * v + v;
        for layer in 0..self.layers {
            let input = if layer == 0 { e } else { h };
            n += 4 * h * (input + h) + 8 * h;
        }
        n
    }

    /// The names and shapes of every weight tensor.
    pub fn tensor_shapes(&self) -> Vec<(String, Vec<i64>)> {
        let (v, e, h) = (
            self.vocab_size as i64,
            self.embed as i64,
            self.hidden as i64,
        );
        let mut out = vec![("embed.weight".to_string(), vec![v, e])];
        for layer in 0..self.layers {
            let input = if layer == 0 { e } else { h };
            out.push((format!("lstm.weight_ih_l{layer}"), vec![4 * h, input]));
            out.push((format!("lstm.weight_hh_l{layer}"), vec![4 * h, h]));
            out.push((format!("lstm.bias_ih_l{layer}"), vec![4 * h]));
            out.push((format!("lstm.bias_hh_l{layer}"), vec![4 * h]));
        }
        out.push(("head.weight".to_string(), vec![v, h]));
        out.push(("head.bias".to_string(), vec![v]));
        out
    }
}

/// The trainable network and its variable store.
#[derive(Debug)]
pub struct Network {
    pub vs: nn::VarStore,
    pub config: NetworkConfig,
    embed: nn::Embedding,
    lstm_weights: Vec<Tensor>,
    head: nn::Linear,
}

impl Network {
    /// A freshly initialized network on `device`.
    pub fn new(config: NetworkConfig, device: Device) -> Network {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let (v, e, h) = (
            config.vocab_size as i64,
            config.embed as i64,
            config.hidden as i64,
        );
        let embed = nn::embedding(&root / "embed", v, e, Default::default());
        let lstm = &root / "lstm";
        let bound = 1.0 / (h as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let mut lstm_weights = Vec::new();
        for layer in 0..config.layers {
            let input = if layer == 0 { e } else { h };
            lstm_weights.push(lstm.var(&format!("weight_ih_l{layer}"), &[4 * h, input], uniform));
            lstm_weights.push(lstm.var(&format!("weight_hh_l{layer}"), &[4 * h, h], uniform));
            lstm_weights.push(lstm.var(&format!("bias_ih_l{layer}"), &[4 * h], uniform));
            lstm_weights.push(lstm.var(&format!("bias_hh_l{layer}"), &[4 * h], uniform));
        }
        let head = nn::linear(&root / "head", h, v, Default::default());
        Network {
            vs,
            config,
            embed,
            lstm_weights,
            head,
        }
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Logits `[batch, time, vocab]` for token ids `[batch, time]` (int64).
    pub fn forward(&self, input: &Tensor, train: bool) -> Tensor {
        let batch = input.size()[0];
        let p = if train { self.config.dropout } else { 0.0 };
        let x = self.embed.forward(input).dropout(p, train);
        let zeros = Tensor::zeros(
            [self.config.layers as i64, batch, self.config.hidden as i64],
            (Kind::Float, self.device()),
        );
        let (out, _, _) = x.lstm(
            &[&zeros, &zeros],
            &self.lstm_weights.iter().collect::<Vec<_>>(),
            true,
            self.config.layers as i64,
            p,
            train,
            false,
            true,
        );
        self.head.forward(&out.dropout(p, train))
    }

    /// Saves the weights as safetensors at `path`, through a temporary file renamed into place.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut named: Vec<(String, Tensor)> = self
            .vs
            .variables()
            .into_iter()
            .map(|(name, t)| (name, t.to_device(Device::Cpu)))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        crate::atomic_file::write_atomically_at(path, |temp| {
            Tensor::write_safetensors(&named, temp).map_err(std::io::Error::other)
        })
        .map_err(|e| ModelError::checkpoint(path, e.to_string()))
    }

    /// Loads weights saved by [`Network::save`], checking every name and shape first.
    pub fn load(&mut self, path: &Path) -> Result<(), ModelError> {
        let named = read_checked(path, &self.config)?;
        let vars = self.vs.variables();
        tch::no_grad(|| {
            for (name, tensor) in &named {
                let mut var = vars
                    .get(name)
                    .ok_or_else(|| {
                        ModelError::checkpoint(path, format!("unexpected tensor `{name}`"))
                    })?
                    .shallow_clone();
                var.f_copy_(tensor)
                    .map_err(|e| ModelError::checkpoint(path, e.to_string()))?;
            }
            Ok(())
        })
    }
}

/// Reads a safetensors file and checks that it holds exactly the tensors `config` needs,
/// as 32-bit floats of the right shapes.
pub fn read_checked(
    path: &Path,
    config: &NetworkConfig,
) -> Result<Vec<(String, Tensor)>, ModelError> {
    if !path.exists() {
        return Err(ModelError::checkpoint(path, "the weights file is missing"));
    }
    let named = Tensor::read_safetensors(path).map_err(|e| {
        ModelError::checkpoint(path, format!("not a readable safetensors file ({e})"))
    })?;
    let expected = config.tensor_shapes();
    for (name, shape) in &expected {
        let tensor = named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
            .ok_or_else(|| {
                ModelError::checkpoint(path, format!("the tensor `{name}` is missing"))
            })?;
        if tensor.size() != *shape || tensor.kind() != Kind::Float {
            return Err(ModelError::checkpoint(
                path,
                format!(
                    "the tensor `{name}` is {:?} {:?}, but the model's configuration needs Float {shape:?}",
                    tensor.kind(),
                    tensor.size()
                ),
            ));
        }
    }
    if named.len() != expected.len() {
        return Err(ModelError::checkpoint(
            path,
            format!(
                "{} tensors where the configuration has {}",
                named.len(),
                expected.len()
            ),
        ));
    }
    Ok(named)
}
