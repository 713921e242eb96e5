package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Reader implements store.Reader but CountHashes, which each backend
// counts its own way, on a backend's read connections. Every call runs
// within the backend's Pool.Call.
type Reader[T any] struct {
	d  *Dialect[T]
	db Pool
}

// NewReader returns the Reader of a backend's read connections.
func NewReader[T any](d *Dialect[T], db Pool) Reader[T] { return Reader[T]{d: d, db: db} }

// call runs fn within one store call: store.ErrClosed once the store is
// closed, the Dialect's fault of op when fn fails.
func (r *Reader[T]) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	ctx, end, err := r.db.Call(ctx)
	if err != nil {
		return err
	}
	defer end()
	if err := fn(ctx); err != nil {
		return r.d.Fault(op, err)
	}
	return nil
}

// check returns store.ErrClosed once the store is closed.
func (r *Reader[T]) check(ctx context.Context) error {
	return r.call(ctx, "", func(context.Context) error { return nil })
}

// one runs the lookup of one row within a store call: found=false when
// there is none.
func one[V, T any](r *Reader[T], ctx context.Context, op string, read func(ctx context.Context) (V, error)) (V, bool, error) {
	var v V
	var found bool
	err := r.call(ctx, op, func(ctx context.Context) error {
		got, err := read(ctx)
		v, found, err = rows.Found(got, err, r.d.NoRows)
		return err
	})
	return v, found, err
}

// all runs a query of many rows within a store call.
func all[V, T any](r *Reader[T], ctx context.Context, op string, scan func(rows.Scanner) (V, error), query string, args ...any) ([]V, error) {
	var out []V
	err := r.call(ctx, op, func(ctx context.Context) error {
		var err error
		out, err = collect(ctx, r.db, scan, query, args...)
		return err
	})
	return out, err
}

// count runs a query of one count within a store call.
func count[T any](r *Reader[T], ctx context.Context, op, query string, args ...any) (int, error) {
	var n int
	err := r.call(ctx, op, func(ctx context.Context) error { return r.db.QueryRow(ctx, query, args...).Scan(&n) })
	return n, err
}

// Account implements store.Reader.
func (r *Reader[T]) Account(ctx context.Context, tenant, uid string) (store.Account, bool, error) {
	return one(r, ctx, "account", func(ctx context.Context) (store.Account, error) {
		return rows.Account(r.db.QueryRow(ctx, AccountByUID, tenant, uid), tenant, uid)
	})
}

// AccountBy implements store.Reader.
func (r *Reader[T]) AccountBy(ctx context.Context, tenant string, kind store.IdentifierKind, value string) (store.Account, bool, error) {
	switch kind {
	case store.IdentEmail, store.IdentUsername, store.IdentPhone:
	default:
		err := r.check(ctx)
		if err == nil {
			err = fmt.Errorf("%s: unknown identifier kind %q", r.d.Name, kind)
		}
		return store.Account{}, false, err
	}
	return one(r, ctx, "account by identifier", func(ctx context.Context) (store.Account, error) {
		row := r.db.QueryRow(ctx, AccountBy, tenant, string(kind), store.NormalizeIdentifier(kind, value))
		return rows.TenantAccount(row, tenant)
	})
}

// ListAccounts implements store.Reader. A limit below 1 yields no accounts.
func (r *Reader[T]) ListAccounts(ctx context.Context, tenant, after string, limit int) ([]store.Account, error) {
	if limit < 1 {
		return nil, r.check(ctx)
	}
	return all(r, ctx, "list accounts", func(sc rows.Scanner) (store.Account, error) { return rows.TenantAccount(sc, tenant) },
		listAccounts, tenant, after, limit)
}

// CountAccounts implements store.Reader.
func (r *Reader[T]) CountAccounts(ctx context.Context, tenant string) (int, error) {
	if tenant == "" {
		return count(r, ctx, "count accounts", countAllAccounts)
	}
	return count(r, ctx, "count accounts", countAccounts, tenant)
}

// NameOwner implements store.Reader.
func (r *Reader[T]) NameOwner(ctx context.Context, tenant, name string) (string, bool, error) {
	var uid string
	var taken bool
	err := r.call(ctx, "name owner", func(ctx context.Context) error {
		holder, err := rows.String(r.db.QueryRow(ctx, nameHolder, tenant, name))
		holder, held, err := rows.Found(holder, err, r.d.NoRows)
		if held || err != nil {
			uid, taken = holder, held
			return err
		}
		havers, err := collect(ctx, r.db, rows.String, nameHavers, tenant, name)
		uid, taken = owner(havers)
		return err
	})
	if err != nil {
		return "", false, err
	}
	return uid, taken, nil
}

// NameConflicts implements store.Reader.
func (r *Reader[T]) NameConflicts(ctx context.Context, tenant, uid string) ([]store.NameConflict, error) {
	return all(r, ctx, "name conflicts", rows.ScanNameConflict, nameConflicts, tenant, uid)
}

// Attempts implements store.Reader.
func (r *Reader[T]) Attempts(ctx context.Context, ref store.AccountRef) (store.Attempts, bool, error) {
	return one(r, ctx, "attempts", func(ctx context.Context) (store.Attempts, error) {
		return r.d.Scan.Attempts(r.db.QueryRow(ctx, SelectAttempts, ref.Tenant, ref.UID))
	})
}

// Token implements store.Reader.
func (r *Reader[T]) Token(ctx context.Context, kind store.TokenKind, hash string) (store.Token, bool, error) {
	return one(r, ctx, "token", func(ctx context.Context) (store.Token, error) {
		return r.d.Scan.Token(r.db.QueryRow(ctx, SelectToken, hash, string(kind)), hash)
	})
}

// LiveSessionToken implements store.Reader.
func (r *Reader[T]) LiveSessionToken(ctx context.Context, sessionID string, kind store.TokenKind, now time.Time) (store.Token, bool, error) {
	return one(r, ctx, "live session token", func(ctx context.Context) (store.Token, error) {
		return r.d.Scan.KeyedToken(r.db.QueryRow(ctx, liveSessionToken, sessionID, string(kind), r.d.Time(now)))
	})
}

// Session implements store.Reader.
func (r *Reader[T]) Session(ctx context.Context, id string) (store.Session, bool, error) {
	return one(r, ctx, "session", func(ctx context.Context) (store.Session, error) {
		return r.d.Scan.Session(r.db.QueryRow(ctx, SelectSession, id), id)
	})
}

// Keys implements store.Reader: oldest first, ties broken by id.
func (r *Reader[T]) Keys(ctx context.Context) ([]store.Key, error) {
	return all(r, ctx, "keys", r.d.Scan.Key, selectKeys)
}

// Meta implements store.Reader.
func (r *Reader[T]) Meta(ctx context.Context, key string) (string, bool, error) {
	return one(r, ctx, "meta", func(ctx context.Context) (string, error) {
		return rows.String(r.db.QueryRow(ctx, selectMeta, key))
	})
}

// Events implements store.Reader: oldest first, events created at the same
// instant in the order they were added. A Limit below 1 means 1000.
func (r *Reader[T]) Events(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + rows.EventColumns + ` FROM events WHERE true`)
	var args []any
	for _, c := range []struct{ col, v string }{{"state", string(f.State)}, {"tenant", f.Tenant}, {"uid", f.UID}} {
		if c.v != "" {
			args = append(args, c.v)
			q.WriteString(` AND ` + c.col + ` = ` + param(len(args)))
		}
	}
	args = append(args, rows.EventLimit(f.Limit))
	q.WriteString(` ORDER BY created_at, seq LIMIT ` + param(len(args)))
	return all(r, ctx, "events", r.d.Scan.Event, q.String(), args...)
}

// CountEvents implements store.Reader (an index-only count on events_state).
func (r *Reader[T]) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	return count(r, ctx, "count events", countEvents, string(state))
}
