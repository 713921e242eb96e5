package pinauth

import (
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// validatePIN checks a new PIN against the tenant's policy: digits only,
// length within bounds, and (unless weak PINs are allowed) not one repeated
// digit nor a straight run such as 1234 or 4321. field names the request
// field for the 1134 error.
func validatePIN(t *Tenant, field, pin string) *lrerr.Error {
	if pin == "" {
		return lrerr.New(lrerr.CodePINMissing)
	}
	msg := ""
	switch {
	case !lrprofile.AllDigits(pin):
		msg = "The PIN must contain digits only."
	case len(pin) < t.PINMinLength || len(pin) > t.PINMaxLength:
		msg = fmt.Sprintf("The PIN must have %d to %d digits.", t.PINMinLength, t.PINMaxLength)
	case !t.AllowWeakPINs && weakPIN(pin):
		msg = "The PIN is too easy to guess: avoid one repeated digit and straight runs like 1234."
	}
	if msg != "" {
		return lrerr.Field(field, msg)
	}
	return nil
}

// checkPINFormat checks a PIN presented for login: it can only match when it
// has the tenant's shape. Weak-PIN rules are not applied here (they only
// govern new PINs).
func checkPINFormat(t *Tenant, field, pin string) *lrerr.Error {
	if pin == "" {
		return lrerr.New(lrerr.CodePINMissing)
	}
	if !lrprofile.AllDigits(pin) || len(pin) < t.PINMinLength || len(pin) > t.PINMaxLength {
		return lrerr.Field(field, fmt.Sprintf("The PIN must have %d to %d digits.", t.PINMinLength, t.PINMaxLength))
	}
	return nil
}

// weakPIN reports a PIN of one repeated digit or an ascending/descending
// straight run (1234, 4321, 8901 does not count: runs do not wrap).
func weakPIN(pin string) bool {
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	return same || up || down
}
