# A minimal image: the static binary that README's build line makes, and
# nothing else (no shell, no package manager). Build the binary first,
# outside the image, then the image:
#
#   CGO_ENABLED=0 go build -o caddy ./cmd/caddy
#   podman build -t caddy-pinauth .        (or docker build)
#
# See docs/production.md for running it.
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
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/bin/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
