package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var roleCases = []testCase{
	{"CreateRole stores a role that Role and Roles read back with sorted permissions, per tenant", testRoleRoundTrip},
	{"CreateRole of a taken name is a DuplicateError and leaves the transaction usable", testRoleDuplicate},
	{"role names are case-sensitive and Roles orders them bytewise", testRoleNames},
	{"AddPermissions and RemovePermissions change only an existing role", testRolePermissions},
	{"DeleteRole removes the role and its permissions; a new role of that name starts empty", testRoleDelete},
	{"role writes of a rolled-back Update are not kept", testRoleRollback},
	{"an account's role contexts round-trip through SaveAccount", testRoleContextsRoundTrip},
}

func createRoles(t *testing.T, s store.Store, rs ...store.Role) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRole(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantRole checks the stored role tenant/name has exactly perms.
func wantRole(t *testing.T, s store.Store, tenant, name string, perms ...string) {
	t.Helper()
	r, found, err := s.Role(t.Context(), tenant, name)
	if err != nil || !found {
		t.Fatalf("Role(%s, %s) = found %v, err %v; want found", tenant, name, found, err)
	}
	if r.Tenant != tenant || r.Name != name || !slices.Equal(r.Permissions, perms) {
		t.Errorf("Role(%s, %s) = %+v, want permissions %q", tenant, name, r, perms)
	}
}

func wantNoRole(t *testing.T, s store.Store, tenant, name string) {
	t.Helper()
	if r, found, err := s.Role(t.Context(), tenant, name); err != nil || found {
		t.Errorf("Role(%s, %s) = %+v, found %v, err %v; want not found", tenant, name, r, found, err)
	}
}

func roleNames(t *testing.T, s store.Store, tenant string) []string {
	t.Helper()
	rs, err := s.Roles(t.Context(), tenant)
	if err != nil {
		t.Fatalf("Roles: %v", err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return names
}

func testRoleRoundTrip(t *testing.T, s store.Store) {
	createRoles(t, s,
		store.Role{Tenant: tenantA, Name: "Editor", Permissions: []string{"write", "Edit", "read", "write"}},
		store.Role{Tenant: tenantA, Name: "Viewer"})
	wantRole(t, s, tenantA, "Editor", "Edit", "read", "write")
	wantRole(t, s, tenantA, "Viewer")
	wantNoRole(t, s, tenantB, "Editor")
	rs, err := s.Roles(t.Context(), tenantA)
	if err != nil || len(rs) != 2 || rs[0].Name != "Editor" || len(rs[0].Permissions) != 3 || rs[1].Name != "Viewer" || len(rs[1].Permissions) != 0 {
		t.Fatalf("Roles(acme) = %+v, %v; want Editor (3 permissions) and Viewer (none)", rs, err)
	}
	if names := roleNames(t, s, tenantB); len(names) != 0 {
		t.Errorf("Roles(globex) = %q, want none", names)
	}
	update(t, s, func(tx store.Tx) error {
		r, found, err := tx.Role(tenantA, "Editor")
		if err != nil || !found || !slices.Equal(r.Permissions, []string{"Edit", "read", "write"}) {
			t.Errorf("Tx.Role = %+v, %v, %v", r, found, err)
		}
		if _, found, err := tx.Role(tenantA, "nobody"); err != nil || found {
			t.Errorf("Tx.Role(nobody) = found %v, err %v", found, err)
		}
		return nil
	})
}

func testRoleDuplicate(t *testing.T, s store.Store) {
	createRoles(t, s, store.Role{Tenant: tenantA, Name: "admin", Permissions: []string{"all"}})
	update(t, s, func(tx store.Tx) error {
		err := tx.CreateRole(store.Role{Tenant: tenantA, Name: "admin", Permissions: []string{"other"}})
		if d, ok := store.IsDuplicate(err); !ok || d.Field != "role" {
			t.Errorf("second CreateRole(admin) = %v, want DuplicateError{role}", err)
		}
		return tx.CreateRole(store.Role{Tenant: tenantA, Name: "staff"})
	})
	wantRole(t, s, tenantA, "admin", "all")
	wantRole(t, s, tenantA, "staff")
	createRoles(t, s, store.Role{Tenant: tenantB, Name: "admin"})
	wantRole(t, s, tenantB, "admin")
}

func testRoleNames(t *testing.T, s store.Store) {
	createRoles(t, s,
		store.Role{Tenant: tenantA, Name: "editor"}, store.Role{Tenant: tenantA, Name: "Editor"},
		store.Role{Tenant: tenantA, Name: "Zed"}, store.Role{Tenant: tenantA, Name: "Ärzte"}, store.Role{Tenant: tenantA, Name: "a b"})
	if got, want := roleNames(t, s, tenantA), []string{"Editor", "Zed", "a b", "editor", "Ärzte"}; !slices.Equal(got, want) {
		t.Errorf("Roles names = %q, want %q", got, want)
	}
	wantNoRole(t, s, tenantA, "EDITOR")
}

func testRolePermissions(t *testing.T, s store.Store) {
	createRoles(t, s, store.Role{Tenant: tenantA, Name: "editor", Permissions: []string{"read"}})
	update(t, s, func(tx store.Tx) error {
		if found, err := tx.AddPermissions(tenantA, "editor", []string{"write", "read", "Publish"}); err != nil || !found {
			t.Errorf("AddPermissions = %v, %v", found, err)
		}
		if found, err := tx.AddPermissions(tenantA, "ghost", []string{"x"}); err != nil || found {
			t.Errorf("AddPermissions(ghost) = %v, %v; want not found", found, err)
		}
		if found, err := tx.AddPermissions(tenantB, "editor", []string{"x"}); err != nil || found {
			t.Errorf("AddPermissions(other tenant) = %v, %v; want not found", found, err)
		}
		return nil
	})
	wantRole(t, s, tenantA, "editor", "Publish", "read", "write")
	wantNoRole(t, s, tenantA, "ghost")
	update(t, s, func(tx store.Tx) error {
		if found, err := tx.RemovePermissions(tenantA, "editor", []string{"read", "never-had", "publish"}); err != nil || !found {
			t.Errorf("RemovePermissions = %v, %v", found, err)
		}
		if found, err := tx.RemovePermissions(tenantA, "ghost", []string{"read"}); err != nil || found {
			t.Errorf("RemovePermissions(ghost) = %v, %v; want not found", found, err)
		}
		return nil
	})
	wantRole(t, s, tenantA, "editor", "Publish", "write")
}

func testRoleDelete(t *testing.T, s store.Store) {
	createRoles(t, s, store.Role{Tenant: tenantA, Name: "editor", Permissions: []string{"read", "write"}},
		store.Role{Tenant: tenantB, Name: "editor", Permissions: []string{"b"}})
	update(t, s, func(tx store.Tx) error {
		if found, err := tx.DeleteRole(tenantA, "editor"); err != nil || !found {
			t.Errorf("DeleteRole = %v, %v", found, err)
		}
		if found, err := tx.DeleteRole(tenantA, "editor"); err != nil || found {
			t.Errorf("second DeleteRole = %v, %v; want not found", found, err)
		}
		return nil
	})
	wantNoRole(t, s, tenantA, "editor")
	wantRole(t, s, tenantB, "editor", "b")
	createRoles(t, s, store.Role{Tenant: tenantA, Name: "editor"})
	wantRole(t, s, tenantA, "editor")
}

func testRoleRollback(t *testing.T, s store.Store) {
	createRoles(t, s, store.Role{Tenant: tenantA, Name: "kept", Permissions: []string{"p"}})
	errStop := errors.New("stop")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateRole(store.Role{Tenant: tenantA, Name: "dropped"}); err != nil {
			return err
		}
		if _, err := tx.AddPermissions(tenantA, "kept", []string{"q"}); err != nil {
			return err
		}
		if _, err := tx.DeleteRole(tenantA, "kept"); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update = %v, want errStop", err)
	}
	wantNoRole(t, s, tenantA, "dropped")
	wantRole(t, s, tenantA, "kept", "p")
}

func testRoleContextsRoundTrip(t *testing.T, s store.Store) {
	a := account("u1", "u1@example.com", "", "")
	createAccounts(t, s, a)
	a = mustAccount(t, s, tenantA, "u1")
	a.RoleContexts = []store.RoleContext{
		{Context: "Home", Roles: []string{"admin", "user"}, AdditionalPermissions: []string{"X"}, Expiration: t0.In(ist)},
		{Context: "Work", Roles: []string{"editor"}},
	}
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	got := mustAccount(t, s, tenantA, "u1").RoleContexts
	if len(got) != 2 || got[0].Context != "Home" || !slices.Equal(got[0].Roles, []string{"admin", "user"}) ||
		!slices.Equal(got[0].AdditionalPermissions, []string{"X"}) || !got[0].Expiration.Equal(t0) ||
		got[0].Expiration.Location() != time.UTC || got[1].Context != "Work" || !got[1].Expiration.IsZero() {
		t.Errorf("RoleContexts = %+v", got)
	}
}
