package store

import (
	"strings"
	"testing"
)

func TestParseLockTypeReadsEveryLockTypeInLowerCaseOnly(t *testing.T) {
	t.Parallel()
	for _, lt := range LockTypes {
		name := strings.ToLower(string(lt))
		got, err := ParseLockType(name)
		if err != nil || got != lt {
			t.Errorf("ParseLockType(%q) = %q, %v; want %q", name, got, err, lt)
		}
		// The refusal names every type an operator may give.
		if _, err := ParseLockType("x"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("ParseLockType(x) error %v does not name %q", err, name)
		}
	}
	for _, name := range []string{"", "x", "Suspend", string(LockBlock), " block"} {
		if got, err := ParseLockType(name); err == nil || got != LockNone {
			t.Errorf("ParseLockType(%q) = %q, %v; want LockNone and an error", name, got, err)
		}
	}
}
