package pinauth

import (
	"context"
	"fmt"

	"go.uber.org/zap"

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
		canonical, ok := canonicalEmail(value)
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
