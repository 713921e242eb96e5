package storetest

import (
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var hashCountCases = []testCase{
	{"CountHashes counts accounts per secret and hash scheme, per tenant", testCountHashes},
}

// Hashes under two peppers (k=) and two costs (m=, t=), each with its own
// salt and key as real hashes have.
const (
	schemeOld    = "$argon2id$v=19$m=19456,t=2,p=1,k=0a0a0a0a"
	schemeNew    = "$argon2id$v=19$m=19456,t=3,p=1,k=0b0b0b0b"
	schemeCheap  = "$argon2id$v=19$m=1024,t=1,p=1,k=0b0b0b0b"
	schemeDollar = "$argon2id$v=19$m=1024,t=1,p=1,k=0b0b$0b0b" // a '$' inside: only the last two fields go
)

func hashUnder(scheme, uniq string) string { return scheme + "$c2FsdC" + uniq + "$a2V5" + uniq }

func testCountHashes(t *testing.T, s store.Store) {
	ctx := t.Context()
	if got, err := s.CountHashes(ctx, ""); len(got) != 0 || err != nil {
		t.Fatalf("CountHashes of an empty store = %+v, %v; want none", got, err)
	}

	a1 := account("u1", "a1@example.com", "", "")
	a1.PasswordHash, a1.PINHash = hashUnder(schemeOld, "1"), hashUnder(schemeOld, "2")
	a1.SecurityAnswers = map[string]string{"q1": hashUnder(schemeOld, "3"), "q2": hashUnder(schemeOld, "4"), "q3": hashUnder(schemeNew, "5")}
	a2 := account("u2", "a2@example.com", "", "")
	a2.PasswordHash, a2.PINHash = hashUnder(schemeNew, "6"), hashUnder(schemeOld, "7")
	a3 := account("u3", "a3@example.com", "", "")
	a3.PasswordHash = hashUnder(schemeNew, "8") // no PIN yet
	a4 := account("u4", "a4@example.com", "", "")
	a4.NeedsSecretReset = true // imported without secrets
	a5 := account("u5", "a5@example.com", "", "")
	a5.PINHash = hashUnder(schemeDollar, "9")
	b1 := account("u1", "b1@example.com", "", "")
	b1.Tenant = tenantB
	b1.PasswordHash, b1.PINHash = hashUnder(schemeCheap, "a"), hashUnder(schemeCheap, "b")
	createAccounts(t, s, a1, a2, a3, a4, a5, b1)

	wantA := []store.HashCount{
		{Secret: store.SecretPassword, Scheme: schemeOld, Accounts: 1},
		{Secret: store.SecretPassword, Scheme: schemeNew, Accounts: 2},
		{Secret: store.SecretPIN, Scheme: schemeOld, Accounts: 2},
		{Secret: store.SecretPIN, Scheme: schemeDollar, Accounts: 1},
		{Secret: store.SecretSecurityAnswer, Scheme: schemeOld, Accounts: 1},
		{Secret: store.SecretSecurityAnswer, Scheme: schemeNew, Accounts: 1},
	}
	store.SortHashCounts(wantA)
	got, err := s.CountHashes(ctx, tenantA)
	if err != nil || !slices.Equal(got, wantA) {
		t.Errorf("CountHashes(%q) = %+v, %v\nwant %+v", tenantA, got, err, wantA)
	}
	wantB := []store.HashCount{
		{Secret: store.SecretPassword, Scheme: schemeCheap, Accounts: 1},
		{Secret: store.SecretPIN, Scheme: schemeCheap, Accounts: 1},
	}
	if got, err := s.CountHashes(ctx, tenantB); err != nil || !slices.Equal(got, wantB) {
		t.Errorf("CountHashes(%q) = %+v, %v\nwant %+v", tenantB, got, err, wantB)
	}
	wantAll := append(slices.Clone(wantA), wantB...)
	store.SortHashCounts(wantAll)
	if got, err := s.CountHashes(ctx, ""); err != nil || !slices.Equal(got, wantAll) {
		t.Errorf("CountHashes(\"\") = %+v, %v\nwant %+v", got, err, wantAll)
	}
	if got, err := s.CountHashes(ctx, "nobody"); len(got) != 0 || err != nil {
		t.Errorf("CountHashes of a tenant without accounts = %+v, %v; want none", got, err)
	}

	// A rehash under the new scheme moves the account from one count to
	// the other.
	update(t, s, func(tx store.Tx) error {
		a, _, err := tx.Account(tenantA, "u2")
		if err != nil {
			return err
		}
		a.PINHash = hashUnder(schemeNew, "c")
		_, err = tx.SaveAccount(a)
		return err
	})
	got, err = s.CountHashes(ctx, tenantA)
	pins := map[string]int{}
	for _, c := range got {
		if c.Secret == store.SecretPIN {
			pins[c.Scheme] = c.Accounts
		}
	}
	if err != nil || pins[schemeOld] != 1 || pins[schemeNew] != 1 || pins[schemeDollar] != 1 || len(pins) != 3 {
		t.Errorf("after a rehash the PIN counts are %v (%v), want one each under the old, new and odd schemes", pins, err)
	}
}
