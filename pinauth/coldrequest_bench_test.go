package pinauth

import (
	"context"
	"net/http/httptest"
	"testing"
)

// BenchmarkProtectedRequestUncached measures the cold path of a protected
// request (issue 22): every iteration a token this gateway has never
// seen, minted before the timer as the gateway issues them (the
// account's profile in its claims, the gateway MAC) for the session of a
// real login on SQLite, so each is verified, served from its claims and
// inserted into the cache, its headers stripped and set.
func BenchmarkProtectedRequestUncached(b *testing.B) {
	e, login := benchEnv(b)
	ctx := context.Background()
	c, err := e.gw.tokens.Parse(ctx, login.str("access_token"))
	if err != nil || c.Profile == nil {
		b.Fatalf("the login's token carries no profile: %v", err)
	}
	auths := make([][]string, b.N)
	for i := range auths {
		p := *c.Profile
		tok, _, err := e.gw.tokens.IssueWith(c.Audience[0], c.Subject, c.SID, &p, e.gw.profileTags, e.gw.now())
		if err != nil {
			b.Fatal(err)
		}
		auths[i] = []string{"Bearer " + tok}
	}
	req := httptest.NewRequest("GET", "/app/data", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "bench")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req.Header["Authorization"] = auths[i]
		if _, ok := e.gw.Handle(w, req); !ok {
			b.Fatalf("denied: %s", w.Body.String())
		}
	}
}
