package rows

import (
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// TokenColumns are the columns Token reads, in its order. (The hash is the
// key the token is looked up by.)
const TokenColumns = `kind, tenant, uid, session_id, created_at, expires_at, used_at, data`

// Token reads a row of TokenColumns of the token stored under hash.
func (utc Scan[T]) Token(sc Scanner, hash string) (store.Token, error) {
	t := store.Token{Hash: hash}
	var kind string
	var created, expires T
	var used *T
	var data *string
	if err := sc.Scan(&kind, &t.Tenant, &t.UID, &t.SessionID, &created, &expires, &used, &data); err != nil {
		return store.Token{}, err
	}
	d, err := decodeStrings(data)
	if err != nil {
		return store.Token{}, err
	}
	t.Kind, t.Data = store.TokenKind(kind), d
	t.CreatedAt, t.ExpiresAt, t.UsedAt = utc(created), utc(expires), utc.orZero(used)
	return t, nil
}

// KeyedTokenColumns are the columns KeyedToken reads, in its order: the
// hash, then TokenColumns.
const KeyedTokenColumns = `hash, ` + TokenColumns

// KeyedToken reads a row of KeyedTokenColumns: a token found by something
// other than its hash.
func (utc Scan[T]) KeyedToken(sc Scanner) (store.Token, error) {
	var hash string
	t, err := utc.Token(hashFirst{sc: sc, hash: &hash}, "")
	t.Hash = hash
	return t, err
}

// hashFirst scans the hash column before the columns Token reads.
type hashFirst struct {
	sc   Scanner
	hash *string
}

func (h hashFirst) Scan(dest ...any) error { return h.sc.Scan(append([]any{h.hash}, dest...)...) }

// SessionColumns are the columns Session reads, in its order.
const SessionColumns = `tenant, uid, created_at, expires_at, revoked_at`

// Session reads a row of SessionColumns of the session id.
func (utc Scan[T]) Session(sc Scanner, id string) (store.Session, error) {
	ses := store.Session{ID: id}
	var created, expires T
	var revoked *T
	if err := sc.Scan(&ses.Tenant, &ses.UID, &created, &expires, &revoked); err != nil {
		return store.Session{}, err
	}
	ses.CreatedAt, ses.ExpiresAt, ses.RevokedAt = utc(created), utc(expires), utc.orZero(revoked)
	return ses, nil
}

// KeyColumns are the columns Key reads, in its order.
const KeyColumns = `id, alg, private, public, pepper_id, created_at, retired_at`

// Key reads a row of KeyColumns.
func (utc Scan[T]) Key(sc Scanner) (store.Key, error) {
	var k store.Key
	var created T
	var retired *T
	if err := sc.Scan(&k.ID, &k.Alg, &k.Private, &k.Public, &k.PepperID, &created, &retired); err != nil {
		return store.Key{}, err
	}
	k.CreatedAt, k.RetiredAt = utc(created), utc.orZero(retired)
	return k, nil
}

// AttemptsColumns are the columns Attempts reads, in its order.
const AttemptsColumns = `failures, window_start, lock_type, locked_until`

// Attempts reads a row of AttemptsColumns.
func (utc Scan[T]) Attempts(sc Scanner) (store.Attempts, error) {
	var a store.Attempts
	var start, until *T
	var lockType string
	if err := sc.Scan(&a.Failures, &start, &lockType, &until); err != nil {
		return store.Attempts{}, err
	}
	a.WindowStart, a.LockType, a.LockedUntil = utc.orZero(start), store.LockType(lockType), utc.orZero(until)
	return a, nil
}

// ScanIdentifier reads a (kind, value) row.
func ScanIdentifier(sc Scanner) (store.Identifier, error) {
	var kind, value string
	err := sc.Scan(&kind, &value)
	return store.Identifier{Kind: store.IdentifierKind(kind), Value: value}, err
}

// ScanNameConflict reads a (tenant, uid, field, name, holder) row.
func ScanNameConflict(sc Scanner) (store.NameConflict, error) {
	var c store.NameConflict
	return c, sc.Scan(&c.Tenant, &c.UID, &c.Field, &c.Name, &c.Holder)
}
