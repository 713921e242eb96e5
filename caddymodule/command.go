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
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "pinauth",
		Usage: "<command> [--config <path> [--adapter <name>]] [--store sqlite:<path>]",
		Short: "Administers caddy-pinauth (signing keys, webhooks)",
		Long: `
Administers the pin_auth gateway's store while Caddy runs (or not).

The store is found like Caddy's own commands find their config: from
--config (and --adapter), else from a Caddyfile in the current directory.
Every pin_auth handler of the config is served, once per distinct store.
--store sqlite:<path> names a store directly instead; commands that need
the pepper (keys rotate) need the config.

Commands:
  keys list     list the JWT signing keys (active and retired)
  keys rotate   retire the signing key and start signing with a new one;
                running gateways switch within seconds, tokens signed with
                the retired key keep verifying until they expire
  webhooks list     list outbox events (--state pending|delivered|dead,
                    --tenant, --limit)
  webhooks replay   send dead events again, with their original webhook-id:
                    name them, or --all for every dead event (of --tenant)
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.PersistentFlags().StringP("config", "c", "", "Caddy configuration file")
			cmd.PersistentFlags().StringP("adapter", "a", "", "Name of the config adapter")
			cmd.PersistentFlags().String("store", "", "Store to use instead of the config's: sqlite:<path>")
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
	// arguments (default: none); flags declares the command's own flags.
	use   string
	args  cobra.PositionalArgs
	flags func(cmd *cobra.Command)
}

// cliCall is what a command's run gets: where to write, the stores to
// work on, and its own arguments and flags (cmd.Flags()).
type cliCall struct {
	out     io.Writer
	targets []cliTarget
	args    []string
	cmd     *cobra.Command
}

// cliCommands is the command tree under `caddy pinauth`.
var cliCommands = []cliCommand{
	{name: "keys", short: "Lists and rotates the JWT signing keys", children: []cliCommand{
		{name: "list", short: "Lists the signing keys", run: keysList},
		{name: "rotate", short: "Retires the signing key and signs with a new one", run: keysRotate},
	}},
	webhooksCommand,
}

// cliTimeout bounds one command's store work.
const cliTimeout = time.Minute

func (c cliCommand) cobra() *cobra.Command {
	cmd := &cobra.Command{Use: strings.TrimSpace(c.name + " " + c.use), Short: c.short, Args: cobra.NoArgs}
	if c.args != nil {
		cmd.Args = c.args
	}
	if c.flags != nil {
		c.flags(cmd)
	}
	for _, child := range c.children {
		cmd.AddCommand(child.cobra())
	}
	if c.run != nil {
		run := c.run
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			cmd.SilenceUsage = true
			targets, err := cliTargets(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), cliTimeout)
			defer cancel()
			return run(ctx, cliCall{out: cmd.OutOrStdout(), targets: targets, args: args, cmd: cmd})
		}
	}
	return cmd
}

// cliTarget is one store a command works on, with the handler config that
// names it (nil with --store).
type cliTarget struct {
	spec    storeSpec
	handler *Handler
}

// cliTargets resolves the --store or --config/--adapter flags.
func cliTargets(cmd *cobra.Command) ([]cliTarget, error) {
	flags := cmd.Flags()
	storeFlag, _ := flags.GetString("store")
	configFile, _ := flags.GetString("config")
	adapter, _ := flags.GetString("adapter")
	if storeFlag != "" {
		backend, path, ok := strings.Cut(storeFlag, ":")
		if !ok || backend != backendSQLite || path == "" {
			return nil, fmt.Errorf("--store: want sqlite:<path>, got %q", storeFlag)
		}
		return []cliTarget{{spec: storeSpec{backend: backend, path: path}}}, nil
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return nil, err
	}
	if cfgJSON == nil {
		return nil, errors.New("no config: give --config (or run where a Caddyfile is), or --store")
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
		if key := spec.backend + ":" + spec.path; !seen[key] {
			seen[key] = true
			targets = append(targets, cliTarget{spec: spec, handler: h})
		}
	}
	if len(targets) == 0 {
		return nil, errors.New("the config has no pin_auth handler")
	}
	return targets, nil
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

// withStore opens a target's store for fn and releases it after.
func withStore(t cliTarget, fn func(st store.Store) error) error {
	st, key, err := acquireStore(t.spec)
	if err != nil {
		return err
	}
	defer releaseStore(key)
	return fn(st)
}

// keysList prints the signing keys of every target store.
func keysList(ctx context.Context, c cliCall) error {
	out := c.out
	for _, t := range c.targets {
		err := withStore(t, func(st store.Store) error {
			keys, err := pinauth.ListKeys(ctx, st)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "store %s %s\n", t.spec.backend, t.spec.path)
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
func keysRotate(ctx context.Context, c cliCall) error {
	out := c.out
	for _, t := range c.targets {
		if t.handler == nil {
			return errors.New("keys rotate needs the config (--config): the pepper seals the new key")
		}
		cfg, _, err := t.handler.coreConfig(caddy.NewReplacer())
		if err != nil {
			return err
		}
		err = withStore(t, func(st store.Store) error {
			cfg.Store = st
			cfg.Logger = zap.NewNop()
			cfg.CacheSize = 1 << 20 // the CLI verifies no tokens
			cfg.Webhooks = nil      // and delivers no webhooks: the running gateways do
			gw, err := pinauth.New(cfg)
			if err != nil {
				return err
			}
			defer gw.Close()
			retired, cur, err := gw.RotateKey(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "store %s %s\n", t.spec.backend, t.spec.path)
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
