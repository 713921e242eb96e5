package caddymodule

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// webhooksCommand is `caddy pinauth webhooks list|replay`.
var webhooksCommand = cliCommand{name: "webhooks", short: "Lists outbox events and replays dead ones", children: []cliCommand{
	{
		name: "list", short: "Lists webhook outbox events, oldest first", run: webhooksList,
		flags: func(cmd *cobra.Command) {
			cmd.Flags().String("state", "", "Only events in this state: pending, delivered or dead")
			cmd.Flags().String("tenant", "", "Only events of this tenant")
			cmd.Flags().Int("limit", 100, "At most this many events per store")
		},
	},
	{
		name: "replay", use: "[<event-id>...]", short: "Sends dead events again with their original webhook-id",
		args: cobra.ArbitraryArgs, run: webhooksReplay,
		flags: func(cmd *cobra.Command) {
			cmd.Flags().Bool("all", false, "Replay every dead event (of --tenant, if given)")
			cmd.Flags().String("tenant", "", "With --all: only this tenant's dead events")
		},
	},
}}

// webhooksList prints the outbox events of every target store. Payloads
// are never printed: they hold profile data.
func webhooksList(ctx context.Context, c cliCall) error {
	f := store.EventFilter{}
	state, _ := c.cmd.Flags().GetString("state")
	switch store.EventState(state) {
	case "", store.EventPending, store.EventDelivered, store.EventDead:
		f.State = store.EventState(state)
	default:
		return usageErrorf("--state: want pending, delivered or dead, got %q", state)
	}
	f.Tenant, _ = c.cmd.Flags().GetString("tenant")
	f.Limit, _ = c.cmd.Flags().GetInt("limit")
	if f.Limit < 1 {
		return usageErrorf("--limit must be positive")
	}
	for _, t := range c.targets {
		hosts := endpointHosts(t)
		err := withStore(t, func(st store.Store) error {
			evs, err := st.Events(ctx, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "store %s\n", t.spec.describe())
			tw := tabwriter.NewWriter(c.out, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTENANT\tUID\tHOOK\tENDPOINT\tSTATE\tATTEMPTS\tCREATED\tNEXT/DONE\tLAST ERROR")
			for _, e := range evs {
				ep := e.Endpoint
				if h := hosts[e.Endpoint]; h != "" {
					ep += " (" + h + ")"
				}
				when := e.FinishedAt
				if e.State == store.EventPending {
					when = e.NextAttemptAt
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.Tenant, e.UID, e.Hook, ep, e.State,
					e.Attempts, cliTime(e.CreatedAt), cliTime(when), e.LastError)
			}
			return tw.Flush()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// webhooksReplay puts dead events back in the queue; the running gateways
// deliver them within their poll interval.
func webhooksReplay(ctx context.Context, c cliCall) error {
	all, _ := c.cmd.Flags().GetBool("all")
	tenant, _ := c.cmd.Flags().GetString("tenant")
	switch {
	case all && len(c.args) > 0:
		return usageErrorf("give event ids or --all, not both")
	case !all && len(c.args) == 0:
		return usageErrorf("give the ids of dead events, or --all")
	case !all && tenant != "":
		return usageErrorf("--tenant goes with --all")
	}
	pending := map[string]bool{}
	for _, id := range c.args {
		pending[id] = true
	}
	replayed := 0
	for _, t := range c.targets {
		err := withStore(t, func(st store.Store) error {
			ids := c.args
			if all {
				ids = nil
				for {
					evs, err := st.Events(ctx, store.EventFilter{State: store.EventDead, Tenant: tenant})
					if err != nil {
						return err
					}
					n := 0
					for _, e := range evs {
						found, err := st.ReplayEvent(ctx, e.ID, time.Now())
						if err != nil {
							return err
						}
						if found {
							n++
							fmt.Fprintf(c.out, "replayed %s (%s, tenant %s)\n", e.ID, e.Hook, e.Tenant)
						}
					}
					replayed += n
					if n == 0 {
						return nil
					}
				}
			}
			for _, id := range ids {
				if !pending[id] {
					continue // replayed in an earlier store
				}
				found, err := st.ReplayEvent(ctx, id, time.Now())
				if err != nil {
					return err
				}
				if found {
					delete(pending, id)
					replayed++
					fmt.Fprintf(c.out, "replayed %s\n", id)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		var missing []string
		for _, id := range c.args {
			if pending[id] {
				missing = append(missing, id)
			}
		}
		var stores []string
		for _, t := range c.targets {
			stores = append(stores, "store "+t.spec.describe())
		}
		return notFoundErrorf("no dead event with id %s in %s (list them with `caddy pinauth webhooks list --state dead`)",
			strings.Join(missing, ", "), strings.Join(stores, " or "))
	}
	if replayed == 0 {
		fmt.Fprintln(c.out, "no dead events")
	}
	return nil
}

// endpointHosts maps the endpoint ids of the config's webhooks to their
// hosts (never the whole URL, which may carry a token). It is empty with
// --store or when the config cannot be expanded.
func endpointHosts(t cliTarget) map[string]string {
	out := map[string]string{}
	if t.handler == nil {
		return out
	}
	cfg, _, err := t.handler.coreConfig(caddy.NewReplacer())
	if err != nil {
		return out
	}
	for i := range cfg.Webhooks {
		w := &cfg.Webhooks[i]
		if u, err := url.Parse(w.URL); err == nil {
			out[w.EndpointID()] = u.Host
		}
	}
	return out
}

// cliTime formats a time for the CLI's tables; "-" for none.
func cliTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
