package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// The UUID access-token format (LoginRadius wire fidelity): a client holds
// an opaque handle, which a node looks up in the store once and then
// serves from its cache, forwarding a JWT it signs for it. The bench
// stores handles as the gateway does when it issues them (the hash of the
// handle, its session, account and lifetime), for seeded sessions.

// handleRow is the store row of handle h for account i's session.
func handleRow(h string, i int, now time.Time) store.Token {
	sum := sha256.Sum256([]byte(h))
	return store.Token{Hash: hex.EncodeToString(sum[:]), Kind: store.TokenAccess, Tenant: benchTenant, UID: uidOf(i),
		SessionID: sidOf(i), CreatedAt: now.Add(-time.Second), ExpiresAt: now.Add(2 * time.Hour)}
}

// handleFiles stores count handles per part, for accounts picked at random
// of n, and writes them into prefix.<part> (one per wrk thread).
func handleFiles(ctx context.Context, st store.Store, prefix string, parts, count, n int, seed uint64) error {
	now := time.Now()
	for p := range parts {
		rng := rand.New(rand.NewPCG(seed, uint64(p)))
		f, err := os.Create(prefix + "." + strconv.Itoa(p))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for first := 0; first < count; first += seedBatch {
			err = st.Update(ctx, func(tx store.Tx) error {
				for range min(seedBatch, count-first) {
					h := randomUUID()
					if err := tx.InsertToken(handleRow(h, rng.IntN(n), now)); err != nil {
						return err
					}
					w.WriteString(h + "\n")
				}
				return nil
			})
			if err != nil {
				f.Close()
				return fmt.Errorf("store handles: %w", err)
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// warmHandle stores one handle of account 0's session and returns it.
func warmHandle(ctx context.Context, st store.Store) (string, error) {
	h := randomUUID()
	return h, st.Update(ctx, func(tx store.Tx) error { return tx.InsertToken(handleRow(h, 0, time.Now())) })
}

// uuidTargets judges the UUID rows against the JWT rows' targets.
func (r *report) uuidTargets() []verdict {
	s1 := r.scen("1")
	if s1 == nil {
		return nil
	}
	var v []verdict
	for _, c := range []struct {
		key, what string
		min       float64
		met, miss string
	}{
		{"2u", "UUID handles, warm cache", 0.95, "a cached handle is a cache hit like a cached JWT; the JWT forwarded for it was signed once",
			"the forwarded JWT (signed once, at the handle's first use) makes every upstream request larger than the handle the client sent"},
		{"3u", "UUID handles, cold cache (1k accounts)", 0.8, "the handle's store read and the JWT signed for it cost less than the target's margin",
			"a handle carries nothing: its first use on a node reads it from the store and signs a JWT for the upstream, which a JWT's claims spare"},
	} {
		s := r.scen(c.key)
		if s == nil {
			continue
		}
		rr := ratios(s, s1, func(a, b sample) float64 { return a.RPS / b.RPS })
		x := medianOf(rr)
		v = append(v, verdict{fmt.Sprintf("(%s)/(1) throughput, %s ≥ %.2f", c.key, c.what, c.min), fmt.Sprintf("%.3f (rounds: %s)", x, list(rr, "%.2f")),
			x >= c.min, pick(x >= c.min, c.met, fmt.Sprintf("missed by %.3f: %s", c.min-x, c.miss))})
	}
	return v
}

// storeHandles stores the handles of the cold rounds (files cold-handle-w
// and cold-handle-r<round>) and of the warm row in the small store, and
// returns the warm one.
func storeHandles(ctx context.Context, smallDB string, o options, parts, perWarmup, perRound int) (string, error) {
	st, err := sqlite.Open(smallDB)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := handleFiles(ctx, st, filepath.Join(o.Work, "cold-handle-w"), parts, perWarmup/parts, o.Small, 7); err != nil {
		return "", err
	}
	for r := range o.Rounds {
		if err := handleFiles(ctx, st, filepath.Join(o.Work, fmt.Sprintf("cold-handle-r%d", r)), parts, perRound/parts, o.Small, uint64(100+r)); err != nil {
			return "", err
		}
	}
	return warmHandle(ctx, st)
}
