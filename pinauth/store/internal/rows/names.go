package rows

import "github.com/pinauth/caddy-pinauth/pinauth/store"

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

// SameIdentifiers reports whether stored and ids hold the same
// identifiers (ids has no duplicates; see Identifiers).
func SameIdentifiers(stored, ids []store.Identifier) bool {
	if len(stored) != len(ids) {
		return false
	}
	for _, id := range ids {
		found := false
		for _, s := range stored {
			if s == id {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// NameStateQuery reads the Holder and Others of a NameState; its
// parameters are tenant, name and the writer's uid. The queries here are
// shared by both backends: SQLite reads $1, $2 … as PostgreSQL does (the
// numbers follow first use). Identifiers are stored in their NameOf form
// already (see the names migration).
const NameStateQuery = `SELECT (SELECT uid FROM names WHERE tenant = $1 AND name = $2),
	EXISTS (SELECT 1 FROM identifiers WHERE tenant = $1 AND kind IN ('email', 'phone', 'username') AND value = $2 AND uid <> $3)
	OR EXISTS (SELECT 1 FROM accounts WHERE tenant = $1 AND uid = $2 AND uid <> $3)`

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

// ScanString reads a one-column text row.
func ScanString(sc Scanner) (string, error) {
	var s string
	return s, sc.Scan(&s)
}

// HeldNamesQuery lists the names an account holds or shares (parameters
// tenant and uid).
const HeldNamesQuery = `SELECT name FROM names WHERE tenant = $1 AND uid = $2
	UNION SELECT name FROM name_conflicts WHERE tenant = $1 AND uid = $2`
