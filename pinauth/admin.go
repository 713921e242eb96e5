package pinauth

import (
	"context"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Admin returns the operator API of g: the account writes of the management
// API, run without HTTP.
func (g *Gateway) Admin() *operator.Admin { return operator.New(adminCore{g}) }

// adminCore gives the operator API the gateway's tenants, clock, store and
// account writes (operator.Core).
type adminCore struct{ g *Gateway }

// Tenant implements operator.Core.
func (ac adminCore) Tenant(name string) (string, error) {
	t, err := ac.g.tenantByName(name)
	if err != nil {
		return "", err
	}
	return t.Name, nil
}

// TenantNames implements operator.Core.
func (ac adminCore) TenantNames() []string {
	names := make([]string, len(ac.g.cfg.Tenants))
	for i, t := range ac.g.cfg.Tenants {
		names[i] = t.Name
	}
	return names
}

// Now implements operator.Core.
func (ac adminCore) Now() time.Time { return ac.g.now() }

// Store implements operator.Core.
func (ac adminCore) Store() store.Reader { return ac.g.store }

// CreateAccount implements operator.Core.
func (ac adminCore) CreateAccount(ctx context.Context, tenant string, now time.Time, in *lrprofile.Input) (store.Account, error) {
	c, err := ac.call(tenant, now)
	if err != nil {
		return store.Account{}, err
	}
	return ac.g.createAccountFor(ctx, c, in)
}

// UpdateAccount implements operator.Core.
func (ac adminCore) UpdateAccount(ctx context.Context, tenant, uid string, now time.Time, in *lrprofile.Input) (store.Account, error) {
	c, err := ac.call(tenant, now)
	if err != nil {
		return store.Account{}, err
	}
	return ac.g.editAccountFor(ctx, c, uid, in)
}

// DeleteAccount implements operator.Core.
func (ac adminCore) DeleteAccount(ctx context.Context, tenant, uid string, now time.Time) error {
	c, err := ac.call(tenant, now)
	if err != nil {
		return err
	}
	return ac.g.deleteAccountFor(ctx, c, uid)
}

// call returns the acting context of an operator's action on tenant at
// now: no request, so every event is recorded.
func (ac adminCore) call(tenant string, now time.Time) (*call, error) {
	t, err := ac.g.tenantByName(tenant)
	if err != nil {
		return nil, err
	}
	return &call{tenant: t, now: now}, nil
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
