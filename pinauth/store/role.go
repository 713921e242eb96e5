package store

import (
	"context"
	"time"
)

// Role is a named role of a tenant with its permissions, as the roles
// management API defines them (issue 20). Which accounts have a role is
// part of each account (Account.Roles), not of the role.
type Role struct {
	Tenant string
	Name   string
	// Permissions are the role's permission names, sorted, each once.
	Permissions []string
}

// RoleContext is a set of roles and extra permissions an account holds in
// one named context (a course, a workspace), optionally until an
// expiration; it is stored with the account (Account.RoleContexts).
type RoleContext struct {
	// Context names the context; unique among an account's contexts.
	Context string
	// Roles are the roles held in the context.
	Roles []string
	// AdditionalPermissions are permissions held in the context besides
	// those of its roles.
	AdditionalPermissions []string
	// Expiration ends the context; zero for none.
	Expiration time.Time
}

// RoleReader holds the role lookups of Reader.
type RoleReader interface {
	// Roles returns the roles of tenant ordered by name (bytewise).
	Roles(ctx context.Context, tenant string) ([]Role, error)

	// Role returns the role of tenant with that exact name (names are
	// case-sensitive).
	Role(ctx context.Context, tenant, name string) (Role, bool, error)
}

// RoleTx holds the role writes of Tx. Permission names are matched
// exactly; the empty name is no permission.
type RoleTx interface {
	// Role reads a role inside the transaction. A role it finds stays
	// until the transaction ends: a concurrent DeleteRole commits before
	// the read (which then does not find it) or after the transaction.
	// (Giving an account a role read so cannot race with its deletion.)
	Role(tenant, name string) (Role, bool, error)

	// CreateRole stores a new role with its permissions. A name the tenant
	// already has yields a *DuplicateError with Field "role"; the rejected
	// call writes nothing and the transaction stays usable.
	CreateRole(r Role) error

	// AddPermissions adds permissions to a role (one it has already is
	// kept once). found=false, and no change, when the role does not
	// exist.
	AddPermissions(tenant, role string, permissions []string) (found bool, err error)

	// RemovePermissions removes permissions from a role; ones it does not
	// have are ignored. found=false when the role does not exist.
	RemovePermissions(tenant, role string, permissions []string) (found bool, err error)

	// DeleteRole removes a role with its permissions. It does not change
	// the accounts holding it (the caller unassigns it from them).
	// found=false when it did not exist.
	DeleteRole(tenant, name string) (found bool, err error)
}
