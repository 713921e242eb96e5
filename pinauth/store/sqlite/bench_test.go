package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// BenchmarkAccountByUID measures the profile read of the protected path's
// cache miss: an account with a typical profile, by uid.
func BenchmarkAccountByUID(b *testing.B) {
	s, _ := openTemp(b)
	a := alice
	a.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
	a.PINHash = a.PasswordHash
	a.Roles = []string{"member"}
	a.CreatedAt, a.ModifiedAt, a.LastLoginAt = t0, t0, t0
	a.Profile = map[string]json.RawMessage{
		"FirstName": json.RawMessage(`"Alice"`), "LastName": json.RawMessage(`"Smith"`),
		"CustomFields": json.RawMessage(`{"plan":"gold","team":"blue"}`),
	}
	create(b, s, a)
	ctx := context.Background()
	for b.Loop() {
		if _, found, err := s.Account(ctx, "acme", "u1"); !found || err != nil {
			b.Fatalf("found %v, err %v", found, err)
		}
	}
}

// BenchmarkReserveAttempt measures one counted credential check: a write
// transaction on the single writer.
func BenchmarkReserveAttempt(b *testing.B) {
	s, _ := openTemp(b)
	create(b, s, alice)
	ctx := context.Background()
	p := store.AttemptPolicy{Limit: 1 << 30, Window: 24 * time.Hour}
	for b.Loop() {
		if res, err := s.ReserveAttempt(ctx, alice.Ref(), p, t0); err != nil || !res.Allowed {
			b.Fatalf("allowed %v, err %v", res.Allowed, err)
		}
	}
}

// BenchmarkConsumeToken measures taking a one-time token in its own
// Update, as a PIN reset or refresh does.
func BenchmarkConsumeToken(b *testing.B) {
	s, _ := openTemp(b)
	create(b, s, alice)
	ctx := context.Background()
	hashes := make([]string, b.N)
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range hashes {
			hashes[i] = fmt.Sprintf("%064x", i)
			if err := tx.InsertToken(store.Token{Hash: hashes[i], Kind: store.TokenRefresh, Tenant: "acme", UID: "u1",
				SessionID: "s1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		err := s.Update(ctx, func(tx store.Tx) error {
			_, found, err := tx.ConsumeToken(store.TokenRefresh, hashes[i], t0)
			if err == nil && !found {
				err = fmt.Errorf("token %d not found", i)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
