#!/usr/bin/env bash
# bench/drift.sh — end-to-end time of `secretdeck drift` on a seeded rig,
# next to the plain docker CLI answering ONE of its questions (who uses a
# secret: inspect every service).
#
#   bench/drift.sh [runs]     (default 5 runs; seeds 1,000 secrets, 300 services, 300 files)
#   bench/drift.sh cleanup    (removes what an interrupted run left)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
use_rig up
seed() { go run ./bench/seed -host "$DOCKER_HOST" -s3-endpoint "$AWS_ENDPOINT_URL_S3" -image "$SECRETDECK_TEST_IMAGE" "$@"; }
if [ "${1:-}" = cleanup ]; then seed -cleanup; exit; fi
runs=${1:-5}

seed
trap 'seed -cleanup' EXIT # leave the rig as it was (the demo shares it)
go build -o bin/secretdeck .

# median_ms CMD...: the median wall time of $runs runs, in milliseconds.
median_ms() {
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
who_uses() { docker service ls -q | xargs docker service inspect; }

secrets=$(docker secret ls -q | wc -l); services=$(docker service ls -q | wc -l)
echo "swarm: $secrets secrets, $services services; source: s3://secretdeck-bench (300 files); $runs runs, median"
echo "secretdeck drift (load swarm + S3, every finding):   $(median_ms bin/secretdeck drift --source s3://secretdeck-bench --env prod --json) ms"
echo "secretdeck status --json:                             $(median_ms bin/secretdeck status --json) ms"
echo "docker service ls -q | xargs docker service inspect:  $(median_ms who_uses) ms   (answers only: who uses a secret)"
