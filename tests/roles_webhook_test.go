package tests

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestRoleChangesSendLoginRadiusRoleEventsEvenWhenPrevented walks an
// account's roles and role contexts through every change the roles
// management API makes, each asking for no webhook, on real Caddy with a
// receiver on loopback (issue 20): the role events are LoginRadius's
// (AssignRoles, UnassignRoles, RemoveRoleContext) and, since they change
// what the account may do, are delivered all the same. The last event,
// an unprevented profile update, arriving means everything before it has.
func TestRoleChangesSendLoginRadiusRoleEventsEvenWhenPrevented(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	g := startGateway(t, func(s *siteConfig) {
		s.Extra = "webhook " + rc.url() + " {\n\t\t\tsecret " + hookSecret + "\n\t\t}"
	})
	created := g.do("POST", apiPrefix+"/manage/account?"+g.manage()+"&prevent_webhook=true", map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": password,
	})
	if created.status != 200 {
		t.Fatalf("create the account: %d %s", created.status, created.raw)
	}
	uid := created.str("Uid")
	m := g.manage() + "&prevent_webhook=true"
	account := apiPrefix + "/manage/account/" + uid
	for _, step := range []struct {
		method, path string
		body         any
	}{
		{"POST", apiPrefix + "/manage/role", map[string]any{"roles": []map[string]any{{"name": "editor"}, {"name": "viewer"}}}},
		{"PUT", account + "/role", map[string]any{"roles": []string{"editor"}}},
		{"DELETE", account + "/role", map[string]any{"roles": []string{"editor"}}},
		{"PUT", account + "/rolecontext", map[string]any{"rolecontext": []map[string]any{{"context": "Home", "roles": []string{"editor", "viewer"}, "additionalpermissions": []string{"X"}}}}},
		{"DELETE", account + "/rolecontext/Home/role", map[string]any{"roles": []string{"viewer"}}},
		{"DELETE", account + "/rolecontext/Home/additionalpermission", map[string]any{"additionalpermissions": []string{"X"}}},
		{"DELETE", apiPrefix + "/manage/role/editor", nil}, // Home still holds editor
		{"DELETE", account + "/rolecontext/Home", nil},
		{"PUT", account + "/role", map[string]any{"roles": []string{"viewer"}}},
	} {
		if r := g.do(step.method, step.path+"?"+m, step.body); r.status != 200 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, r.status, r.raw)
		}
	}
	if r := g.do("PUT", account+"?"+g.manage(), map[string]any{"FirstName": "Alice"}); r.status != 200 {
		t.Fatalf("update the account: %d %s", r.status, r.raw)
	}

	want := []string{"assignroles", "unassignroles", "assignroles", "unassignroles", "unassignroles",
		"unassignroles", "removerolecontext", "assignroles", "updateprofile"}
	got := rc.waitOK(len(want), deliveryWait)
	var names []string
	for _, d := range got {
		names = append(names, d.hookName(t))
	}
	if !slices.Equal(names, want) {
		t.Fatalf("the receiver got %v, want %v", names, want)
	}
	var last struct {
		Data struct {
			Uid   string
			Roles []string
		}
	}
	if err := json.Unmarshal(got[len(want)-2].body, &last); err != nil || last.Data.Uid != uid || !slices.Equal(last.Data.Roles, []string{"viewer"}) {
		t.Errorf("the last AssignRoles payload: %v %s; want the profile of %s with Roles [viewer]", err, got[len(want)-2].body, uid)
	}
}
