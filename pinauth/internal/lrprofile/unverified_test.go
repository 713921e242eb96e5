package lrprofile

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// TestViewAnswersUnverifiedEmailsAsLoginRadiusUnverifiedEmail: addresses
// awaiting verification are LoginRadius's UnverifiedEmail list, apart from
// Email; none gives null, as before.
func TestViewAnswersUnverifiedEmailsAsLoginRadiusUnverifiedEmail(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	a := store.Account{Tenant: "demo", UID: "u1", Emails: []store.Email{{Type: "Primary", Value: "a@example.com"}}}
	if got, _ := json.Marshal(View(&a, store.Attempts{}, now)["UnverifiedEmail"]); string(got) != "null" {
		t.Errorf("UnverifiedEmail without pending addresses = %s, want null", got)
	}
	a.UnverifiedEmails = []store.Email{{Type: "Secondary", Value: "b@example.com"}}
	p := View(&a, store.Attempts{}, now)
	if got, _ := json.Marshal(p["UnverifiedEmail"]); string(got) != `[{"Type":"Secondary","Value":"b@example.com"}]` {
		t.Errorf("UnverifiedEmail = %s", got)
	}
	if got, _ := json.Marshal(p["Email"]); string(got) != `[{"Type":"Primary","Value":"a@example.com"}]` {
		t.Errorf("Email = %s, want the verified list only", got)
	}
}
