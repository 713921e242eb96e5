package pinauth

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestDeletingAnAccountRecordsOneDeleteAccountEventWithItsMaskedProfile(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	uid := e.createAccount(testEmail, testPIN)
	kept := e.createAccount("bob@example.com", testPIN)

	wantOK(t, "delete", e.do("DELETE", manage("manage/account/"+uid), nil))
	if got := e.hooks(uid); len(got) != 2 || got[0] != webhook.Register || got[1] != webhook.DeleteAccount {
		t.Fatalf("events of the deleted account = %v, want [Register DeleteAccount]", got)
	}
	evs, err := e.store.Events(t.Context(), store.EventFilter{Tenant: "demo", UID: uid})
	if err != nil {
		t.Fatal(err)
	}
	var p webhook.Payload
	if err := json.Unmarshal(evs[1].Payload, &p); err != nil {
		t.Fatalf("payload: %v", err)
	}
	if p.HookName != "deleteaccount" || p.Tenant != "demo" || p.HookID != evs[1].ID || p.Data["Uid"] != uid {
		t.Errorf("DeleteAccount payload: %s", evs[1].Payload)
	}
	for _, secret := range []string{testPIN, testPass, "argon2id", testPepper} {
		if strings.Contains(string(evs[1].Payload), secret) {
			t.Errorf("the DeleteAccount payload holds a secret (%.8s…)", secret)
		}
	}

	// Asked not to: the account goes, no event is written.
	wantOK(t, "delete with prevent_webhook", e.do("DELETE", manage("manage/account/"+kept)+"&prevent_webhook=true", nil))
	if got := e.hooks(kept); len(got) != 1 || got[0] != webhook.Register {
		t.Errorf("events after a delete with prevent_webhook = %v, want only [Register]", got)
	}
}

// brokenOutbox is a store whose transactions fail to write an event while
// broken is set: what the event reports must then not be committed either.
type brokenOutbox struct {
	store.Store
	broken atomic.Bool
}

var errOutboxBroken = errors.New("test: the outbox refuses the event")

func (b *brokenOutbox) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return b.Store.Update(ctx, func(tx store.Tx) error { return fn(brokenOutboxTx{tx, b}) })
}

type brokenOutboxTx struct {
	store.Tx
	b *brokenOutbox
}

func (x brokenOutboxTx) AddEvent(ev store.Event) error {
	if x.b.broken.Load() {
		return errOutboxBroken
	}
	return x.Tx.AddEvent(ev)
}

// Each change and its event commit together or not at all: when the event
// cannot be written the call fails closed and the change is rolled back.
func TestAChangeWhoseEventCannotBeWrittenIsRolledBack(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bo := &brokenOutbox{Store: st}
	e := newTestEnvOn(t, bo, withWebhook)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	before := e.account(uid)
	events := len(e.hooks(uid))

	bo.broken.Store(true)
	for _, c := range []struct {
		name string
		do   func() response
	}{
		{"register", func() response {
			return e.do("POST", manage("manage/account"), map[string]any{
				"Email": []map[string]string{{"Type": "Primary", "Value": "carol@example.com"}}, "Password": testPass})
		}},
		{"password login", func() response { return e.passwordLogin(testEmail, testPass) }},
		{"PIN login", func() response { return e.pinLogin(login.str("session_token"), testPIN) }},
		{"PIN change", func() response {
			return e.do("PUT", api("auth/pin/change"), map[string]string{"oldPIN": testPIN, "newPIN": newPIN}, withToken(login.str("access_token"))...)
		}},
		{"profile update", func() response {
			return e.do("PUT", manage("manage/account/"+uid), map[string]any{"FirstName": "Alicia"})
		}},
		{"delete", func() response { return e.do("DELETE", manage("manage/account/"+uid), nil) }},
	} {
		wantCode(t, c.name+" while the outbox is broken", c.do(), 503, 503)
	}
	bo.broken.Store(false)

	if r := e.do("GET", manage("manage/account")+"&email=carol@example.com", nil); r.status == 200 {
		t.Errorf("the account whose Register event failed exists: %s", r.raw)
	}
	after := e.account(uid) // fails the test if the delete was committed
	if after.Version != before.Version || after.NoOfLogins != before.NoOfLogins || after.PINHash != before.PINHash ||
		!after.PINChangedAt.Equal(before.PINChangedAt) {
		t.Errorf("the account changed without its events: version %d → %d, logins %d → %d, PIN changed %v",
			before.Version, after.Version, before.NoOfLogins, after.NoOfLogins, after.PINHash != before.PINHash)
	}
	if got := e.hooks(uid); len(got) != events {
		t.Errorf("events %v: want the %d written before the outbox broke", got, events)
	}
	// The old PIN still logs in and the session is unchanged.
	wantOK(t, "PIN login after the outbox is repaired", e.pinLogin(login.str("session_token"), testPIN))
}

// TestPreventWebhookHeaderWinsOverTheQuery: LoginRadius gives the
// X-PreventWebhook header priority over the prevent_webhook parameter, so
// a header saying false sends the event whatever the query says, and one
// saying true suppresses it (a Login: the caller's own success event).
func TestPreventWebhookHeaderWinsOverTheQuery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	st := e.loggedIn(testEmail).str("session_token")
	uid := e.do("GET", manage("manage/account")+"&email="+testEmail, nil).str("Uid")
	base := len(e.hooks(uid))
	pinLogin := func(query string, header ...string) {
		t.Helper()
		wantOK(t, "PIN login", e.do("POST", "/identity/v2/auth/login/pin?apikey="+testKey+"&session_token="+st+query,
			map[string]string{"pin": testPIN}, header...))
	}
	pinLogin("&prevent_webhook=true", "X-PreventWebhook", "false")
	if got := e.hooks(uid)[base:]; !slices.Equal(got, []string{webhook.Login}) {
		t.Fatalf("header false, query true: events %v, want [Login]", got)
	}
	pinLogin("&prevent_webhook=false", "X-PreventWebhook", "true")
	pinLogin("&prevent_webhook=true")
	if got := e.hooks(uid)[base:]; len(got) != 1 {
		t.Fatalf("header true (query false), then query true alone: events %v, want none more", got)
	}
}
