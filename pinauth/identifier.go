package pinauth

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// accountByIdentifier finds the account a login-like call names by an
// identifier (login, forgot and reset flows, security questions). An
// email that is not a bare addr-spec names no account, whatever the store
// holds: `<alice@example.com>` never logs in as alice, nor as a twin
// stored before such addresses were refused. The caller then answers as
// for any unknown identifier, after the same work.
func (g *Gateway) accountByIdentifier(ctx context.Context, tenant string, kind store.IdentifierKind, value string) (store.Account, bool, error) {
	if kind == store.IdentEmail {
		canonical, ok := lrprofile.CanonicalEmail(value)
		if !ok {
			return store.Account{}, false, nil
		}
		value = canonical
	}
	return g.store.AccountBy(ctx, tenant, kind, value)
}

// maxConflictsLogged bounds the per-account lines reportNameConflicts
// writes; the first line gives the count, `caddy pinauth user conflicts`
// the full list.
const maxConflictsLogged = 20

// reportNameConflicts warns at start about accounts that share a name
// with another account of their tenant, kept from before the store made
// names unique across kinds (store.NameConflict): the operator must learn
// of them, since one of the two may be an impersonation. Nothing is
// merged; a preset sends neither the shared name but for its holder. The
// log names accounts by uid, never by the name.
func (g *Gateway) reportNameConflicts(ctx context.Context) error {
	cs, err := g.store.NameConflicts(ctx, "", "")
	if err != nil {
		return fmt.Errorf("pinauth: read name conflicts: %w", err)
	}
	if len(cs) == 0 {
		return nil
	}
	g.log.Warn("accounts share names", zap.Int("count", len(cs)),
		zap.String("reason", "written before names were unique across kinds; list them with caddy pinauth user conflicts and change one identifier of each"))
	for _, c := range cs[:min(len(cs), maxConflictsLogged)] {
		g.log.Warn("account shares a name", zap.String("tenant", c.Tenant), zap.String("uid", c.UID),
			zap.String("field", c.Field), zap.String("holder", c.Holder))
	}
	return nil
}

// unknownPrefix starts the uid of an unknownRef. No account's Uid starts
// with it: the gateway makes UUIDs, and imported Uids are letters,
// digits, '-', '_' and '.'.
const unknownPrefix = "~"

// unknownRef is where credential checks of an identifier that finds no
// account are counted, so that it locks exactly as an account would (966
// then 1198, the captcha after the same number of failures) and the
// lockout does not reveal which accounts exist (issue 15, finding 8). It
// is the identifier's tenant-wide name (store.NameOf, so any spelling of
// one identifier counts together, as it would for an account) under an
// HMAC keyed with the current pepper: the store holds no identifier that
// nobody registered, and a stolen database does not tell which were
// tried. Counted in the store like an account's, it is exact across
// nodes; pruneAttempts bounds how long the records live.
func (g *Gateway) unknownRef(tenant, identifier string) store.AccountRef {
	sum := secret.MAC(g.peppers[0].Key, "pinauth unknown identifier", tenant+"\x00"+store.NameOf(identifier))
	return store.AccountRef{Tenant: tenant, UID: unknownPrefix + hex.EncodeToString(sum[:16])}
}

// loggedUID is the uid a log line names for ref: "" for an unknownRef,
// whose uid means nothing to an operator.
func loggedUID(ref store.AccountRef) string {
	if strings.HasPrefix(ref.UID, unknownPrefix) {
		return ""
	}
	return ref.UID
}

// unknownBlockTTL is how long the block lock of an unknown identifier
// lasts. An account's block lasts until an operator lifts it; an unknown
// identifier's must end for its record to be pruned, and 30 days is long
// past any guessing campaign that would watch for the difference.
const unknownBlockTTL = 30 * 24 * time.Hour

// lockUnknown applies the configured lock to an unknownRef once its
// failure count reached the limit, as lockAccount does for an account,
// without the parts that need one (no sessions, no event, no metric).
func (g *Gateway) lockUnknown(ctx context.Context, c *call, ref store.AccountRef) error {
	p := g.cfg.Lockout
	until := c.now.Add(p.Duration)
	if p.Type == store.LockBlock {
		until = c.now.Add(unknownBlockTTL)
	}
	err := g.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Lock(ref, p.Attempts, p.Type, until, c.now)
		return err
	})
	if err != nil {
		return lrerr.Unavailable(err)
	}
	return nil
}

// attemptsPruneInterval is how often pruneLoop runs, and
// attemptsPruneBatch how many records one store call deletes.
const (
	attemptsPruneInterval = 10 * time.Minute
	attemptsPruneBatch    = 1000
)

// pruneAttempts deletes the attempt records that no longer count (ended
// windows and locks), the unknown identifiers' above all: without it
// every identifier ever tried would keep a record.
func (g *Gateway) pruneAttempts(ctx context.Context) (int, error) {
	now := g.now()
	total := 0
	for {
		n, err := g.store.PruneAttempts(ctx, now.Add(-g.cfg.Lockout.Window), now, attemptsPruneBatch)
		total += n
		if err != nil || n < attemptsPruneBatch {
			return total, err
		}
	}
}

// pruneLoop runs pruneAttempts every attemptsPruneInterval until ctx ends.
func (g *Gateway) pruneLoop(ctx context.Context) {
	defer g.bg.Done()
	t := time.NewTicker(attemptsPruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := g.pruneAttempts(ctx); err != nil && ctx.Err() == nil {
			g.log.Warn("pruning attempt records failed", zap.Error(err))
		}
	}
}
