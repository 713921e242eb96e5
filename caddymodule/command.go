package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "pinauth",
		Usage: "<command> [--config <path> [--adapter <name>]] [--store sqlite:<path>|postgres:<dsn>] [--tenant <name>] [--verbose]",
		Short: "Administers caddy-pinauth: accounts, imports, signing keys, webhooks",
		Long: `
Administers the pin_auth gateway's store while Caddy runs (or not).

The store is found like Caddy's own commands find their config: from
--config (and --adapter), else from a Caddyfile in the current directory.
--store sqlite:<path> or --store postgres:<dsn> names a store directly
instead (the DSN may be a placeholder such as '{env.PINAUTH_DSN}', which
keeps its password out of the process list); it is enough for the
read-only commands (user list and show, webhooks list and replay, stats,
keys list), while commands that hash, sign or record events need the
config.
--tenant names the tenant when the config has several.
--verbose logs to standard error what Caddy's commands log (the config
file used, adapter warnings, the store opened); without it a command
that succeeds writes nothing there.

Only user add, import and keys rotate create a SQLite store that does
not exist yet; every other command fails on a missing file, since a
wrong --config, --store or data directory would otherwise show an
empty store.

Commands:
  user add        create an account (password and PIN are prompted for
                  without echo, or read one per line from standard input)
  user list       list accounts (--json, --all, --limit, --after)
  user show       show one account by Uid, email, username or phone (--json)
  user conflicts  list accounts sharing a name with another account from
                  before names were unique across kinds (--json)
  user unlock     clear the failure count, lift any lock and unblock
  user block      block the account and revoke its sessions
  user delete     delete the account with its sessions and tokens
  user set-pin    set the PIN (read like user add's)
  user set-password
                  set the password (read like user add's)
  import          import a LoginRadius profile export (JSON array or NDJSON)
  keys list       list the JWT signing keys (active and retired)
  keys rotate     retire the signing key and start signing with a new one;
                  running gateways switch within seconds, tokens signed with
                  the retired key keep verifying until they expire
  webhooks list   list outbox events (--state pending|delivered|dead,
                  --tenant, --limit)
  webhooks replay send dead events again, with their original webhook-id:
                  name them, or --all for every dead event (of --tenant)
  stats           counts of accounts (per tenant), signing keys and outbox
                  events (--json)
  version         the module's and Caddy's versions, and the schema version
                  of each store beside the one this build migrates to
                  (read without creating or migrating anything; --json)

Exit status: 0 success; 1 failure (store unreachable, bad config, …);
2 usage error (unknown command or flag, wrong arguments, tenant not named);
3 not found (account or event); 4 input rejected (validation failed, an
identifier already taken, some records of an import failed, an import
input that is not an export). Errors are
one line on standard error starting with "caddy pinauth: ".
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.PersistentFlags().StringP("config", "c", "", "Caddy configuration file")
			cmd.PersistentFlags().StringP("adapter", "a", "", "Name of the config adapter")
			cmd.PersistentFlags().String("store", "", "Store to use instead of the config's: sqlite:<path> or postgres:<dsn>")
			cmd.PersistentFlags().String("tenant", "", "Tenant to act on (default: the config's only tenant)")
			cmd.PersistentFlags().Bool("verbose", false, "Log the config and store used to standard error")
			cmd.SetFlagErrorFunc(flagError)
			cmd.Args = cobra.ArbitraryArgs
			cmd.RunE = groupRunE
			for _, c := range cliCommands {
				cmd.AddCommand(c.cobra())
			}
		},
	})
}

// cliCommand is one `caddy pinauth` command: a leaf with run, or a group
// with children. New commands are added to cliCommands.
type cliCommand struct {
	name     string
	short    string
	run      func(ctx context.Context, c cliCall) error
	children []cliCommand
	// use follows the name in the usage line; args checks the positional
	// arguments (default: none), a failure being a usage error; flags
	// declares the command's own flags.
	use   string
	args  cobra.PositionalArgs
	flags func(cmd *cobra.Command)
	// createsStore lets the command create a SQLite store that does not
	// exist yet (adding accounts, importing, making a key); any other
	// command fails on a missing file instead.
	createsStore bool
	// storeOptional lets the command run with no store when no config is
	// given or found (version still prints the build's versions).
	storeOptional bool
}

// cliCall is what a command's run gets: where to read and write, the
// stores to work on, and its own arguments and flags (cmd.Flags()).
type cliCall struct {
	out     io.Writer
	errOut  io.Writer
	in      io.Reader
	targets []cliTarget
	args    []string
	cmd     *cobra.Command
}

// cliRun is a cliCall with its context, for commands written as
// func(*cliRun) error (see runs).
type cliRun struct {
	cliCall
	ctx context.Context
}

// runs adapts a func(*cliRun) error to cliCommand.run.
func runs(fn func(x *cliRun) error) func(context.Context, cliCall) error {
	return func(ctx context.Context, c cliCall) error { return fn(&cliRun{cliCall: c, ctx: ctx}) }
}

// cliCommands is the command tree under `caddy pinauth`.
var cliCommands = []cliCommand{
	{name: "keys", short: "Lists and rotates the JWT signing keys", children: []cliCommand{
		{name: "list", short: "Lists the signing keys", run: runs(keysList)},
		{name: "rotate", short: "Retires the signing key and signs with a new one", run: runs(keysRotate), createsStore: true},
	}},
	userCommands,
	importCommand,
	webhooksCommand,
	statsCommand,
	versionCommand,
}

// cliTimeout bounds one command's store work (an import gets longer).
const cliTimeout = time.Minute

func (c cliCommand) cobra() *cobra.Command {
	cmd := &cobra.Command{Use: strings.TrimSpace(c.name + " " + c.use), Short: c.short, Args: cobra.ArbitraryArgs}
	if c.flags != nil {
		c.flags(cmd)
	}
	for _, child := range c.children {
		cmd.AddCommand(child.cobra())
	}
	cmd.SetFlagErrorFunc(flagError)
	if c.run == nil {
		cmd.RunE = groupRunE
		return cmd
	}
	run, check := c.run, c.args
	if check == nil {
		check = cobra.NoArgs
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cmd.SilenceUsage = true
		// Checked here rather than by cobra, so a wrong argument count
		// exits with the usage status.
		if err := check(cmd, args); err != nil {
			_ = cmd.Usage()
			return exitWith(cmd, usageErrorf("%s: %v", cmd.CommandPath(), err))
		}
		targets, err := cliTargets(cmd)
		if err != nil && !(c.storeOptional && errors.Is(err, errNoConfig)) {
			return exitWith(cmd, err)
		}
		for i := range targets {
			targets[i].spec.mustExist = !c.createsStore
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), cliTimeout)
		if c.name == "import" {
			// An import of a million profiles takes minutes; the operator
			// stops it with ^C, and a re-run continues where it stopped.
			ctx, cancel = context.WithCancel(cmd.Context())
		}
		defer cancel()
		return exitWith(cmd, run(ctx, cliCall{
			out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), in: cmd.InOrStdin(),
			targets: targets, args: args, cmd: cmd,
		}))
	}
	return cmd
}

// groupRunE runs a command group: without a known subcommand it is a usage
// error.
func groupRunE(cmd *cobra.Command, args []string) error {
	_ = cmd.Usage()
	if len(args) > 0 {
		return exitWith(cmd, usageErrorf("unknown command %q for %s", args[0], cmd.CommandPath()))
	}
	return exitWith(cmd, usageErrorf("%s: name a subcommand", cmd.CommandPath()))
}

// flagError makes an unknown or malformed flag a usage error.
func flagError(cmd *cobra.Command, err error) error {
	return exitWith(cmd, usageErrorf("%v", err))
}

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

// keysList prints the signing keys of every target store.
func keysList(x *cliRun) error {
	ctx, out := x.ctx, x.out
	for _, t := range x.targets {
		err := withStore(t, func(st store.Store) error {
			keys, err := tokens.ListKeys(ctx, st)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "store %s\n", t.spec.describe())
			tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tALG\tCREATED\tSTATE")
			for _, k := range keys {
				state := "active"
				if !k.RetiredAt.IsZero() {
					state = "retired " + k.RetiredAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.CreatedAt.UTC().Format(time.RFC3339), state)
			}
			return tw.Flush()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// keysRotate rotates the signing key of every target store, with the
// config's pepper (which seals the new key) and algorithm.
func keysRotate(x *cliRun) error {
	ctx, out := x.ctx, x.out
	for _, t := range x.targets {
		if t.handler == nil {
			return usageErrorf("keys rotate needs the config (--config): the pepper seals the new key")
		}
		err := withGateway(t, func(gw *pinauth.Gateway) error {
			retired, cur, err := gw.RotateKey(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "store %s\n", t.spec.describe())
			for _, k := range retired {
				fmt.Fprintf(out, "retired %s (%s): its tokens verify until they expire\n", k.ID, k.Alg)
			}
			fmt.Fprintf(out, "signing with %s (%s); running gateways switch within seconds\n", cur.ID, cur.Alg)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
