package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
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

func jsonFlag(cmd *cobra.Command) { cmd.Flags().Bool("json", false, "Print JSON") }

// tenantFlag returns --tenant.
func (x *cliRun) tenantFlag() string {
	t, _ := x.cmd.Flags().GetString("tenant")
	return t
}

func (x *cliRun) boolFlag(name string) bool {
	b, _ := x.cmd.Flags().GetBool(name)
	return b
}

func (x *cliRun) stringFlag(name string) string {
	s, _ := x.cmd.Flags().GetString(name)
	return s
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

// resolveUID turns the command's account argument into a Uid.
func resolveUID(x *cliRun, adm *operator.Admin, tenant string) (string, error) {
	info, err := adm.Find(x.ctx, tenant, x.args[0])
	if err != nil {
		return "", err
	}
	uid, _ := info.Profile["Uid"].(string)
	return uid, nil
}

func userAdd(x *cliRun) error {
	f := x.cmd.Flags()
	var in operator.AccountInput
	if v := x.stringFlag("email"); v != "" {
		in.Emails = []store.Email{{Type: "Primary", Value: v}}
	}
	if f.Changed("username") {
		v := x.stringFlag("username")
		in.Username = &v
	}
	if f.Changed("phone") {
		v := x.stringFlag("phone")
		in.Phone = &v
	}
	if roles, _ := f.GetStringSlice("role"); len(roles) > 0 {
		in.Roles = roles
	}
	for flag, field := range map[string]string{"first-name": "FirstName", "last-name": "LastName"} {
		if v := x.stringFlag(flag); v != "" {
			if in.Profile == nil {
				in.Profile = map[string]json.RawMessage{}
			}
			in.Profile[field], _ = json.Marshal(v)
		}
	}
	if in.Emails == nil && in.Username == nil && in.Phone == nil {
		return usageErrorf("user add: give --email, --username or --phone")
	}
	sr := newSecretReader(x.in, x.errOut)
	password, _, err := sr.read("password", false)
	if err != nil {
		return err
	}
	in.Password = &password
	if pin, ok, err := sr.read("PIN", true); err != nil {
		return err
	} else if ok {
		in.PIN = &pin
	}
	return x.withAdmin(func(adm *operator.Admin, tenant string) error {
		info, err := adm.CreateAccount(x.ctx, tenant, in)
		if err != nil {
			return err
		}
		if x.boolFlag("json") {
			return writeJSONOut(x.out, cliAccountOf(info))
		}
		fmt.Fprintf(x.out, "created %s\n", info.Profile["Uid"])
		return nil
	})
}

func userList(x *cliRun) error {
	f := x.cmd.Flags()
	limit, _ := f.GetInt("limit")
	if limit < 1 {
		return usageErrorf("--limit: want a positive number")
	}
	all, asJSON := x.boolFlag("all"), x.boolFlag("json")
	return x.withReader(func(st store.Reader, tenant string) error {
		var list []cliAccount
		tw := tabwriter.NewWriter(x.out, 2, 8, 2, ' ', 0)
		if !asJSON {
			fmt.Fprintln(tw, "UID\tEMAIL\tUSERNAME\tACTIVE\tPIN\tLOCKED\tRESET")
		}
		after := x.stringFlag("after")
		for {
			page, err := operator.ListAccounts(x.ctx, st, tenant, after, limit, time.Now())
			if err != nil {
				return err
			}
			for _, info := range page {
				a := cliAccountOf(info)
				if asJSON {
					list = append(list, a)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.UID, dash(a.Email), dash(a.Username),
					yesNo(a.Active), yesNo(a.HasPIN), dash(a.LockType), yesNo(a.NeedsSecretReset))
			}
			if !all || len(page) < limit {
				break
			}
			after = cliAccountOf(page[len(page)-1]).UID
		}
		if asJSON {
			if list == nil {
				list = []cliAccount{}
			}
			return writeJSONOut(x.out, list)
		}
		return tw.Flush()
	})
}

// cliConflict is one line of `user conflicts --json`.
type cliConflict struct {
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
	UID    string `json:"uid"`
	Field  string `json:"field"`
	Holder string `json:"holder"`
}

// userConflicts lists the accounts of the tenant that share a name (a
// user name equal to another account's email, say) from before the store
// made names unique across kinds: each still has its identifier, but a
// header preset does not send it as the user. The operator resolves each
// by changing or removing one of the identifiers.
func userConflicts(x *cliRun) error {
	return x.withReader(func(st store.Reader, tenant string) error {
		cs, err := st.NameConflicts(x.ctx, tenant, "")
		if err != nil {
			return err
		}
		if x.boolFlag("json") {
			out := []cliConflict{}
			for _, c := range cs {
				out = append(out, cliConflict{Tenant: c.Tenant, Name: c.Name, UID: c.UID, Field: c.Field, Holder: c.Holder})
			}
			return writeJSONOut(x.out, out)
		}
		if len(cs) == 0 {
			fmt.Fprintln(x.out, "no account shares a name with another")
			return nil
		}
		tw := tabwriter.NewWriter(x.out, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME	UID	FIELD	HELD BY")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.UID, c.Field, dash(c.Holder))
		}
		return tw.Flush()
	})
}

func userShow(x *cliRun) error {
	return x.withReader(func(st store.Reader, tenant string) error {
		info, err := operator.FindAccount(x.ctx, st, tenant, x.args[0], time.Now())
		if err != nil {
			return err
		}
		a := cliAccountOf(info)
		if x.boolFlag("json") {
			return writeJSONOut(x.out, a)
		}
		tw := tabwriter.NewWriter(x.out, 2, 8, 2, ' ', 0)
		for _, row := range [][2]string{
			{"uid", a.UID}, {"email", dash(a.Email)}, {"username", dash(a.Username)},
			{"phone", dash(a.Phone)}, {"roles", dash(strings.Join(a.Roles, ","))},
			{"active", yesNo(a.Active)}, {"password", yesNo(a.HasPassword)}, {"pin", yesNo(a.HasPIN)},
			{"needs secret reset", yesNo(a.NeedsSecretReset)}, {"failures", fmt.Sprint(a.Failures)},
			{"locked", dash(a.LockType)}, {"locked until", dash(a.LockedUntil)},
			{"logins", fmt.Sprint(a.Profile["NoOfLogins"])}, {"last login", dash(str(a.Profile["LastLoginDate"]))},
			{"created", dash(str(a.Profile["CreatedDate"]))},
		} {
			fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
		}
		return tw.Flush()
	})
}

// userAction runs an Admin action on the named account and reports it.
func userAction(done string, act func(*operator.Admin, context.Context, string, string) (operator.AccountInfo, error)) func(context.Context, cliCall) error {
	return runs(func(x *cliRun) error {
		return x.withAdmin(func(adm *operator.Admin, tenant string) error {
			uid, err := resolveUID(x, adm, tenant)
			if err != nil {
				return err
			}
			if _, err := act(adm, x.ctx, tenant, uid); err != nil {
				return err
			}
			fmt.Fprintf(x.out, "%s %s\n", done, uid)
			return nil
		})
	})
}

func userDelete(x *cliRun) error {
	return x.withAdmin(func(adm *operator.Admin, tenant string) error {
		uid, err := resolveUID(x, adm, tenant)
		if err != nil {
			return err
		}
		if err := adm.DeleteAccount(x.ctx, tenant, uid); err != nil {
			return err
		}
		fmt.Fprintf(x.out, "deleted %s\n", uid)
		return nil
	})
}

// userSetSecret reads one secret and sets it with act.
func userSetSecret(what string, act func(*operator.Admin, context.Context, string, string, string) (operator.AccountInfo, error)) func(context.Context, cliCall) error {
	return runs(func(x *cliRun) error {
		return x.withAdmin(func(adm *operator.Admin, tenant string) error {
			// Resolve first: nobody should type a secret for a typo.
			uid, err := resolveUID(x, adm, tenant)
			if err != nil {
				return err
			}
			secret, _, err := newSecretReader(x.in, x.errOut).read(what, false)
			if err != nil {
				return err
			}
			if _, err := act(adm, x.ctx, tenant, uid, secret); err != nil {
				return err
			}
			fmt.Fprintf(x.out, "%s set for %s\n", what, uid)
			return nil
		})
	})
}

// cliAccount is an account as `user show --json` and `user list --json`
// print it.
type cliAccount struct {
	UID              string         `json:"uid"`
	Email            string         `json:"email,omitempty"`
	Username         string         `json:"username,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	Roles            []string       `json:"roles"`
	Active           bool           `json:"active"`
	HasPassword      bool           `json:"has_password"`
	HasPIN           bool           `json:"has_pin"`
	NeedsSecretReset bool           `json:"needs_secret_reset"`
	Failures         int            `json:"failures"`
	LockType         string         `json:"lock_type,omitempty"`
	LockedUntil      string         `json:"locked_until,omitempty"`
	Profile          map[string]any `json:"profile"`
}

func cliAccountOf(info operator.AccountInfo) cliAccount {
	p := info.Profile
	a := cliAccount{
		UID: str(p["Uid"]), Username: str(p["UserName"]), Phone: str(p["PhoneId"]),
		HasPassword: info.HasPassword, HasPIN: info.HasPIN, NeedsSecretReset: info.NeedsSecretReset,
		Failures: info.Failures, LockType: string(info.Lock.LockType), Profile: p, Roles: []string{},
	}
	a.Active, _ = p["IsActive"].(bool)
	if roles, ok := p["Roles"].([]string); ok {
		a.Roles = roles
	}
	if emails, ok := p["Email"].([]store.Email); ok {
		a.Email = primaryEmail(emails)
	}
	if !info.Lock.LockedUntil.IsZero() {
		a.LockedUntil = info.Lock.LockedUntil.UTC().Format(time.RFC3339)
	}
	return a
}

func primaryEmail(es []store.Email) string {
	acc := store.Account{Emails: es}
	return acc.PrimaryEmail()
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
