package operator

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// setUsername calls SetOwnUsername as account uid with body.
func (f *roleFixture) setUsername(uid, body string) (any, error) {
	f.t.Helper()
	a := f.account(uid)
	hr := httptest.NewRequest("PUT", "/identity/v2/auth/username", strings.NewReader(body))
	return f.api.SetOwnUsername(Request{HTTP: hr, Account: &a, Act: recordingAct{f.rc}})
}

func TestSetOwnUsernameChangesOnlyTheUsernameAndRefusesTakenOrBadNames(t *testing.T) {
	f := newRoleFixture(t)
	before := f.account("ann")
	out, err := f.setUsername("ann", `{"username":"ann_2"}`)
	if err != nil || out != (postedBody{IsPosted: true}) {
		t.Fatalf("set: %v, %v", out, err)
	}
	after := f.account("ann")
	if after.Username != "ann_2" || after.Phone != before.Phone || !slices.Equal(after.Emails, before.Emails) || after.PINHash != before.PINHash {
		t.Fatalf("after the change: %+v", after)
	}
	if want := []string{"SetUsername demo ann", "UpdateProfile demo ann"}; !slices.Equal(f.rc.writes, want) {
		t.Errorf("events = %q; want %q", f.rc.writes, want)
	}
	for _, tc := range []struct {
		body string
		code lrerr.Code
	}{
		{`{"username":"bob"}`, lrerr.CodeUsernameTaken},
		{`{"username":"BOB"}`, lrerr.CodeUsernameTaken},
		{`{"username":"bob@x"}`, 0}, // free: only a name someone has is taken
		{`{"username":""}`, lrerr.CodeValidation},
		{`{}`, lrerr.CodeValidation},
		{`{"username":"two words"}`, lrerr.CodeValidation},
		{`not json`, lrerr.CodePutBodyInvalid},
	} {
		_, err := f.setUsername("ann", tc.body)
		var code lrerr.Code
		if e, ok := err.(*lrerr.Error); ok {
			code = e.Code
		} else if err != nil {
			code = lrerr.As(err).Code
		}
		if code != tc.code {
			t.Errorf("%s: error %v; want code %d", tc.body, err, tc.code)
		}
	}
}
