package caddymodule

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
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
func acquireStore(spec storeSpec) (store.Store, string, error) {
	switch spec.backend {
	case backendSQLite:
	default:
		return nil, "", fmt.Errorf("store: unsupported backend %q", spec.backend)
	}
	path, err := filepath.Abs(spec.path)
	if err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	key := spec.backend + ":" + path
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
		return pooledStore{st}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: opening sqlite database %s: %w", path, err)
	}
	return val.(pooledStore).Store, key, nil
}

// releaseStore drops one reference taken by acquireStore; the last one
// closes the store.
func releaseStore(key string) error {
	_, err := stores.Delete(key)
	return err
}
