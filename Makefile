# Conveniences; the scripts are the source of truth (see the README).
.PHONY: build demo test unit rig rig-down package release-check

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

# The release into dist/ (archives, .deb, .rpm, checksums), then checks of
# what a user installs from it, the image included.
package:
	scripts/package-test

release-check:
	scripts/goreleaser check && scripts/goreleaser build --snapshot --clean
