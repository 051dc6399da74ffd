#!/usr/bin/env bash
# bench/tui-start.sh — time from starting the TUI to its first full screen
# (the "loaded at" status) against the demo rig, in a real terminal (tmux).
#
#   bench/tui-start.sh [runs] [WIDTHxHEIGHT]     (default 5 runs, 80x24)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
runs=${1:-5}; size=${2:-80x24}
scripts/demo status >/dev/null 2>&1    # rig up, demo seeded, bin/secretdeck built
# Credentials through the environment the tmux server inherits, never argv.
use_rig env
sock=secretdeck-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true' EXIT
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  tmux -L "$sock" new-session -d -s b -x "${size%x*}" -y "${size#*x}" \
    "bin/secretdeck --source s3://secretdeck-demo --env prod"
  until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -q "loaded at"; do sleep 0.01; done
  t1=$(date +%s%N)
  echo "run $i: first full screen after $(( (t1 - t0) / 1000000 )) ms"
  tmux -L "$sock" kill-session -t b
done
