package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

const (
	selectToken = `SELECT ` + rows.TokenColumns + ` FROM tokens WHERE hash = ? AND kind = ?`
	// consumeTokenSQL takes a one-time token in one statement: the row is
	// marked used only if it is unused and unexpired, so of concurrent
	// callers exactly one gets it back.
	consumeTokenSQL = `UPDATE tokens SET used_at = ?
		WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?
		RETURNING ` + rows.TokenColumns
)

// Token implements store.Reader.
func (s *Store) Token(ctx context.Context, kind store.TokenKind, hash string) (store.Token, bool, error) {
	if err := s.check(); err != nil {
		return store.Token{}, false, err
	}
	t, found, err := lookup(scan.Token(s.tokenByHash.QueryRowContext(ctx, hash, string(kind)), hash))
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
	row := s.r.QueryRowContext(ctx, `SELECT `+rows.KeyedTokenColumns+` FROM tokens
		WHERE session_id = ? AND kind = ? AND used_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, hash DESC LIMIT 1`, sessionID, string(kind), micro(now))
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
	t, found, err := lookup(scan.Token(x.tx.StmtContext(x.ctx, x.s.tokenByHashW).QueryRowContext(x.ctx, hash, string(kind)), hash))
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
	if _, err := x.exec(`INSERT INTO tokens (hash, `+rows.TokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, string(t.Kind), t.Tenant, t.UID, t.SessionID,
		micro(t.CreatedAt), micro(t.ExpiresAt), nullMicro(t.UsedAt), data); err != nil {
		return x.s.fault("insert token", err)
	}
	return nil
}

// ConsumeToken implements store.Tx.
func (x *txn) ConsumeToken(kind store.TokenKind, hash string, now time.Time) (store.Token, bool, error) {
	if err := x.check(); err != nil {
		return store.Token{}, false, err
	}
	at := micro(now)
	row := x.tx.StmtContext(x.ctx, x.s.consumeToken).QueryRowContext(x.ctx, at, hash, string(kind), at)
	t, found, err := lookup(scan.Token(row, hash))
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
	where, args := accountTokensWhere(ref, kinds, exceptSession)
	n, err := affected(x.exec(`DELETE FROM tokens WHERE `+where, args...))
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
	where, args := accountTokensWhere(ref, kinds, exceptSession)
	args = append([]any{micro(now)}, args...)
	n, err := affected(x.exec(`UPDATE tokens SET used_at = ? WHERE used_at IS NULL AND `+where, args...))
	if err != nil {
		return 0, x.s.fault("invalidate tokens", err)
	}
	return n, nil
}

// accountTokensWhere selects an account's tokens of the given kinds (all
// when empty), except those bound to exceptSession (when not "").
func accountTokensWhere(ref store.AccountRef, kinds []store.TokenKind, exceptSession string) (string, []any) {
	var q strings.Builder
	q.WriteString(`tenant = ? AND uid = ?`)
	args := []any{ref.Tenant, ref.UID}
	if len(kinds) > 0 {
		q.WriteString(` AND kind IN (?` + strings.Repeat(`, ?`, len(kinds)-1) + `)`)
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	if exceptSession != "" {
		q.WriteString(` AND session_id != ?`)
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
	where, args := sessionTokensWhere(sessionID, kinds)
	n, err := affected(x.exec(`DELETE FROM tokens WHERE `+where, args...))
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
	where, args := sessionTokensWhere(from, kinds)
	n, err := affected(x.exec(`UPDATE tokens SET session_id = ? WHERE `+where, append([]any{to}, args...)...))
	if err != nil {
		return 0, x.s.fault("move session tokens", err)
	}
	return n, nil
}

// sessionTokensWhere selects a session's tokens of the given kinds (all
// when empty).
func sessionTokensWhere(sessionID string, kinds []store.TokenKind) (string, []any) {
	q := `session_id = ?`
	args := []any{sessionID}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(`, ?`, len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	return q, args
}
