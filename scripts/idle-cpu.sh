#!/usr/bin/env bash
# Measures how much CPU the window uses while nothing happens: starts the release binary with a
# fresh data folder on a virtual screen, waits until the worker has loaded the model and filled
# its queue of ideas, then reads the process's CPU time (user + system, /proc/PID/stat) over a
# quiet interval, once before and once after an idea was shown (nothing playing). Set
# AFTER_IDEA_WAIT to more than the idea's length where it can play.
#
#   scripts/idle-cpu.sh [seconds]      (default 10)
#
# Needs: xvfb (Xvfb), xdotool. Prints the CPU share of one core for each interval.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
binary=./target/release/songsketch
[ -x "$binary" ] || { echo "idle-cpu: build first: cargo build --release" >&2; exit 1; }

# shellcheck source=lib/xvfb-session.sh
source scripts/lib/xvfb-session.sh

SONGSKETCH_DATA_DIR="$data" "$binary" 2>/dev/null &
app_pid=$!
ticks_per_second="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$app_pid/stat"; }
measure() {
    local before after
    before="$(cpu_ticks)"
    sleep "$seconds"
    after="$(cpu_ticks)"
    awk -v t="$((after - before))" -v hz="$ticks_per_second" -v s="$seconds" \
        'BEGIN { printf "%.2f%% of one core (%.2f s of CPU in %d s)\n", 100 * t / hz / s, t / hz, s }'
}

sleep 8 # the model loads and the worker fills its queue of ideas
echo -n "idle, empty roll:      "
measure
# Next idea (the button, left in the top bar). A new idea starts playing; on a machine without a
# sound card nothing can play, so the window is idle again at once. Elsewhere, wait it out.
xdotool mousemove 40 16 click 1 mousemove 640 40
sleep "${AFTER_IDEA_WAIT:-3}"
echo -n "idle, idea on the roll: "
measure
awk -v hz="$ticks_per_second" '{ printf "whole run so far:       %.2f s of CPU (start-up, model load, ideas)\n", ($14 + $15) / hz }' "/proc/$app_pid/stat"
