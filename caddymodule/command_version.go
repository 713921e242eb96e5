package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// versionCommand is `caddy pinauth version`.
var versionCommand = cliCommand{
	name: "version", short: "Prints the module, Caddy and store schema versions",
	storeOptional: true, flags: jsonFlag, run: runs(runVersion),
}

// versionInfo is what `version --json` prints.
type versionInfo struct {
	Module string          `json:"module"`
	Caddy  string          `json:"caddy"`
	Stores []schemaVersion `json:"stores"`
}

// schemaVersion is one store's schema version beside the one this build
// migrates to.
type schemaVersion struct {
	Store  string `json:"store"`
	Schema int    `json:"schema"`
	Build  int    `json:"build"`
}

// runVersion prints the versions. It reads each store's schema version
// without opening it as a store (which would create or migrate it), and
// fails when a store's schema is newer than this build's: the gateway
// would refuse it.
func runVersion(x *cliRun) error {
	_, full := caddy.Version()
	info := versionInfo{Module: pinauth.Version, Caddy: full, Stores: []schemaVersion{}}
	asJSON := x.cmd.Flags().Changed("json")
	if !asJSON {
		fmt.Fprintf(x.out, "caddy-pinauth %s\ncaddy %s\n", info.Module, info.Caddy)
	}
	var tooNew error
	for _, t := range x.targets {
		v := schemaVersion{Store: t.spec.describe(), Build: buildSchemaVersion(t.spec)}
		var err error
		if v.Schema, err = storedSchemaVersion(x.ctx, t.spec); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store %s: no such file (a gateway creates it when it first starts)", v.Store)
		} else if err != nil {
			return fmt.Errorf("store %s: %w", v.Store, err)
		}
		info.Stores = append(info.Stores, v)
		if !asJSON {
			fmt.Fprintf(x.out, "store %s: schema version %d (this build: %d)\n", v.Store, v.Schema, v.Build)
		}
		if v.Schema > v.Build && tooNew == nil {
			tooNew = fmt.Errorf("store %s: its schema version %d is newer than this build's %d: a gateway of this build refuses it; run a caddy-pinauth at least as new as the one that migrated it",
				v.Store, v.Schema, v.Build)
		}
	}
	if asJSON {
		if err := writeJSONOut(x.out, info); err != nil {
			return err
		}
	}
	return tooNew
}

// buildSchemaVersion is the schema version this build migrates spec's
// backend to.
func buildSchemaVersion(spec storeSpec) int {
	if spec.backend == backendPostgres {
		return postgres.SchemaVersion()
	}
	return sqlite.SchemaVersion()
}

// storedSchemaVersion reads the schema version of the store spec names,
// creating and migrating nothing.
func storedSchemaVersion(ctx context.Context, spec storeSpec) (int, error) {
	if spec.backend == backendPostgres {
		return postgres.StoredSchemaVersion(ctx, postgres.Config{DSN: spec.dsn, ConnectTimeout: spec.connectTimeout})
	}
	return sqlite.StoredSchemaVersion(ctx, spec.path)
}
