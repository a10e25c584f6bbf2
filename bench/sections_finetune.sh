#!/usr/bin/env bash
# What inferred sections bring to a fine-tune on a folder of unmarked songs: the default model is
# fine-tuned twice on the same POP909 MIDI files (which carry no section markers), once with
# their verse/chorus inferred from the music and once with each song as one section
# (`--no-inferred-sections`), for the same number of epochs; then `songsketch eval` compares the ideas
# of each (priors at 0, so the form is the network's own) with the real validation songs. A third
# fine-tune, on copies given a 4/4 signature, shows what the bar lines found from the music bring.
# Usage: bench/sections_finetune.sh [songsketch binary]   (env: SONGS, EPOCHS, IDEAS, WORK, FROM:
# the model fine-tuned, models/default unless set)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/songsketch}"
songs="${SONGS:-80}"; epochs="${EPOCHS:-3}"; ideas="${IDEAS:-100}"
from="${FROM:-$here/models/default}"
work="${WORK:-$(mktemp -d)}"
pop909="$here/../shared/datasets/pop909"
mkdir -p "$work/songs" "$work/songs-file-grid"
# The last $songs POP909 songs, as their MIDI files. They carry a one-beat `1/4` signature (no
# meter), so the importer finds the meter and the bar lines from the music. A second copy
# is given a 4/4 signature (mido, from .deps/venv), which the importer trusts: its bar lines
# are then the file's own grid, as before the downbeat estimation (most of them off the
# music's downbeats).
for dir in $(ls -d "$pop909"/[0-9]* | sort | tail -n "$songs"); do
  cp "$dir/$(basename "$dir").mid" "$work/songs/"
  cp "$dir/$(basename "$dir").mid" "$work/songs-file-grid/"
done
"$here/.deps/venv/bin/python" - "$work/songs-file-grid" <<'PY'
import glob, sys, mido
for path in glob.glob(f"{sys.argv[1]}/*.mid"):
    song = mido.MidiFile(path)
    for track in song.tracks:
        for message in track:
            if message.type == "time_signature":
                message.numerator, message.denominator = 4, 4
    song.save(path)
PY
for mode in inferred one-section file-grid; do
  flag=(); folder="$work/songs"
  [ "$mode" = one-section ] && flag=(--no-inferred-sections)
  [ "$mode" = file-grid ] && folder="$work/songs-file-grid"
  if [ ! -f "$work/$mode/model.json" ]; then
    "$bin" train --songs "$folder" --out "$work/$mode" --from "$from" \
      --epochs "$epochs" --seed 1 "${flag[@]}" 2> "$work/$mode.train.log" || { tail "$work/$mode.train.log"; exit 1; }
  fi
  "$bin" eval --model "$work/$mode" --songs "$pop909" --ideas "$ideas" --phrase-return 0 --chorus-lift 0 \
    --skip-likelihood --realness --json > "$work/$mode.eval.json"
done
"$bin" eval --model "$from" --songs "$pop909" --ideas "$ideas" --phrase-return 0 --chorus-lift 0 \
  --skip-likelihood --realness --json > "$work/base.eval.json"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
rows = [("default model, no fine-tune", "base"), ("fine-tuned, sections inferred", "inferred"),
        ("fine-tuned, one section per song", "one-section"),
        ("fine-tuned, inferred, file's grid", "file-grid")]
print(f"{'':34} chorus − verse   realness")
for name, file in rows:
    data = json.load(open(f"{work}/{file}.eval.json"))
    lift = data["generated"]["metrics"]["chorus_minus_verse_pitch"]
    acc = data["realness"]["model_vs_real"]
    real = data["real"]["metrics"]["chorus_minus_verse_pitch"]
    print(f"{name:34} {lift:+6.2f}          {acc['accuracy']:.3f} ± {acc['std']:.3f}")
print(f"{'real validation songs':34} {real:+6.2f}")
PY
echo "files in $work"
