package caddymodule

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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
