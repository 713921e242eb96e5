package caddymodule

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

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
