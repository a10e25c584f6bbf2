"""Training throughput of Songsketch's networks in PyTorch (Python), for comparison with
`songsketch bench train`: the same shape (embedding -> LSTM -> linear, or the bar-aware
Transformer: token + bar + beat embeddings -> pre-norm blocks of causal attention and a GELU
feed-forward -> layer norm -> linear), the same random batches, forward + cross-entropy +
backward + gradient-norm clipping + Adam step. Prints one JSON line like the Rust bench."""

import argparse
import json
import os
import statistics
import sys
import time

if os.environ.get("SONGSKETCH_LAZY_TORCH"):
    # See bench/train_compare.sh: CUDA libraries are empty stand-ins, bound lazily, never called.
    sys.setdlopenflags(os.RTLD_GLOBAL | os.RTLD_LAZY)

import torch  # noqa: E402
from torch import nn


class Net(nn.Module):
    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        out, _ = self.lstm(self.drop(self.embed(x)))
        return self.head(self.drop(out))


BAR_SLOTS, BEAT_SLOTS = 34, 97


class Block(nn.Module):
    def __init__(self, width, ff, heads, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc1, self.fc2 = nn.Linear(width, ff), nn.Linear(ff, width)
        self.drop = nn.Dropout(dropout)

    def forward(self, h):
        b, t, d = h.shape
        qkv = self.qkv(self.ln1(h)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = nn.functional.scaled_dot_product_attention(
            qkv[0], qkv[1], qkv[2], dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        h = h + self.drop(self.proj(att.transpose(1, 2).reshape(b, t, d)))
        return h + self.drop(self.fc2(nn.functional.gelu(self.fc1(self.ln2(h)), approximate="tanh")))


class Transformer(nn.Module):
    def __init__(self, vocab, width, ff, layers, heads, dropout):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.bar, self.beat = nn.Embedding(BAR_SLOTS, width), nn.Embedding(BEAT_SLOTS, width)
        self.blocks = nn.ModuleList(Block(width, ff, heads, dropout) for _ in range(layers))
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bars, beats):
        h = self.drop(self.tok(x) + self.bar(bars) + self.beat(beats))
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--embed", type=int, default=96)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--arch", choices=["lstm", "transformer"], default="lstm")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.arch == "transformer":
        net = Transformer(a.vocab, a.embed, a.hidden, a.layers, a.heads, a.dropout)
    else:
        net = Net(a.vocab, a.embed, a.hidden, a.layers, a.dropout)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    times = []
    for step in range(a.warmup + a.steps):
        x = torch.randint(a.vocab, (a.batch_size, a.seq_len))
        y = torch.randint(a.vocab, (a.batch_size, a.seq_len))
        bars = torch.randint(BAR_SLOTS, (a.batch_size, a.seq_len))
        beats = torch.randint(BEAT_SLOTS, (a.batch_size, a.seq_len))
        start = time.perf_counter()
        logits = net(x, bars, beats) if a.arch == "transformer" else net(x)
        loss = loss_fn(logits.view(-1, a.vocab), y.view(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        loss.item()
        if step >= a.warmup:
            times.append(time.perf_counter() - start)
    per_step = statistics.median(times)
    print(json.dumps({
        "impl": "pytorch " + torch.__version__, "arch": a.arch,
        "tokens_per_second": round(a.batch_size * a.seq_len / per_step, 1),
        "ms_per_step": round(per_step * 1000, 2),
        "threads": torch.get_num_threads(),
        "embed": a.embed, "hidden": a.hidden, "layers": a.layers, "heads": a.heads, "vocab": a.vocab,
        "batch": a.batch_size, "seq_len": a.seq_len,
    }))


if __name__ == "__main__":
    main()
