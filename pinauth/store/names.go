package store

// Name is one of an account's tenant-wide names.
type Name struct {
	// Value is the name as NameOf gives it.
	Value string
	// Field is what gives the account the name: FieldUID, or an
	// IdentifierKind as a string ("email", "phone", "username").
	Field string
}

// FieldUID names the Uid where a field is named (DuplicateError.Field,
// Name.Field, NameConflict.Field).
const FieldUID = "uid"

// NameOf returns the tenant-wide name of an identifier or a Uid: the form
// in which an account's names (its Uid, emails, phone and username) are
// unique across kinds within a tenant, so that a string an app may take
// for "the user" (a preset's user header sends the username, else the
// email, else the Uid) names one account. It is NormalizeIdentifier's form
// for emails and usernames (surrounding space removed, lower-cased, no
// non-ASCII character folded into ASCII), applied to phones and Uids too.
func NameOf(v string) string { return NormalizeIdentifier(IdentUsername, v) }

// NameConflict is a name that an account shares with another account of
// its tenant without holding it: data written before names were unique
// across kinds (a username equal to another account's email, say). The
// schema migration that made them unique gave each name to one account
// (by field: uid, email, phone, username; then by Uid) and recorded the
// others; nothing is merged or changed. A listed account keeps the
// identifier (saves that keep it succeed) until it drops it; no account
// can take the name while one still shares it.
type NameConflict struct {
	Tenant string
	// UID is the account that shares the name without holding it.
	UID string
	// Field is what gives UID the name (see Name.Field).
	Field string
	// Name is the shared name, as NameOf gives it.
	Name string
	// Holder is the account that holds the name, "" when it has dropped
	// it (the name then waits until the sharing accounts but one drop it
	// too, and the last one takes it on its next save).
	Holder string
}
