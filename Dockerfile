# secretdeck in an image, for a manager node that has Docker and nothing else:
#
#   docker run --rm -it -v /var/run/docker.sock:/var/run/docker.sock secretdeck status
#
# Built from the static linux binary of the release build, with the folder
# that holds it as the context (nothing is pulled; the legacy builder will do):
#
#   scripts/goreleaser release --snapshot --clean --skip=publish
#   docker build -t secretdeck -f Dockerfile dist/secretdeck_linux_amd64_v1
#
# FROM scratch: the binary is static (CGO_ENABLED=0) and carries root
# certificates for S3 over HTTPS; there is no shell nor anything else to patch.
FROM scratch
LABEL org.opencontainers.image.title="secretdeck" \
      org.opencontainers.image.description="A terminal workbench for the secrets of a Docker Swarm" \
      org.opencontainers.image.source="https://github.com/secretdeck/secretdeck" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY secretdeck /secretdeck
# The audit log (apply, reveal) is written under /state: mount a volume there
# to keep it (-v secretdeck-state:/state).
ENV XDG_STATE_HOME=/state
# No USER: secretdeck runs as root in the container. Its work is the Docker
# socket, which only root (and the host's docker group, whose id differs from
# host to host) may open; a non-root user could not use it, and whoever holds
# that socket is root on the host anyway, so another user would protect nothing.
ENTRYPOINT ["/secretdeck"]
