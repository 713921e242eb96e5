package pinauth

import (
	"context"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Admin returns the operator API of g: the account writes of the management
// API, run without HTTP.
func (g *Gateway) Admin() *operator.Admin { return operator.New(accountCore{g}) }

// accountCore gives the account API and the operator's Admin the gateway's
// tenants, store and caches (operator.Core).
type accountCore struct{ g *Gateway }

// Act implements operator.Core: an operator's action has no request, so
// every event is recorded.
func (ac accountCore) Act(tenant string) (operator.Act, error) {
	t, err := ac.g.tenantByName(tenant)
	if err != nil {
		return nil, err
	}
	return callAct{g: ac.g, c: &call{tenant: t, now: ac.g.now()}}, nil
}

// TenantNames implements operator.Core.
func (ac accountCore) TenantNames() []string {
	names := make([]string, len(ac.g.cfg.Tenants))
	for i, t := range ac.g.cfg.Tenants {
		names[i] = t.Name
	}
	return names
}

// Store implements operator.Core.
func (ac accountCore) Store() store.Store { return ac.g.store }

// UpdateAccount implements operator.Core.
func (ac accountCore) UpdateAccount(ctx context.Context, ref store.AccountRef, change, after func(store.Tx, *store.Account) error) error {
	return ac.g.updateAccount(ctx, ref, nil, change, after)
}

// SessionsRevoked implements operator.Core.
func (ac accountCore) SessionsRevoked(ids []string, now time.Time) {
	ac.g.cache.RevokeSessions(ids, now, ac.g.cfg.AccessTTL)
}

// AccountChanged implements operator.Core.
func (ac accountCore) AccountChanged(tenant, uid string) { ac.g.cache.InvalidateAccount(tenant, uid) }

// callAct is a call, of the API or of Admin, as the account API acts
// through it (operator.Act).
type callAct struct {
	g *Gateway
	c *call
}

// Tenant implements operator.Act.
func (ca callAct) Tenant() string { return ca.c.tenant.Name }

// Now implements operator.Act.
func (ca callAct) Now() time.Time { return ca.c.now }

// CheckPIN implements operator.Act.
func (ca callAct) CheckPIN(field, pin string) *lrerr.Error {
	return validatePIN(ca.c.tenant, field, pin)
}

// Hash implements operator.Act.
func (ca callAct) Hash(ctx context.Context, secret string) (string, error) {
	h, err := ca.g.hasher.Hash(ctx, ca.c.hashClient(), secret)
	if err != nil {
		return "", ca.g.hashQueueError(err)
	}
	return h, nil
}

// HashAnswers implements operator.Act.
func (ca callAct) HashAnswers(ctx context.Context, answers map[string]string) (map[string]string, error) {
	if answers == nil {
		return nil, nil
	}
	return ca.g.newAnswerSet(ctx, ca.c, securityquestion.FromMap(answers))
}

// Emit implements operator.Act.
func (ca callAct) Emit(tx store.Tx, hook string, a *store.Account) error {
	return ca.g.emit(tx, ca.c, hook, a)
}

// accountRoute adapts a handler of the account API (package operator) to
// the route table: the call acts through callAct.
func accountRoute(h func(*operator.API, operator.Request) (any, error)) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		return h(operator.NewAPI(accountCore{g}), operator.Request{HTTP: c.r, Query: c.q, UID: c.uid, Name: c.name, Act: callAct{g: g, c: c}})
	}
}

// ownAccountRoute adapts a handler of the caller's own account
// (/auth/account) likewise, once the call is authenticated by its access
// token and the caller's account read from the store.
func ownAccountRoute(h func(*operator.API, operator.Request) (any, error)) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		_, a, err := g.bearerAccount(c)
		if err != nil {
			return nil, err
		}
		return h(operator.NewAPI(accountCore{g}), operator.Request{HTTP: c.r, Query: c.q, Account: &a, Act: callAct{g: g, c: c}})
	}
}

// tenantByName returns the named tenant; "" names the only one. Another
// name is an error wrapping operator.ErrUnknownTenant.
func (g *Gateway) tenantByName(name string) (*Tenant, error) {
	if name == "" {
		if len(g.cfg.Tenants) == 1 {
			return &g.cfg.Tenants[0], nil
		}
		return nil, fmt.Errorf("%w: the configuration has %d tenants; name one", operator.ErrUnknownTenant, len(g.cfg.Tenants))
	}
	for i := range g.cfg.Tenants {
		if g.cfg.Tenants[i].Name == name {
			return &g.cfg.Tenants[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", operator.ErrUnknownTenant, name)
}
