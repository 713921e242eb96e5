package caddymodule

import (
	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
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
