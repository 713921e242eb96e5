package rows

import (
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// NameState is what a store holds about one name when an account wants
// it (see store.Tx.CreateAccount), read in the writing transaction.
type NameState struct {
	// Holder is the uid of the account holding the name (its row in
	// names), "" for none.
	Holder string
	// Others reports that an account other than the writer has the name
	// by its stored identifiers or Uid, whether or not it holds it: a
	// NameConflict from before names were unique, or an account that a
	// node of the previous release wrote during a rolling upgrade.
	Others bool
	// Had reports that the writer's stored identifiers or Uid already
	// give it the name.
	Had bool
}

// Claim reports whether the account uid must insert the name's row to
// have name n: false when it holds it already, or had it from before
// while another account still has it too (it keeps it, unheld); a
// *DuplicateError naming n's field when another account has the name and
// the writer did not. Both backends decide with it, so the rule is one.
func Claim(uid string, n store.Name, st NameState) (bool, error) {
	switch {
	case st.Holder == uid:
		return false, nil
	case st.Had:
		return st.Holder == "" && !st.Others, nil
	case st.Holder != "" || st.Others:
		return false, &store.DuplicateError{Field: n.Field}
	}
	return true, nil
}

// NamesOf returns the names an account with this uid and these stored
// identifiers has.
func NamesOf(uid string, ids []store.Identifier) map[string]bool {
	had := map[string]bool{store.NameOf(uid): true}
	for _, id := range ids {
		had[store.NameOf(id.Value)] = true
	}
	return had
}

// Dropped returns the names in had that names no longer contains.
func Dropped(had []string, names []store.Name) []string {
	var out []string
	for _, h := range had {
		keep := false
		for _, n := range names {
			if n.Value == h {
				keep = true
				break
			}
		}
		if !keep {
			out = append(out, h)
		}
	}
	return out
}

// ScanIdentifier reads a (kind, value) row.
func ScanIdentifier(sc Scanner) (store.Identifier, error) {
	var kind, value string
	err := sc.Scan(&kind, &value)
	return store.Identifier{Kind: store.IdentifierKind(kind), Value: value}, err
}

// DiffIdentifiers returns what must be inserted and deleted to turn the
// stored identifiers into ids (ids has no duplicates; see Identifiers).
func DiffIdentifiers(stored, ids []store.Identifier) (added, removed []store.Identifier) {
	for _, id := range ids {
		if !slices.Contains(stored, id) {
			added = append(added, id)
		}
	}
	for _, id := range stored {
		if !slices.Contains(ids, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// Owner is Reader.NameOwner's answer for a name no account holds, given
// up to two accounts having it.
func Owner(havers []string) (uid string, taken bool) {
	if len(havers) == 1 {
		return havers[0], true
	}
	return "", len(havers) > 0
}

// ScanNameConflict reads a (tenant, uid, field, name, holder) row.
func ScanNameConflict(sc Scanner) (store.NameConflict, error) {
	var c store.NameConflict
	return c, sc.Scan(&c.Tenant, &c.UID, &c.Field, &c.Name, &c.Holder)
}
