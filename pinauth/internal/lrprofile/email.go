package lrprofile

import (
	"strings"
)

// An email is a bare addr-spec (RFC 5322 §3.4.1) in its dot-atom form:
// local-part "@" domain, nothing around it. What mail software reads as
// an address but is more than one — `<alice@example.com>`,
// `x:alice@example.com;` (a group), `Alice <alice@example.com>`, comments,
// quoted local parts (`"alice@evil"@example.com`), domain literals — is
// refused: such a string is a second account whose mail goes to another
// account's mailbox, and an app parsing X-Auth-Email with a mail library
// reads it as that other account's address.
//
// The canonical form lower-cases the domain (DNS names are
// case-insensitive) and keeps the local part as given, for display;
// uniqueness and login compare addresses with the local part
// case-insensitive as well (store.NormalizeIdentifier), as every common
// mail provider treats it. Provider-specific aliases (`+tag`, Gmail's dots)
// are distinct addresses: they reach only the mailbox of whoever owns the
// base address, never an attacker's.

// msgEmailSyntax is the field error of an email that is not a bare
// addr-spec.
const msgEmailSyntax = "The email address is not valid: give the bare address (name@example.com), without a display name, angle brackets, comments or quotes."

// CanonicalEmail returns the canonical form of s (surrounding space
// removed, domain lower-cased) and whether s is a bare addr-spec: a
// dot-atom local part of at most 64 characters, one "@", and a DNS host
// name of at least two labels (letters, digits and inner hyphens, an
// internationalized name in its xn-- form), 254 characters in all.
func CanonicalEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || !dotAtom(local) || !hostName(domain) {
		return "", false
	}
	return local + "@" + strings.ToLower(domain), true
}

// ValidEmail reports whether s is a bare addr-spec (see CanonicalEmail).
func ValidEmail(s string) bool {
	_, ok := CanonicalEmail(s)
	return ok
}

// dotAtom reports whether s is an RFC 5322 dot-atom of at most 64
// characters: atext runs separated by single dots.
func dotAtom(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !atext(c) {
			return false
		}
	}
	return true
}

// atext reports whether c may appear in an atom: letters, digits and
// !#$%&'*+-/=?^_`{|}~ (RFC 5322 §3.2.3).
func atext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// hostName reports whether s is a DNS host name of at least two labels,
// each 1 to 63 letters, digits or hyphens, not beginning or ending with a
// hyphen, the last not all digits (so no IPv4 address), 253 characters at
// most and no trailing dot.
func hostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; c != '-' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return !AllDigits(labels[len(labels)-1])
}
