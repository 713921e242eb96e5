package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// cliTarget is one store a command works on, with the handler config that
// names it (nil with --store), and the logger of --verbose.
type cliTarget struct {
	spec    storeSpec
	handler *Handler
	log     *zap.Logger
}

// errNoConfig is cliTargets' answer when neither --store nor --config is
// given and the current directory has no Caddyfile.
var errNoConfig = usageErrorf("no config: give --config (or run where a Caddyfile is), or --store")

// cliTargets resolves the --store or --config/--adapter flags.
func cliTargets(cmd *cobra.Command) ([]cliTarget, error) {
	flags := cmd.Flags()
	storeFlag, _ := flags.GetString("store")
	configFile, _ := flags.GetString("config")
	adapter, _ := flags.GetString("adapter")
	log := cliLogger(cmd)
	if storeFlag != "" {
		spec, err := storeFlagSpec(storeFlag)
		if err != nil {
			return nil, err
		}
		return []cliTarget{{spec: spec, log: log}}, nil
	}
	cfgJSON, err := loadCLIConfig(configFile, adapter, log)
	if err != nil {
		return nil, err
	}
	if cfgJSON == nil {
		return nil, errNoConfig
	}
	var tree any
	if err := json.Unmarshal(cfgJSON, &tree); err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	var targets []cliTarget
	seen := map[string]bool{}
	for _, raw := range pinAuthHandlers(tree) {
		h := new(Handler)
		if err := json.Unmarshal(raw, h); err != nil {
			return nil, fmt.Errorf("pin_auth config: %w", err)
		}
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("pin_auth config: %w", err)
		}
		_, spec, err := h.coreConfig(caddy.NewReplacer())
		if err != nil {
			return nil, fmt.Errorf("pin_auth config: %w", err)
		}
		if key := spec.id(); !seen[key] {
			seen[key] = true
			targets = append(targets, cliTarget{spec: spec, handler: h, log: log})
		}
	}
	if len(targets) == 0 {
		return nil, errors.New("the config has no pin_auth handler")
	}
	return targets, nil
}

// storeFlagSpec reads --store: sqlite:<path> or postgres:<dsn>, the value
// after the colon expanded like a Caddyfile's ({env.X}, {file./path}).
// Errors never repeat the value: a DSN may hold a password.
func storeFlagSpec(flag string) (storeSpec, error) {
	backend, val, ok := strings.Cut(flag, ":")
	if !ok || (backend != backendSQLite && backend != backendPostgres) {
		return storeSpec{}, usageErrorf("--store: want sqlite:<path> or postgres:<dsn>")
	}
	val, err := caddy.NewReplacer().ReplaceOrErr(val, true, true)
	if err != nil || val == "" {
		return storeSpec{}, usageErrorf("--store %s: the value after the colon is empty or names an unset placeholder", backend)
	}
	if backend == backendSQLite {
		return storeSpec{backend: backend, path: val}, nil
	}
	return storeSpec{backend: backend, dsn: val}, nil
}

// pinAuthHandlers finds every pin_auth handler in a Caddy JSON config,
// however deeply routes and subroutes nest it.
func pinAuthHandlers(v any) []json.RawMessage {
	var out []json.RawMessage
	switch x := v.(type) {
	case map[string]any:
		if x["handler"] == "pin_auth" {
			if raw, err := json.Marshal(x); err == nil {
				out = append(out, raw)
			}
			return out
		}
		for _, child := range x {
			out = append(out, pinAuthHandlers(child)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, pinAuthHandlers(child)...)
		}
	}
	return out
}

// withGateway builds a gateway on a target's store and config for fn: the
// same core that serves requests, so an operator's action hashes, checks
// policy, revokes and records events exactly as the API does.
func withGateway(t cliTarget, fn func(gw *pinauth.Gateway) error) error {
	if t.handler == nil {
		return usageErrorf("this command needs the config (--config): it hashes with the pepper and records events")
	}
	cfg, _, err := t.handler.coreConfig(caddy.NewReplacer())
	if err != nil {
		return err
	}
	return withStore(t, func(st store.Store) error {
		cfg.Store = st
		cfg.Logger = t.log
		cfg.CacheSize = 1 << 20 // the CLI verifies no tokens
		// Events are recorded in the outbox as the API records them, but
		// the running gateways deliver them, never the CLI.
		cfg.NoDelivery = true
		gw, err := pinauth.New(cfg)
		if err != nil {
			return err
		}
		defer gw.Close()
		return fn(gw)
	})
}

// withStore opens a target's store for fn and releases it after.
func withStore(t cliTarget, fn func(st store.Store) error) error {
	st, key, err := acquireStore(t.spec, t.log)
	if err != nil {
		return err
	}
	defer releaseStore(key)
	return fn(st)
}

// target picks the one store the command acts on: the target whose config
// has --tenant (or the only target).
func (x *cliRun) target() (cliTarget, error) {
	tenant := x.tenantFlag()
	var hits []cliTarget
	for _, t := range x.targets {
		if t.handler == nil || tenant == "" || t.hasTenant(tenant) {
			hits = append(hits, t)
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case len(hits) == 0:
		return cliTarget{}, usageErrorf("no pin_auth handler of the config has tenant %q (--tenant)", tenant)
	case tenant == "":
		return cliTarget{}, usageErrorf("the config has %d pin_auth stores; name the tenant (--tenant)", len(hits))
	}
	return cliTarget{}, usageErrorf("tenant %q is in %d pin_auth stores of the config; give --store", tenant, len(hits))
}

func (t cliTarget) hasTenant(name string) bool {
	for _, ten := range t.handler.Tenants {
		if ten.Name == name {
			return true
		}
	}
	return false
}

// withAdmin runs fn with the operator API of the command's target.
func (x *cliRun) withAdmin(fn func(adm *operator.Admin, tenant string) error) error {
	t, err := x.target()
	if err != nil {
		return err
	}
	tenant := x.tenantFlag()
	err = withGateway(t, func(gw *pinauth.Gateway) error { return fn(gw.Admin(), tenant) })
	if tenant == "" && t.handler != nil && len(t.handler.Tenants) == 1 {
		tenant = t.handler.Tenants[0].Name
	}
	return notFoundIn(err, tenant, t)
}

// withReader runs fn with the target's store for read-only commands; with
// --store the tenant must be named.
func (x *cliRun) withReader(fn func(st store.Reader, tenant string) error) error {
	t, err := x.target()
	if err != nil {
		return err
	}
	tenant := x.tenantFlag()
	if tenant == "" {
		if t.handler == nil {
			return usageErrorf("with --store, name the tenant (--tenant)")
		}
		if len(t.handler.Tenants) != 1 {
			return usageErrorf("the config has %d tenants; name one (--tenant)", len(t.handler.Tenants))
		}
		tenant = t.handler.Tenants[0].Name
	}
	return notFoundIn(withStore(t, func(st store.Store) error { return fn(st, tenant) }), tenant, t)
}
