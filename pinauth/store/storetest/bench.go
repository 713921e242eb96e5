package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Bench measures the store calls the gateway's hot paths make, one
// sub-benchmark each, so that both backends are measured by the same code
// and a change to one can be compared with the other. open must return a
// new, empty store for the benchmark it is given and arrange for its Close
// (b.Cleanup); it may be called more than once per sub-benchmark.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	for _, c := range []struct {
		name string
		fn   func(b *testing.B, s store.Store)
	}{
		{"AccountByUID", benchAccountByUID},
		{"AccountByEmail", benchAccountByEmail},
		{"ReserveAttempt", benchReserveAttempt},
		{"ConsumeToken", benchConsumeToken},
		{"SaveAccountCounters", benchSaveAccountCounters},
		{"SaveAccountNewEmail", benchSaveAccountNewEmail},
		{"CreateAccount", benchCreateAccount},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			c.fn(b, open(b))
		})
	}
}

// benchAccount is an account with a typical profile.
func benchAccount(uid, email string) store.Account {
	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
	return store.Account{
		Tenant: tenantA, UID: uid, Username: "user-" + uid,
		Emails:       []store.Email{{Type: "Primary", Value: email}},
		PasswordHash: hash, PINHash: hash, Roles: []string{"member"}, Active: true,
		CreatedAt: t0, ModifiedAt: t0, LastLoginAt: t0,
		Profile: map[string]json.RawMessage{
			"FirstName": json.RawMessage(`"Alice"`), "LastName": json.RawMessage(`"Smith"`),
			"CustomFields": json.RawMessage(`{"plan":"gold","team":"blue"}`),
		},
	}
}

// benchUpdate runs fn in s.Update and stops the benchmark on an error.
func benchUpdate(b *testing.B, s store.Store, fn func(tx store.Tx) error) {
	if err := s.Update(context.Background(), fn); err != nil {
		b.Fatal(err)
	}
}

func benchCreate(b *testing.B, s store.Store, a store.Account) {
	benchUpdate(b, s, func(tx store.Tx) error { return tx.CreateAccount(a) })
}

// benchAccountByUID is the profile read of the protected path's cache
// miss.
func benchAccountByUID(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	ctx := context.Background()
	for b.Loop() {
		if _, found, err := s.Account(ctx, tenantA, "u1"); !found || err != nil {
			b.Fatalf("found %v, err %v", found, err)
		}
	}
}

// benchAccountByEmail is a login's lookup.
func benchAccountByEmail(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	ctx := context.Background()
	for b.Loop() {
		if _, found, err := s.AccountBy(ctx, tenantA, store.IdentEmail, "Alice@example.com"); !found || err != nil {
			b.Fatalf("found %v, err %v", found, err)
		}
	}
}

// benchReserveAttempt is one counted credential check.
func benchReserveAttempt(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	ctx := context.Background()
	p := store.AttemptPolicy{Limit: 1 << 30, Window: 24 * time.Hour}
	for b.Loop() {
		if res, err := s.ReserveAttempt(ctx, ref("u1"), p, t0); err != nil || !res.Allowed {
			b.Fatalf("allowed %v, err %v", res.Allowed, err)
		}
	}
}

// benchConsumeToken takes a one-time token in its own Update, as a PIN
// reset or a refresh does.
func benchConsumeToken(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	hashes := make([]string, b.N)
	benchUpdate(b, s, func(tx store.Tx) error {
		for i := range hashes {
			hashes[i] = fmt.Sprintf("%064x", i)
			if err := tx.InsertToken(store.Token{Hash: hashes[i], Kind: store.TokenRefresh, Tenant: tenantA, UID: "u1",
				SessionID: "s1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	b.ResetTimer()
	for i := range b.N {
		benchUpdate(b, s, func(tx store.Tx) error {
			_, found, err := tx.ConsumeToken(store.TokenRefresh, hashes[i], t0)
			if err == nil && !found {
				err = fmt.Errorf("token %d not found", i)
			}
			return err
		})
	}
}

// benchSaveAccountCounters is a login counting itself: the account read
// and saved with its identifiers unchanged.
func benchSaveAccountCounters(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	for b.Loop() {
		benchUpdate(b, s, func(tx store.Tx) error {
			a, _, err := tx.Account(tenantA, "u1")
			if err != nil {
				return err
			}
			a.NoOfLogins++
			_, err = tx.SaveAccount(a)
			return err
		})
	}
}

// benchSaveAccountNewEmail is a profile change of the email: the save
// rewrites identifiers and names.
func benchSaveAccountNewEmail(b *testing.B, s store.Store) {
	benchCreate(b, s, benchAccount("u1", "alice@example.com"))
	emails := [2]string{"alice@example.net", "alice@example.com"}
	i := 0
	for b.Loop() {
		benchUpdate(b, s, func(tx store.Tx) error {
			a, _, err := tx.Account(tenantA, "u1")
			if err != nil {
				return err
			}
			a.Emails = []store.Email{{Type: "Primary", Value: emails[i%2]}}
			_, err = tx.SaveAccount(a)
			return err
		})
		i++
	}
}

// benchCreateAccount creates one account per Update, as a registration
// does.
func benchCreateAccount(b *testing.B, s store.Store) {
	i := 0
	for b.Loop() {
		uid := fmt.Sprintf("u%d", i)
		benchCreate(b, s, benchAccount(uid, uid+"@example.com"))
		i++
	}
}
