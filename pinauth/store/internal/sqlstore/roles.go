package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Roles and their permissions (store.RoleReader, store.RoleTx). A role's
// rows are read with a left join, so a role without permissions reads as
// one row with the permission ""; the empty name is no permission.
const (
	// RoleRows selects (name, permission) of the roles of $1 tenant whose
	// name is $2, or of every role when $3 is true.
	RoleRows = `SELECT r.name, COALESCE(p.permission, '') FROM roles r
		LEFT JOIN role_permissions p ON p.tenant = r.tenant AND p.role = r.name
		WHERE r.tenant = $1 AND ($3 OR r.name = $2)`
	// RoleRowsForShare is RoleRows keeping the roles it read from being
	// deleted until the transaction ends.
	RoleRowsForShare = RoleRows + ` FOR SHARE OF r`
	insertRole       = `INSERT INTO roles (tenant, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	insertRolePerm   = `INSERT INTO role_permissions (tenant, role, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	deleteRolePerm   = `DELETE FROM role_permissions WHERE tenant = $1 AND role = $2 AND permission = $3`
	deleteRolePerms  = `DELETE FROM role_permissions WHERE tenant = $1 AND role = $2`
	deleteRole       = `DELETE FROM roles WHERE tenant = $1 AND name = $2`
)

// rolePermission is one row of roleRows.
type rolePermission struct{ role, permission string }

func scanRolePermission(sc rows.Scanner) (rolePermission, error) {
	var rp rolePermission
	err := sc.Scan(&rp.role, &rp.permission)
	return rp, err
}

// groupRoles folds roleRows's rows into roles ordered by name, their
// permissions sorted (bytewise, the same in both backends whatever the
// database's collation).
func groupRoles(tenant string, rps []rolePermission) []store.Role {
	perms := map[string][]string{}
	for _, rp := range rps {
		ps := perms[rp.role]
		if ps == nil {
			ps = []string{}
		}
		if rp.permission != "" {
			ps = append(ps, rp.permission)
		}
		perms[rp.role] = ps
	}
	out := make([]store.Role, 0, len(perms))
	for name, ps := range perms {
		slices.Sort(ps)
		out = append(out, store.Role{Tenant: tenant, Name: name, Permissions: ps})
	}
	slices.SortFunc(out, func(a, b store.Role) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Roles implements store.RoleReader.
func (r *Reader[T]) Roles(ctx context.Context, tenant string) ([]store.Role, error) {
	rps, err := all(r, ctx, "roles", scanRolePermission, RoleRows, tenant, "", true)
	if err != nil {
		return nil, err
	}
	return groupRoles(tenant, rps), nil
}

// Role implements store.RoleReader.
func (r *Reader[T]) Role(ctx context.Context, tenant, name string) (store.Role, bool, error) {
	rps, err := all(r, ctx, "role", scanRolePermission, RoleRows, tenant, name, false)
	if err != nil || len(rps) == 0 {
		return store.Role{}, false, err
	}
	return groupRoles(tenant, rps)[0], true, nil
}

// Role implements store.RoleTx.
func (t *Tx[T]) Role(tenant, name string) (store.Role, bool, error) {
	if err := t.c.Check(); err != nil {
		return store.Role{}, false, err
	}
	rps, err := collect(t.ctx, t.c, scanRolePermission, t.d.TxRole, tenant, name, false)
	if err != nil {
		return store.Role{}, false, t.d.Fault("role", err)
	}
	if len(rps) == 0 {
		return store.Role{}, false, nil
	}
	return groupRoles(tenant, rps)[0], true, nil
}

// CreateRole implements store.RoleTx. Permission rows a concurrent
// AddPermissions left for a role deleted meanwhile are cleared first, so
// a new role never inherits them.
func (t *Tx[T]) CreateRole(r store.Role) error {
	if err := t.c.Check(); err != nil {
		return err
	}
	err := t.savepoint(func() error {
		n, err := t.exec(insertRole, r.Tenant, r.Name)
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.DuplicateError{Field: "role"}
		}
		if _, err := t.exec(deleteRolePerms, r.Tenant, r.Name); err != nil {
			return err
		}
		return t.eachPermission(insertRolePerm, r.Tenant, r.Name, r.Permissions)
	})
	return t.answer("create role", err)
}

// AddPermissions implements store.RoleTx.
func (t *Tx[T]) AddPermissions(tenant, role string, permissions []string) (bool, error) {
	return t.changePermissions("add permissions", insertRolePerm, tenant, role, permissions)
}

// RemovePermissions implements store.RoleTx.
func (t *Tx[T]) RemovePermissions(tenant, role string, permissions []string) (bool, error) {
	return t.changePermissions("remove permissions", deleteRolePerm, tenant, role, permissions)
}

// changePermissions runs query for each permission of an existing role,
// read as Tx.Role reads it: a concurrent DeleteRole cannot leave rows of
// a role it deleted behind.
func (t *Tx[T]) changePermissions(op, query, tenant, role string, permissions []string) (bool, error) {
	if _, found, err := t.Role(tenant, role); err != nil || !found {
		return false, err
	}
	if err := t.eachPermission(query, tenant, role, permissions); err != nil {
		return false, t.d.Fault(op, err)
	}
	return true, nil
}

// eachPermission runs query ($1 tenant, $2 role, $3 permission) for each
// non-empty permission.
func (t *Tx[T]) eachPermission(query, tenant, role string, permissions []string) error {
	for _, p := range permissions {
		if p == "" {
			continue
		}
		if _, err := t.exec(query, tenant, role, p); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRole implements store.RoleTx.
func (t *Tx[T]) DeleteRole(tenant, name string) (bool, error) {
	if _, err := t.change("delete role", deleteRolePerms, tenant, name); err != nil {
		return false, err
	}
	n, err := t.change("delete role", deleteRole, tenant, name)
	return n > 0, err
}
