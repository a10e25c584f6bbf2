#!/usr/bin/env bash
# Training throughput, side by side in one run: Songsketch (tch/libtorch) and the same network,
# batch and optimizer in PyTorch (Python). Usage: bench/train_compare.sh [songsketch binary]
# The PyTorch side runs in a venv (CPU wheel of the same torch version as the libtorch used),
# created on first use in $BENCH_VENV (default /tmp/torchbench-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/songsketch}"
venv="${BENCH_VENV:-/tmp/torchbench-venv}"
threads="${THREADS:-2}"
batch="${BATCH:-32}"; seq="${SEQ:-256}"; steps="${STEPS:-10}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
fi
for round in 1 2; do
  rust=$("$bin" bench train --json --threads "$threads" --batch-size "$batch" --seq-len "$seq" --steps "$steps")
  echo "$rust"
  vocab=$(echo "$rust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vocab"])')
  embed=$(echo "$rust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["embed"])')
  hidden=$(echo "$rust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hidden"])')
  layers=$(echo "$rust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"])')
  "$venv/bin/python" "$here/bench/train_compare.py" --vocab "$vocab" --embed "$embed" --hidden "$hidden" \
    --layers "$layers" --batch-size "$batch" --seq-len "$seq" --steps "$steps" --threads "$threads"
done
