#!/usr/bin/env bash
# bench/tui-scale.sh — the workbench at the size of bench/scale.sh, in a real
# terminal (tmux): time to the first screen with swarm rows, time to the
# full screen (the drift counted), and peak RSS (VmHWM) once it is full.
#
#   bench/scale.sh --keep            # once: seeds 10,000 secrets / 1,000 files and keeps them
#   bench/tui-scale.sh [runs] [BIN...]   (default 5 runs of bin/secretdeck; several BINs take turns)
#
# Prints one line per run and binary: "BIN swarm_ms full_ms rss_mb", then
# the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
runs=${1:-5}; shift || true
bins=("$@"); [ ${#bins[@]} -gt 0 ] || { go build -o bin/secretdeck .; bins=(bin/secretdeck); }
# Credentials through the environment the tmux server inherits, never argv.
use_rig env
sock=secretdeck-tui-scale-$$
state=$(mktemp -d)
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$state"' EXIT
out=$(mktemp)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
for run in $(seq "$runs"); do
  for bin in "${bins[@]}"; do
    t0=$(date +%s%N)
    tmux -L "$sock" new-session -d -s b -x 120 -y 40 \
      "env XDG_STATE_HOME=$state $bin --source s3://secretdeck-scale --env prod"
    until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "scale_secret_"; do sleep 0.01; done
    swarm=$(ms)
    until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -qE "Drift [0-9]+"; do sleep 0.01; done
    full=$(ms)
    pid=$(pgrep -n -f "^$bin --source s3://secretdeck-scale")
    rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    tmux -L "$sock" kill-session -t b
    echo "$bin $swarm $full $rss" | tee -a "$out"
  done
done
echo "medians (swarm ms, full ms, peak RSS MB):"
for bin in "${bins[@]}"; do
  printf '%-40s' "$bin"
  for col in 2 3 4; do
    awk -v b="$bin" -v c=$col '$1 == b {print $c}' "$out" | sort -n | awk '{a[NR]=$1} END {printf " %8s", a[int((NR+1)/2)]}'
  done
  echo
done
rm -f "$out"
