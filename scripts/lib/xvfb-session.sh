# Sourced by the scripts that run the app under an Xvfb of their own (screenshot.sh,
# idle-cpu.sh): makes a throwaway data folder ($data), starts Xvfb on a free-ish display and
# exports DISPLAY, waits until it answers, and on exit stops the app (set $app_pid once it is
# started), Xvfb, and removes $data. Needs xvfb and x11-utils (xdpyinfo).
data="$(mktemp -d)"
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x720x24 -nolisten tcp &
xvfb_pid=$!
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
    kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT
export DISPLAY="$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
