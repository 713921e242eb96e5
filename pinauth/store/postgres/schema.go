package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SchemaVersion is the schema version this build migrates a database to,
// and the newest it opens.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// StoredSchemaVersion reads the schema version of the database cfg names
// over one connection, without opening it as a store: it creates,
// migrates and locks nothing, so a newer build may look at a database
// before it is upgraded. A database no store has opened yet is at version
// 0. Errors never contain the DSN's password.
func StoredSchemaVersion(ctx context.Context, cfg Config) (int, error) {
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return 0, fmt.Errorf("postgres store: invalid DSN: %w", err)
	}
	switch {
	case cfg.ConnectTimeout > 0:
		cc.ConnectTimeout = cfg.ConnectTimeout
	case cc.ConnectTimeout == 0:
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return 0, fmt.Errorf("postgres store: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("postgres store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres store: read schema version: %w", err)
	}
	return v, nil
}
