package tests

import (
	"net/url"
	"strings"
)

// callNamed is call for a route with a {name} segment (a role or a role
// context), which it fills with name.
func (c *conformanceRun) callNamed(g *gateway, route, doc, name, query string, body any) response {
	c.t.Helper()
	method, path, _ := strings.Cut(route, " ")
	path = strings.ReplaceAll(path, "{name}", url.PathEscape(name))
	target := apiPrefix + strings.ReplaceAll(path, "{uid}", c.uid(g, query)) + "?apikey=" + g.key() + query
	return c.keep(route, doc, g.do(method, target, body))
}

// driveRoles calls every roles management route to success on account
// uid of tenant g (issue 20).
func (c *conformanceRun) driveRoles(g *gateway, uid string) {
	const doc = "roles-management/"
	s, u := secret(g), secret(g)+"&uid="+uid
	c.call(g, "POST /manage/role", doc+"roles-create", s, map[string]any{"roles": []map[string]any{
		{"name": "Editor", "permissions": map[string]bool{"Edit": true, "Publish": true}}, {"name": "Viewer"}}})
	c.call(g, "GET /manage/role", doc+"roles-list", s, nil)
	c.callNamed(g, "PUT /manage/role/{name}/permission", doc+"add-permissions-to-role", "Viewer", s, map[string]any{"permissions": []string{"Read"}})
	c.callNamed(g, "DELETE /manage/role/{name}/permission", doc+"remove-permissions", "Editor", s, map[string]any{"permissions": []string{"Publish"}})
	c.call(g, "PUT /manage/account/{uid}/role", doc+"assign-roles-by-uid", u, map[string]any{"roles": []string{"Editor", "Viewer"}})
	c.call(g, "GET /manage/account/{uid}/role", doc+"get-roles-by-uid", u, nil)
	c.call(g, "DELETE /manage/account/{uid}/role", doc+"unassign-roles-by-uid", u, map[string]any{"roles": []string{"Viewer"}})
	c.call(g, "PUT /manage/account/{uid}/rolecontext", doc+"upsert-context", u, map[string]any{"rolecontext": []map[string]any{
		{"context": "Home", "roles": []string{"Editor", "Viewer"}, "additionalpermissions": []string{"X", "Y"}, "expiration": "07/15/2031 8:30:08 AM"}}})
	c.call(g, "GET /manage/account/{uid}/rolecontext", doc+"get-context", u, nil)
	c.callNamed(g, "GET /manage/account/rolecontext/{name}", doc+"role-context-profile", "Home", s, nil)
	c.callNamed(g, "DELETE /manage/account/{uid}/rolecontext/{name}/role", doc+"delete-role-from-context", "Home", u, map[string]any{"roles": []string{"Viewer"}})
	c.callNamed(g, "DELETE /manage/account/{uid}/rolecontext/{name}/additionalpermission", doc+"delete-permissions-from-context", "Home", u,
		map[string]any{"additionalpermissions": []string{"Y"}})
	c.callNamed(g, "DELETE /manage/account/{uid}/rolecontext/{name}", doc+"delete-context", "Home", u, nil)
	c.callNamed(g, "DELETE /manage/role/{name}", doc+"delete-role", "Viewer", s, nil)
}
