package store

import "errors"

// ErrVersionConflict is returned by Tx.SaveAccount when the stored account
// changed since it was read.
var ErrVersionConflict = errors.New("store: account was modified concurrently")

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store: closed")

// DuplicateError reports an identifier already used by another account of
// the tenant, or a name another account of the tenant has (see
// Tx.CreateAccount), or a taken role name.
type DuplicateError struct {
	// Field is the field of the account being written that collided
	// ("email", "username", "phone" or "uid"), or "role" for a role
	// name the tenant has (Tx.CreateRole).
	Field string
}

func (e *DuplicateError) Error() string { return "store: duplicate " + e.Field }

// IsDuplicate reports whether err is or wraps a *DuplicateError, and
// returns it.
func IsDuplicate(err error) (*DuplicateError, bool) {
	var d *DuplicateError
	ok := errors.As(err, &d)
	return d, ok
}
