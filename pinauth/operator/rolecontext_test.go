package operator

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

func TestRoleContextsAreUpsertedReadAndDeleted(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"admin"},{"name":"user"}]}`,
		`{"data":[{"Name":"admin","Permissions":{}},{"Name":"user","Permissions":{}}],"Count":2}`)
	f.ok((*API).RoleContexts, "GET", "ann", "", "", `{"Data":[]}`)
	f.ok((*API).UpsertRoleContexts, "PUT", "ann", "", `{"rolecontext":[
		{"context":"Home","roles":["admin","user"],"additionalpermissions":["X","Y"],"expiration":"07/15/2031 8:30:08 PM"},
		{"context":"Work","roles":["user"]}]}`,
		`{"Data":[{"Context":"Home","Roles":["admin","user"],"AdditionalPermissions":["X","Y"],"Expiration":"2031-07-15T20:30:08Z"},`+
			`{"Context":"Work","Roles":["user"],"AdditionalPermissions":[],"Expiration":null}]}`)
	// An upsert replaces the context of that name and keeps the others.
	f.ok((*API).UpsertRoleContexts, "PUT", "ann", "", `{"rolecontext":[{"context":"Work","roles":["admin"],"expiration":"2031-01-02T03:04:05Z"}]}`,
		`{"Data":[{"Context":"Home","Roles":["admin","user"],"AdditionalPermissions":["X","Y"],"Expiration":"2031-07-15T20:30:08Z"},`+
			`{"Context":"Work","Roles":["admin"],"AdditionalPermissions":[],"Expiration":"2031-01-02T03:04:05Z"}]}`)
	if got := f.account("ann").RoleContexts[0].Expiration; !got.Equal(time.Date(2031, 7, 15, 20, 30, 8, 0, time.UTC)) {
		t.Errorf("stored expiration = %v", got)
	}
	f.ok((*API).DeleteRolesFromContext, "DELETE", "ann", "Home", `{"roles":["admin"]}`, `{"IsDeleted":true}`)
	f.ok((*API).DeletePermissionsFromContext, "DELETE", "ann", "Home", `{"additionalpermissions":["Y"]}`, `{"IsDeleted":true}`)
	f.ok((*API).RoleContexts, "GET", "ann", "", "",
		`{"Data":[{"Context":"Home","Roles":["user"],"AdditionalPermissions":["X"],"Expiration":"2031-07-15T20:30:08Z"},`+
			`{"Context":"Work","Roles":["admin"],"AdditionalPermissions":[],"Expiration":"2031-01-02T03:04:05Z"}]}`)
	f.ok((*API).DeleteRoleContext, "DELETE", "ann", "Work", "", `{"IsDeleted":true}`)
	f.ok((*API).RoleContexts, "GET", "ann", "", "",
		`{"Data":[{"Context":"Home","Roles":["user"],"AdditionalPermissions":["X"],"Expiration":"2031-07-15T20:30:08Z"}]}`)
	want := []string{"AssignRoles demo ann", "AssignRoles demo ann", "UnassignRoles demo ann", "UnassignRoles demo ann", "RemoveRoleContext demo ann"}
	if !slices.Equal(f.rc.writes, want) {
		t.Errorf("events = %q; want %q", f.rc.writes, want)
	}
	// Contexts hold roles apart from the account's own (X-Auth-Roles).
	if got := f.account("ann").Roles; len(got) != 0 {
		t.Errorf("ann's own roles = %q; want none", got)
	}
}

func TestRoleContextWritesRefuseBadInputWithLoginRadiusCodes(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"admin"}]}`, `{"data":[{"Name":"admin","Permissions":{}}],"Count":1}`)
	f.ok((*API).UpsertRoleContexts, "PUT", "ann", "", `{"rolecontext":[{"context":"Home","roles":["admin"],"additionalpermissions":["X"]}]}`,
		`{"Data":[{"Context":"Home","Roles":["admin"],"AdditionalPermissions":["X"],"Expiration":null}]}`)
	before := f.account("ann")
	for _, tc := range []struct {
		body string
		code lrerr.Code
	}{
		{`{"rolecontext":[{"context":"Home","roles":["ghost"]}]}`, lrerr.CodeRoleNotFound},
		{`{"rolecontext":[{"context":"","roles":["admin"]}]}`, lrerr.CodeRoleContextInvalid},
		{`{"rolecontext":[{"context":"a/b","roles":["admin"]}]}`, lrerr.CodeRoleContextInvalid},
		{`{"rolecontext":[{"context":"Home","roles":[]}]}`, lrerr.CodeValidation},
		{`{"rolecontext":[{"context":"Home","roles":["admin"],"expiration":"next tuesday"}]}`, lrerr.CodeValidation},
		{`{"rolecontext":[]}`, lrerr.CodeValidation},
		{`{"rolecontext":{}}`, lrerr.CodePutBodyInvalid},
	} {
		f.fails((*API).UpsertRoleContexts, "PUT", "ann", "", tc.body, tc.code)
	}
	f.fails((*API).UpsertRoleContexts, "PUT", "nobody", "", `{"rolecontext":[{"context":"Home","roles":["admin"]}]}`, lrerr.CodeUserNotFound)
	f.fails((*API).RoleContexts, "GET", "nobody", "", "", lrerr.CodeUserNotFound)
	f.fails((*API).DeleteRoleContext, "DELETE", "ann", "Away", "", lrerr.CodeRoleContextInvalid)
	f.fails((*API).DeleteRoleContext, "DELETE", "nobody", "Home", "", lrerr.CodeUserNotFound)
	f.fails((*API).DeleteRolesFromContext, "DELETE", "ann", "Away", `{"roles":["admin"]}`, lrerr.CodeRoleContextInvalid)
	f.fails((*API).DeleteRolesFromContext, "DELETE", "ann", "Home", `{"roles":["user"]}`, lrerr.CodeRoleNotFound)
	f.fails((*API).DeletePermissionsFromContext, "DELETE", "ann", "Home", `{"additionalpermissions":["Z"]}`, lrerr.CodeAdditionalPermissionNotFound)
	f.fails((*API).DeletePermissionsFromContext, "DELETE", "ann", "Away", `{"additionalpermissions":["X"]}`, lrerr.CodeRoleContextInvalid)
	f.fails((*API).DeletePermissionsFromContext, "DELETE", "ann", "Home", `{"additionalpermissions":[]}`, lrerr.CodeValidation)
	if after := f.account("ann"); after.Version != before.Version {
		t.Errorf("refused calls saved the account (version %d -> %d)", before.Version, after.Version)
	}
}

func TestRoleContextProfileListsTheAccountsHavingTheContext(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"Marketing"}]}`, `{"data":[{"Name":"Marketing","Permissions":{}}],"Count":1}`)
	f.ok((*API).RoleContextProfiles, "GET", "", "Sales", "", `{"Data":[]}`)
	for _, uid := range []string{"ann", "bob"} {
		ctx := map[string]string{"ann": "Sales", "bob": "Support"}[uid]
		f.ok((*API).UpsertRoleContexts, "PUT", uid, "", `{"rolecontext":[{"context":"`+ctx+`","roles":["Marketing"],"additionalpermissions":["ApiAccess"]}]}`,
			`{"Data":[{"Context":"`+ctx+`","Roles":["Marketing"],"AdditionalPermissions":["ApiAccess"],"Expiration":null}]}`)
	}
	f.ok((*API).RoleContextProfiles, "GET", "", "Sales", "",
		`{"Data":[{"RoleContext":{"Roles":["Marketing"],"AdditionalPermissions":["ApiAccess"],"Expiration":null},`+
			`"Uid":"ann","LastLoginDate":"0001-01-01T00:00:00.0000000Z","FullName":null,"Email":[{"Type":"Primary","Value":"ann@x.test"}],"ImageUrl":null}]}`)
}
