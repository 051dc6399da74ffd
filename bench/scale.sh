#!/usr/bin/env bash
# bench/scale.sh — secretdeck at the size of issue 15, next to the docker CLI
# and the API floor, IN ONE RUN (the commands take turns, so a change in the
# machine's load hits them alike), as medians and ratios.
#
#   bench/scale.sh [--small] [--runs N] [--delay D] [--keep] [--seeded] [--baseline BIN]
#   bench/scale.sh cleanup     (removes what an interrupted run left, or --keep kept)
#
# --keep leaves the seeded swarm and files in the rig at the end, and
# --seeded measures what a --keep run left instead of seeding again (the
# seed is most of a run's time on 2 cores). --baseline BIN measures another
# build's drift and version in the same turns (e.g. the main branch's), for
# before/after figures from one run.
#
# Seeds the rig with 10,000 secrets, 1,000 services (10 of them running one
# task) and 1,000 property files (about 25 s on 2 cores; --small: 1,000 /
# 300 / 300), puts a proxy that holds every S3 request for D (default 30ms,
# bench/latency) in front of the rig's S3 server, and measures N runs
# (default 5) of:
#
#   inspect  secretdeck inspect secret X --json (X is mounted by a running service)
#   floor    the fewest API calls that answer it (bench/floor)
#   docker   docker service ls -q | xargs docker service inspect
#   drift    secretdeck drift --json, on the S3 server itself and behind the proxy
#   drift's floor   the engine's lists and every file read, nothing parsed (bench/floor -bucket)
#   version  secretdeck version (process start)
#
# It uses the rig scripts/testenv starts, honouring its SECRETDECK_TESTENV_*
# variables (a rig of your own: a directory and free ports), and removes
# what it seeded at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

secrets=10000 services=1000 running=10 runs=5 delay=30ms cleanup=false keep=false seeded=false baseline=
while [ $# -gt 0 ]; do
  case $1 in
    --small) secrets=1000 services=300 ;;
    --runs) runs=$2; shift ;;
    --delay) delay=$2; shift ;;
    --keep) keep=true ;;
    --seeded) seeded=true keep=true ;;
    --baseline) baseline=$(realpath "$2"); shift ;;
    cleanup) cleanup=true ;;
    *) echo "usage: bench/scale.sh [--small] [--runs N] [--delay 30ms] [--keep] [--seeded] | cleanup" >&2; exit 2 ;;
  esac
  shift
done

use_rig up
bucket=secretdeck-scale prefix=scale_
seed() { go run ./bench/seed -host "$DOCKER_HOST" -s3-endpoint "$AWS_ENDPOINT_URL_S3" -image "$SECRETDECK_TEST_IMAGE" \
  -bucket "$bucket" -prefix "$prefix" "$@"; }
if $cleanup; then seed -cleanup; exit; fi

tmp=$(mktemp -d)
proxy_pid=
finish() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  $keep || seed -cleanup || echo "bench/scale.sh: cleanup failed: run bench/scale.sh cleanup" >&2
  rm -rf "$tmp"
}
trap finish EXIT
go build -o bin/secretdeck .
for tool in floor latency rusage; do go build -o "$tmp/$tool" "./bench/$tool"; done
$seeded || seed -secrets "$secrets" -services "$services" -running "$running"

"$tmp/latency" -upstream "$AWS_ENDPOINT_URL_S3" -delay "$delay" >"$tmp/latency.addr" 2>"$tmp/latency.log" &
proxy_pid=$!
until [ -s "$tmp/latency.addr" ]; do sleep 0.05; done
slow_s3=$(head -1 "$tmp/latency.addr")

asked=${prefix}secret_0000 # mounted by ${prefix}service_0000, which runs a task
# Wait for the running services' tasks, so every run sees the same swarm.
until [ "$(docker service ls --filter "name=${prefix}service" --format '{{.Replicas}}' | grep -c '^1/1')" -ge "$running" ]; do sleep 0.5; done

declare -A cmd
cmd[inspect]="bin/secretdeck inspect secret $asked --json"
cmd[floor]="$tmp/floor -host $DOCKER_HOST -secret $asked"
cmd[docker]="bash -c 'docker service ls -q | xargs docker service inspect'"
cmd[drift]="bin/secretdeck drift --source s3://$bucket --env prod --json"
cmd[drift_slow]="env AWS_ENDPOINT_URL_S3=$slow_s3 bin/secretdeck drift --source s3://$bucket --env prod --json"
cmd[drift_floor]="$tmp/floor -host $DOCKER_HOST -bucket $bucket -s3-endpoint $AWS_ENDPOINT_URL_S3"
cmd[drift_floor_slow]="$tmp/floor -host $DOCKER_HOST -bucket $bucket -s3-endpoint $slow_s3"
cmd[version]="bin/secretdeck version"
order=(inspect floor docker drift drift_floor drift_slow drift_floor_slow version)
if [ -n "$baseline" ]; then
  cmd[base_drift]="$baseline drift --source s3://$bucket --env prod --json"
  cmd[base_drift_slow]="env AWS_ENDPOINT_URL_S3=$slow_s3 $baseline drift --source s3://$bucket --env prod --json"
  cmd[base_version]="$baseline version"
  order+=(base_drift base_drift_slow base_version)
fi

# Each run runs every command once, in turn, starting one further each run
# (what follows a heavy drift is not always inspect); rusage prints
# "wall_ms rss_kb".
for name in "${order[@]}"; do eval "${cmd[$name]}" >/dev/null 2>&1 || true; done # warm caches
mkdir "$tmp/runs"
load_before=$(cut -d' ' -f1 /proc/loadavg)
for run in $(seq "$runs"); do
  for k in "${!order[@]}"; do
    name=${order[$(( (k + run) % ${#order[@]} ))]}
    eval "\"$tmp/rusage\" -- ${cmd[$name]}" >>"$tmp/runs/$name"
  done
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true
proxy_pid=

median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; } # of one number per line
ms() { cut -d' ' -f1 "$tmp/runs/$1" | median; }
mb() { cut -d' ' -f2 "$tmp/runs/$1" | median | awk '{printf "%.0f", $1 / 1024}'; }
cpu() { cut -d' ' -f3 "$tmp/runs/$1" | median; }
spread() { cut -d' ' -f1 "$tmp/runs/$1" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f–%.0f", lo, hi}'; } # min–max ms
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

have_secrets=$(docker secret ls -q | wc -l) have_services=$(docker service ls -q | wc -l)
echo "bench/scale.sh, $(date -u +%Y-%m-%d), $(nproc) cores, load average $load_before → $load_after"
echo "swarm: $have_secrets secrets, $have_services services ($running running); source: $services property files; S3 proxy: +$delay per request"
echo "$runs runs of each, in turn; medians, and the least and most ms of the runs (a wide range: a noisy machine)"
echo
printf '%-58s %8s %8s %12s\n' "" "ms" "MB" "range ms"
printf '%-58s %8s %8s %12s\n' "secretdeck inspect secret X --json" "$(ms inspect)" "$(mb inspect)" "$(spread inspect)"
printf '%-58s %8s %8s %12s\n' "API floor for it (bench/floor)" "$(ms floor)" "$(mb floor)" "$(spread floor)"
printf '%-58s %8s %8s %12s\n' "docker service ls -q | xargs docker service inspect" "$(ms docker)" "" "$(spread docker)"
printf '%-58s %8s %8s %12s   CPU %s ms\n' "secretdeck drift --json (S3 on loopback)" "$(ms drift)" "$(mb drift)" "$(spread drift)" "$(cpu drift)"
printf '%-58s %8s %8s %12s   CPU %s ms\n' "API floor for it (bench/floor -bucket)" "$(ms drift_floor)" "$(mb drift_floor)" "$(spread drift_floor)" "$(cpu drift_floor)"
printf '%-58s %8s %8s %12s\n' "secretdeck drift --json (S3 +$delay per request)" "$(ms drift_slow)" "$(mb drift_slow)" "$(spread drift_slow)"
printf '%-58s %8s %8s %12s\n' "API floor for it (bench/floor -bucket)" "$(ms drift_floor_slow)" "$(mb drift_floor_slow)" "$(spread drift_floor_slow)"
printf '%-58s %8s %8s %12s   CPU %s ms\n' "secretdeck version" "$(ms version)" "$(mb version)" "$(spread version)" "$(cpu version)"
if [ -n "$baseline" ]; then
  printf '%-58s %8s %8s %12s   CPU %s ms\n' "baseline drift --json (S3 on loopback)" "$(ms base_drift)" "$(mb base_drift)" "$(spread base_drift)" "$(cpu base_drift)"
  printf '%-58s %8s %8s %12s\n' "baseline drift --json (S3 +$delay per request)" "$(ms base_drift_slow)" "$(mb base_drift_slow)" "$(spread base_drift_slow)"
  printf '%-58s %8s %8s %12s   CPU %s ms\n' "baseline version" "$(ms base_version)" "$(mb base_version)" "$(spread base_version)" "$(cpu base_version)"
fi
echo
echo "inspect vs the API floor:    $(ratio "$(ms inspect)" "$(ms floor)")× the floor (target ≤ 1.5×)"
echo "inspect vs the docker CLI:   $(ratio "$(ms docker)" "$(ms inspect)")× faster (target ≥ 10×)"
echo "drift on loopback S3:        $(ms drift) ms (target ≤ 500 ms), $(ratio "$(ms drift)" "$(ms drift_floor)")× the floor, peak RSS $(mb drift) MB"
echo "drift, S3 +$delay per request: $(ms drift_slow) ms, $(ratio "$(ms drift_slow)" "$(ms drift_floor_slow)")× the floor"
sed 's/^latency: /S3 proxy: /' "$tmp/latency.log"
