package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// SchemaVersion is the schema version this build migrates a file to, and
// the newest it opens.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// StoredSchemaVersion reads the schema version of the file at path without
// opening it as a store: it creates, migrates and writes nothing, so a
// newer build may look at a file before it is upgraded. A missing file is
// an error; a file no store has opened yet is at version 0.
func StoredSchemaVersion(ctx context.Context, path string) (int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("sqlite store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("sqlite store: %s is not a file", path)
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return 0, fmt.Errorf("sqlite store: %w", err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return 0, fmt.Errorf("sqlite store: read schema version: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	return schemaVersion(ctx, db)
}
