package operator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// byEmail calls h with a request of method whose email query parameter
// is email (none when ""), and returns the answer as JSON or the error.
func (f *roleFixture) byEmail(h func(*API, Request) (any, error), method, email string) (string, *lrerr.Error) {
	f.t.Helper()
	target := "/identity/v2/manage/account"
	if email != "" {
		target += "?email=" + url.QueryEscape(email)
	}
	hr := httptest.NewRequest(method, target, nil)
	out, err := h(f.api, Request{HTTP: hr, Query: apireq.Query(hr), Act: recordingAct{f.rc}})
	if err != nil {
		var e *lrerr.Error
		if !errors.As(err, &e) {
			f.t.Fatalf("error %v is no *lrerr.Error", err)
		}
		return "", e
	}
	b, jerr := json.Marshal(out)
	if jerr != nil {
		f.t.Fatal(jerr)
	}
	return string(b), nil
}

func TestAccountIdentitiesByEmailAnswerTheAccountHavingIt(t *testing.T) {
	f := newRoleFixture(t)
	got, e := f.byEmail((*API).AccountIdentitiesByEmail, "GET", " ANN@x.test")
	if e != nil {
		t.Fatalf("identities: %d %s", e.Code, e.Description)
	}
	var body struct{ Data []map[string]any }
	if err := json.Unmarshal([]byte(got), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data) != 1 || body.Data[0]["Uid"] != "ann" || body.Data[0]["PhoneId"] != "+15550100" {
		t.Fatalf("identities = %s; want ann's profile alone", got)
	}
	if _, has := body.Data[0]["Password"]; has {
		t.Errorf("the profile carries a Password field: %s", got)
	}
	for _, c := range []struct {
		email string
		code  lrerr.Code
	}{{"", lrerr.CodeParameterFormat}, {"nobody@x.test", lrerr.CodeUserNotFound}, {"annie", lrerr.CodeUserNotFound}} {
		if got, e := f.byEmail((*API).AccountIdentitiesByEmail, "GET", c.email); e == nil || e.Code != c.code {
			t.Errorf("identities of %q = %s, %v; want %d", c.email, got, e, c.code)
		}
	}
	if len(f.rc.writes) != 0 {
		t.Errorf("a read wrote %q", f.rc.writes)
	}
}

func TestDeleteAccountByEmailDeletesItsAccountAndRevokesItsSessions(t *testing.T) {
	f := newRoleFixture(t)
	now := f.rc.now
	err := f.rc.st.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateSession(store.Session{ID: "ann-phone", Tenant: "demo", UID: "ann", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		email string
		code  lrerr.Code
	}{{"", lrerr.CodeParameterFormat}, {"nobody@x.test", lrerr.CodeUserNotFound}, {"annie", lrerr.CodeUserNotFound}} {
		if got, e := f.byEmail((*API).DeleteAccountByEmail, "DELETE", c.email); e == nil || e.Code != c.code {
			t.Errorf("delete by %q = %s, %v; want %d", c.email, got, e, c.code)
		}
	}
	f.account("ann") // still there
	got, e := f.byEmail((*API).DeleteAccountByEmail, "DELETE", "Ann@X.test")
	if e != nil || got != `{"IsDeleted":true,"RecordsDeleted":1}` {
		t.Fatalf("delete by email = %s, %v", got, e)
	}
	if _, found, err := f.rc.st.Account(t.Context(), "demo", "ann"); err != nil || found {
		t.Errorf("ann after the deletion: found %v, %v", found, err)
	}
	if _, found, err := f.rc.st.AccountBy(t.Context(), "demo", store.IdentUsername, "annie"); err != nil || found {
		t.Errorf("ann's username still finds an account: %v, %v", found, err)
	}
	s, found, err := f.rc.st.Session(t.Context(), "ann-phone")
	if err != nil || (found && s.RevokedAt.IsZero()) {
		t.Errorf("ann's session after the deletion: %+v, %v, %v; want it revoked or gone", s, found, err)
	}
	changes, err := f.rc.st.Changes(t.Context(), now.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(changes.Sessions) != "[ann-phone]" {
		t.Errorf("journalled sessions %v; want ann-phone, so every node drops its tokens", changes.Sessions)
	}
	if want := "[DeleteAccount demo ann]"; fmt.Sprint(f.rc.writes) != want {
		t.Errorf("writes %q; want %s", f.rc.writes, want)
	}
	if got, e := f.byEmail((*API).DeleteAccountByEmail, "DELETE", "ann@x.test"); e == nil || e.Code != lrerr.CodeUserNotFound {
		t.Errorf("a second deletion = %s, %v; want 938", got, e)
	}
	f.account("bob")
}
