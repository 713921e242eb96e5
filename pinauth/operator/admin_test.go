package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// recordingCore is a Core of one tenant, "demo", over a real store, whose
// writes record what they were asked; the account writes themselves are
// the gateway's and are tested there.
type recordingCore struct {
	st     store.Store
	now    time.Time
	writes []string
}

func (rc *recordingCore) Tenant(name string) (string, error) {
	if name == "" || name == "demo" {
		return "demo", nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownTenant, name)
}
func (rc *recordingCore) TenantNames() []string { return []string{"demo"} }
func (rc *recordingCore) Now() time.Time        { return rc.now }
func (rc *recordingCore) Store() store.Reader   { return rc.st }
func (rc *recordingCore) CreateAccount(_ context.Context, tenant string, now time.Time, in *lrprofile.Input) (store.Account, error) {
	rc.writes = append(rc.writes, fmt.Sprintf("create %s %v", tenant, now.Equal(rc.now)))
	return store.Account{Tenant: tenant, UID: "new", PasswordHash: "hash"}, nil
}
func (rc *recordingCore) UpdateAccount(_ context.Context, tenant, uid string, now time.Time, in *lrprofile.Input) (store.Account, error) {
	rc.writes = append(rc.writes, fmt.Sprintf("update %s %s %v active=%v locked=%v", tenant, uid, now.Equal(rc.now), *in.Active, in.LoginLocked != nil && *in.LoginLocked))
	a, _, err := rc.st.Account(context.Background(), tenant, uid)
	return a, err
}
func (rc *recordingCore) DeleteAccount(_ context.Context, tenant, uid string, now time.Time) error {
	rc.writes = append(rc.writes, fmt.Sprintf("delete %s %s", tenant, uid))
	return nil
}
func (rc *recordingCore) WriteImported(context.Context, string, time.Time, []*lrimport.Record) ([]lrimport.Result, error) {
	return nil, errors.New("not used")
}

func TestAdminActsInTheResolvedTenantAtOneTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rc := &recordingCore{st: readStore(t, now), now: now}
	adm := New(rc)
	pw := "secret-1"
	if info, err := adm.CreateAccount(t.Context(), "", AccountInput{Password: &pw}); err != nil || !info.HasPassword {
		t.Fatalf("CreateAccount = %+v, %v; want the created account", info, err)
	}
	info, err := adm.Unlock(t.Context(), "demo", "bob")
	if err != nil || info.Lock == (store.Attempts{}) {
		// The fake core does not unlock: the lock shown is the store's.
		t.Fatalf("Unlock = %+v, %v; want bob as stored, still locked", info, err)
	}
	if err := adm.DeleteAccount(t.Context(), "demo", "bob"); err != nil {
		t.Fatal(err)
	}
	want := []string{"create demo true", "update demo bob true active=true locked=false", "delete demo bob"}
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
