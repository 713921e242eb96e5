package operator

import (
	"context"
	"errors"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// rolesView is the answer of the account roles routes.
type rolesView struct {
	Roles []string `json:"Roles"`
}

func viewRoles(a *store.Account) rolesView {
	if a.Roles == nil {
		return rolesView{Roles: []string{}}
	}
	return rolesView{Roles: a.Roles}
}

// AccountRoles serves GET /manage/account/{uid}/role.
func (api *API) AccountRoles(r Request) (any, error) {
	a, found, err := api.core.Store().Account(r.HTTP.Context(), r.Act.Tenant(), r.UID)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	return viewRoles(&a), nil
}

// AssignRoles serves PUT /manage/account/{uid}/role: the roles named are
// added to the account's (each a role of the tenant, else 1047), with an
// AssignRoles event, and the account's roles are answered. The account's
// cached profile is forgotten on every node, so its next request carries
// them in X-Auth-Roles.
func (api *API) AssignRoles(r Request) (any, error) {
	names, err := readRoleNames(r.HTTP)
	if err != nil {
		return nil, err
	}
	saved, err := api.changeAccount(r, webhook.AssignRoles, func(tx store.Tx, a *store.Account) error {
		if err := requireRoles(tx, a.Tenant, names); err != nil {
			return err
		}
		for _, n := range names {
			if !slices.Contains(a.Roles, n) {
				a.Roles = append(a.Roles, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return viewRoles(&saved), nil
}

// UnassignRoles serves DELETE /manage/account/{uid}/role: the roles named
// are taken from the account, with an UnassignRoles event. A role the
// account does not hold is 1047, and then nothing changes.
func (api *API) UnassignRoles(r Request) (any, error) {
	names, err := readRoleNames(r.HTTP)
	if err != nil {
		return nil, err
	}
	_, err = api.changeAccount(r, webhook.UnassignRoles, func(_ store.Tx, a *store.Account) error {
		return removeAll(&a.Roles, names, lrerr.CodeRoleNotFound)
	})
	if err != nil {
		return nil, err
	}
	return isDeleted, nil
}

// changeAccount applies change to the account the request names (938
// when there is none) through Core.UpdateAccount, which forgets its cached
// profile on every node, records hook's event and returns the account
// saved.
func (api *API) changeAccount(r Request, hook string, change func(tx store.Tx, a *store.Account) error) (store.Account, error) {
	var saved store.Account
	err := api.core.UpdateAccount(r.HTTP.Context(), store.AccountRef{Tenant: r.Act.Tenant(), UID: r.UID}, change,
		func(tx store.Tx, a *store.Account) error {
			saved = *a
			return r.Act.Emit(tx, hook, a)
		})
	if err != nil {
		return store.Account{}, lrerr.As(err)
	}
	return saved, nil
}

// removeAll removes names from *have, or returns missing (and changes
// nothing) when one of them is not there.
func removeAll(have *[]string, names []string, missing lrerr.Code) error {
	for _, n := range names {
		if !slices.Contains(*have, n) {
			return lrerr.New(missing)
		}
	}
	*have = slices.DeleteFunc(*have, func(n string) bool { return slices.Contains(names, n) })
	return nil
}

// requireRoles returns 1047 unless every name is a role of tenant.
func requireRoles(tx store.Tx, tenant string, names []string) error {
	for _, n := range names {
		_, found, err := tx.Role(tenant, n)
		if err != nil {
			return err
		}
		if !found {
			return lrerr.New(lrerr.CodeRoleNotFound)
		}
	}
	return nil
}

// rolePage is how many accounts unassignEverywhere reads at a time.
const rolePage = 200

// unassignEverywhere takes a deleted role from every account of the
// tenant holding it, directly or in a role context, each in its own
// transaction with an UnassignRoles event. An account deleted meanwhile is
// skipped.
func unassignEverywhere(ctx context.Context, core Core, act Act, role string) error {
	holds := func(a *store.Account) bool {
		if slices.Contains(a.Roles, role) {
			return true
		}
		return slices.ContainsFunc(a.RoleContexts, func(c store.RoleContext) bool { return slices.Contains(c.Roles, role) })
	}
	return eachAccount(ctx, core.Store(), act.Tenant(), func(a *store.Account) error {
		if !holds(a) {
			return nil
		}
		err := core.UpdateAccount(ctx, a.Ref(), func(_ store.Tx, a *store.Account) error {
			a.Roles = slices.DeleteFunc(a.Roles, func(n string) bool { return n == role })
			for i := range a.RoleContexts {
				c := &a.RoleContexts[i]
				c.Roles = slices.DeleteFunc(c.Roles, func(n string) bool { return n == role })
			}
			return nil
		}, func(tx store.Tx, a *store.Account) error {
			return act.Emit(tx, webhook.UnassignRoles, a)
		})
		if e := (*lrerr.Error)(nil); errors.As(err, &e) && e.Code == lrerr.CodeUserNotFound {
			return nil
		}
		return err
	})
}

// eachAccount calls fn with every account of tenant, a page at a time,
// until fn fails.
func eachAccount(ctx context.Context, st store.Reader, tenant string, fn func(a *store.Account) error) error {
	after := ""
	for {
		page, err := st.ListAccounts(ctx, tenant, after, rolePage)
		if err != nil {
			return lrerr.Unavailable(err)
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return lrerr.As(err)
			}
		}
		if len(page) < rolePage {
			return nil
		}
		after = page[len(page)-1].UID
	}
}
