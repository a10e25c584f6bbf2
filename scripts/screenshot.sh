#!/usr/bin/env bash
# Takes a picture of the release binary's window under Xvfb, the way a composer first sees it:
# builds `songsketch --release`, starts it with a fresh data folder on a virtual 1280x720
# screen, presses N for an idea, K to keep it, N for the next, drags across bars 5–6 of the
# bar ruler to select them, and saves the screen with ImageMagick's `import`.
#
#   scripts/screenshot.sh [out.png]        (default: docs/screenshots/release.png)
#   PROFILE=debug scripts/screenshot.sh    (the debug binary: quicker to build, same window)
#
# Needs: xvfb (Xvfb), imagemagick (import), xdotool. The window shows whatever this build
# can do: with a model an idea on the roll, without one the status line saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshots/release.png}"
mkdir -p "$(dirname "$out")"
: "${LIBTORCH:=$PWD/.deps/torch-2.13.0/torch}"
export LIBTORCH LIBTORCH_CXX11_ABI=1
profile="${PROFILE:-release}"
if [ "$profile" = release ]; then
    cargo build --release --bin songsketch
else
    cargo build --bin songsketch
fi
binary="./target/$profile/songsketch"

# shellcheck source=lib/xvfb-session.sh
source scripts/lib/xvfb-session.sh

SONGSKETCH_DATA_DIR="$data" "$binary" &
app_pid=$!
window=""
for _ in $(seq 100); do
    window="$(xdotool search --name '^Songsketch$' 2>/dev/null | head -n1 || true)"
    [ -n "$window" ] && break
    sleep 0.1
done
[ -n "$window" ] || { echo "screenshot: the window did not appear" >&2; exit 1; }
xdotool windowmove "$window" 0 0 windowsize "$window" 1280 720 windowfocus "$window" 2>/dev/null || true
sleep 3
# An idea, kept (so the library shows one), then the next idea on the roll.
# Without a window manager winit's window never gets the keyboard focus, so the buttons are
# clicked where the top bar puts them: Next idea, then Keep, then Next idea again.
next_idea=(mousemove 40 16 click 1)
keep=(mousemove 216 16 click 1)
xdotool "${next_idea[@]}" || true
sleep 4
xdotool "${keep[@]}" || true
sleep 1
xdotool "${next_idea[@]}" mousemove 640 700 || true
sleep 4
# Bars 5–6 selected: a drag along the section band from the middle of bar 5 to that of bar 6
# (16 bars across the roll's 923 points from x = 55; the band is at y = 187, under the three
# rows of the idea bar and the two of redo and edit controls).
xdotool mousemove 315 187 mousedown 1 sleep 0.2 mousemove 335 187 sleep 0.2 mousemove 355 187 \
    sleep 0.2 mousemove 373 187 sleep 0.2 mouseup 1 mousemove 640 700 || true
sleep 1
import -window root "$out"
echo "screenshot: saved $out"
