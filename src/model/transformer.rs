//! The second-generation network in libtorch: a decoder-only Transformer (pre-norm blocks of
//! causal multi-head attention and a GELU feed-forward), whose input is the sum of the token's
//! embedding and the embeddings of its bar-in-section and beat slots ([`super::positions`]).
//! There is no token-index embedding: order comes from the causal mask, musical place from the
//! slots, so a head can look "four bars back on this beat" by content.
//!
//! The same weights run step by step, with cached keys and values, in [`super::infer`].

use tch::Tensor;
use tch::nn::{self, Module};

use super::netconfig::{NetInput, NetworkConfig};
use super::positions::{BAR_SLOTS, BEAT_SLOTS};

/// Layer-norm epsilon, shared with the plain-Rust inference.
pub const LAYER_NORM_EPS: f64 = 1e-5;

#[derive(Debug)]
struct Block {
    ln1: nn::LayerNorm,
    qkv: nn::Linear,
    proj: nn::Linear,
    ln2: nn::LayerNorm,
    fc1: nn::Linear,
    fc2: nn::Linear,
}

/// The Transformer's layers.
#[derive(Debug)]
pub struct Transformer {
    tok: nn::Embedding,
    bar: nn::Embedding,
    beat: nn::Embedding,
    blocks: Vec<Block>,
    norm: nn::LayerNorm,
    head: nn::Linear,
    heads: i64,
}

fn layer_norm(path: nn::Path, width: i64) -> nn::LayerNorm {
    let config = nn::LayerNormConfig {
        eps: LAYER_NORM_EPS,
        ..Default::default()
    };
    nn::layer_norm(path, vec![width], config)
}

impl Transformer {
    pub fn new(root: &nn::Path, config: &NetworkConfig) -> Transformer {
        let (v, d, f) = (
            config.vocab_size as i64,
            config.embed as i64,
            config.hidden as i64,
        );
        let small = nn::EmbeddingConfig {
            ws_init: nn::Init::Randn {
                mean: 0.0,
                stdev: 0.02,
            },
            ..Default::default()
        };
        let tok = nn::embedding(root / "tok", v, d, small);
        let bar = nn::embedding(root / "bar", BAR_SLOTS as i64, d, small);
        let beat = nn::embedding(root / "beat", BEAT_SLOTS as i64, d, small);
        let blocks = (0..config.layers)
            .map(|i| {
                let p = root / "blocks" / i;
                Block {
                    ln1: layer_norm(&p / "ln1", d),
                    qkv: nn::linear(&p / "qkv", d, 3 * d, Default::default()),
                    proj: nn::linear(&p / "proj", d, d, Default::default()),
                    ln2: layer_norm(&p / "ln2", d),
                    fc1: nn::linear(&p / "fc1", d, f, Default::default()),
                    fc2: nn::linear(&p / "fc2", f, d, Default::default()),
                }
            })
            .collect();
        Transformer {
            tok,
            bar,
            beat,
            blocks,
            norm: layer_norm(root / "norm", d),
            head: nn::linear(root / "head", d, v, Default::default()),
            heads: config.heads as i64,
        }
    }

    /// Logits `[batch, time, vocab]`; `p` is the dropout rate (0 when not training).
    pub fn forward(&self, input: &NetInput, p: f64, train: bool) -> Tensor {
        let mut h = (self.tok.forward(&input.tokens)
            + self.bar.forward(&input.bars)
            + self.beat.forward(&input.beats))
        .dropout(p, train);
        for block in &self.blocks {
            h = &h + block.attend(&h, self.heads, p, train);
            h = &h + block.feed_forward(&h, p, train);
        }
        self.head.forward(&self.norm.forward(&h))
    }
}

impl Block {
    fn attend(&self, h: &Tensor, heads: i64, p: f64, train: bool) -> Tensor {
        let (b, t, d) = h.size3().expect("[batch, time, width]");
        let qkv = self
            .qkv
            .forward(&self.ln1.forward(h))
            .view([b, t, 3, heads, d / heads])
            .permute([2, 0, 3, 1, 4]);
        let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
        let attention = Tensor::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            None::<Tensor>,
            if train { p } else { 0.0 },
            true,
            None,
            false,
        );
        let merged = attention.transpose(1, 2).contiguous().view([b, t, d]);
        self.proj.forward(&merged).dropout(p, train)
    }

    fn feed_forward(&self, h: &Tensor, p: f64, train: bool) -> Tensor {
        let x = self.fc1.forward(&self.ln2.forward(h)).gelu("tanh");
        self.fc2.forward(&x).dropout(p, train)
    }
}
