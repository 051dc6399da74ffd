# Conveniences; the scripts are the source of truth (see the README).
.PHONY: build demo test unit rig rig-down release-check

build:
	go build -o bin/secretdeck .

demo:
	scripts/demo

test:
	scripts/test

unit:
	go test ./...

rig:
	scripts/testenv up >/dev/null

rig-down:
	scripts/testenv down

# goreleaser v2.15.1, installed by the script when missing.
release-check:
	scripts/goreleaser check && scripts/goreleaser build --snapshot --clean
