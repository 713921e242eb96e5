package pinauth

import (
	"context"

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
