package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// roleView is a role as the roles management API answers it: its name and
// its permissions as a set ({"Edit": true}).
type roleView struct {
	Name        string          `json:"Name"`
	Permissions map[string]bool `json:"Permissions"`
}

// roleList is the answer of the roles list and of role creation.
type roleList struct {
	Data  []roleView `json:"data"`
	Count int        `json:"Count"`
}

func viewRole(r store.Role) roleView {
	v := roleView{Name: r.Name, Permissions: make(map[string]bool, len(r.Permissions))}
	for _, p := range r.Permissions {
		v.Permissions[p] = true
	}
	return v
}

// ListRoles serves GET /manage/role: every role of the tenant, by name.
func (api *API) ListRoles(r Request) (any, error) {
	rs, err := api.core.Store().Roles(r.HTTP.Context(), r.Act.Tenant())
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	return listRoles(rs), nil
}

// listRoles is the answer listing rs.
func listRoles(rs []store.Role) roleList {
	out := roleList{Data: make([]roleView, len(rs)), Count: len(rs)}
	for i, role := range rs {
		out.Data[i] = viewRole(role)
	}
	return out
}

// newRolesBody is the body of POST /manage/role.
type newRolesBody struct {
	Roles []struct {
		Name        string          `json:"name"`
		Permissions map[string]bool `json:"permissions"`
	} `json:"roles"`
}

// CreateRoles serves POST /manage/role: the roles given, each with the
// permissions marked true. A name that is not valid, is given twice or
// is taken already is 1175, and then no role is created.
func (api *API) CreateRoles(r Request) (any, error) {
	var body newRolesBody
	if e := apireq.DecodeJSON(r.HTTP, &body, false); e != nil {
		return nil, e
	}
	if len(body.Roles) == 0 {
		return nil, lrerr.Field("roles", "The roles field is required and may not be empty.")
	}
	roles := make([]store.Role, len(body.Roles))
	seen := map[string]bool{}
	for i, in := range body.Roles {
		if !validRoleName(in.Name) || seen[in.Name] {
			return nil, lrerr.New(lrerr.CodeRoleNameInvalid)
		}
		seen[in.Name] = true
		roles[i] = store.Role{Tenant: r.Act.Tenant(), Name: in.Name, Permissions: []string{}}
		for p, on := range in.Permissions {
			if !validPermission(p) {
				return nil, lrerr.Field("permissions", "Each permission must be a non-empty name without control characters or surrounding spaces.")
			}
			if on {
				roles[i].Permissions = append(roles[i].Permissions, p)
			}
		}
	}
	err := api.core.Store().Update(r.HTTP.Context(), func(tx store.Tx) error {
		for _, role := range roles {
			if err := tx.CreateRole(role); err != nil {
				return err
			}
		}
		return nil
	})
	if _, dup := store.IsDuplicate(err); dup {
		return nil, lrerr.New(lrerr.CodeRoleNameInvalid)
	} else if err != nil {
		return nil, lrerr.As(err)
	}
	return listRoles(roles), nil
}

// permissionsBody is the body of the role permission routes.
type permissionsBody struct {
	Permissions []string `json:"permissions"`
}

// AddPermissions serves PUT /manage/role/{role}/permission: the role with
// the permissions added; 1047 for an unknown role.
func (api *API) AddPermissions(r Request) (any, error) {
	return api.changePermissions(r, store.RoleTx.AddPermissions)
}

// RemovePermissions serves DELETE /manage/role/{role}/permission: the
// role without the permissions named (ones it did not have are ignored);
// 1047 for an unknown role.
func (api *API) RemovePermissions(r Request) (any, error) {
	return api.changePermissions(r, store.RoleTx.RemovePermissions)
}

// changePermissions applies change to the permissions a body names and
// answers the role as it is afterwards.
func (api *API) changePermissions(r Request, change func(store.RoleTx, string, string, []string) (bool, error)) (any, error) {
	var body permissionsBody
	if e := apireq.DecodeJSON(r.HTTP, &body, false); e != nil {
		return nil, e
	}
	perms, err := checkNames("permissions", body.Permissions, validPermission)
	if err != nil {
		return nil, err
	}
	var role store.Role
	err = api.core.Store().Update(r.HTTP.Context(), func(tx store.Tx) error {
		found, err := change(tx, r.Act.Tenant(), r.Name, perms)
		if err != nil {
			return err
		}
		if !found {
			return lrerr.New(lrerr.CodeRoleNotFound)
		}
		role, _, err = tx.Role(r.Act.Tenant(), r.Name)
		return err
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return viewRole(role), nil
}

// DeleteRole serves DELETE /manage/role/{role}: the role and its
// permissions go, and every account holding it, directly or in a role
// context, loses it (each with an UnassignRoles event), so the next
// request of its sessions no longer carries it in X-Auth-Roles. 1047 for
// an unknown role.
func (api *API) DeleteRole(r Request) (any, error) {
	ctx := r.HTTP.Context()
	err := api.core.Store().Update(ctx, func(tx store.Tx) error {
		found, err := tx.DeleteRole(r.Act.Tenant(), r.Name)
		if err == nil && !found {
			err = lrerr.New(lrerr.CodeRoleNotFound)
		}
		return err
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	if err := unassignEverywhere(ctx, api.core, r.Act, r.Name); err != nil {
		return nil, err
	}
	return isDeleted, nil
}
