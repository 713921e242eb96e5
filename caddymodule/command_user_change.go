package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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
