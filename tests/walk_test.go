package tests

import (
	"strings"
	"testing"
)

func TestWalkFromNewAccountToProtectedUpstreamSetsIdentityHeaders(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	uid := g.createAccount("")

	// First password login: the tenant requires a PIN and there is none.
	r := g.passwordLogin()
	r.wantError(t, 403, 1243)
	pinAuthToken, _ := r.object("Data")["PINAuthToken"].(string)
	if len(pinAuthToken) != 36 {
		t.Fatalf("Data.PINAuthToken is not a UUID: %s", r.raw)
	}
	if r.str("access_token") != "" {
		t.Fatalf("a login that needs a PIN issued an access token: %s", r.raw)
	}

	r = g.setPIN(pinAuthToken, pin)
	sessionToken := r.str("session_token")
	if r.status != 200 || r.str("session_token") == "" || r.str("session_expires_in") == "" {
		t.Fatalf("set PIN: %d %s", r.status, r.raw)
	}
	assertLoginResponse(t, r, uid)

	login := g.pinLogin(sessionToken, pin)
	if login.status != 200 {
		t.Fatalf("PIN login: %d %s", login.status, login.raw)
	}
	assertLoginResponse(t, login, uid)
	access := login.str("access_token")

	if len(g.up.requests()) != 0 {
		t.Fatal("an API call reached the upstream")
	}
	p := g.protected("/app/orders?page=2", access)
	if p.status != 200 || p.raw != upstreamBody {
		t.Fatalf("protected request: %d %s", p.status, p.raw)
	}
	got := g.up.last(t)
	if got.Method != "GET" || got.Path != "/app/orders" || got.RawQuery != "page=2" {
		t.Errorf("upstream got %s %s?%s, want GET /app/orders?page=2", got.Method, got.Path, got.RawQuery)
	}
	claims := g.verifyAccessToken(access, uid)
	want := map[string]string{
		"X-Auth-Uid":      uid,
		"X-Auth-Tenant":   tenantName,
		"X-Auth-Email":    email,
		"X-Auth-Username": username,
		"X-Auth-Name":     "Alice Smith",
		"X-Auth-Roles":    "user,admin",
		"X-Auth-Session":  claims["sid"].(string),
	}
	for name, v := range want {
		if vals := got.Header.Values(name); len(vals) != 1 || vals[0] != v {
			t.Errorf("upstream %s = %q, want exactly %q", name, vals, v)
		}
	}
	if ids := identityHeaders(got.Header); len(ids) != len(want) {
		t.Errorf("upstream identity headers = %v, want only %v", ids, want)
	}
	if got.Header.Get("Authorization") != "Bearer "+access {
		t.Error("the access token was not forwarded upstream (forward_token defaults to true)")
	}

	t.Run("no response of the walk leaks a secret", func(t *testing.T) {
		assertNoSecrets(t, g.seen())
	})
	t.Run("the log holds no password and no token", func(t *testing.T) {
		logs := g.proc.Logs()
		for name, secret := range map[string]string{
			"password": password, "PINAuthToken": pinAuthToken,
			"session token": sessionToken, "access token": access,
			"refresh token": login.str("refresh_token"),
		} {
			if secret == "" {
				t.Fatalf("no %s to look for", name)
			}
			if strings.Contains(logs, secret) {
				t.Errorf("caddy's log contains the %s", name)
			}
		}
	})
}

// assertNoSecrets fails when any response holds a password or PIN value,
// an argon2 hash, or a field that could carry one.
func assertNoSecrets(t *testing.T, responses []response) {
	t.Helper()
	if len(responses) == 0 {
		t.Fatal("no responses to check")
	}
	for _, r := range responses {
		if strings.Contains(r.raw, password) || strings.Contains(strings.ToLower(r.raw), "argon2") {
			t.Errorf("response contains the password or an argon2 hash: %s", r.raw)
		}
		walkJSON(r.body, "", func(path, key string, v any) {
			switch strings.ToLower(key) {
			case "password", "passwordhash", "pinhash", "hash", "pininfo":
				t.Errorf("response has a field %s: %s", path, r.raw)
			}
			// Profile.PIN is metadata (Skipped, LastPINChangeDate…);
			// the PIN itself must not be in it.
			if strings.EqualFold(key, "pin") && strings.HasSuffix(strings.ToLower(path), ".pin.pin") {
				t.Errorf("response has the PIN at %s: %s", path, r.raw)
			}
			if s, ok := v.(string); ok && (s == pin || s == password) {
				t.Errorf("response holds a PIN or password value at %s: %s", path, r.raw)
			}
		})
	}
}

// walkJSON calls fn for every member and element of a decoded JSON value.
func walkJSON(v any, path string, fn func(path, key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := path + "." + k
			fn(p, k, child)
			walkJSON(child, p, fn)
		}
	case []any:
		for _, child := range x {
			fn(path+"[]", "", child)
			walkJSON(child, path+"[]", fn)
		}
	}
}
