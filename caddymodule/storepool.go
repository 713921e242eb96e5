package caddymodule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// stores holds the open stores, shared by every handler (and every config
// generation) that names the same backend and path. A `caddy reload`
// provisions the new config before it cleans up the old one, so the
// reference count never drops to zero and the database stays open: no
// second SQLite writer, no lost in-flight transactions.
var stores = caddy.NewUsagePool()

// pooledStore adapts a store to caddy.Destructor: the pool closes it when
// its last user releases it.
type pooledStore struct {
	store.Store
}

// Destruct closes the store.
func (p pooledStore) Destruct() error { return p.Close() }

// acquireStore opens the store spec names, or takes another reference to
// it when it is already open, and returns it with the key to release it.
// log receives one line saying where the store is when it is opened (not
// when a reload reuses it) and the store's own events (the PostgreSQL
// listener's).
func acquireStore(spec storeSpec, log *zap.Logger) (store.Store, string, error) {
	switch spec.backend {
	case backendSQLite:
		return acquireSQLite(spec, log)
	case backendPostgres:
		return acquirePostgres(spec, log)
	}
	return nil, "", fmt.Errorf("store: unsupported backend %q", spec.backend)
}

func acquireSQLite(spec storeSpec, log *zap.Logger) (store.Store, string, error) {
	path, err := filepath.Abs(spec.path)
	if err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	key := spec.backend + ":" + path
	if spec.mustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("store: no sqlite database at %s (this command creates none: check --config, --store and the data directory, $XDG_DATA_HOME or $HOME)", path)
		}
	}
	val, _, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		// SQLite creates the file but not its directory; Caddy's data
		// directory may not exist yet on a fresh machine.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		st, err := sqlite.Open(path)
		if err != nil {
			return nil, err
		}
		log.Info("store opened", zap.String("backend", backendSQLite), zap.String("path", path))
		return pooledStore{st}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: opening sqlite database %s: %w", path, err)
	}
	return val.(pooledStore).Store, key, nil
}

// postgresOpenTimeout bounds opening the PostgreSQL store at start,
// including the wait for other nodes' schema migrations.
const postgresOpenTimeout = time.Minute

// acquirePostgres opens one pool per DSN and settings. The key holds a
// hash of the DSN, never the DSN: it may contain a password.
func acquirePostgres(spec storeSpec, log *zap.Logger) (store.Store, string, error) {
	key := postgresKey(spec)
	val, _, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		ctx, cancel := context.WithTimeout(context.Background(), postgresOpenTimeout)
		defer cancel()
		st, err := postgres.Open(ctx, postgres.Config{
			DSN:            spec.dsn,
			MaxConns:       spec.maxConns,
			ConnectTimeout: spec.connectTimeout,
			QueryTimeout:   spec.queryTimeout,
			Logger:         log,
		})
		if err != nil {
			return nil, err
		}
		log.Info("store opened", postgresLocation(spec.dsn)...)
		return pooledStore{st}, nil
	})
	if err != nil {
		// The driver's errors name the host, user and database, never
		// the password.
		return nil, "", fmt.Errorf("store: opening postgres database: %w", err)
	}
	return val.(pooledStore).Store, key, nil
}

// postgresKey is the pool key of a postgres spec.
func postgresKey(spec storeSpec) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%d", spec.dsn, spec.maxConns, spec.connectTimeout, spec.queryTimeout))
	return backendPostgres + ":" + hex.EncodeToString(sum[:])
}

// id identifies the store spec opens: the pool key without the
// filesystem lookup acquireStore makes.
func (s storeSpec) id() string {
	if s.backend == backendPostgres {
		return postgresKey(s)
	}
	return s.backend + ":" + s.path
}

// describe names the store for people, never with the DSN's password.
func (s storeSpec) describe() string {
	if s.backend != backendPostgres {
		return s.backend + " " + s.path
	}
	if c, err := pgx.ParseConfig(s.dsn); err == nil {
		return fmt.Sprintf("postgres %s on %s:%d", c.Database, c.Host, c.Port)
	}
	return "postgres"
}

// postgresLocation is where a DSN points, as log fields: the host, port,
// database and user, never the password (nor any other parameter).
func postgresLocation(dsn string) []zap.Field {
	fields := []zap.Field{zap.String("backend", backendPostgres)}
	c, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fields
	}
	return append(fields, zap.String("host", c.Host), zap.Uint16("port", c.Port),
		zap.String("database", c.Database), zap.String("user", c.User))
}

// releaseStore drops one reference taken by acquireStore; the last one
// closes the store.
func releaseStore(key string) error {
	_, err := stores.Delete(key)
	return err
}
