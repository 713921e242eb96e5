package operator

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestManagementEmailsAreUpsertedAndDeletedKeepingAnIdentifier(t *testing.T) {
	f := newRoleFixture(t)
	if _, e := f.do((*API).UpsertEmails, "PUT", "ann", "", `{"Email":[{"type":"Work","value":"ANN@x.test"},{"type":"Secondary","value":"ann2@x.test"}]}`); e != nil {
		t.Fatalf("upsert: %d %s", e.Code, e.Description)
	}
	want := []store.Email{{Type: "Work", Value: "ann@x.test"}, {Type: "Secondary", Value: "ann2@x.test"}}
	if got := f.account("ann").Emails; !slices.Equal(got, want) {
		t.Fatalf("emails after the upsert = %+v; want %+v", got, want)
	}
	// A reset link mailed before the removal ends with it.
	pending := store.Token{Hash: "h-reset", Kind: store.TokenPINReset, Tenant: "demo", UID: "ann",
		CreatedAt: f.rc.now, ExpiresAt: f.rc.now.Add(time.Hour)}
	if err := f.rc.st.Update(t.Context(), func(tx store.Tx) error { return tx.InsertToken(pending) }); err != nil {
		t.Fatal(err)
	}
	if _, e := f.do((*API).DeleteEmail, "DELETE", "ann", "", `{"email":"Ann@X.test"}`); e != nil {
		t.Fatalf("delete: %d %s", e.Code, e.Description)
	}
	if got := f.account("ann").Emails; !slices.Equal(got, want[1:]) {
		t.Fatalf("emails after the delete = %+v", got)
	}
	if _, found, err := f.rc.st.Token(t.Context(), store.TokenPINReset, "h-reset"); err != nil || found {
		t.Errorf("the reset token outlived the email's removal: %v, %v", found, err)
	}
	if want := []string{"AddEmail demo ann", "RemoveEmail demo ann"}; !slices.Equal(f.rc.writes, want) {
		t.Errorf("events = %q; want %q", f.rc.writes, want)
	}
	before := f.account("ann")
	f.fails((*API).DeleteEmail, "DELETE", "ann", "", `{"email":"ann@x.test"}`, lrerr.CodeEmailNotFound)
	f.fails((*API).DeleteEmail, "DELETE", "ann", "", `{"email":"not an address"}`, lrerr.CodeValidation)
	f.fails((*API).DeleteEmail, "DELETE", "ann", "", `{"email":7}`, lrerr.CodeBodyInvalid)
	f.fails((*API).UpsertEmails, "PUT", "ann", "", `{"Email":[]}`, lrerr.CodeValidation)
	f.fails((*API).UpsertEmails, "PUT", "ann", "", `{"Email":[{"type":"Work","value":"bob"}]}`, lrerr.CodeValidation)
	f.fails((*API).UpsertEmails, "PUT", "nobody", "", `{"Email":[{"type":"Work","value":"n@x.test"}]}`, lrerr.CodeUserNotFound)
	if got := f.account("ann"); !slices.Equal(got.Emails, before.Emails) {
		t.Errorf("refused calls changed the emails: %+v", got.Emails)
	}
	// bob is found by his username alone: his only email may go only
	// while that stays.
	if _, e := f.do((*API).UpsertEmails, "PUT", "bob", "", `{"Email":[{"type":"Primary","value":"bob@x.test"}]}`); e != nil {
		t.Fatalf("bob's email: %d %s", e.Code, e.Description)
	}
	f.fails((*API).UpsertEmails, "PUT", "bob", "", `{"Email":[{"type":"Primary","value":"ann2@x.test"}]}`, lrerr.CodeEmailTaken)
	if _, e := f.do((*API).DeleteEmail, "DELETE", "bob", "", `{"email":"bob@x.test"}`); e != nil {
		t.Fatalf("bob's last email, with a username left: %d %s", e.Code, e.Description)
	}
}
