# A minimal image: the static binary that README's build line makes, and
# nothing else (no shell, no package manager). Build the binary first,
# outside the image, then the image:
#
#   CGO_ENABLED=0 go build -o caddy ./cmd/caddy
#   podman build -t caddy-pinauth .        (or docker build)
#
# README (Container) runs it with the example; docs/production.md (6) with
# your own Caddyfile and secrets. tests/container_test.go builds and runs it.
FROM scratch

# A user name for the non-root uid, and /data owned by it.
COPY --chown=0:0 contrib/container/rootfs/etc/ /etc/
COPY --chown=65532:65532 contrib/container/rootfs/data/ /data/
COPY --chmod=0755 caddy /usr/bin/caddy
# The development example as the default config; mount your own Caddyfile
# on /etc/caddy/Caddyfile in production.
COPY Caddyfile.example /etc/caddy/Caddyfile

USER 65532:65532
# Caddy's data directory (certificates, the SQLite store) and its config
# autosave: /data/caddy and /data/config.
ENV HOME=/data XDG_DATA_HOME=/data XDG_CONFIG_HOME=/data/config
# The example binds loopback unless told otherwise; in a container that
# would make it unreachable through a published port (-p forwards to the
# container's own address), so it listens on all of the container's
# addresses and the host decides what to publish.
ENV PINAUTH_BIND=0.0.0.0
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/bin/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
