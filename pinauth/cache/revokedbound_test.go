package cache

import (
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The revoked set is bounded like the staleness sets (issue 22): filled to
// its bound it loses nothing; one revocation more is not recorded, and
// then no cached verification, cached session state or claim may stand in
// for the store, which knows the session is revoked.
func TestTheRevokedSetStaysWithinItsBoundAndFailsTowardTheStore(t *testing.T) {
	t.Parallel()
	c, r := newCaches(t), &sessionReads{st: storeWithSession(t)}
	// polled is as after a successful poll of the journal; called before
	// each check of trust, since filling the set may take longer than the
	// trust window on a loaded machine.
	polled := func() { c.fresh.heard.Store(c.fresh.clock()) }
	limit := c.fresh.limit
	now := time.Now()
	other := ProfileKey(tenant, "other")

	// s1 (the store's live session) is verified and cached.
	if !valid(t, c, r, tenant, uid) {
		t.Fatal("the live session was found invalid")
	}
	vt := verified("token")
	c.KeepToken(c.Stamp(), vt, now)
	c.Wait()

	fill := make([]string, limit)
	for i := range fill {
		fill[i] = fmt.Sprint("revoked-", i)
	}
	c.RevokeSessions(fill[:limit/2], now, time.Hour)
	c.RevokeSessions(fill[limit/2:], now, time.Hour)
	if n := len(*c.revoked.Load()); n != limit {
		t.Fatalf("revoked set holds %d sessions after %d revocations, want all of them (bound %d)", n, limit, limit)
	}
	// At the bound nothing is lost, and nothing else changes.
	polled()
	for _, id := range []string{fill[0], fill[limit-1]} {
		if !c.SessionRevoked(id) {
			t.Errorf("revocation of %s forgotten at the bound", id)
		}
	}
	if _, ok := c.Token(vt.Raw); !ok || !c.SessionCached(sid) || !c.TrustsClaims(other) {
		t.Fatalf("at the bound: token served %v, session cached %v, claims trusted %v; want all",
			ok, c.SessionCached(sid), c.TrustsClaims(other))
	}
	// Revoking one already in the set again is no overflow.
	c.RevokeSessions(fill[:1], now, time.Hour)
	if !c.TrustsClaims(other) {
		t.Fatal("a repeated revocation at the bound stopped trusting claims")
	}

	// Bound+1: s1 is revoked in the store, and the set is full.
	if err := r.st.Update(t.Context(), func(tx store.Tx) error { _, err := tx.RevokeSession(sid, now); return err }); err != nil {
		t.Fatal(err)
	}
	polled()
	c.RevokeSessions([]string{sid}, now, time.Hour)
	if n := len(*c.revoked.Load()); n > limit {
		t.Errorf("revoked set holds %d sessions, bound %d", n, limit)
	}
	if !c.SessionRevoked(fill[limit-1]) {
		t.Error("a revocation already held was dropped to make room")
	}
	if _, ok := c.Token(vt.Raw); ok {
		t.Error("past the bound, the cached token of the unrecorded revocation was still served")
	}
	if c.TrustsClaims(other) || c.TrustsClaims(ProfileKey(tenant, uid)) {
		t.Error("past the bound, claims are still trusted: a token of the unrecorded revocation could be served from them")
	}
	reads := r.n
	if valid(t, c, r, tenant, uid) {
		t.Error("past the bound, the unrecorded revoked session was found valid")
	}
	if r.n != reads+1 {
		t.Errorf("past the bound the session was checked with %d store reads, want 1", r.n-reads)
	}

	// Once the held revocations expire, there is room again.
	later := now.Add(2 * time.Hour)
	c.RevokeSessions([]string{"after-expiry"}, later, time.Hour)
	if n := len(*c.revoked.Load()); n != 1 || !c.SessionRevoked("after-expiry") {
		t.Errorf("after the held revocations expired the set holds %d sessions, want the new one alone", n)
	}
}
