package store

import (
	"slices"
	"strings"
)

// claimsProfileFields are the profile fields a display name is made of
// (compared case-insensitively, as the profile's readers do).
var claimsProfileFields = []string{"fullname", "firstname", "lastname"}

// SameClaims reports whether a and b agree on everything an access token
// may carry about the account besides its ids (issue 22): whether it is
// active, its emails, username, roles and the fields of its display name.
// It errs toward false: a change it cannot rule out counts as a change.
func SameClaims(a, b *Account) bool {
	if a.Active != b.Active || a.Username != b.Username ||
		!slices.Equal(a.Emails, b.Emails) || !slices.Equal(a.Roles, b.Roles) {
		return false
	}
	return nameFields(a) == nameFields(b)
}

// nameFields is the display-name fields of a's profile, keys and raw
// values, in a canonical order.
func nameFields(a *Account) string {
	var parts []string
	for k, v := range a.Profile {
		if slices.Contains(claimsProfileFields, strings.ToLower(k)) {
			parts = append(parts, k+"\x00"+string(v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}
