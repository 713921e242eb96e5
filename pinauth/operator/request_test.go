package operator

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// fieldNames returns the names of e's field errors, sorted.
func fieldNames(e *lrerr.Error) []string {
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.FieldName)
	}
	slices.Sort(names)
	return names
}

func TestCheckNewNamesEveryFieldAtFault(t *testing.T) {
	uid, locked := "u1", true
	e := checkNew(&lrprofile.Input{UID: &uid, LoginLocked: &locked})
	if e == nil || e.Code != lrerr.CodeValidation {
		t.Fatalf("checkNew = %v; want a 1134", e)
	}
	if got, want := fieldNames(e), []string{"Email", "IsLoginLocked", "Password", "Uid"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v; want %v", got, want)
	}
	pw, name := "secret-1", "ann"
	if e := checkNew(&lrprofile.Input{Username: &name, Password: &pw}); e != nil {
		t.Errorf("checkNew of a user name and a password = %v; want nil", e)
	}
}

func TestCheckIdentifiedRefusesAnAccountNoLoginCanReach(t *testing.T) {
	if e := checkIdentified(&store.Account{}); e == nil || !slices.Equal(fieldNames(e), []string{"Email"}) {
		t.Errorf("checkIdentified(no identifier) = %v; want a 1134 on Email", e)
	}
	if e := checkIdentified(&store.Account{Phone: "+15550100"}); e != nil {
		t.Errorf("checkIdentified(phone) = %v; want nil", e)
	}
}

func TestLookupQueryPrefersEmailThenUsernameThenPhone(t *testing.T) {
	for _, tc := range []struct {
		q     apireq.Params
		kind  store.IdentifierKind
		value string
	}{
		{apireq.Params{"email": "a@x.test", "username": "ann"}, store.IdentEmail, "a@x.test"},
		{apireq.Params{"username": "ann", "phone": "+1"}, store.IdentUsername, "ann"},
		{apireq.Params{"phoneid": "+1"}, store.IdentPhone, "+1"},
	} {
		kind, value, e := lookupQuery(tc.q)
		if e != nil || kind != tc.kind || value != tc.value {
			t.Errorf("lookupQuery(%v) = %q, %q, %v; want %q, %q", tc.q, kind, value, e, tc.kind, tc.value)
		}
	}
	if _, _, e := lookupQuery(apireq.Params{}); e == nil || e.Code != lrerr.CodeParameterFormat {
		t.Errorf("lookupQuery(none) = %v; want a parameter format error", e)
	}
}

func TestDuplicateErrorNamesTheTakenField(t *testing.T) {
	for field, want := range map[string]lrerr.Code{
		"email": lrerr.CodeEmailTaken, "username": lrerr.CodeUsernameTaken,
		"phone": lrerr.CodePhoneTaken, "uid": lrerr.CodeValidation,
	} {
		err := duplicateError(fmt.Errorf("save: %w", &store.DuplicateError{Field: field}))
		var e *lrerr.Error
		if !errors.As(err, &e) || e.Code != want {
			t.Errorf("duplicateError(%s) = %v; want code %d", field, err, want)
		}
	}
}

func TestAccountInputRefusesProfileFieldsItDoesNotOwn(t *testing.T) {
	in := AccountInput{Profile: map[string]json.RawMessage{
		"password":  json.RawMessage(`"x"`),
		"Uid":       json.RawMessage(`"u2"`),
		"FirstName": json.RawMessage(`{`),
	}}
	_, e := in.profileInput()
	if e == nil || e.Code != lrerr.CodeValidation {
		t.Fatalf("profileInput = %v; want a 1134", e)
	}
	if got, want := fieldNames(e), []string{"FirstName", "Uid", "password"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v; want %v", got, want)
	}
	in = AccountInput{Roles: []string{}, Profile: map[string]json.RawMessage{"FirstName": json.RawMessage(`"Ann"`)}}
	pi, e := in.profileInput()
	if e != nil || !pi.HasRoles || pi.HasEmails {
		t.Errorf("profileInput = %+v, %v; want roles set, emails untouched", pi, e)
	}
}
