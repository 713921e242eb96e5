package operator

import (
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestOwnProfileRefusesOnlyTheProtectedFieldsABodyWouldChange(t *testing.T) {
	t.Parallel()
	acc := &store.Account{UID: "ann", Active: true, Phone: "+15550100", Roles: []string{"user"},
		Emails: []store.Email{{Type: "Primary", Value: "ann@x.test"}}}
	yes, no := true, false
	same, other := "+15550100", "+15550199"
	uid, otherUID := "ann", "bob"
	pw := "a new password"
	for _, tc := range []struct {
		name   string
		in     lrprofile.Input
		locked bool
		want   []string
	}{
		{"the profile as read", lrprofile.Input{HasEmails: true, Emails: acc.Emails, Phone: &same, HasRoles: true,
			Roles: []string{"user"}, Active: &yes, EmailVerified: &no, LoginLocked: &no, UID: &uid}, false, nil},
		{"a locked account sending IsLoginLocked true", lrprofile.Input{LoginLocked: &yes}, true, nil},
		{"every protected field changed", lrprofile.Input{HasEmails: true, Phone: &other, Password: &pw, HasRoles: true,
			Active: &no, EmailVerified: &yes, LoginLocked: &yes, UID: &otherUID}, false,
			[]string{"Email", "PhoneId", "Password", "Roles", "IsActive", "EmailVerified", "IsLoginLocked", "Uid"}},
		{"a password, even alone", lrprofile.Input{Password: &pw}, false, []string{"Password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range ownProfileRefusals(&tc.in, acc, tc.locked) {
				got = append(got, f.FieldName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("refused %v; want %v", got, tc.want)
			}
		})
	}
}
