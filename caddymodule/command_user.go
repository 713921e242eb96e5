package caddymodule

import (
	"github.com/spf13/cobra"

	"github.com/pinauth/caddy-pinauth/pinauth/operator"
)

// userCommands is `caddy pinauth user …`. Every change goes through
// operator.Admin, the code the management API runs.
var userCommands = cliCommand{name: "user", short: "Creates, lists, shows, unlocks, blocks and deletes accounts, and lists name conflicts", children: []cliCommand{
	{name: "add", short: "Creates an account; password and PIN are prompted for, or read from stdin",
		flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.String("email", "", "Email address")
			f.String("username", "", "User name")
			f.String("phone", "", "Phone number in international format (+15551234567)")
			f.String("first-name", "", "First name")
			f.String("last-name", "", "Last name")
			f.StringSlice("role", nil, "Role (repeatable or comma-separated)")
			f.Bool("json", false, "Print the account as JSON")
		}, run: runs(userAdd), createsStore: true},
	{name: "list", short: "Lists accounts in Uid order",
		flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.Int("limit", 100, "Accounts per page")
			f.String("after", "", "List accounts after this Uid")
			f.Bool("all", false, "List every account (page after page)")
			f.Bool("json", false, "Print a JSON array")
		}, run: runs(userList)},
	{name: "show", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Shows one account",
		flags: jsonFlag, run: runs(userShow)},
	{name: "conflicts", short: "Lists accounts that share a name with another account from before names were unique",
		flags: jsonFlag, run: runs(userConflicts)},
	{name: "unlock", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Clears failures, lifts any lock and unblocks",
		run: userAction("unlocked", (*operator.Admin).Unlock)},
	{name: "block", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Blocks the account and revokes its sessions",
		run: userAction("blocked", (*operator.Admin).Block)},
	{name: "delete", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Deletes the account", run: runs(userDelete)},
	{name: "set-pin", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Sets the PIN (prompted for, or read from stdin)",
		run: userSetSecret("PIN", (*operator.Admin).SetPIN)},
	{name: "set-password", use: "<uid|email|username|phone>", args: cobra.ExactArgs(1), short: "Sets the password (prompted for, or read from stdin)",
		run: userSetSecret("password", (*operator.Admin).SetPassword)},
}}

// resolveUID turns the command's account argument into a Uid.
func resolveUID(x *cliRun, adm *operator.Admin, tenant string) (string, error) {
	info, err := adm.Find(x.ctx, tenant, x.args[0])
	if err != nil {
		return "", err
	}
	uid, _ := info.Profile["Uid"].(string)
	return uid, nil
}
