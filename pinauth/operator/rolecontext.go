package operator

import (
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// contextView is a role context as the API answers it. Expiration is
// RFC 3339 in UTC to the second, as LoginRadius writes it, or null.
type contextView struct {
	Context               string   `json:"Context"`
	Roles                 []string `json:"Roles"`
	AdditionalPermissions []string `json:"AdditionalPermissions"`
	Expiration            *string  `json:"Expiration"`
}

// contextsView is the answer of the role context read and upsert.
type contextsView struct {
	Data []contextView `json:"Data"`
}

func viewContexts(cs []store.RoleContext) contextsView {
	out := contextsView{Data: make([]contextView, len(cs))}
	for i, c := range cs {
		out.Data[i] = contextView{Context: c.Context, Roles: orEmpty(c.Roles),
			AdditionalPermissions: orEmpty(c.AdditionalPermissions), Expiration: expirationView(c.Expiration)}
	}
	return out
}

func expirationView(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RoleContexts serves GET /manage/account/{uid}/rolecontext.
func (api *API) RoleContexts(r Request) (any, error) {
	a, found, err := api.core.Store().Account(r.HTTP.Context(), r.Act.Tenant(), r.UID)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	return viewContexts(a.RoleContexts), nil
}

// upsertContextsBody is the body of PUT /manage/account/{uid}/rolecontext.
type upsertContextsBody struct {
	RoleContext []struct {
		Context               string   `json:"context"`
		Roles                 []string `json:"roles"`
		AdditionalPermissions []string `json:"additionalpermissions"`
		Expiration            string   `json:"expiration"`
	} `json:"rolecontext"`
}

// readContexts reads and checks the contexts of an upsert: each named
// (1133 otherwise), with roles (1134) that are valid names (1175), and an
// expiration in a known form (1134).
func readContexts(r Request) ([]store.RoleContext, error) {
	var body upsertContextsBody
	if e := apireq.DecodeJSON(r.HTTP, &body, false); e != nil {
		return nil, e
	}
	if len(body.RoleContext) == 0 {
		return nil, lrerr.Field("rolecontext", "The rolecontext field is required and may not be empty.")
	}
	out := make([]store.RoleContext, 0, len(body.RoleContext))
	for _, in := range body.RoleContext {
		if !validContextName(in.Context) {
			return nil, lrerr.New(lrerr.CodeRoleContextInvalid)
		}
		roles, err := checkNames("roles", in.Roles, validRoleName)
		if err != nil {
			return nil, err
		}
		var perms []string
		if len(in.AdditionalPermissions) > 0 {
			if perms, err = checkNames("additionalpermissions", in.AdditionalPermissions, validPermission); err != nil {
				return nil, err
			}
		}
		exp, ok := parseExpiration(in.Expiration)
		if !ok {
			return nil, lrerr.Field("expiration", "The expiration must be a date like 07/15/2018 8:30:08 AM (UTC) or in RFC 3339 form.")
		}
		c := store.RoleContext{Context: in.Context, Roles: roles, AdditionalPermissions: perms, Expiration: exp}
		if i := contextIndex(out, c.Context); i >= 0 {
			out[i] = c // the last one given wins, as it would in two calls
		} else {
			out = append(out, c)
		}
	}
	return out, nil
}

func contextIndex(cs []store.RoleContext, name string) int {
	return slices.IndexFunc(cs, func(c store.RoleContext) bool { return c.Context == name })
}

// UpsertRoleContexts serves PUT /manage/account/{uid}/rolecontext: each
// context given replaces the account's context of that name or is added;
// every role named must be a role of the tenant (1047). It answers all of
// the account's contexts, with an AssignRoles event.
func (api *API) UpsertRoleContexts(r Request) (any, error) {
	cs, err := readContexts(r)
	if err != nil {
		return nil, err
	}
	saved, err := api.changeAccount(r, webhook.AssignRoles, func(tx store.Tx, a *store.Account) error {
		for _, c := range cs {
			if err := requireRoles(tx, a.Tenant, c.Roles); err != nil {
				return err
			}
			if i := contextIndex(a.RoleContexts, c.Context); i >= 0 {
				a.RoleContexts[i] = c
			} else {
				a.RoleContexts = append(a.RoleContexts, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return viewContexts(saved.RoleContexts), nil
}

// DeleteRoleContext serves DELETE
// /manage/account/{uid}/rolecontext/{rolecontextname}: 1133 when the
// account has no such context; a RemoveRoleContext event.
func (api *API) DeleteRoleContext(r Request) (any, error) {
	return api.changeContext(r, webhook.RemoveRoleContext, func(a *store.Account, i int) error {
		a.RoleContexts = slices.Delete(a.RoleContexts, i, i+1)
		return nil
	})
}

// DeleteRolesFromContext serves DELETE
// /manage/account/{uid}/rolecontext/{rolecontextname}/role with
// {"roles": […]}: 1047 for a role the context does not have.
func (api *API) DeleteRolesFromContext(r Request) (any, error) {
	names, err := readRoleNames(r.HTTP)
	if err != nil {
		return nil, err
	}
	return api.changeContext(r, webhook.UnassignRoles, func(a *store.Account, i int) error {
		return removeAll(&a.RoleContexts[i].Roles, names, lrerr.CodeRoleNotFound)
	})
}

// DeletePermissionsFromContext serves DELETE
// /manage/account/{uid}/rolecontext/{rolecontextname}/additionalpermission
// with {"additionalpermissions": […]}: 1142 for a permission the context
// does not have.
func (api *API) DeletePermissionsFromContext(r Request) (any, error) {
	var body struct {
		AdditionalPermissions []string `json:"additionalpermissions"`
	}
	if e := apireq.DecodeJSON(r.HTTP, &body, false); e != nil {
		return nil, e
	}
	perms, err := checkNames("additionalpermissions", body.AdditionalPermissions, validPermission)
	if err != nil {
		return nil, err
	}
	return api.changeContext(r, webhook.UnassignRoles, func(a *store.Account, i int) error {
		return removeAll(&a.RoleContexts[i].AdditionalPermissions, perms, lrerr.CodeAdditionalPermissionNotFound)
	})
}

// changeContext applies change to the account's context named by the
// path (1133 when it has none) and records hook's event.
func (api *API) changeContext(r Request, hook string, change func(a *store.Account, i int) error) (any, error) {
	_, err := api.changeAccount(r, hook, func(_ store.Tx, a *store.Account) error {
		i := contextIndex(a.RoleContexts, r.Name)
		if i < 0 {
			return lrerr.New(lrerr.CodeRoleContextInvalid)
		}
		return change(a, i)
	})
	if err != nil {
		return nil, err
	}
	return isDeleted, nil
}

// contextProfile is one entry of the role context profile answer.
type contextProfile struct {
	RoleContext struct {
		Roles                 []string `json:"Roles"`
		AdditionalPermissions []string `json:"AdditionalPermissions"`
		Expiration            *string  `json:"Expiration"`
	} `json:"RoleContext"`
	UID           string        `json:"Uid"`
	LastLoginDate any           `json:"LastLoginDate"`
	FullName      any           `json:"FullName"`
	Email         []store.Email `json:"Email"`
	ImageURL      any           `json:"ImageUrl"`
}

// RoleContextProfiles serves GET /manage/account/rolecontext/{contextName}:
// every account of the tenant having a context of that name, with the
// context. It reads the tenant's accounts a page at a time.
func (api *API) RoleContextProfiles(r Request) (any, error) {
	out := struct {
		Data []contextProfile `json:"Data"`
	}{Data: []contextProfile{}}
	err := eachAccount(r.HTTP.Context(), api.core.Store(), r.Act.Tenant(), func(a *store.Account) error {
		i := contextIndex(a.RoleContexts, r.Name)
		if i < 0 {
			return nil
		}
		c := a.RoleContexts[i]
		var p contextProfile
		p.RoleContext.Roles, p.RoleContext.AdditionalPermissions = orEmpty(c.Roles), orEmpty(c.AdditionalPermissions)
		p.RoleContext.Expiration = expirationView(c.Expiration)
		prof := lrprofile.View(a, store.Attempts{}, r.Act.Now())
		p.UID, p.LastLoginDate, p.FullName, p.ImageURL = a.UID, prof["LastLoginDate"], prof["FullName"], prof["ImageUrl"]
		p.Email = a.Emails
		if p.Email == nil {
			p.Email = []store.Email{}
		}
		out.Data = append(out.Data, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
