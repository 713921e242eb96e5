// Package tests is the end-to-end suite of caddy-pinauth: it builds the
// Caddy binary of ./cmd/caddy once, starts it as a child process from a
// Caddyfile written per test, and talks to it over real HTTP on loopback,
// with a recording upstream behind reverse_proxy. It has no non-test code
// besides this comment.
package tests
