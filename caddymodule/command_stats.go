package caddymodule

import (
	"fmt"
	"text/tabwriter"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// statsCommand is `caddy pinauth stats`.
var statsCommand = cliCommand{
	name: "stats", short: "Counts accounts, signing keys and outbox events per store",
	flags: jsonFlag, run: runs(runStats),
}

// storeStats is one store's counts, as `stats --json` prints them.
type storeStats struct {
	Store    string         `json:"store"`
	Accounts int            `json:"accounts"`
	Tenants  map[string]int `json:"tenants,omitempty"`
	Keys     struct {
		Active  int `json:"active"`
		Retired int `json:"retired"`
	} `json:"keys"`
	// Outbox counts pending and dead events.
	Outbox map[string]int `json:"outbox"`
}

func runStats(x *cliRun) error {
	var all []storeStats
	for _, t := range x.targets {
		var s storeStats
		s.Store = t.spec.describe()
		err := withStore(t, func(st store.Store) error {
			var err error
			if s.Accounts, err = st.CountAccounts(x.ctx, ""); err != nil {
				return err
			}
			if t.handler != nil {
				s.Tenants = map[string]int{}
				for _, ten := range t.handler.Tenants {
					if s.Tenants[ten.Name], err = st.CountAccounts(x.ctx, ten.Name); err != nil {
						return err
					}
				}
			}
			keys, err := pinauth.ListKeys(x.ctx, st)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if k.RetiredAt.IsZero() {
					s.Keys.Active++
				} else {
					s.Keys.Retired++
				}
			}
			s.Outbox = map[string]int{}
			for _, state := range []store.EventState{store.EventPending, store.EventDead} {
				if s.Outbox[string(state)], err = st.CountEvents(x.ctx, state); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		all = append(all, s)
	}
	if x.cmd.Flags().Changed("json") {
		return writeJSONOut(x.out, all)
	}
	tw := tabwriter.NewWriter(x.out, 2, 8, 2, ' ', 0)
	for _, s := range all {
		fmt.Fprintf(tw, "store\t%s\n", s.Store)
		fmt.Fprintf(tw, "accounts\t%d\n", s.Accounts)
		for name, n := range s.Tenants {
			fmt.Fprintf(tw, "  tenant %s\t%d\n", name, n)
		}
		fmt.Fprintf(tw, "signing keys\t%d active, %d retired\n", s.Keys.Active, s.Keys.Retired)
		fmt.Fprintf(tw, "outbox\t%d pending, %d dead\n", s.Outbox["pending"], s.Outbox["dead"])
	}
	return tw.Flush()
}
