package tests

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// runCLI runs `caddy <args>` from the test's Caddy binary with the private
// environment of g's Caddy process (its extra variables included, such as a
// cluster's DSN) and returns its combined output.
func (g *gateway) runCLI(args ...string) (string, error) {
	g.t.Helper()
	cmd := exec.Command(caddyBin, args...)
	cmd.Dir = g.proc.Dir
	cmd.Env = g.proc.cmd.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// jwksKids returns the kids the JWKS publishes, sorted.
func (g *gateway) jwksKids() []string {
	g.t.Helper()
	var kids []string
	for kid := range g.ed25519Keys() {
		kids = append(kids, kid)
	}
	slices.Sort(kids)
	return kids
}

// kid returns the kid of a JWT.
func kid(t *testing.T, token string) string {
	t.Helper()
	header, _, _, _ := decodeJWT(t, token)
	k, _ := header["kid"].(string)
	return k
}

// waitUntil polls cond every 50 ms until it holds, failing the test after
// timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		<-tick.C
	}
}

var signingWith = regexp.MustCompile(`signing with (\S+) `)

func TestKeyRotationByTheCLIWhileCaddyRuns(t *testing.T) {
	t.Parallel()
	// A short access-token lifetime, so the retired key's retention (the
	// lifetime plus the gateways' 5 s reload interval) ends within the test,
	// yet long enough for the CLI (a race-detector build under -race) to
	// rotate before the first token expires.
	const accessTTL = 10 * time.Second
	g := startGateway(t, func(s *siteConfig) { s.Extra = "access_ttl 10s" })
	g.createAccount(pin)
	before := g.passwordLogin()
	oldToken := before.str("access_token")
	oldKid := kid(t, oldToken)
	if got := g.jwksKids(); !slices.Equal(got, []string{oldKid}) {
		t.Fatalf("JWKS before the rotation = %v, want [%s]", got, oldKid)
	}

	conf := filepath.Join(g.proc.Dir, "Caddyfile")
	out, err := g.runCLI("pinauth", "keys", "rotate", "--config", conf, "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("caddy pinauth keys rotate: %v\n%s", err, out)
	}
	m := signingWith.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "retired "+oldKid) {
		t.Fatalf("caddy pinauth keys rotate output:\n%s", out)
	}
	newKid := m[1]
	if strings.Contains(out, pepper) {
		t.Fatal("the CLI printed the pepper")
	}

	// A token signed before the rotation, never verified before (so not
	// from the cache), still verifies.
	g.cachedOK("a token of the retired key", oldToken)
	// The running gateway starts signing with the new key.
	waitUntil(t, 20*time.Second, "new tokens carry the new kid", func() bool {
		r := g.passwordLogin()
		return r.status == 200 && kid(t, r.str("access_token")) == newKid
	})
	if got := g.jwksKids(); !slices.Equal(got, sorted(oldKid, newKid)) {
		t.Fatalf("JWKS during the retention = %v, want both %s and %s", got, oldKid, newKid)
	}
	out, err = g.runCLI("pinauth", "keys", "list", "--config", conf, "--adapter", "caddyfile")
	if err != nil || !strings.Contains(out, oldKid) || !strings.Contains(out, newKid) || strings.Count(out, " active") != 1 {
		t.Fatalf("caddy pinauth keys list: %v\n%s", err, out)
	}

	// After the retention only the new key is published.
	waitUntil(t, 4*accessTTL+30*time.Second, "the retired key leaves the JWKS", func() bool {
		return slices.Equal(g.jwksKids(), []string{newKid})
	})
	fresh := g.passwordLogin()
	g.cachedOK("a token of the new key", fresh.str("access_token"))
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
