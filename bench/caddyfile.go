package main

import (
	"fmt"
	"strings"
)

// The bench tenant and its secrets. They reach Caddy through environment
// placeholders, so the Caddyfile printed in BENCHMARKS.md holds none.
const (
	benchTenant  = "bench"
	benchIssuer  = "https://bench.invalid"
	benchPIN     = "4821"
	benchPass    = "bench password 4821"
	basicUser    = "bench"
	appPath      = "/app/data"
	cacheSizeMiB = 64
)

// siteSpec is one site of a bench Caddyfile.
type siteSpec struct {
	port int
	body string
}

// caddyfileFor builds a Caddyfile from sites: automatic HTTPS off, every
// site bound to loopback, the admin API off unless adminPort is set (then
// on loopback, for /debug/pprof and /debug/vars).
func caddyfileFor(adminPort int, sites []siteSpec) string {
	var b strings.Builder
	admin := "off"
	if adminPort != 0 {
		admin = fmt.Sprintf("127.0.0.1:%d", adminPort)
	}
	fmt.Fprintf(&b, "{\n\tadmin %s\n\tauto_https off\n\tpersist_config off\n}\n", admin)
	for _, s := range sites {
		fmt.Fprintf(&b, "\n:%d {\n\tbind 127.0.0.1\n", s.port)
		for _, line := range strings.Split(strings.TrimRight(s.body, "\n"), "\n") {
			b.WriteString("\t" + line + "\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// proxySite is the baseline: reverse_proxy alone.
func proxySite(upstream int) string {
	return fmt.Sprintf("reverse_proxy 127.0.0.1:%d\n", upstream)
}

// headersSite is the baseline forwarding, with header_up, the identity
// headers pin_auth sets for the warm token's account (same names, same
// values): what the gate costs can then be told from what six more
// request headers cost reverse_proxy and the upstream.
func headersSite(upstream int) string {
	return fmt.Sprintf(`reverse_proxy 127.0.0.1:%d {
	header_up X-Auth-Uid %s
	header_up X-Auth-Tenant %s
	header_up X-Auth-Email %s
	header_up X-Auth-Name "%s"
	header_up X-Auth-Roles %s
	header_up X-Auth-Session %s
}
`, upstream, uidOf(0), benchTenant, emailOf(0), benchName, benchRole, sidOf(0))
}

// pinAuthSite is pin_auth in front of reverse_proxy, on the store named by
// storeArgs ("sqlite <path>" or "postgres <dsn>"), with the default hash
// cost, the operator signing key in keyFile, a cache budget of
// cacheSizeMiB and no per-IP login limit in practice.
func pinAuthSite(upstream int, storeArgs, keyFile string) string {
	return fmt.Sprintf(`pin_auth {
	tenant %s {
		api_key {env.BENCH_API_KEY}
		api_secret {env.BENCH_API_SECRET}
	}
	store %s
	pepper {env.BENCH_PEPPER}
	issuer %s
	signing_alg EdDSA
	signing_key {file.%s}
	cache_size %dMiB
	# The lifetime of the tokens the bench mints (mint.go): a gateway
	# serves a token from its claims only within its own access_ttl.
	access_ttl 2h
	# Every request comes from one loopback client: lift the per-IP
	# limit on credential checks so it does not cap the login rounds.
	rate_limit 100000000 1m
}
reverse_proxy 127.0.0.1:%d
`, benchTenant, storeArgs, benchIssuer, keyFile, cacheSizeMiB, upstream)
}

// basicAuthSite is Caddy's basic_auth with an argon2id hash (Caddy's
// default parameters; the Caddyfile turns its hash cache on).
func basicAuthSite(upstream int, hash string) string {
	return fmt.Sprintf("basic_auth argon2id {\n\t%s %s\n}\nreverse_proxy 127.0.0.1:%d\n", basicUser, hash, upstream)
}

// forwardAuthSite asks a local auth endpoint about every request.
func forwardAuthSite(upstream, auth int) string {
	return fmt.Sprintf(`forward_auth 127.0.0.1:%d {
	uri /auth
	copy_headers X-Auth-Uid
}
reverse_proxy 127.0.0.1:%d
`, auth, upstream)
}
