#!/usr/bin/env python3
"""Plots a model's training and validation loss per epoch from the loss log in its model.json.

    scripts/plot_loss.py models/default            (writes models/default/loss.png)
    scripts/plot_loss.py MODEL_DIR OUT.png

`make loss-plot` installs matplotlib into the project's venv and runs this for the default model.
"""

import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    model_dir = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else model_dir / "loss.png"
    card = json.loads((model_dir / "model.json").read_text())
    log = card.get("loss_log") or []
    if not log:
        print(f"{model_dir}: the model card has no loss log", file=sys.stderr)
        return 1
    epochs = [entry["epoch"] for entry in log]
    bits = 1 / math.log(2)

    def per_token_bits(key):
        return [entry[key] * bits if entry[key] is not None else math.nan for entry in log]

    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    axes.plot(epochs, per_token_bits("train_loss"), marker="o", label="training")
    axes.plot(epochs, per_token_bits("validation_loss"), marker="o", label="validation")
    best = card["metrics"]["best_epoch"]
    axes.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best})")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy (bits per token)")
    network = card["network"]
    axes.set_title(
        f"{model_dir.name}: {network['layers']}×{network['hidden']} LSTM, "
        f"{card['data']['train_songs']} training songs"
    )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
