//! The shape of a network (saved in every model card) and what a batch gives it: the names and
//! shapes of its weights, for the LSTM and the Transformer alike, in one place that both the
//! libtorch networks and the plain-Rust inference read.

use serde::{Deserialize, Serialize};
use tch::Tensor;

use super::ModelError;
use super::positions::{BAR_SLOTS, BEAT_SLOTS};

/// Which kind of network a model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Stacked LSTM: `embed` is the embedding size, `hidden` the cell size. Models written
    /// before the Transformer have no `arch` in their card and are LSTMs.
    #[default]
    Lstm,
    /// Decoder-only Transformer: `embed` is the model width, `hidden` the feed-forward width,
    /// `layers` the blocks and `heads` the attention heads per block.
    Transformer,
}

/// The shape of the network, saved with every checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    #[serde(default)]
    pub arch: Arch,
    pub vocab_size: usize,
    pub embed: usize,
    pub hidden: usize,
    pub layers: usize,
    /// Attention heads (Transformer only).
    #[serde(default)]
    pub heads: usize,
    /// Dropout between layers and on the embedding and output, during training only.
    pub dropout: f64,
}

impl NetworkConfig {
    /// An LSTM of this shape.
    pub fn lstm(vocab_size: usize, embed: usize, hidden: usize, layers: usize) -> NetworkConfig {
        NetworkConfig {
            arch: Arch::Lstm,
            vocab_size,
            embed,
            hidden,
            layers,
            heads: 0,
            dropout: 0.0,
        }
    }

    /// Number of weights.
    pub fn parameters(&self) -> usize {
        self.tensor_shapes()
            .iter()
            .map(|(_, shape)| shape.iter().product::<i64>() as usize)
            .sum()
    }

    /// Why this shape cannot be built, if it cannot.
    pub fn check(&self) -> Result<(), ModelError> {
        let fits = match self.arch {
            Arch::Lstm => self.embed > 0 && self.hidden > 0 && self.layers > 0,
            Arch::Transformer => {
                self.heads > 0
                    && self.embed.is_multiple_of(self.heads)
                    && self.hidden > 0
                    && self.layers > 0
            }
        };
        if fits {
            Ok(())
        } else {
            Err(ModelError::Request(format!(
                "a network of width {}, hidden size {}, {} layers and {} heads cannot be built{}",
                self.embed,
                self.hidden,
                self.layers,
                self.heads,
                if self.arch == Arch::Transformer {
                    " (the width must be a multiple of the heads)"
                } else {
                    ""
                }
            )))
        }
    }

    /// The names and shapes of every weight tensor.
    pub fn tensor_shapes(&self) -> Vec<(String, Vec<i64>)> {
        match self.arch {
            Arch::Lstm => self.lstm_shapes(),
            Arch::Transformer => transformer_shapes(self),
        }
    }

    fn lstm_shapes(&self) -> Vec<(String, Vec<i64>)> {
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

/// The names and shapes of a Transformer's weights.
fn transformer_shapes(config: &NetworkConfig) -> Vec<(String, Vec<i64>)> {
    let (v, d, f) = (
        config.vocab_size as i64,
        config.embed as i64,
        config.hidden as i64,
    );
    let mut out = vec![
        ("tok.weight".to_string(), vec![v, d]),
        ("bar.weight".to_string(), vec![BAR_SLOTS as i64, d]),
        ("beat.weight".to_string(), vec![BEAT_SLOTS as i64, d]),
    ];
    for layer in 0..config.layers {
        let name = |part: &str| format!("blocks.{layer}.{part}");
        out.extend([
            (name("ln1.weight"), vec![d]),
            (name("ln1.bias"), vec![d]),
            (name("qkv.weight"), vec![3 * d, d]),
            (name("qkv.bias"), vec![3 * d]),
            (name("proj.weight"), vec![d, d]),
            (name("proj.bias"), vec![d]),
            (name("ln2.weight"), vec![d]),
            (name("ln2.bias"), vec![d]),
            (name("fc1.weight"), vec![f, d]),
            (name("fc1.bias"), vec![f]),
            (name("fc2.weight"), vec![d, f]),
            (name("fc2.bias"), vec![d]),
        ]);
    }
    out.extend([
        ("norm.weight".to_string(), vec![d]),
        ("norm.bias".to_string(), vec![d]),
        ("head.weight".to_string(), vec![v, d]),
        ("head.bias".to_string(), vec![v]),
    ]);
    out
}

/// Token ids and their bar and beat slots, `[batch, time]` int64 each.
#[derive(Debug)]
pub struct NetInput {
    pub tokens: Tensor,
    pub bars: Tensor,
    pub beats: Tensor,
}

impl NetInput {
    /// Token ids alone, every token at the zero position (enough for an LSTM, which ignores
    /// positions).
    pub fn tokens_only(tokens: Tensor) -> NetInput {
        let zeros = tokens.zeros_like();
        NetInput {
            bars: zeros.shallow_clone(),
            beats: zeros,
            tokens,
        }
    }
}
