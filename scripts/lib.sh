# shellcheck shell=bash
# Shared by scripts/demo, scripts/test and bench/*.sh: find Go, or say how
# to get it.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi
if ! command -v go >/dev/null; then
  echo "secretdeck: Go 1.26 or newer is needed (install it to /usr/local/go), then run this again" >&2
  exit 1
fi

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# use_rig up|env: the rig scripts/testenv starts (up) or is running (env),
# for what follows: its settings, and DOCKER_HOST and the AWS SDK's
# variables pointing at its engine and S3 server (credentials through the
# environment, never argv).
use_rig() {
  eval "$(scripts/testenv "$1")"
  export DOCKER_HOST=$SECRETDECK_TEST_DOCKER_HOST AWS_ENDPOINT_URL_S3=$SECRETDECK_TEST_S3_ENDPOINT AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=$SECRETDECK_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRETDECK_TEST_S3_SECRET_KEY
}
