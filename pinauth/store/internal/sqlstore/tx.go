package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Tx implements the store.Tx methods whose logic both backends share, on a
// backend's transaction: all but ReserveQuota, whose locking is the
// backend's own.
type Tx[T any] struct {
	d   *Dialect[T]
	ctx context.Context
	c   Conn
}

// NewTx returns the Tx of one transaction, whose statements run with ctx.
func NewTx[T any](d *Dialect[T], ctx context.Context, c Conn) Tx[T] {
	return Tx[T]{d: d, ctx: ctx, c: c}
}

func (t *Tx[T]) exec(query string, args ...any) (int, error) { return t.c.Exec(t.ctx, query, args...) }

func (t *Tx[T]) queryRow(query string, args ...any) rows.Scanner {
	return t.c.QueryRow(t.ctx, query, args...)
}

// savepoint runs fn so that when it fails, everything it wrote is undone
// and the transaction stays usable: SQLite undoes a failed statement but
// not the statements before it, and PostgreSQL aborts the whole
// transaction on a failed statement unless it is rolled back to a
// savepoint. fn's error comes back unchanged.
func (t *Tx[T]) savepoint(fn func() error) error {
	if _, err := t.exec(savepoint); err != nil {
		return err
	}
	if err := fn(); err != nil {
		// ROLLBACK TO keeps the savepoint open; RELEASE ends it.
		for _, q := range []string{rollbackSavepoint, releaseSavepoint} {
			if _, rbErr := t.exec(q); rbErr != nil {
				return errors.Join(err, rbErr)
			}
		}
		return err
	}
	_, err := t.exec(releaseSavepoint)
	return err
}

// answer returns err when it is one of the store's answers (a duplicate,
// a version conflict), else the Dialect's fault of op.
func (t *Tx[T]) answer(op string, err error) error {
	if _, dup := store.IsDuplicate(err); err == nil || dup || errors.Is(err, store.ErrVersionConflict) {
		return err
	}
	return t.d.Fault(op, err)
}

// Token implements store.Tx.
func (t *Tx[T]) Token(kind store.TokenKind, hash string) (store.Token, bool, error) {
	if err := t.c.Check(); err != nil {
		return store.Token{}, false, err
	}
	tok, err := t.d.Scan.Token(t.queryRow(SelectToken, hash, string(kind)), hash)
	tok, found, err := rows.Found(tok, err, t.d.NoRows)
	if err != nil {
		return store.Token{}, false, t.d.Fault("token", err)
	}
	return tok, found, nil
}

// InsertToken implements store.Tx. A hash already stored (under any kind)
// is an error; the stored token is left as it was.
func (t *Tx[T]) InsertToken(tok store.Token) error {
	if err := t.c.Check(); err != nil {
		return err
	}
	data, err := rows.EncodeStrings(tok.Data)
	if err != nil {
		return t.d.Fault("insert token", err)
	}
	if _, err := t.exec(insertToken, tok.Hash, string(tok.Kind), tok.Tenant, tok.UID, tok.SessionID,
		t.d.Time(tok.CreatedAt), t.d.Time(tok.ExpiresAt), t.d.NullTime(tok.UsedAt), data); err != nil {
		return t.d.Fault("insert token", err)
	}
	return nil
}

// ConsumeToken implements store.Tx.
func (t *Tx[T]) ConsumeToken(kind store.TokenKind, hash string, now time.Time) (store.Token, bool, error) {
	if err := t.c.Check(); err != nil {
		return store.Token{}, false, err
	}
	at := t.d.Time(now)
	tok, err := t.d.Scan.Token(t.queryRow(ConsumeToken, at, hash, string(kind), at), hash)
	tok, found, err := rows.Found(tok, err, t.d.NoRows)
	if err != nil {
		return store.Token{}, false, t.d.Fault("consume token", err)
	}
	return tok, found, nil
}

// change runs one statement that changes rows and returns how many it
// changed.
func (t *Tx[T]) change(op, query string, args ...any) (int, error) {
	if err := t.c.Check(); err != nil {
		return 0, err
	}
	n, err := t.exec(query, args...)
	if err != nil {
		return 0, t.d.Fault(op, err)
	}
	return n, nil
}

// DeleteTokens implements store.Tx.
func (t *Tx[T]) DeleteTokens(ref store.AccountRef, kinds []store.TokenKind, exceptSession string) (int, error) {
	where, args := accountTokens(ref, kinds, exceptSession, 1)
	return t.change("delete tokens", `DELETE FROM tokens WHERE `+where, args...)
}

// InvalidateTokens implements store.Tx.
func (t *Tx[T]) InvalidateTokens(ref store.AccountRef, kinds []store.TokenKind, exceptSession string, now time.Time) (int, error) {
	where, args := accountTokens(ref, kinds, exceptSession, 2)
	return t.change("invalidate tokens", `UPDATE tokens SET used_at = $1 WHERE used_at IS NULL AND `+where,
		append([]any{t.d.Time(now)}, args...)...)
}

// DeleteSessionTokens implements store.Tx. An empty sessionID names no
// session and removes nothing (not the tokens bound to none).
func (t *Tx[T]) DeleteSessionTokens(sessionID string, kinds ...store.TokenKind) (int, error) {
	if sessionID == "" {
		return 0, t.c.Check()
	}
	where, args := sessionTokens(sessionID, kinds, 1)
	return t.change("delete session tokens", `DELETE FROM tokens WHERE `+where, args...)
}

// MoveSessionTokens implements store.Tx.
func (t *Tx[T]) MoveSessionTokens(from, to string, kinds []store.TokenKind) (int, error) {
	if from == "" {
		return 0, t.c.Check()
	}
	where, args := sessionTokens(from, kinds, 2)
	return t.change("move session tokens", `UPDATE tokens SET session_id = $1 WHERE `+where, append([]any{to}, args...)...)
}

// CreateSession implements store.Tx. An id already stored is an error.
func (t *Tx[T]) CreateSession(ses store.Session) error {
	_, err := t.change("create session", insertSession, ses.ID, ses.Tenant, ses.UID,
		t.d.Time(ses.CreatedAt), t.d.Time(ses.ExpiresAt), t.d.NullTime(ses.RevokedAt))
	return err
}

// RevokeSession implements store.Tx.
func (t *Tx[T]) RevokeSession(id string, now time.Time) (bool, error) {
	n, err := t.change("revoke session", revokeSession, t.d.Time(now), id)
	if n == 0 || err != nil {
		return false, err
	}
	if _, err := t.exec(deleteSessionTokens, id); err != nil {
		return false, t.d.Fault("revoke session", err)
	}
	if err := t.journal(store.AccountRef{}, id); err != nil {
		return false, err
	}
	t.c.Announce(store.Invalidation{Sessions: []string{id}})
	return true, nil
}

// RevokeSessions implements store.Tx. It deletes the tokens of every
// session of the account except exceptSession, including sessions revoked
// earlier, and returns the newly revoked ids sorted.
func (t *Tx[T]) RevokeSessions(ref store.AccountRef, exceptSession string, now time.Time) ([]string, error) {
	if err := t.c.Check(); err != nil {
		return nil, err
	}
	ids, err := collect(t.ctx, t.c, rows.String, revokeOtherSessions, t.d.Time(now), ref.Tenant, ref.UID, exceptSession)
	if err != nil {
		return nil, t.d.Fault("revoke sessions", err)
	}
	if _, err := t.exec(deleteOthersSessions, ref.Tenant, ref.UID, exceptSession); err != nil {
		return nil, t.d.Fault("revoke sessions", err)
	}
	slices.Sort(ids)
	if len(ids) > 0 {
		if err := t.journal(ref, ids...); err != nil {
			return nil, err
		}
		t.c.Announce(store.Invalidation{Sessions: ids})
	}
	return ids, nil
}

// Lock implements store.Tx as one conditional statement, so that of
// concurrent callers exactly one sees its row change. It takes the
// account's attempts lock first (Conn.LockAttempts), so that a count
// decided by ReserveAttempt is never written over a lock set here.
func (t *Tx[T]) Lock(ref store.AccountRef, limit int, lockType store.LockType, until, now time.Time) (bool, error) {
	if err := t.c.Check(); err != nil {
		return false, err
	}
	if lockType == store.LockNone {
		return false, fmt.Errorf("%s: lock: no lock type given", t.d.Name)
	}
	if err := t.c.LockAttempts(ref); err != nil {
		return false, t.d.Fault("lock", err)
	}
	var n int
	var err error
	if limit == 0 {
		n, err = t.exec(LockAccount, ref.Tenant, ref.UID, string(lockType), t.d.NullTime(until), t.d.Time(now))
	} else {
		n, err = t.exec(LockAccountAtLimit, string(lockType), t.d.NullTime(until), ref.Tenant, ref.UID, limit, t.d.Time(now))
	}
	if err != nil {
		return false, t.d.Fault("lock", err)
	}
	return n > 0, nil
}

// ClearAttempts implements store.Tx.
func (t *Tx[T]) ClearAttempts(ref store.AccountRef) error {
	_, err := t.change("clear attempts", clearAttempts, ref.Tenant, ref.UID, string(store.LockBlock))
	return err
}

// LiftLocks implements store.Tx.
func (t *Tx[T]) LiftLocks(ref store.AccountRef) error {
	_, err := t.change("lift locks", liftLocks, ref.Tenant, ref.UID)
	return err
}

// AddEvent implements store.Tx. An event without a State is stored as
// pending; an id already stored is an error. Lease fields are ignored:
// new events are unclaimed.
func (t *Tx[T]) AddEvent(e store.Event) error {
	if e.State == "" {
		e.State = store.EventPending
	}
	_, err := t.change("add event", insertEvent, e.ID, e.Tenant, e.UID, e.Hook, e.Endpoint, e.Payload,
		t.d.Time(e.CreatedAt), string(e.State), e.Attempts, t.d.NullTime(e.NextAttemptAt), e.LastError)
	return err
}
