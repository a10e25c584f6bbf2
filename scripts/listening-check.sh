#!/usr/bin/env bash
# The default model's listening check: writes five ideas (seeds 1..5) with the release binary,
# renders each through FluidSynth (an independent synth) to a WAV, prints how loud each second
# is (sox) so silence shows, and draws each as a piano roll PNG with pretty_midi (another
# program's parser).
#
#   scripts/listening-check.sh [OUT_DIR] [-- extra generate options]   (default /tmp/listening)
#
# Needs: fluidsynth, fluid-soundfont-gm, sox, and the venv's pretty_midi + matplotlib
# (`make loss-plot` installs matplotlib).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/listening}"
shift || true
[ "${1:-}" = "--" ] && shift
binary=./target/release/songsketch
python=.deps/venv/bin/python
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
mkdir -p "$out"
for seed in 1 2 3 4 5; do
    idea="$out/idea-$seed"
    "$binary" generate --seed "$seed" --out "$idea.mid" "$@" | head -n 3
    fluidsynth -ni -q -g 0.7 -r 44100 -F "$idea.wav" "$soundfont" "$idea.mid" 2>/dev/null
    seconds="$(soxi -D "$idea.wav")"
    # RMS level per second, in dB: a run of very low values is silence.
    levels="$(for ((s = 0; s < ${seconds%.*}; s++)); do
        sox "$idea.wav" -n trim "$s" 1 stat 2>&1 |
            awk '/RMS +amplitude/ { v = $3; printf "%d ", (v > 0 ? 20 * log(v) / log(10) : -99) }'
    done)"
    echo "  $idea.wav: ${seconds%.*} s; RMS dB per second: $levels"
    "$python" scripts/plot_roll.py "$idea.mid" "$idea.png" >/dev/null
    echo "  $idea.png"
done
