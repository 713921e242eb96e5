package operator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestUpdatePhoneIDReplacesThePhoneAndEndsTheCodesSentToTheOldOne(t *testing.T) {
	f := newRoleFixture(t)
	now := f.rc.now
	err := f.rc.st.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateSession(store.Session{ID: "ann-phone", Tenant: "demo", UID: "ann", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.InsertToken(store.Token{Hash: "h-code", Kind: store.TokenOTP, Tenant: "demo", UID: "ann",
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), Data: map[string]string{"channel": "sms"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK spells the field "phone".
	got, e := f.do((*API).UpdatePhoneID, "PUT", "ann", "", `{"phone":"+15550199"}`)
	if e != nil {
		t.Fatalf("update: %d %s", e.Code, e.Description)
	}
	if !strings.Contains(got, `"PhoneId":"+15550199"`) || !strings.Contains(got, `"Uid":"ann"`) {
		t.Errorf("answer %s; want ann's profile with the new phone", got)
	}
	if a := f.account("ann"); a.Phone != "+15550199" {
		t.Errorf("stored phone %q", a.Phone)
	}
	for _, phone := range []string{"+15550100", "+15550199"} {
		a, found, err := f.rc.st.AccountBy(t.Context(), "demo", store.IdentPhone, phone)
		if err != nil || found != (phone == "+15550199") || (found && a.UID != "ann") {
			t.Errorf("AccountBy(%s) = %s, %v, %v", phone, a.UID, found, err)
		}
	}
	tok, _, err := f.rc.st.Token(t.Context(), store.TokenOTP, "h-code")
	if err != nil || tok.UsedAt.IsZero() {
		t.Errorf("the code texted to the old number stays usable: %+v, %v", tok, err)
	}
	if s, _, err := f.rc.st.Session(t.Context(), "ann-phone"); err != nil || !s.RevokedAt.IsZero() {
		t.Errorf("a phone change revoked a session: %+v, %v", s, err)
	}
	if want := "[UpdatePhoneId demo ann]"; fmt.Sprint(f.rc.writes) != want {
		t.Errorf("writes %q; want %s", f.rc.writes, want)
	}

	before := f.account("ann")
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", `{"Phone":""}`, lrerr.CodeValidation)
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", `{}`, lrerr.CodeValidation)
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", `{"Phone":"5550199"}`, lrerr.CodeValidation)
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", `{"Phone":7}`, lrerr.CodePutBodyInvalid)
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", ``, lrerr.CodePutBodyInvalid)
	f.fails((*API).UpdatePhoneID, "PUT", "nobody", "", `{"Phone":"+15550142"}`, lrerr.CodeUserNotFound)
	// bob takes a phone; ann may not have it, nor may bob take ann's.
	f.setPhone(t, "bob", `{"Phone":"+15550142"}`)
	f.fails((*API).UpdatePhoneID, "PUT", "ann", "", `{"Phone":"+15550142"}`, lrerr.CodePhoneTaken)
	f.fails((*API).UpdatePhoneID, "PUT", "bob", "", `{"Phone":"+15550199"}`, lrerr.CodePhoneTaken)
	if a := f.account("ann"); a.Phone != before.Phone || a.Version != before.Version {
		t.Errorf("refused updates changed ann: phone %q, version %d -> %d", a.Phone, before.Version, a.Version)
	}
	if got := f.account("bob").Phone; got != "+15550142" {
		t.Errorf("bob's phone after a refused change: %q", got)
	}
}

// setPhone sets uid's phone with body and fails unless it succeeds.
func (f *roleFixture) setPhone(t *testing.T, uid, body string) {
	t.Helper()
	if _, e := f.do((*API).UpdatePhoneID, "PUT", uid, "", body); e != nil {
		t.Fatalf("update %s: %d %s", uid, e.Code, e.Description)
	}
}
