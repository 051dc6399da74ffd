#!/usr/bin/env bash
# bench/tui-bytes.sh — bytes the workbench sends the terminal per cursor
# move, on what `bench/scale.sh --keep` left (10,000 secrets), at 120×40:
# what a key press costs over SSH.
#
#   bench/tui-bytes.sh [moves] [BIN]     (default 40 moves of bin/secretdeck)
#
# The workbench runs in tmux under script(1), which records every byte it
# writes; the file is removed at the end. The screen never shows a value
# (nothing is revealed), so neither does the record.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
moves=${1:-40}
bin=${2:-}
[ -n "$bin" ] || { go build -o bin/secretdeck .; bin=bin/secretdeck; }
command -v script >/dev/null || die "script(1) is needed (Debian: bsdutils)"
use_rig env
sock=secretdeck-tui-bytes-$$
state=$(mktemp -d)
# script(1) outlives its tmux server: the workbench is stopped by its pid.
trap '[ ! -s "$state/pid" ] || kill "$(cat "$state/pid")" 2>/dev/null; tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$state"' EXIT
record=$state/typescript
tmux -L "$sock" new-session -d -s b -x 120 -y 40 \
  "script -q -f -c 'echo \$\$ >$state/pid; exec env XDG_STATE_HOME=$state $bin --source s3://secretdeck-scale --env prod' $record"
until tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -qE "Drift [0-9]+"; do sleep 0.05; done
settle() { # until the record stops growing
  local last=-1 now
  while now=$(stat -c %s "$record"); [ "$now" != "$last" ]; do last=$now; sleep 0.3; done
}
settle
before=$(stat -c %s "$record")
for _ in $(seq "$moves"); do tmux -L "$sock" send-keys -t b Down; sleep 0.05; done
settle
after=$(stat -c %s "$record")
echo "bench/tui-bytes.sh: $moves cursor moves at 120x40 on 10,000 secrets: $(( (after - before) / moves )) bytes per move ($(( after - before )) in all)"
