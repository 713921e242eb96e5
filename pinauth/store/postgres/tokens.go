package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

const (
	selectToken = `SELECT ` + rows.TokenColumns + ` FROM tokens WHERE hash = $1 AND kind = $2`
	// consumeTokenSQL takes a one-time token in one statement. Under READ
	// COMMITTED a concurrent caller waits for the row, then re-checks the
	// WHERE clause against the committed version, so exactly one of them
	// gets the row back.
	consumeTokenSQL = `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING ` + rows.TokenColumns
)

// Token implements store.Reader.
func (s *Store) Token(ctx context.Context, kind store.TokenKind, hash string) (store.Token, bool, error) {
	if err := s.check(); err != nil {
		return store.Token{}, false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	t, found, err := lookup(scan.Token(s.pool.QueryRow(ctx, selectToken, hash, string(kind)), hash))
	if err != nil {
		return store.Token{}, false, s.fault("token", err)
	}
	return t, found, nil
}

// LiveSessionToken implements store.Reader.
func (s *Store) LiveSessionToken(ctx context.Context, sessionID string, kind store.TokenKind, now time.Time) (store.Token, bool, error) {
	if err := s.check(); err != nil {
		return store.Token{}, false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	row := s.pool.QueryRow(ctx, `SELECT `+rows.KeyedTokenColumns+` FROM tokens
		WHERE session_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, hash COLLATE "C" DESC LIMIT 1`, sessionID, string(kind), at(now))
	t, found, err := lookup(scan.KeyedToken(row))
	if err != nil {
		return store.Token{}, false, s.fault("live session token", err)
	}
	return t, found, nil
}

// Token implements store.Tx.
func (x *txn) Token(kind store.TokenKind, hash string) (store.Token, bool, error) {
	if err := x.check(); err != nil {
		return store.Token{}, false, err
	}
	t, found, err := lookup(scan.Token(x.queryRow(selectToken, hash, string(kind)), hash))
	if err != nil {
		return store.Token{}, false, x.s.fault("token", err)
	}
	return t, found, nil
}

// InsertToken implements store.Tx. A hash already stored (under any kind)
// is an error; the stored token is left as it was.
func (x *txn) InsertToken(t store.Token) error {
	if err := x.check(); err != nil {
		return err
	}
	data, err := rows.EncodeStrings(t.Data)
	if err != nil {
		return x.s.fault("insert token", err)
	}
	if _, err := x.exec(`INSERT INTO tokens (hash, `+rows.TokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.Hash, string(t.Kind), t.Tenant, t.UID, t.SessionID,
		at(t.CreatedAt), at(t.ExpiresAt), nullAt(t.UsedAt), data); err != nil {
		return x.s.fault("insert token", err)
	}
	return nil
}

// ConsumeToken implements store.Tx.
func (x *txn) ConsumeToken(kind store.TokenKind, hash string, now time.Time) (store.Token, bool, error) {
	if err := x.check(); err != nil {
		return store.Token{}, false, err
	}
	t, found, err := lookup(scan.Token(x.queryRow(consumeTokenSQL, at(now), hash, string(kind)), hash))
	if err != nil {
		return store.Token{}, false, x.s.fault("consume token", err)
	}
	return t, found, nil
}

// DeleteTokens implements store.Tx.
func (x *txn) DeleteTokens(ref store.AccountRef, kinds []store.TokenKind, exceptSession string) (int, error) {
	if err := x.check(); err != nil {
		return 0, err
	}
	where, args := accountTokensWhere(ref, kinds, exceptSession, 1)
	n, err := x.exec(`DELETE FROM tokens WHERE `+where, args...)
	if err != nil {
		return 0, x.s.fault("delete tokens", err)
	}
	return n, nil
}

// InvalidateTokens implements store.Tx.
func (x *txn) InvalidateTokens(ref store.AccountRef, kinds []store.TokenKind, exceptSession string, now time.Time) (int, error) {
	if err := x.check(); err != nil {
		return 0, err
	}
	where, args := accountTokensWhere(ref, kinds, exceptSession, 2)
	args = append([]any{at(now)}, args...)
	n, err := x.exec(`UPDATE tokens SET used_at = $1 WHERE used_at IS NULL AND `+where, args...)
	if err != nil {
		return 0, x.s.fault("invalidate tokens", err)
	}
	return n, nil
}

// accountTokensWhere selects an account's tokens of the given kinds (all
// when empty), except those bound to exceptSession (when not ""). Its
// placeholders are numbered from first.
func accountTokensWhere(ref store.AccountRef, kinds []store.TokenKind, exceptSession string, first int) (string, []any) {
	p := func(i int) string { return "$" + strconv.Itoa(first+i) }
	var q strings.Builder
	q.WriteString(`tenant = ` + p(0) + ` AND uid = ` + p(1))
	args := []any{ref.Tenant, ref.UID}
	if len(kinds) > 0 {
		q.WriteString(` AND kind = ANY(` + p(len(args)) + `)`)
		args = append(args, kindStrings(kinds))
	}
	if exceptSession != "" {
		q.WriteString(` AND session_id <> ` + p(len(args)))
		args = append(args, exceptSession)
	}
	return q.String(), args
}

// DeleteSessionTokens implements store.Tx. An empty sessionID names no
// session and removes nothing (not the tokens bound to none).
func (x *txn) DeleteSessionTokens(sessionID string, kinds ...store.TokenKind) (int, error) {
	if err := x.check(); err != nil {
		return 0, err
	}
	if sessionID == "" {
		return 0, nil
	}
	where, args := sessionTokensWhere(sessionID, kinds, 1)
	n, err := x.exec(`DELETE FROM tokens WHERE `+where, args...)
	if err != nil {
		return 0, x.s.fault("delete session tokens", err)
	}
	return n, nil
}

// MoveSessionTokens implements store.Tx.
func (x *txn) MoveSessionTokens(from, to string, kinds []store.TokenKind) (int, error) {
	if err := x.check(); err != nil {
		return 0, err
	}
	if from == "" {
		return 0, nil
	}
	where, args := sessionTokensWhere(from, kinds, 2)
	n, err := x.exec(`UPDATE tokens SET session_id = $1 WHERE `+where, append([]any{to}, args...)...)
	if err != nil {
		return 0, x.s.fault("move session tokens", err)
	}
	return n, nil
}

// sessionTokensWhere selects a session's tokens of the given kinds (all
// when empty). Its placeholders are numbered from first.
func sessionTokensWhere(sessionID string, kinds []store.TokenKind, first int) (string, []any) {
	q := `session_id = $` + strconv.Itoa(first)
	args := []any{sessionID}
	if len(kinds) > 0 {
		q += ` AND kind = ANY($` + strconv.Itoa(first+1) + `)`
		args = append(args, kindStrings(kinds))
	}
	return q, args
}

func kindStrings(kinds []store.TokenKind) []string {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	return ks
}
