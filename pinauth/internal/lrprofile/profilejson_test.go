package lrprofile

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// TestProfileEncodesAsEncodingJSONEncodesTheMap: Profile's encoder writes
// exactly what encoding/json writes for the same map, HTML characters,
// line separators, non-ASCII text and raw values with spaces included.
func TestProfileEncodesAsEncodingJSONEncodesTheMap(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := store.Account{
		Tenant: "demo", UID: "0123456789abcdef0123456789abcdef", Username: "<b>alice</b>",
		Emails: []store.Email{{Type: "Primary", Value: "alice@example.com"}}, Roles: []string{"user & admin"},
		Active: true, NoOfLogins: 3, CreatedAt: now, ModifiedAt: now, LastLoginLocation: "203.0.113.7",
		Profile: map[string]json.RawMessage{
			"FirstName":      json.RawMessage(`"Zoë \u2028 <script>"`),
			"Country":        json.RawMessage("{ \"Code\" : \"US\",\n \"Name\": \"United & States\" }"),
			"custom \"key\"": json.RawMessage(`[1, 2.5, true, null]`),
			"Ünïcode":        json.RawMessage(`"x"`),
		},
	}
	p := View(&a, store.Attempts{}, now)
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(map[string]any(p))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Profile encodes\n%s\nencoding/json\n%s", got, want)
	}
	if b, _ := json.Marshal(struct{ Profile Profile }{}); string(b) != `{"Profile":null}` {
		t.Fatalf("a nil profile encodes as %s, want null as for a nil map", b)
	}
}
