package tests

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gsonJar is where Debian's libgoogle-gson-java installs Gson.
const gsonJar = "/usr/share/java/gson.jar"

// jwtTenant is a second tenant of the token-format test, left at the
// default format.
const (
	jwtTenantKey    = "e2e-jwt-tenant-key"
	jwtTenantSecret = "e2e-jwt-tenant-secret"
)

// requireJavaAndGson skips the test when javac, java or Gson is missing,
// unless it runs in CI (.ci/run sets CI and installs Gson), where it fails.
func requireJavaAndGson(t *testing.T) {
	t.Helper()
	_, errJavac := exec.LookPath("javac")
	_, errJava := exec.LookPath("java")
	_, errGson := os.Stat(gsonJar)
	if err := errors.Join(errJavac, errJava, errGson); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the typed-SDK test needs javac, java and %s; .ci/run must install them: %v", gsonJar, err)
		}
		t.Skipf("javac, java or %s is missing (apt-get install -y default-jdk-headless libgoogle-gson-java): %v", gsonJar, err)
	}
}

// typedParse compiles testdata/typedsdk/LoginAnswer.java and deserializes
// every answer with Gson into its class of java.util.UUID token fields. It
// returns, by answer name, the fields LoginAnswer printed after the name:
// "ok" and the three tokens as Java wrote the UUIDs back, or "fail" and the
// exception class.
func typedParse(t *testing.T, answers map[string]string) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	src, err := filepath.Abs(filepath.Join("testdata", "typedsdk", "LoginAnswer.java"))
	if err != nil {
		t.Fatal(err)
	}
	classes := filepath.Join(dir, "classes")
	if out, err := exec.Command("javac", "-d", classes, "-cp", gsonJar, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	args := []string{"-cp", classes + string(os.PathListSeparator) + gsonJar, "LoginAnswer"}
	for name, raw := range answers {
		f := filepath.Join(dir, name+".json")
		if err := os.WriteFile(f, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	out, err := exec.Command("java", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	results := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("unexpected LoginAnswer output line %q", line)
		}
		results[strings.TrimSuffix(filepath.Base(f[0]), ".json")] = f[1:]
	}
	if len(results) != len(answers) {
		t.Fatalf("LoginAnswer reported %d answers of %d:\n%s", len(results), len(answers), out)
	}
	return results
}

// tokenAnswers drives one tenant's account through every call that answers
// tokens — first PIN by PINAuthToken, password login, PIN login, refresh,
// validate and token info — and returns the raw answers by call and the
// password login's answer.
func tokenAnswers(g *gateway) (map[string]string, response) {
	t := g.t
	t.Helper()
	g.createAccount("")
	first := g.passwordLogin()
	first.wantError(t, 403, 1243)
	pinAuthToken, _ := first.object("Data")["PINAuthToken"].(string)
	set := g.setPIN(pinAuthToken, pin)
	login := g.passwordLogin()
	pinLogin := g.pinLogin(login.str("session_token"), pin)
	refreshed := g.do("GET", apiPrefix+"/manage/account/access_token/refresh?"+g.manage()+
		"&refresh_token="+set.str("refresh_token"), nil)
	validate := g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+g.key(), nil,
		"Authorization", "Bearer "+login.str("access_token"))
	info := g.do("GET", apiPrefix+"/auth/access_token?apikey="+g.key()+"&access_token="+login.str("access_token"), nil)
	answers := map[string]string{}
	for name, r := range map[string]response{
		"pin-set": set, "password-login": login, "pin-login": pinLogin,
		"refresh": refreshed, "validate": validate, "token-info": info,
	} {
		if r.status != 200 || r.str("access_token") == "" {
			t.Fatalf("%s: %d %s", name, r.status, r.raw)
		}
		answers[name] = r.raw
	}
	return answers, login
}

func TestTypedSDKsParseTheUUIDTokenFormatAndItsHandlesWorkEndToEnd(t *testing.T) {
	requireJavaAndGson(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) {
		s.TenantExtra = "token_format uuid"
		s.Extra = "tenant jwtapp {\n\t\t\tapi_key " + jwtTenantKey + "\n\t\t\tapi_secret " + jwtTenantSecret + "\n\t\t}"
	})
	jwtApp := g.in(t)
	jwtApp.apiKey, jwtApp.apiSecret = jwtTenantKey, jwtTenantSecret

	uuidAnswers, login := tokenAnswers(g)
	jwtAnswers, _ := tokenAnswers(jwtApp)
	all := map[string]string{}
	for name, raw := range uuidAnswers {
		all["uuid-"+name] = raw
	}
	for name, raw := range jwtAnswers {
		all["jwt-"+name] = raw
	}
	parsed := typedParse(t, all)
	for name := range jwtAnswers {
		if got := parsed["jwt-"+name]; got[0] != "fail" || got[1] != "com.google.gson.JsonSyntaxException" {
			t.Errorf("jwt format, %s: Gson answered %v; a JWT access_token must not parse as a java.util.UUID", name, got)
		}
	}
	for name, raw := range uuidAnswers {
		got := parsed["uuid-"+name]
		if got[0] != "ok" {
			t.Errorf("uuid format, %s: Gson failed with %v on %s", name, got, raw)
			continue
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			t.Fatal(err)
		}
		for i, key := range []string{"access_token", "refresh_token", "session_token"} {
			want, _ := body[key].(string)
			if want == "" {
				want = "null"
			}
			if got[1+i] != want {
				t.Errorf("uuid format, %s: %s came back from java.util.UUID as %q, want %q", name, key, got[1+i], want)
			}
		}
	}

	// The handle reaches the app as a JWT that verifies with the JWKS
	// alone, by header and by query, and never as itself.
	handle := login.str("access_token")
	uid := g.do("GET", apiPrefix+"/auth/account?apikey="+g.key(), nil, "Authorization", "Bearer "+handle).str("Uid")
	for _, r := range []response{
		g.protected("/app/data", handle),
		g.do("GET", "/app/data?access_token="+handle, nil),
	} {
		if r.status != 200 || r.raw != upstreamBody {
			t.Fatalf("protected request with the handle: %d %s", r.status, r.raw)
		}
		up := g.up.last(t)
		bearer, ok := strings.CutPrefix(up.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == handle {
			t.Fatalf("upstream Authorization = %q, want the JWT minted for the handle", up.Header.Get("Authorization"))
		}
		claims := g.verifyAccessToken(bearer, uid)
		if claims["sid"] != up.Header.Get("X-Auth-Session") || up.Header.Get("X-Auth-Uid") != uid {
			t.Fatalf("minted JWT claims %v do not match the identity headers %v", claims, up.Header)
		}
	}
	for _, req := range g.up.requests() {
		if strings.Contains(req.RawQuery, handle) || strings.Contains(strings.Join(headerValues(req.Header), "\n"), handle) {
			t.Fatalf("the handle reached the upstream: %+v", req)
		}
	}

	// Logout with the handle: every handle of its session is refused at
	// once; the refresh token survives and refreshes into a working handle.
	if r := g.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+g.key(), nil, "Authorization", "Bearer "+handle); r.status != 200 {
		t.Fatalf("invalidate: %d %s", r.status, r.raw)
	}
	seen := len(g.up.requests())
	g.protected("/app/data", handle).wantError(t, 401, 905)
	g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+g.key(), nil, "Authorization", "Bearer "+handle).wantError(t, 403, 905)
	if len(g.up.requests()) != seen {
		t.Fatal("a logged-out handle reached the upstream")
	}
	again := g.do("GET", apiPrefix+"/manage/account/access_token/refresh?"+g.manage()+"&refresh_token="+login.str("refresh_token"), nil)
	if again.status != 200 {
		t.Fatalf("refresh after logout: %d %s", again.status, again.raw)
	}
	if r := g.protected("/app/data", again.str("access_token")); r.status != 200 {
		t.Fatalf("the handle refreshed after logout: %d %s", r.status, r.raw)
	}
}

// headerValues flattens a header's values.
func headerValues(h map[string][]string) []string {
	var out []string
	for _, v := range h {
		out = append(out, v...)
	}
	return out
}

// uuidShape is the canonical text form of a UUID, the shape LoginRadius's
// typed SDKs parse tokens into; jwtShape is a compact JWS.
var (
	uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	jwtShape  = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
)

// checkTokenShapes holds the tokens in the success answers of one token
// format's tenants to that format: with uuid every access_token,
// refresh_token and session_token (at any depth) is a UUID, as a typed
// SDK parses it; with jwt the access tokens are JWTs (but for the all-zero
// UUID LoginRadius puts in a second-factor answer) and the other two are
// UUIDs.
func checkTokenShapes(t *testing.T, format string, answers []conformanceAnswer) {
	t.Helper()
	access := 0
	for _, a := range answers {
		var body any
		if err := json.Unmarshal([]byte(a.r.raw), &body); err != nil {
			continue // checkConformance reports it
		}
		walkTokens(body, func(key, value string) {
			want, shape := "a UUID", uuidShape
			if key == "access_token" {
				access++
				if format == "jwt" && value != "00000000-0000-0000-0000-000000000000" {
					want, shape = "a JWT", jwtShape
				}
			}
			if !shape.MatchString(value) {
				t.Errorf("[%s] %s: %s %q is not %s", format, a.route, key, value, want)
			}
		})
	}
	if access < 10 {
		t.Errorf("[%s] only %d access tokens in the answers: the check saw too little", format, access)
	}
}

// walkTokens calls fn with every non-empty string under a key access_token,
// refresh_token or session_token (in any case) of v.
func walkTokens(v any, fn func(key, value string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && s != "" {
				switch k := strings.ToLower(k); k {
				case "access_token", "refresh_token", "session_token":
					fn(k, s)
				}
			}
			walkTokens(x, fn)
		}
	case []any:
		for _, x := range v {
			walkTokens(x, fn)
		}
	}
}
