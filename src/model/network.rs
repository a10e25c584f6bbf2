//! The networks in libtorch, for training: token embedding → stacked LSTM → linear head (the
//! first generation), or a decoder-only Transformer with bar- and beat-position embeddings (see
//! [`super::transformer`]). A whole batch goes through in one call. Generation does not use this
//! module: [`super::infer`] runs the same weights step by step in plain Rust.

use std::path::Path;

use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

use super::ModelError;
pub use super::netconfig::{Arch, NetInput, NetworkConfig};
use super::transformer::Transformer;

/// The LSTM's layers.
#[derive(Debug)]
struct Lstm {
    embed: nn::Embedding,
    weights: Vec<Tensor>,
    head: nn::Linear,
}

#[derive(Debug)]
enum Body {
    Lstm(Lstm),
    Transformer(Box<Transformer>),
}

/// The trainable network and its variable store.
#[derive(Debug)]
pub struct Network {
    pub vs: nn::VarStore,
    pub config: NetworkConfig,
    body: Body,
}

impl Network {
    /// A freshly initialized network on `device`.
    pub fn new(config: NetworkConfig, device: Device) -> Network {
        let vs = nn::VarStore::new(device);
        let body = match config.arch {
            Arch::Lstm => Body::Lstm(Lstm::new(&vs.root(), &config)),
            Arch::Transformer => Body::Transformer(Box::new(Transformer::new(&vs.root(), &config))),
        };
        Network { vs, config, body }
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Logits `[batch, time, vocab]` for a batch.
    pub fn forward(&self, input: &NetInput, train: bool) -> Tensor {
        let p = if train { self.config.dropout } else { 0.0 };
        match &self.body {
            Body::Lstm(lstm) => lstm.forward(&self.config, &input.tokens, p, train),
            Body::Transformer(t) => t.forward(input, p, train),
        }
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

impl Lstm {
    fn new(root: &nn::Path, config: &NetworkConfig) -> Lstm {
        let (v, e, h) = (
            config.vocab_size as i64,
            config.embed as i64,
            config.hidden as i64,
        );
        let embed = nn::embedding(root / "embed", v, e, Default::default());
        let lstm = root / "lstm";
        let bound = 1.0 / (h as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let mut weights = Vec::new();
        for layer in 0..config.layers {
            let input = if layer == 0 { e } else { h };
            weights.push(lstm.var(&format!("weight_ih_l{layer}"), &[4 * h, input], uniform));
            weights.push(lstm.var(&format!("weight_hh_l{layer}"), &[4 * h, h], uniform));
            weights.push(lstm.var(&format!("bias_ih_l{layer}"), &[4 * h], uniform));
            weights.push(lstm.var(&format!("bias_hh_l{layer}"), &[4 * h], uniform));
        }
        let head = nn::linear(root / "head", h, v, Default::default());
        Lstm {
            embed,
            weights,
            head,
        }
    }

    fn forward(&self, config: &NetworkConfig, input: &Tensor, p: f64, train: bool) -> Tensor {
        let batch = input.size()[0];
        let x = self.embed.forward(input).dropout(p, train);
        let zeros = Tensor::zeros(
            [config.layers as i64, batch, config.hidden as i64],
            (Kind::Float, input.device()),
        );
        let (out, _, _) = x.lstm(
            &[&zeros, &zeros],
            &self.weights.iter().collect::<Vec<_>>(),
            true,
            config.layers as i64,
            p,
            train,
            false,
            true,
        );
        self.head.forward(&out.dropout(p, train))
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
