#!/usr/bin/env bash
# Training throughput, side by side in one run: Songsketch (tch → libtorch) and the same network,
# batch and optimizer in PyTorch (Python), both on the same libtorch 2.13 binary from .deps.
# Usage: bench/train_compare.sh [songsketch binary]   (env: THREADS, BATCH, SEQ, STEPS, ROUNDS,
#        ARCH=transformer for the Transformer's default shape instead of the LSTM's)
#
# The torch wheel in .deps is a CUDA build; Python's extension links the CUDA libraries even on
# a CPU-only run. Empty stand-ins for the missing ones are generated in a temporary folder and
# the import binds lazily, so the CPU path runs unchanged (nothing CUDA is ever called).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/songsketch}"
torch_root="$here/.deps/torch-2.13.0"
threads="${THREADS:-2}"; batch="${BATCH:-64}"; seq="${SEQ:-256}"; steps="${STEPS:-6}"; rounds="${ROUNDS:-2}"
stubs="$(mktemp -d)"
trap 'rm -rf "$stubs"' EXIT
echo "" > "$stubs/empty.c"
for lib in $(ldd "$torch_root/torch/lib/libtorch_python.so" "$torch_root/torch/lib/libtorch_cuda.so" \
             | awk '/not found/ {print $1}' | sort -u); do
  gcc -shared -fPIC -o "$stubs/$lib" -Wl,-soname,"$lib" "$stubs/empty.c"
done
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
for round in $(seq "$rounds"); do
  arch_flag=(); [ "${ARCH:-lstm}" = transformer ] && arch_flag=(--transformer)
  rust=$("$bin" bench train --json "${arch_flag[@]}" --threads "$threads" --batch-size "$batch" --seq-len "$seq" --steps "$steps")
  echo "$rust"
  LD_LIBRARY_PATH="$stubs" PYTHONPATH="$torch_root" SONGSKETCH_LAZY_TORCH=1 python3 "$here/bench/train_compare.py" \
    --vocab "$(field "$rust" vocab)" --embed "$(field "$rust" embed)" --hidden "$(field "$rust" hidden)" \
    --layers "$(field "$rust" layers)" --arch "$(field "$rust" arch)" --heads "$(field "$rust" heads)" \
    --dropout "$(field "$rust" dropout)" --batch-size "$batch" --seq-len "$seq" --steps "$steps" --threads "$threads"
done
