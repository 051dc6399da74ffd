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

release-check:
	goreleaser check && goreleaser build --snapshot --clean
