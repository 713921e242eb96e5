package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// recordingCore is a Core of one tenant, "demo", over a real store, whose
// acts record the events they emit; the core's hashing, PIN policy and
// caches are stand-ins (the gateway's are tested through it).
type recordingCore struct {
	st     store.Store
	now    time.Time
	writes []string
}

func (rc *recordingCore) Act(name string) (Act, error) {
	if name == "" || name == "demo" {
		return recordingAct{rc}, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownTenant, name)
}
func (rc *recordingCore) TenantNames() []string { return []string{"demo"} }
func (rc *recordingCore) Store() store.Store    { return rc.st }
func (rc *recordingCore) UpdateAccount(ctx context.Context, ref store.AccountRef, change, after func(store.Tx, *store.Account) error) error {
	return rc.st.Update(ctx, func(tx store.Tx) error {
		a, found, err := tx.Account(ref.Tenant, ref.UID)
		if err != nil || !found {
			return errors.Join(err, lrerr.New(lrerr.CodeUserNotFound))
		}
		if err := change(tx, &a); err != nil {
			return err
		}
		if _, err := tx.SaveAccount(a); err != nil {
			return err
		}
		a.Version++
		return after(tx, &a)
	})
}
func (rc *recordingCore) SessionsRevoked([]string, time.Time) {}
func (rc *recordingCore) AccountChanged(string, string)       {}

// recordingAct acts in "demo" at the core's time and records each event
// as "hook tenant uid".
type recordingAct struct{ rc *recordingCore }

func (ra recordingAct) Tenant() string                       { return "demo" }
func (ra recordingAct) Now() time.Time                       { return ra.rc.now }
func (ra recordingAct) CheckPIN(string, string) *lrerr.Error { return nil }
func (ra recordingAct) Hash(_ context.Context, s string) (string, error) {
	return "hash of " + s, nil
}
func (ra recordingAct) HashAnswers(context.Context, map[string]string) (map[string]string, error) {
	return nil, nil
}
func (ra recordingAct) Emit(_ store.Tx, hook string, a *store.Account) error {
	ra.rc.writes = append(ra.rc.writes, fmt.Sprintf("%s %s %s", hook, a.Tenant, a.UID))
	return nil
}

func TestAdminActsInTheResolvedTenantAtOneTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rc := &recordingCore{st: readStore(t, now), now: now}
	adm := New(rc)
	pw := "secret-1"
	name := "carol"
	created, err := adm.CreateAccount(t.Context(), "", AccountInput{Username: &name, Password: &pw})
	if err != nil || !created.HasPassword || created.Profile["CreatedDate"] != lrprofile.Time(now) {
		t.Fatalf("CreateAccount = %+v, %v; want the created account, created at now", created, err)
	}
	info, err := adm.Unlock(t.Context(), "demo", "bob")
	if err != nil || info.Lock != (store.Attempts{}) {
		t.Fatalf("Unlock = %+v, %v; want bob unlocked", info, err)
	}
	if err := adm.DeleteAccount(t.Context(), "demo", "bob"); err != nil {
		t.Fatal(err)
	}
	want := []string{"Register demo " + created.Profile["Uid"].(string), "UpdateProfile demo bob", "DeleteAccount demo bob"}
	if fmt.Sprint(rc.writes) != fmt.Sprint(want) {
		t.Errorf("writes = %q; want %q", rc.writes, want)
	}
}

func TestAdminRefusesAnUnknownTenantBeforeCheckingInput(t *testing.T) {
	rc := &recordingCore{st: readStore(t, time.Now()), now: time.Now()}
	bad := AccountInput{Profile: map[string]json.RawMessage{"Password": json.RawMessage(`"x"`)}}
	if _, err := New(rc).CreateAccount(t.Context(), "other", bad); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("CreateAccount(other tenant) = %v; want ErrUnknownTenant", err)
	}
	if _, err := New(rc).Find(t.Context(), "other", "ann"); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("Find(other tenant) = %v; want ErrUnknownTenant", err)
	}
	if len(rc.writes) != 0 {
		t.Errorf("writes = %q; want none", rc.writes)
	}
}
