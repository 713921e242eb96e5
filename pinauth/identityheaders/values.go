package identityheaders

import (
	"iter"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

// Values are one account's identity header values, computed once when its
// profile is cached so the hot path only assigns slices. A Values is
// immutable once prepared (Headers.Prepare, PickUser).
type Values struct {
	fields [NumFields][]string
	// pipeRoles are the roles separated by |, for the authentik preset.
	pipeRoles []string
	// user is the preset's user value (srcUser), one of fields'
	// slices; nil for none, or when no preset needs it.
	user []string
	// dropped has bit i set when identity header i was left out because
	// the stored value is not one line of printable text.
	dropped uint8
}

// NewValues computes the header values of an account's identity fields,
// indexed by Field (Session, which belongs to the token, is ignored). A
// value a header may not carry is left out, and blanked in fields too, so
// that whatever else is built from fields (the placeholders) leaves it
// out alike; Dropped names them.
func NewValues(fields *[NumFields]string) Values {
	var v Values
	for i := range Session {
		f := &fields[i]
		// A value stored before such values were refused (or written
		// around the gateway) is left out, from the headers and the
		// placeholders alike: a header cannot carry a control character
		// (reverse_proxy would answer every request of the account with
		// 502), an encoded form could pass for another value, and an
		// email that is not a bare addr-spec (`<bob@example.com>`) reads
		// as another account's address to an app's mail parser.
		if lrprofile.HasControl(*f) || i == Email && *f != "" && !lrprofile.ValidEmail(*f) {
			*f = ""
			v.dropped |= 1 << i
		}
		if *f != "" {
			v.fields[i] = []string{*f}
		}
	}
	return v
}

// Dropped names the identity headers left out of v, by suffix (Name,
// Roles …), for the log; nil when none was.
func (v *Values) Dropped() []string {
	var names []string
	for i, n := range suffixes {
		if v.dropped&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// Strings yields the strings v holds of its own (the preset's user value
// is one of them and is not repeated), for a cache's cost.
func (v *Values) Strings() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, f := range v.fields {
			if f != nil && !yield(f[0]) {
				return
			}
		}
		if v.pipeRoles != nil {
			yield(v.pipeRoles[0])
		}
	}
}

// User is the preset's user value (see PickUser); nil for none.
func (v *Values) User() []string { return v.user }

// PickUser finds the preset's user value: the first of the username, the
// email and the Uid that owns reports as naming this account alone. Names
// are unique across kinds, so it is the first one present; one shared with
// another account from before (a name conflict) is skipped, and skipped is
// told which. An error from owns is returned as it is: the request fails
// closed. Call it only when Headers.NeedsUser.
func (v *Values) PickUser(owns func(name string) (bool, error), skipped func(Field)) error {
	for _, f := range [...]Field{Username, Email, UID} {
		val := v.fields[f]
		if val == nil {
			continue
		}
		ok, err := owns(val[0])
		if err != nil {
			return err
		}
		if ok {
			v.user = val
			return nil
		}
		skipped(f)
	}
	return nil
}
