package operator

import (
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestSetPasswordStoresTheHashRevokesEverySessionAndAnswersNoHash(t *testing.T) {
	f := newRoleFixture(t)
	now := f.rc.now
	err := f.rc.st.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateSession(store.Session{ID: "ann-phone", Tenant: "demo", UID: "ann", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.ok((*API).SetPassword, "PUT", "ann", "", `{"password":"a new password"}`, `{"PasswordHash":""}`)
	if a := f.account("ann"); a.PasswordHash != "hash of a new password" || a.NeedsSecretReset {
		t.Errorf("ann after the set: hash %q, needs reset %v", a.PasswordHash, a.NeedsSecretReset)
	}
	s, found, err := f.rc.st.Session(t.Context(), "ann-phone")
	if err != nil || !found || s.RevokedAt.IsZero() {
		t.Errorf("ann's session after the set: %+v, %v, %v; want it revoked", s, found, err)
	}
	if want := "[SetPassword demo ann]"; fmt.Sprint(f.rc.writes) != want {
		t.Errorf("writes %q; want %s", f.rc.writes, want)
	}
	f.fails((*API).SetPassword, "PUT", "ann", "", `{"password":"short"}`, lrerr.CodeValidation)
	f.fails((*API).SetPassword, "PUT", "ann", "", `{}`, lrerr.CodeValidation)
	f.fails((*API).SetPassword, "PUT", "nobody", "", `{"password":"a new password"}`, lrerr.CodeUserNotFound)
	if a := f.account("ann"); a.PasswordHash != "hash of a new password" {
		t.Errorf("refused sets changed the hash to %q", a.PasswordHash)
	}
}

func TestPasswordHashIsRefusedForKnownAndUnknownAccounts(t *testing.T) {
	f := newRoleFixture(t)
	for _, uid := range []string{"ann", "nobody"} {
		got, e := f.do((*API).PasswordHash, "GET", uid, "", "")
		if e == nil || e.Code != lrerr.CodeResourceDisabled || got != "" {
			t.Errorf("PasswordHash(%s) = %q, %v; want error 1144 and nothing else", uid, got, e)
		}
	}
	if len(f.rc.writes) != 0 {
		t.Errorf("writes %q; want none", f.rc.writes)
	}
}
