package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// noContention keeps the hashing queue and the rate limit out of the way
// of tests about the lockout: with them every refusal is the lock's.
const noContention = "\t\tmax_concurrent_hashes 256\n\t\trate_limit 100000 1m"

// wrongPIN is a well-formed PIN that is not the account's.
const wrongPIN = "1357"

// tryDo is do for goroutines: it reports a transport error instead of
// failing the test from a goroutine that is not the test's.
func (g *gateway) tryDo(method, path string, body any, header ...string) (response, error) {
	return g.tryDoWith(httpClient, method, path, body, header...)
}

// tryDoWith is tryDo through client.
func (g *gateway) tryDoWith(client *http.Client, method, path string, body any, header ...string) (response, error) {
	j, err := json.Marshal(body)
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequest(method, g.base+path, bytes.NewReader(j))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	r, err := newResponse(resp)
	g.record(r)
	return r, err
}

// concurrently sends n requests at once (each built by send) and counts
// the ErrorCodes of the answers (0 for a success).
func concurrently(t *testing.T, n int, send func() (response, error)) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var errs []error
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			r, err := send()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			codes[r.code()]++
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed in transport, first: %v", len(errs), n, errs[0])
	}
	return codes
}

func TestTwoHundredConcurrentWrongPINsGetExactlyTheLockoutsAttempts(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "\t\tlockout 5 15m 15m suspend\n" + noContention })
	login, uid := g.loggedIn()
	st := login.str("session_token")
	codes := concurrently(t, 200, func() (response, error) {
		return g.tryDo("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st, map[string]string{"pin": wrongPIN})
	})
	if codes[1236] != 5 || codes[1198] != 195 {
		t.Fatalf("200 concurrent wrong PINs got %v; want exactly 5 × 1236 and 195 × 1198", codes)
	}
	locked := g.pinLogin(st, pin)
	locked.wantError(t, 403, 1198)
	if until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(locked.object("Data")["LoginLockedTimeout"])); err != nil || !until.After(time.Now()) {
		t.Fatalf("the right PIN's 1198 carries no future Data.LoginLockedTimeout: %v %s", err, locked.raw)
	}
	if a := g.account(uid); a["IsLoginLocked"] != true || a["LoginLockedType"] != "Suspend" {
		t.Fatalf("profile after the race: IsLoginLocked %v, LoginLockedType %v", a["IsLoginLocked"], a["LoginLockedType"])
	}
	// fail2ban sees every refused guess: one Info line each, and one
	// Warn line for the lockout.
	logs := g.proc.Logs()
	for what, want := range map[string]int{
		`"msg":"account locked"`:  1,
		`"reason":"pin"`:          5,
		`"reason":"pin_locked"`:   196,
		`"client_ip":"127.0.0.1"`: 202, // every failure line and the Warn line
	} {
		if got := strings.Count(logs, what); got != want {
			t.Errorf("Caddy's log has %d × %s, want %d", got, what, want)
		}
	}
	// The operator lifts the suspension; a fresh password login then
	// leads to a working PIN login (the old session token was revoked).
	if r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), map[string]any{"IsLoginLocked": false}); r.status != 200 {
		t.Fatalf("unlock: %d %s", r.status, r.raw)
	}
	// The lock invalidated the session token: lifting the lock does not
	// bring it back.
	g.pinLogin(st, pin).wantError(t, 403, 1245)
	fresh := g.passwordLogin()
	if fresh.status != 200 {
		t.Fatalf("password login after the unlock: %d %s", fresh.status, fresh.raw)
	}
	if r := g.pinLogin(fresh.str("session_token"), pin); r.status != 200 {
		t.Fatalf("PIN login after the unlock: %d %s", r.status, r.raw)
	}
}

func TestTwoHundredConcurrentWrongPasswordsGetExactlyTheLockoutsAttempts(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "\t\tlockout 5 15m 15m block\n" + noContention })
	uid := g.createAccount(pin)
	codes := concurrently(t, 200, func() (response, error) {
		return g.tryDo("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": "wrong password"})
	})
	if codes[966] != 5 || codes[991] != 195 {
		t.Fatalf("200 concurrent wrong passwords got %v; want exactly 5 × 966 and 195 × 991", codes)
	}
	g.passwordLogin().wantError(t, 403, 991)
	if r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), map[string]any{"IsActive": true}); r.status != 200 {
		t.Fatalf("unblock: %d %s", r.status, r.raw)
	}
	if r := g.passwordLogin(); r.status != 200 {
		t.Fatalf("password login after IsActive true: %d %s", r.status, r.raw)
	}
}
