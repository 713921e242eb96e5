package rows

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// storedDoc is the document both backends wrote for docAccount before the
// codec moved here: databases hold documents like it, so it must not
// change.
const storedDoc = `{"emails":[{"Type":"Primary","Value":"alice@example.com"},{"Type":"Secondary","Value":"a2@example.com"}],` +
	`"username":"alice","phone":"+15551234567","password_hash":"$argon2id$pw","pin_hash":"$argon2id$pin",` +
	`"pin_changed_at":"2031-03-03T23:36:07.891234567Z","pin_skipped":true,"pin_skipped_at":"2031-03-04T00:36:07.891234567Z",` +
	`"security_answers":{"q1":"$argon2id$a","q2":"$argon2id$b"},"needs_secret_reset":true,"roles":["admin","user"],` +
	`"active":true,"email_verified":true,"no_of_logins":3,"last_login_at":"2031-03-04T01:36:07.891234567Z",` +
	`"last_login_location":"Paris \u003cFR\u003e","created_at":"2031-03-03T22:36:07.891234567Z",` +
	`"modified_at":"2031-03-04T02:36:07.891234567Z",` +
	`"profile":{"Custom":"{ \"b\": 1,  \"a\": [1, 2] }","FirstName":"\"Al\u003ci\u003ece\""}}`

func docAccount() store.Account {
	t := time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("IST", 5*3600+1800))
	return store.Account{Tenant: "acme", UID: "u1", Version: 7,
		Emails:   []store.Email{{Type: "Primary", Value: "alice@example.com"}, {Type: "Secondary", Value: "a2@example.com"}},
		Username: "alice", Phone: "+15551234567",
		PasswordHash: "$argon2id$pw", PINHash: "$argon2id$pin",
		PINChangedAt: t, PINSkipped: true, PINSkippedAt: t.Add(time.Hour),
		SecurityAnswers: map[string]string{"q2": "$argon2id$b", "q1": "$argon2id$a"}, NeedsSecretReset: true,
		Roles: []string{"admin", "user"}, Active: true, EmailVerified: true,
		NoOfLogins: 3, LastLoginAt: t.Add(2 * time.Hour), LastLoginLocation: "Paris <FR>",
		CreatedAt: t.Add(-time.Hour), ModifiedAt: t.Add(3 * time.Hour),
		Profile: map[string]json.RawMessage{
			"FirstName": json.RawMessage(`"Al<i>ce"`),
			"Custom":    json.RawMessage(`{ "b": 1,  "a": [1, 2] }`),
		},
	}
}

func TestTheAccountDocumentKeepsItsStoredFormat(t *testing.T) {
	a := docAccount()
	doc, err := EncodeAccount(&a)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != storedDoc {
		t.Errorf("EncodeAccount wrote\n %s\nwant\n %s", doc, storedDoc)
	}
	if doc, _ := EncodeAccount(&store.Account{Tenant: "acme", UID: "u2"}); string(doc) != `{}` {
		t.Errorf("an empty account is stored as %s, want {}", doc)
	}
}

func TestAStoredDocumentDecodesToTheAccountThatWroteIt(t *testing.T) {
	want := docAccount()
	got, err := DecodeAccount("acme", "u1", 7, []byte(storedDoc))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want.Profile {
		if !bytes.Equal(got.Profile[k], v) {
			t.Errorf("Profile[%q] = %s, want %s byte for byte", k, got.Profile[k], v)
		}
	}
	for _, tm := range []time.Time{got.PINChangedAt, got.PINSkippedAt, got.LastLoginAt, got.CreatedAt, got.ModifiedAt} {
		if tm.Location() != time.UTC {
			t.Errorf("a time came back in %v, want UTC", tm.Location())
		}
	}
	for _, p := range []*time.Time{&want.PINChangedAt, &want.PINSkippedAt, &want.LastLoginAt, &want.CreatedAt, &want.ModifiedAt} {
		*p = p.UTC()
	}
	got.Profile, want.Profile = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n %+v\nwant\n %+v", got, want)
	}
	if _, err := DecodeAccount("acme", "u1", 1, []byte(`{"emails":`)); err == nil {
		t.Error("a truncated document decoded without an error")
	}
}

func TestOldestFirstOrdersClaimsByCreationThenInsertion(t *testing.T) {
	t0 := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	got := OldestFirst([]Claimed{
		{Seq: 4, Event: store.Event{ID: "d", CreatedAt: t0.Add(time.Second)}},
		{Seq: 3, Event: store.Event{ID: "c", CreatedAt: t0}},
		{Seq: 1, Event: store.Event{ID: "a", CreatedAt: t0}},
		{Seq: 2, Event: store.Event{ID: "b", CreatedAt: t0.Add(-time.Second)}},
	})
	var ids string
	for _, e := range got {
		ids += e.ID
	}
	if ids != "bacd" {
		t.Errorf("order = %s, want bacd", ids)
	}
}

func TestFoundTellsAnEmptyResultFromAFault(t *testing.T) {
	noRows := errors.New("no rows")
	fault := errors.New("connection lost")
	if v, found, err := Found("x", nil, noRows); v != "x" || !found || err != nil {
		t.Errorf("a row: %q, %v, %v", v, found, err)
	}
	if v, found, err := Found("x", noRows, noRows); v != "" || found || err != nil {
		t.Errorf("no row: %q, %v, %v; want not found without an error", v, found, err)
	}
	if v, found, err := Found("x", fault, noRows); v != "" || found || err != fault {
		t.Errorf("a fault: %q, %v, %v; want the fault", v, found, err)
	}
}
