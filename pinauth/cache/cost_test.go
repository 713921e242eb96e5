package cache

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// heapLive is the live heap after a full collection.
func heapLive() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestCacheCostsCoverMemory checks that the cost each cache entry is
// charged covers the memory it really holds (the entry, its strings and
// ristretto's bookkeeping), so that the configured cache size bounds what
// the caches use, however many distinct tokens, sessions and accounts
// arrive. Entries are built the way the protected path builds them.
func TestCacheCostsCoverMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap over 20k entries per cache")
	}
	const n = 20000
	// A realistic access token: an EdDSA JWT of the gateway is about 330
	// bytes.
	token := func() string { return base64.RawURLEncoding.EncodeToString(secret.Bytes(247)) }
	account := func(i int) store.Account {
		// Decoded accounts hold separately allocated strings, as here.
		return store.Account{
			Tenant: strings.Clone("demo"), UID: fmt.Sprintf("%032x", i),
			Emails:   []store.Email{{Type: "Primary", Value: fmt.Sprintf("user%07d@example.com", i)}},
			Username: fmt.Sprintf("user%07d", i), Roles: []string{strings.Clone("user"), strings.Clone("admin")},
			Active: true, PasswordHash: strings.Repeat("h", 100), PINHash: strings.Repeat("p", 100),
			Profile: map[string]json.RawMessage{
				"FirstName": json.RawMessage(`"Alice"`), "LastName": json.RawMessage(`"Smith"`),
				"CustomFields": json.RawMessage(`{"plan":"gold","team":"blue"}`),
			},
		}
	}
	shared := NewProfile(account(0))
	cases := []struct {
		name string
		fill func(c *Caches) (cost int64, stored func() int)
	}{
		// The raw token is a slice of the Authorization header value.
		{"tokens", func(c *Caches) (int64, func() int) { return fillTokens(c, n, token, nil, shared) }},
		// token_format uuid: the key is the handle, and the entry also
		// holds the Authorization value minted for upstream.
		{"handles", func(c *Caches) (int64, func() int) { return fillTokens(c, n, secret.NewToken, token, shared) }},
		{"profiles", func(c *Caches) (int64, func() int) {
			// ristretto keeps hashes of keys, not keys: they are
			// recomputed for counting rather than held.
			key := func(i int) string { return ProfileKey("demo", fmt.Sprintf("%032x", i)) }
			var cost int64
			for i := range n {
				p := NewProfile(account(i))
				cost += p.cost()
				c.profiles.SetWithTTL(key(i), p, p.cost(), time.Hour)
			}
			c.profiles.Wait()
			return cost, func() int { return present(n, func(i int) bool { _, ok := c.profiles.Get(key(i)); return ok }) }
		}},
		{"sessions", func(c *Caches) (int64, func() int) {
			key := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
			var cost int64
			for i := range n {
				// As read from the store: strings of their own.
				se := &sessionEntry{gen: c.gen.Load(), tenant: strings.Clone("demo"), uid: fmt.Sprintf("%032x", i)}
				cost += se.cost()
				c.sessions.SetWithTTL(key(i), se, se.cost(), time.Hour)
			}
			c.sessions.Wait()
			return cost, func() int { return present(n, func(i int) bool { _, ok := c.sessions.Get(key(i)); return ok }) }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A budget no fill reaches: nothing is evicted.
			c, err := New(1<<30, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			before := heapLive()
			cost, stored := tc.fill(c)
			used := heapLive() - before
			kept := stored()
			if kept < n*9/10 {
				t.Fatalf("only %d of %d entries were stored", kept, n)
			}
			if tc.name == "tokens" || tc.name == "handles" {
				// The token fills keep their keys (whose bytes the entries
				// hold anyway) for counting: 16 bytes of slice per key.
				used -= 16 * n
			}
			perReal, perCost := float64(used)/float64(kept), float64(cost)/float64(n)
			t.Logf("%s: %.0f bytes held per entry, %.0f charged", tc.name, perReal, perCost)
			if perReal > perCost {
				t.Errorf("%s: an entry holds %.0f bytes but is charged %.0f: the cache size would not bound memory", tc.name, perReal, perCost)
			}
		})
	}
}

// fillTokens caches n verified tokens made by newToken (with an upstream
// JWT made by newUpstream, unless nil), as the protected path does, and
// returns their total cost and a count of those still cached.
func fillTokens(c *Caches, n int, newToken, newUpstream func() string, p *Profile) (int64, func() int) {
	var cost int64
	keys := make([]string, 0, n)
	for i := range n {
		header := "Bearer " + newToken()
		claims := &tokens.Claims{SID: secret.NewToken()}
		claims.Audience = []string{strings.Clone("demo")}
		claims.Subject = fmt.Sprintf("%032x", i)
		claims.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
		vt := NewToken(header[7:], claims)
		if newUpstream != nil {
			vt.Upstream = []string{"Bearer " + newUpstream()}
		}
		vt.Identity(p)
		cost += vt.cost()
		c.tokens.SetWithTTL(vt.Raw, vt, vt.cost(), time.Hour)
		keys = append(keys, vt.Raw)
	}
	c.tokens.Wait()
	return cost, func() int { return present(n, func(i int) bool { _, ok := c.tokens.Get(keys[i]); return ok }) }
}

// present counts the i in [0, n) for which has is true.
func present(n int, has func(i int) bool) int {
	k := 0
	for i := range n {
		if has(i) {
			k++
		}
	}
	return k
}
