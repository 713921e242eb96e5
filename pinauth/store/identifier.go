package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// IdentifierKind names a login identifier.
type IdentifierKind string

// The identifier kinds an account can be found by.
const (
	IdentEmail    IdentifierKind = "email"
	IdentUsername IdentifierKind = "username"
	IdentPhone    IdentifierKind = "phone"
)

// Identifier is a normalized login identifier.
type Identifier struct {
	Kind  IdentifierKind
	Value string
}

// NormalizeIdentifier returns the form in which identifiers are compared:
// surrounding space removed, and emails and usernames lower-cased. No
// character outside ASCII is lower-cased into ASCII: strings.ToLower would
// turn the Kelvin sign K into k and the dotted capital İ into i, so that
// "\u212Aate@example.com" reached kate@example.com's account. Every other
// rune folds as strings.ToLower folds it, so stored identifiers keep their
// form.
func NormalizeIdentifier(kind IdentifierKind, v string) string {
	v = strings.TrimSpace(v)
	if kind == IdentPhone {
		return v
	}
	return strings.Map(func(r rune) rune {
		if l := unicode.ToLower(r); r < utf8.RuneSelf || l >= utf8.RuneSelf {
			return l
		}
		return r
	}, v)
}

// FirstIdentifier returns the identifier a body that may name an account
// by several fields names it by, as LoginRadius chooses: the email if
// given, else the username, else the phone. Its Value is "" when none is
// given. A body without a phone field passes "" for it.
func FirstIdentifier(email, username, phone string) Identifier {
	switch {
	case email != "":
		return Identifier{IdentEmail, email}
	case username != "":
		return Identifier{IdentUsername, username}
	case phone != "":
		return Identifier{IdentPhone, phone}
	}
	return Identifier{IdentEmail, ""}
}
