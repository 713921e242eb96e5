package operator

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// roleFixture is the account API over a SQLite store holding ann and bob
// (readStore), with the events its acts record.
type roleFixture struct {
	t   *testing.T
	rc  *recordingCore
	api *API
}

func newRoleFixture(t *testing.T) *roleFixture {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	rc := &recordingCore{st: readStore(t, now), now: now}
	return &roleFixture{t: t, rc: rc, api: NewAPI(rc)}
}

// do calls h with a request of method and JSON body on the path segments
// uid and name, and returns the answer as JSON or the error.
func (f *roleFixture) do(h func(*API, Request) (any, error), method, uid, name, body string) (string, *lrerr.Error) {
	f.t.Helper()
	hr := httptest.NewRequest(method, "/identity/v2/x", strings.NewReader(body))
	out, err := h(f.api, Request{HTTP: hr, UID: uid, Name: name, Act: recordingAct{f.rc}})
	if err != nil {
		var e *lrerr.Error
		if !errors.As(err, &e) {
			f.t.Fatalf("error %v is no *lrerr.Error", err)
		}
		return "", e
	}
	b, jerr := json.Marshal(out)
	if jerr != nil {
		f.t.Fatal(jerr)
	}
	return string(b), nil
}

// ok calls h and fails unless it succeeds with want.
func (f *roleFixture) ok(h func(*API, Request) (any, error), method, uid, name, body, want string) {
	f.t.Helper()
	got, e := f.do(h, method, uid, name, body)
	if e != nil {
		f.t.Fatalf("%s %s/%s %s: error %d %s", method, uid, name, body, e.Code, e.Description)
	}
	if got != want {
		f.t.Errorf("%s %s/%s %s:\n got  %s\n want %s", method, uid, name, body, got, want)
	}
}

// fails calls h and fails unless it answers code.
func (f *roleFixture) fails(h func(*API, Request) (any, error), method, uid, name, body string, code lrerr.Code) {
	f.t.Helper()
	got, e := f.do(h, method, uid, name, body)
	if e == nil || e.Code != code {
		f.t.Errorf("%s %s/%s %s = %s, %v; want error %d", method, uid, name, body, got, e, code)
	}
}

func (f *roleFixture) account(uid string) store.Account {
	f.t.Helper()
	a, found, err := f.rc.st.Account(f.t.Context(), "demo", uid)
	if err != nil || !found {
		f.t.Fatalf("account %s: %v, %v", uid, found, err)
	}
	return a
}

func TestRolesAreCreatedListedAndGivenPermissions(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).ListRoles, "GET", "", "", "", `{"data":[],"Count":0}`)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"Editor","permissions":{"Edit":true,"Publish":true,"Off":false}},{"name":"viewer"}]}`,
		`{"data":[{"Name":"Editor","Permissions":{"Edit":true,"Publish":true}},{"Name":"viewer","Permissions":{}}],"Count":2}`)
	f.ok((*API).AddPermissions, "PUT", "", "viewer", `{"permissions":["read","read","list"]}`,
		`{"Name":"viewer","Permissions":{"list":true,"read":true}}`)
	f.ok((*API).RemovePermissions, "DELETE", "", "Editor", `{"permissions":["Publish","never"]}`,
		`{"Name":"Editor","Permissions":{"Edit":true}}`)
	f.ok((*API).ListRoles, "GET", "", "", "",
		`{"data":[{"Name":"Editor","Permissions":{"Edit":true}},{"Name":"viewer","Permissions":{"list":true,"read":true}}],"Count":2}`)
	// A permission is no path segment: a / is fine in it.
	f.ok((*API).AddPermissions, "PUT", "", "Editor", `{"permissions":["api/read"]}`,
		`{"Name":"Editor","Permissions":{"Edit":true,"api/read":true}}`)
	f.fails((*API).AddPermissions, "PUT", "", "Editor", `{"permissions":["tab\t"]}`, lrerr.CodeValidation)
	if len(f.rc.writes) != 0 {
		t.Errorf("role definitions emitted %q; LoginRadius has no event for them", f.rc.writes)
	}
}

func TestRoleWritesRefuseBadInputWithLoginRadiusCodes(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"admin"}]}`, `{"data":[{"Name":"admin","Permissions":{}}],"Count":1}`)
	for _, body := range []string{
		`{"roles":[{"name":"admin"}]}`,                            // taken
		`{"roles":[{"name":"new"},{"name":"new"}]}`,               // twice
		`{"roles":[{"name":""}]}`,                                 // empty
		`{"roles":[{"name":"a,b"}]}`,                              // would read as two roles in X-Auth-Roles
		`{"roles":[{"name":"a|b"}]}`,                              // likewise in the authentik groups header
		`{"roles":[{"name":"a/b"}]}`,                              // not addressable as a path segment
		`{"roles":[{"name":"bad\u0000"}]}`,                        // control character
		`{"roles":[{"name":" padded"}]}`,                          // surrounding space
		`{"roles":[{"name":"` + strings.Repeat("r", 129) + `"}]}`, // too long
	} {
		f.fails((*API).CreateRoles, "POST", "", "", body, lrerr.CodeRoleNameInvalid)
	}
	if names := roleNamesOf(t, f); !slices.Equal(names, []string{"admin"}) {
		t.Errorf("roles after refused creations = %q; want only admin (a refused call creates none)", names)
	}
	f.fails((*API).CreateRoles, "POST", "", "", `{"roles":[]}`, lrerr.CodeValidation)
	f.fails((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"x","permissions":{"":true}}]}`, lrerr.CodeValidation)
	f.fails((*API).CreateRoles, "POST", "", "", `{"roles":"admin"}`, lrerr.CodePostBodyInvalid)
	f.fails((*API).CreateRoles, "POST", "", "", ``, lrerr.CodePostBodyInvalid)
	f.fails((*API).AddPermissions, "PUT", "", "ghost", `{"permissions":["x"]}`, lrerr.CodeRoleNotFound)
	f.fails((*API).AddPermissions, "PUT", "", "admin", `{"permissions":[]}`, lrerr.CodeValidation)
	f.fails((*API).AddPermissions, "PUT", "", "admin", `{"permissions":`, lrerr.CodePutBodyInvalid)
	f.fails((*API).RemovePermissions, "DELETE", "", "ghost", `{"permissions":["x"]}`, lrerr.CodeRoleNotFound)
	f.fails((*API).RemovePermissions, "DELETE", "", "admin", `nope`, lrerr.CodeBodyInvalid)
	f.fails((*API).DeleteRole, "DELETE", "", "ghost", "", lrerr.CodeRoleNotFound)
}

func roleNamesOf(t *testing.T, f *roleFixture) []string {
	rs, err := f.rc.st.Roles(t.Context(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return names
}

func TestAccountRolesAreAssignedAndUnassignedWithEvents(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"editor"},{"name":"viewer"}]}`,
		`{"data":[{"Name":"editor","Permissions":{}},{"Name":"viewer","Permissions":{}}],"Count":2}`)
	f.ok((*API).AccountRoles, "GET", "ann", "", "", `{"Roles":[]}`)
	f.ok((*API).AssignRoles, "PUT", "ann", "", `{"roles":["viewer","editor","viewer"]}`, `{"Roles":["viewer","editor"]}`)
	f.ok((*API).AssignRoles, "PUT", "ann", "", `{"roles":["editor"]}`, `{"Roles":["viewer","editor"]}`)
	f.ok((*API).AccountRoles, "GET", "ann", "", "", `{"Roles":["viewer","editor"]}`)
	f.ok((*API).UnassignRoles, "DELETE", "ann", "", `{"roles":["viewer"]}`, `{"IsDeleted":true}`)
	if got := f.account("ann").Roles; !slices.Equal(got, []string{"editor"}) {
		t.Errorf("ann's stored roles = %q; want [editor]", got)
	}
	want := []string{"AssignRoles demo ann", "AssignRoles demo ann", "UnassignRoles demo ann"}
	if !slices.Equal(f.rc.writes, want) {
		t.Errorf("events = %q; want %q", f.rc.writes, want)
	}
	f.fails((*API).AssignRoles, "PUT", "ann", "", `{"roles":["editor","ghost"]}`, lrerr.CodeRoleNotFound)
	f.fails((*API).AssignRoles, "PUT", "nobody", "", `{"roles":["editor"]}`, lrerr.CodeUserNotFound)
	f.fails((*API).AssignRoles, "PUT", "ann", "", `{"roles":[]}`, lrerr.CodeValidation)
	f.fails((*API).AssignRoles, "PUT", "ann", "", `{"roles":["a,b"]}`, lrerr.CodeRoleNameInvalid)
	f.fails((*API).UnassignRoles, "DELETE", "ann", "", `{"roles":["viewer"]}`, lrerr.CodeRoleNotFound)
	f.fails((*API).UnassignRoles, "DELETE", "nobody", "", `{"roles":["viewer"]}`, lrerr.CodeUserNotFound)
	f.fails((*API).AccountRoles, "GET", "nobody", "", "", lrerr.CodeUserNotFound)
	if got := f.account("ann").Roles; !slices.Equal(got, []string{"editor"}) {
		t.Errorf("ann's roles after refused calls = %q; want [editor] unchanged", got)
	}
	if len(f.rc.writes) != 3 {
		t.Errorf("refused calls emitted events: %q", f.rc.writes[3:])
	}
}

func TestDeletingARoleTakesItFromEveryAccount(t *testing.T) {
	f := newRoleFixture(t)
	f.ok((*API).CreateRoles, "POST", "", "", `{"roles":[{"name":"editor"},{"name":"viewer"}]}`,
		`{"data":[{"Name":"editor","Permissions":{}},{"Name":"viewer","Permissions":{}}],"Count":2}`)
	f.ok((*API).AssignRoles, "PUT", "ann", "", `{"roles":["editor","viewer"]}`, `{"Roles":["editor","viewer"]}`)
	f.ok((*API).UpsertRoleContexts, "PUT", "bob", "", `{"rolecontext":[{"context":"Work","roles":["editor"]}]}`,
		`{"Data":[{"Context":"Work","Roles":["editor"],"AdditionalPermissions":[],"Expiration":null}]}`)
	f.rc.writes = nil
	f.ok((*API).DeleteRole, "DELETE", "", "editor", "", `{"IsDeleted":true}`)
	if got := f.account("ann").Roles; !slices.Equal(got, []string{"viewer"}) {
		t.Errorf("ann's roles = %q; want [viewer]", got)
	}
	if got := f.account("bob").RoleContexts; len(got) != 1 || len(got[0].Roles) != 0 {
		t.Errorf("bob's contexts = %+v; want Work without roles", got)
	}
	if want := []string{"UnassignRoles demo ann", "UnassignRoles demo bob"}; !slices.Equal(f.rc.writes, want) {
		t.Errorf("events = %q; want %q", f.rc.writes, want)
	}
	f.ok((*API).ListRoles, "GET", "", "", "", `{"data":[{"Name":"viewer","Permissions":{}}],"Count":1}`)
	f.fails((*API).AssignRoles, "PUT", "ann", "", `{"roles":["editor"]}`, lrerr.CodeRoleNotFound)
}
