package caddymodule

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// statsCommand is `caddy pinauth stats`.
var statsCommand = cliCommand{
	name: "stats", short: "Counts accounts, hashes per pepper and cost, signing keys and outbox events per store",
	flags: jsonFlag, run: runs(runStats),
}

// storeStats is one store's counts, as `stats --json` prints them.
type storeStats struct {
	Store    string         `json:"store"`
	Accounts int            `json:"accounts"`
	Tenants  map[string]int `json:"tenants,omitempty"`
	// Hashes counts the accounts holding each kind of secret under each
	// pepper and cost, so an operator rotating the pepper or raising the
	// cost sees when the old one is no longer in use.
	Hashes []hashStats `json:"hashes"`
	Keys   struct {
		Active  int `json:"active"`
		Retired int `json:"retired"`
		// ByPepper counts the keys sealed with each pepper.
		ByPepper []keyPepperStats `json:"by_pepper"`
	} `json:"keys"`
	// Outbox counts pending and dead events.
	Outbox map[string]int `json:"outbox"`
}

// keyPepperStats counts the signing keys sealed with one pepper (a key
// sealed with a pepper no longer listed is dropped at start).
type keyPepperStats struct {
	Pepper      string `json:"pepper"`
	PepperState string `json:"pepper_state,omitempty"`
	Keys        int    `json:"keys"`
}

// hashStats is one line of storeStats.Hashes.
type hashStats struct {
	Secret store.SecretKind `json:"secret"`
	// Pepper is the pepper id (k=… in the hash); PepperState says, with
	// the config, whether it is the "current" pepper (the first listed),
	// an "older" one still listed, or "unknown": the accounts cannot log
	// in with that secret until it is listed again or they reset it.
	Pepper      string `json:"pepper"`
	PepperState string `json:"pepper_state,omitempty"`
	// The argon2id cost; CostState is "current" when it is the config's.
	MemoryKiB uint32 `json:"memory_kib"`
	Time      uint32 `json:"time"`
	Threads   uint8  `json:"threads"`
	CostState string `json:"cost_state,omitempty"`
	// Scheme is set instead of the fields above for a hash the core did
	// not make (an unknown format).
	Scheme   string `json:"scheme,omitempty"`
	Accounts int    `json:"accounts"`
}

// hashPolicy is what the config says hashes should be made with; the zero
// value (no config) labels nothing.
type hashPolicy struct {
	peppers []string // ids, current first
	cost    hashing.Params
}

func (p hashPolicy) label(c store.HashCount) hashStats {
	s := hashStats{Secret: c.Secret, Accounts: c.Accounts}
	params, pepperID, err := hashing.ParseScheme(c.Scheme)
	if err != nil {
		s.Scheme = c.Scheme
		return s
	}
	s.Pepper, s.MemoryKiB, s.Time, s.Threads = pepperID, params.MemoryKiB, params.Time, params.Threads
	s.PepperState = p.pepperState(pepperID)
	if len(p.peppers) > 0 {
		s.CostState = "other"
		if params == p.cost {
			s.CostState = "current"
		}
	}
	return s
}

// pepperState says whether a pepper id is the config's "current" pepper,
// an "older" one still listed, or "unknown"; "" without a config.
func (p hashPolicy) pepperState(id string) string {
	if len(p.peppers) == 0 {
		return ""
	}
	for i, listed := range p.peppers {
		if listed == id {
			if i == 0 {
				return "current"
			}
			return "older"
		}
	}
	return "unknown"
}

// policyOf reads the peppers and cost of a target's config.
func policyOf(t cliTarget) (hashPolicy, error) {
	if t.handler == nil {
		return hashPolicy{}, nil
	}
	cfg, _, err := t.handler.coreConfig(caddy.NewReplacer())
	if err != nil {
		return hashPolicy{}, err
	}
	p := hashPolicy{cost: cfg.Hash}
	if p.cost == (hashing.Params{}) {
		p.cost = hashing.DefaultParams
	}
	for _, secret := range cfg.Peppers {
		p.peppers = append(p.peppers, hashing.PepperID(secret))
	}
	return p, nil
}

func runStats(x *cliRun) error {
	var all []storeStats
	for _, t := range x.targets {
		var s storeStats
		s.Store = t.spec.describe()
		policy, err := policyOf(t)
		if err != nil {
			return err
		}
		err = withStore(t, func(st store.Store) error {
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
			counts, err := st.CountHashes(x.ctx, "")
			if err != nil {
				return err
			}
			s.Hashes = []hashStats{}
			for _, c := range counts {
				s.Hashes = append(s.Hashes, policy.label(c))
			}
			keys, err := tokens.ListKeys(x.ctx, st)
			if err != nil {
				return err
			}
			s.Keys.ByPepper = []keyPepperStats{}
			for _, k := range keys {
				if k.RetiredAt.IsZero() {
					s.Keys.Active++
				} else {
					s.Keys.Retired++
				}
				i := slices.IndexFunc(s.Keys.ByPepper, func(b keyPepperStats) bool { return b.Pepper == k.PepperID })
				if i < 0 {
					i = len(s.Keys.ByPepper)
					s.Keys.ByPepper = append(s.Keys.ByPepper, keyPepperStats{Pepper: k.PepperID, PepperState: policy.pepperState(k.PepperID)})
				}
				s.Keys.ByPepper[i].Keys++
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
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := writeHashTable(x, s); err != nil {
			return err
		}
	}
	return nil
}

// writeHashTable prints which pepper and cost the stored hashes use.
func writeHashTable(x *cliRun, s storeStats) error {
	tw := tabwriter.NewWriter(x.out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "hashes\tPEPPER\tCOST (m=KiB,t,p)\tACCOUNTS")
	for _, h := range s.Hashes {
		if h.Scheme != "" {
			fmt.Fprintf(tw, "  %s\t(unknown format %q)\t\t%d\n", h.Secret, h.Scheme, h.Accounts)
			continue
		}
		cost := fmt.Sprintf("%d,%d,%d", h.MemoryKiB, h.Time, h.Threads)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\n", h.Secret, withState(h.Pepper, h.PepperState), withState(cost, h.CostState), h.Accounts)
	}
	for _, k := range s.Keys.ByPepper {
		fmt.Fprintf(tw, "  signing keys\t%s\t\t%d\n", withState(k.Pepper, k.PepperState), k.Keys)
	}
	return tw.Flush()
}

// withState appends a state in parentheses, when there is one.
func withState(v, state string) string {
	if state == "" {
		return v
	}
	return v + " (" + state + ")"
}
