# Shared by scripts/demo and scripts/test: find Go, or say how to get it.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi
if ! command -v go >/dev/null; then
  echo "secretdeck: Go 1.26 or newer is needed (install it to /usr/local/go), then run this again" >&2
  exit 1
fi
