//go:build ignore

// generate derives shapes.json from LoginRadius's published v2 endpoint
// documents (the public repository LoginRadius/apidocs, folder
// database/apidocs/apis/v2/): for each route the gateway serves, the
// documents that describe it, and for each document the JSON type of
// every key of its outputFormat and of its post parameters. It copies no
// prose and no example value, only key names and JSON types. It also
// writes pinauth/lrerr's response-codes.json from LoginRadius's response-code
// list: each code's HTTP status and Message label.
//
//	go run tests/testdata/loginradius/generate.go -apidocs <clone of LoginRadius/apidocs>
//
// The conformance test (tests/conformance_test.go) reads shapes.json;
// pinauth's profile-field tests read the writable fields from it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// root is the documents' folder inside the repository.
const root = "database/apidocs/apis/v2/"

// A shape is a JSON value's type, written compactly: "string", "number",
// "bool", "null", "array" or "object" for a value, an object of shapes
// for an object's keys, and a one-element array holding the shape of an
// array's first element.

// maxDepth bounds how deep shapes go: the answer's keys, those of its
// objects (Profile, Data), theirs (Profile.PIN, Addresses' items) and
// those of the items of their lists (Profile.Email's Type and Value).
const maxDepth = 4

func shapeOf(v any) any { return shapeAt(v, 0) }

func shapeAt(v any, depth int) any {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		if len(x) == 0 || depth >= maxDepth {
			return "array"
		}
		return []any{shapeAt(x[0], depth+1)}
	case map[string]any:
		if len(x) == 0 || depth >= maxDepth {
			return "object"
		}
		keys := map[string]any{}
		for k, e := range x {
			keys[k] = shapeAt(e, depth+1)
		}
		return keys
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

// document is what shapes.json keeps of one endpoint document.
type document struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query are the documented query parameters (a trailing * marks
	// required ones, as the documents write them).
	Query []string `json:"query,omitempty"`
	// Body is the shape of the documented post parameters.
	Body any `json:"body,omitempty"`
	// Output is the shape of the documented answer.
	Output any `json:"output"`
}

// route is one served method and path with the documents describing it.
type route struct {
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Documents []string `json:"documents"`
	// Note says why a document was matched by hand.
	Note string `json:"note,omitempty"`
}

// served are the gateway's routes (docs/api-reference.md), with the
// documents matched by hand where the path alone does not find them.
var served = []route{
	{Method: "POST", Path: "/auth/login", Documents: []string{"customer-identity-api/multi-factor-authentication/mfa-email-login.json"},
		Note: "the MFA first factor: LoginRadius documents its answer under /auth/login/2fa, the gateway gives it on /auth/login when the tenant requires a second factor"},
	{Method: "POST", Path: "/auth/login/pin"},
	{Method: "POST", Path: "/auth/pin/set/pinauthtoken"},
	{Method: "POST", Path: "/manage/account"},
	{Method: "GET", Path: "/manage/account"},
	{Method: "GET", Path: "/manage/account/{uid}"},
	{Method: "PUT", Path: "/manage/account/{uid}"},
	{Method: "DELETE", Path: "/manage/account/{uid}"},
	{Method: "PUT", Path: "/auth/pin/change"},
	{Method: "POST", Path: "/auth/pin/change", Documents: []string{"customer-identity-api/pin-authentication/change-pin-by-access-token.json"},
		Note: "LoginRadius documents PUT; the gateway also takes POST, answered the same"},
	{Method: "GET", Path: "/auth/session_token/invalidate"},
	{Method: "PUT", Path: "/auth/account/reauth/pin"},
	{Method: "POST", Path: "/manage/account/{uid}/reauth/pin"},
	{Method: "POST", Path: "/manage/account/{uid}/reauth/2fa"},
	{Method: "POST", Path: "/auth/account/reauth/2fa/securityquestionanswer/verify"},
	{Method: "POST", Path: "/auth/login/2fa/verification/securityquestionanswer"},
	{Method: "PUT", Path: "/auth/login/2fa/securityquestionanswer"},
	{Method: "PUT", Path: "/auth/account/2fa/securityquestionanswer"},
	{Method: "DELETE", Path: "/auth/account/2fa/authenticator/securityquestionanswer"},
	{Method: "DELETE", Path: "/manage/account/2fa/authenticator/securityquestionanswer"},
	{Method: "GET", Path: "/auth/securityquestion/email"},
	{Method: "GET", Path: "/auth/securityquestion/username"},
	{Method: "GET", Path: "/auth/securityquestion/phone"},
	{Method: "GET", Path: "/auth/securityquestion/accesstoken"},
	{Method: "GET", Path: "/auth/access_token/validate"},
	{Method: "GET", Path: "/auth/access_token/invalidate"},
	{Method: "GET", Path: "/auth/access_token"},
	{Method: "GET", Path: "/auth/account"},
	{Method: "PUT", Path: "/auth/account"},
	{Method: "GET", Path: "/manage/account/access_token/refresh"},
	{Method: "GET", Path: "/manage/account/access_token/refresh/revoke"},
	{Method: "DELETE", Path: "/manage/account/{uid}/access_token/refresh/revoke"},
	{Method: "POST", Path: "/auth/pin/forgot/email"},
	{Method: "POST", Path: "/auth/pin/forgot/username"},
	{Method: "POST", Path: "/auth/pin/forgot/otp"},
	{Method: "PUT", Path: "/auth/pin/reset/token"},
	{Method: "PUT", Path: "/auth/pin/reset/otp/email"},
	{Method: "PUT", Path: "/auth/pin/reset/otp/username"},
	{Method: "PUT", Path: "/auth/pin/reset/otp/phone"},
	{Method: "PUT", Path: "/auth/pin/reset/securityanswer/email"},
	{Method: "PUT", Path: "/auth/pin/reset/securityanswer/username"},
	{Method: "PUT", Path: "/auth/pin/reset/securityanswer/phone"},
	{Method: "POST", Path: "/auth/password"},
	{Method: "PUT", Path: "/auth/password/reset"},
	{Method: "PUT", Path: "/auth/password/securityanswer"},
	// Roles management (issue 20). The documents name the segment the
	// router captures as {name} {role}, {role_name}, {rolecontextname} or
	// {contextName}, which the path alone does not match.
	{Method: "GET", Path: "/manage/role"},
	{Method: "POST", Path: "/manage/role"},
	{Method: "DELETE", Path: "/manage/role/{name}", Documents: []string{"customer-identity-api/roles-management/delete-role.json"}},
	{Method: "PUT", Path: "/manage/role/{name}/permission", Documents: []string{"customer-identity-api/roles-management/add-permissions-to-role.json"}},
	{Method: "DELETE", Path: "/manage/role/{name}/permission", Documents: []string{"customer-identity-api/roles-management/remove-permissions.json"}},
	{Method: "GET", Path: "/manage/account/rolecontext/{name}", Documents: []string{"customer-identity-api/roles-management/role-context-profile.json"}},
	{Method: "GET", Path: "/manage/account/{uid}/role"},
	{Method: "PUT", Path: "/manage/account/{uid}/role"},
	{Method: "DELETE", Path: "/manage/account/{uid}/role"},
	{Method: "GET", Path: "/manage/account/{uid}/rolecontext"},
	{Method: "PUT", Path: "/manage/account/{uid}/rolecontext"},
	{Method: "DELETE", Path: "/manage/account/{uid}/rolecontext/{name}", Documents: []string{"customer-identity-api/roles-management/delete-context.json"}},
	{Method: "DELETE", Path: "/manage/account/{uid}/rolecontext/{name}/role", Documents: []string{"customer-identity-api/roles-management/delete-role-from-context.json"}},
	{Method: "DELETE", Path: "/manage/account/{uid}/rolecontext/{name}/additionalpermission", Documents: []string{"customer-identity-api/roles-management/delete-permissions-from-context.json"}},
	// Passwords (issue 20). GET /manage/account/{uid}/password is served
	// only to refuse (1144: no password hash is given out), so no answer
	// of it has the documented shape.
	{Method: "PUT", Path: "/auth/password/change"},
	{Method: "PUT", Path: "/manage/account/{uid}/password"},
	{Method: "POST", Path: "/manage/account/forgot/token"},
	// Emails and usernames (issue 20).
	{Method: "GET", Path: "/auth/email"},
	{Method: "GET", Path: "/auth/username"},
	{Method: "PUT", Path: "/auth/username"},
	{Method: "PUT", Path: "/manage/account/{uid}/email"},
	{Method: "DELETE", Path: "/manage/account/{uid}/email"},
	{Method: "DELETE", Path: "/auth/email"},
	// Account self-service (issue 20).
	{Method: "DELETE", Path: "/auth/account"},
	{Method: "GET", Path: "/auth/account/delete"},
	{Method: "PUT", Path: "/auth/account/unlock"},
	// Account management (issue 20).
	{Method: "PUT", Path: "/manage/account/{uid}/phoneid"},
	{Method: "DELETE", Path: "/manage/account"},
	{Method: "GET", Path: "/manage/account/identities"},
	// Sign-up and email verification (issue 20). POST /auth/register/captcha
	// is left out: the conformance Caddy has no captcha provider to answer
	// it with success (pinauth's tests drive it against a local one).
	{Method: "POST", Path: "/auth/register"},
	{Method: "PUT", Path: "/auth/register"},
	{Method: "PUT", Path: "/auth/email"},
	{Method: "GET", Path: "/auth/account/sendwelcomeemail"},
	// Email verification by the management API (issue 20).
	{Method: "POST", Path: "/manage/account/verify/token"},
	{Method: "PUT", Path: "/manage/account/{uid}/invalidateemail"},
	{Method: "POST", Path: "/auth/email"},
}

// folder is the documents' newest edition; the older folders (api/,
// authentication/) repeat it.
const folder = "customer-identity-api/"

func main() {
	apidocs := flag.String("apidocs", "", "a clone of LoginRadius/apidocs (a bare repository works)")
	out := flag.String("out", "tests/testdata/loginradius/shapes.json", "where to write")
	codesOut := flag.String("codes", "pinauth/lrerr/testdata/response-codes.json", "where to write the response codes")
	flag.Parse()
	writeCodes(*apidocs, *codesOut)
	files, commit := listDocuments(*apidocs)
	docs := map[string]*document{}
	byRoute := map[string][]string{}
	for _, name := range files {
		if !strings.HasPrefix(name, folder) {
			continue
		}
		var raw map[string]any
		dec := json.NewDecoder(bytes.NewReader(readDocument(*apidocs, name)))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		method, _ := raw["method"].(string)
		path, _ := raw["path"].(string)
		if method == "" || path == "" {
			continue
		}
		key := strings.ToUpper(method) + " " + normalize(path)
		byRoute[key] = append(byRoute[key], name)
		d := &document{Method: strings.ToUpper(method), Path: path, Output: shapeOf(raw["outputFormat"])}
		if q, ok := raw["getparams"].(map[string]any); ok {
			for k := range q {
				d.Query = append(d.Query, k)
			}
			sort.Strings(d.Query)
		}
		if b, ok := raw["postparams"].(map[string]any); ok && len(b) > 0 {
			d.Body = shapeOf(b)
		}
		docs[name] = d
	}
	var routes []route
	used := map[string]*document{}
	for _, r := range served {
		if r.Documents == nil {
			r.Documents = byRoute[r.Method+" "+strings.ToLower(r.Path)]
		} else {
			r.Documents = append(r.Documents, byRoute[r.Method+" "+strings.ToLower(r.Path)]...)
		}
		sort.Strings(r.Documents)
		if len(r.Documents) == 0 {
			log.Fatalf("no document for %s %s", r.Method, r.Path)
		}
		for _, d := range r.Documents {
			used[d] = docs[d]
		}
		routes = append(routes, r)
	}
	// The profile documents' shapes decide the types of post parameters
	// the documents give as null; keep every document that answers a
	// profile, served or not, for that.
	b, err := json.MarshalIndent(map[string]any{
		"source":    "LoginRadius/apidocs " + commit + ", " + root + folder + " (key names and JSON types only)",
		"generator": "go run tests/testdata/loginradius/generate.go -apidocs <clone>",
		"routes":    routes,
		"documents": used,
	}, "", "\t")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

// normalize turns a documented path into the gateway's form: no
// /identity/v2 prefix, lower case, the uid segment as {uid}.
func normalize(p string) string {
	p = strings.TrimPrefix(p, "/identity/v2")
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, ":") || strings.HasPrefix(s, "<") {
			s = "{uid}"
		}
		segs = append(segs, strings.ToLower(s))
	}
	return strings.Join(segs, "/")
}

// listDocuments lists the documents under root (relative to it) and
// names the commit they were read at.
func listDocuments(repo string) ([]string, string) {
	commit := strings.TrimSpace(git(repo, "rev-parse", "HEAD"))
	var names []string
	for _, l := range strings.Split(git(repo, "ls-tree", "-r", "--name-only", "HEAD", root), "\n") {
		if strings.HasSuffix(l, ".json") {
			names = append(names, strings.TrimPrefix(l, root))
		}
	}
	return names, commit
}

func readDocument(repo, name string) []byte {
	return []byte(git(repo, "show", "HEAD:"+filepath.ToSlash(root+name)))
}

func git(repo string, args ...string) string {
	out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).Output()
	if err != nil {
		log.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// codesDoc is LoginRadius's list of response codes.
const codesDoc = "database/apidocs/docs/v2/getting-started/response-codes/customer-identity-api-codes.md"

// codeRow is a row of its table: | code | Message | Description | HTTP code |.
var codeRow = regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*.*?\s*\|\s*(\d+)\s*\|\s*$`)

// writeCodes writes every documented response code with its HTTP status
// and Message label (no description), for pinauth's catalogue test.
func writeCodes(repo, out string) {
	type code struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	codes := map[string]code{}
	for _, line := range strings.Split(git(repo, "show", "HEAD:"+codesDoc), "\n") {
		m := codeRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		status, _ := strconv.Atoi(m[3])
		codes[m[1]] = code{Status: status, Message: m[2]}
	}
	b, err := json.MarshalIndent(map[string]any{
		"source": "LoginRadius/apidocs " + strings.TrimSpace(git(repo, "rev-parse", "HEAD")) + ", " + codesDoc +
			" (code, HTTP status and Message label only)",
		"generator": "go run tests/testdata/loginradius/generate.go -apidocs <clone>",
		"codes":     codes,
	}, "", "\t")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
