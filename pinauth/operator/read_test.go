package operator

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// readStore returns a SQLite store holding ann (an email, a user name, a
// phone and a password) and bob (locked until an hour after now).
func readStore(t *testing.T, now time.Time) store.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(t.Context(), func(tx store.Tx) error {
		ann := store.Account{Tenant: "demo", UID: "ann", Active: true, CreatedAt: now, ModifiedAt: now,
			Emails: []store.Email{{Type: "Primary", Value: "ann@x.test"}}, Username: "annie", Phone: "+15550100",
			PasswordHash: "hash"}
		bob := store.Account{Tenant: "demo", UID: "bob", Active: true, CreatedAt: now, ModifiedAt: now, Username: "bob"}
		for _, a := range []store.Account{ann, bob} {
			if err := tx.CreateAccount(a); err != nil {
				return err
			}
		}
		_, err := tx.Lock(bob.Ref(), 0, store.LockBlock, now.Add(time.Hour), now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFindAccountByUidEmailPhoneOrUsername(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := readStore(t, now)
	for _, ref := range []string{"ann", "ann@x.test", "+15550100", "annie"} {
		info, err := FindAccount(t.Context(), st, "demo", ref, now)
		if err != nil || info.Profile["Uid"] != "ann" || !info.HasPassword || info.HasPIN {
			t.Errorf("FindAccount(%s) = %+v, %v; want ann with a password and no PIN", ref, info, err)
		}
	}
	_, err := FindAccount(t.Context(), st, "demo", "nobody@x.test", now)
	if e := (*lrerr.Error)(nil); !errors.As(err, &e) || e.Code != lrerr.CodeUserNotFound {
		t.Errorf("FindAccount(unknown) = %v; want 938", err)
	}
}

func TestListAccountsReportsALockOnlyWhileInForce(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := readStore(t, now)
	for _, tc := range []struct {
		at     time.Time
		locked bool
	}{{now, true}, {now.Add(2 * time.Hour), false}} {
		list, err := ListAccounts(t.Context(), st, "demo", "", 10, tc.at)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListAccounts = %d, %v; want 2 accounts", len(list), err)
		}
		if got := list[1].Lock != (store.Attempts{}); got != tc.locked || list[0].Lock != (store.Attempts{}) {
			t.Errorf("at %v: bob locked %v, ann %+v; want bob locked %v, ann not", tc.at, got, list[0].Lock, tc.locked)
		}
	}
	if page, err := ListAccounts(t.Context(), st, "demo", "ann", 10, now); err != nil || len(page) != 1 || page[0].Profile["Uid"] != "bob" {
		t.Errorf("ListAccounts(after ann) = %+v, %v; want bob only", page, err)
	}
}
