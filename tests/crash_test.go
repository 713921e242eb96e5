package tests

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// Crash safety on SQLite: Caddy is killed with SIGKILL at random moments
// while logins, PIN changes and wrong PINs run against it, and restarted on
// the same file. After every crash, with Caddy down, the file must pass
// SQLite's integrity and foreign-key checks, every change a client was told
// about (a 200 for a PIN change, a 401 for a wrong PIN) must be there, no
// account may be half-changed, and failure counts never go down.

const (
	crashCycles  = 12
	crashChanges = 3 // accounts whose PIN keeps changing
	crashFailers = 2 // accounts that keep getting wrong PINs
)

func TestCrashSafetyKill9DuringALoginAndPINChangeStormLosesNothing(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	// A lockout that never triggers and no per-IP limit, so every wrong
	// PIN is counted and answered 1236; the window outlasts the test.
	s.Extra = "\t\tlockout 1000000 24h 1m\n\t\trate_limit 1000000 1m\n\t\tmax_concurrent_hashes 16"
	dir := t.TempDir()
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyfile(t, s)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := baseURL(s.Port)
	start := func() *gateway {
		g := &gateway{t: t, site: s, up: up, base: base, log: &responseLog{}}
		g.proc = startCaddyConfig(t, dir, conf, []string{base + "/.well-known/jwks.json"})
		return g
	}

	g := start()
	changers := make([]*pinChanger, crashChanges)
	for i := range changers {
		em := fmt.Sprintf("changer%d@example.com", i)
		changers[i] = &pinChanger{email: em, uid: createAt(t, g, em, pin), acked: pin}
	}
	failers := make([]*pinFailer, crashFailers)
	for i := range failers {
		em := fmt.Sprintf("failer%d@example.com", i)
		f := &pinFailer{email: em, uid: createAt(t, g, em, pin)}
		r := loginAt(g, em)
		if f.session = r.str("session_token"); f.session == "" {
			t.Fatalf("failer login: %d %s", r.status, r.raw)
		}
		failers[i] = f
	}

	lastCounts := make([]int, crashFailers)
	for cycle := range crashCycles {
		// Each worker runs until the kill makes its next request fail.
		var wg sync.WaitGroup
		for _, c := range changers {
			wg.Go(func() { c.storm(base) })
		}
		for _, f := range failers {
			wg.Go(func() { f.storm(base) })
		}
		// A random moment, not a synchronisation: any instant must do.
		time.Sleep(time.Duration(50+rand.IntN(1200)) * time.Millisecond)
		g.proc.kill9(t)
		wg.Wait()

		checkSQLiteFile(t, s.DB)
		counts := storeState(t, s.DB, changers, failers)
		for i, f := range failers {
			switch {
			case counts[i] < lastCounts[i]:
				t.Fatalf("cycle %d: %s's failure count went back from %d to %d", cycle, f.email, lastCounts[i], counts[i])
			case counts[i] < f.acked:
				t.Fatalf("cycle %d: %s has %d failures recorded, but %d wrong PINs were answered 1236", cycle, f.email, counts[i], f.acked)
			case counts[i] > f.sent:
				t.Fatalf("cycle %d: %s has %d failures recorded, more than the %d wrong PINs sent", cycle, f.email, counts[i], f.sent)
			}
		}
		lastCounts = counts

		g = start()
		for _, c := range changers {
			c.resolve(t, g, cycle)
		}
	}

	// The storm did what it is for: changes and failures were both
	// acknowledged many times, so the checks above had something to lose.
	changes, failures, inFlight, inFlightDone := 0, 0, 0, 0
	for _, c := range changers {
		changes += c.changes
		inFlight += c.inFlight
		inFlightDone += c.inFlightDone
	}
	for _, f := range failers {
		failures += f.acked
	}
	if changes < crashCycles || failures < crashCycles {
		t.Fatalf("only %d acknowledged PIN changes and %d acknowledged failures in %d cycles", changes, failures, crashCycles)
	}
	t.Logf("%d kills; %d acknowledged PIN changes, %d acknowledged wrong PINs; %d changes caught in flight, %d of them committed",
		crashCycles, changes, failures, inFlight, inFlightDone)
}

// createAt creates an account with email and PIN and returns its Uid.
func createAt(t *testing.T, g *gateway, em, p string) string {
	t.Helper()
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email": []map[string]string{{"Value": em}}, "Password": password, "PINInfo": map[string]string{"PIN": p},
	})
	if r.status != 200 {
		t.Fatalf("create %s: %d %s", em, r.status, r.raw)
	}
	return r.str("Uid")
}

// loginAt logs em in with the password.
func loginAt(g *gateway, em string) response {
	g.t.Helper()
	return g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": em, "password": password})
}

// crashClient sends the storm's requests; a killed Caddy makes them fail at
// once, and the timeout only bounds a hang.
var crashClient = &http.Client{Timeout: 60 * time.Second}

// post sends one JSON request outside the test's goroutine: an error means
// no answer arrived, so the outcome is unknown.
func post(method, url string, body any, header ...string) (response, error) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, strings.NewReader(string(j)))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := crashClient.Do(req)
	if err != nil {
		return response{}, err
	}
	return newResponse(resp)
}

// pinChanger is an account whose PIN one worker keeps changing. acked is
// the PIN of the last change answered 200; pending is the PIN of a change
// sent without an answer (the kill came first), and canary a PIN session
// token of another login made before it, which the change must revoke
// with it.
type pinChanger struct {
	email, uid             string
	acked, pending, canary string
	changes                int
	// inFlight counts the kills that caught a change without an answer,
	// and inFlightDone those of them that had committed.
	inFlight, inFlightDone int
	// unexpected is an answer that should not happen, reported by resolve.
	unexpected string
}

// storm changes the PIN again and again until a request gets no answer.
func (c *pinChanger) storm(base string) {
	api := base + apiPrefix
	login := func() (response, bool) {
		r, err := post("POST", api+"/auth/login?apikey="+apiKey, map[string]string{"email": c.email, "password": password})
		if err != nil {
			return r, false
		}
		if r.status != 200 || r.str("access_token") == "" || r.str("session_token") == "" {
			c.unexpected = fmt.Sprintf("login: %d %s", r.status, r.raw)
			return r, false
		}
		return r, true
	}
	// The session that changes the PIN; the change keeps it.
	r, ok := login()
	if !ok {
		return
	}
	access := r.str("access_token")
	for {
		// Another device, whose session the change must revoke.
		canary, ok := login()
		if !ok {
			return
		}
		next := randomPIN(c.acked)
		c.pending, c.canary = next, canary.str("session_token")
		r, err := post("PUT", api+"/auth/pin/change?apikey="+apiKey, map[string]string{"oldPIN": c.acked, "newPIN": next},
			"Authorization", "Bearer "+access)
		if err != nil {
			return // no answer: resolve finds out what happened
		}
		c.pending = ""
		if r.status != 200 {
			c.unexpected = fmt.Sprintf("PIN change: %d %s", r.status, r.raw)
			return
		}
		c.acked = next
		c.changes++
	}
}

// resolve runs after a restart: the PIN must be the acknowledged one or the
// pending one, nothing older; and the pending change happened whole or not
// at all: the canary session was revoked exactly when the PIN changed.
func (c *pinChanger) resolve(t *testing.T, g *gateway, cycle int) {
	t.Helper()
	if c.unexpected != "" {
		t.Fatalf("cycle %d: %s: %s", cycle, c.email, c.unexpected)
	}
	login := loginAt(g, c.email)
	st := login.str("session_token")
	if login.status != 200 || st == "" {
		t.Fatalf("cycle %d: %s: password login after the restart: %d %s", cycle, c.email, login.status, login.raw)
	}
	current := ""
	if r := g.pinLogin(st, c.acked); r.status == 200 {
		current = c.acked
	} else if c.pending != "" {
		if r := g.pinLogin(st, c.pending); r.status == 200 {
			current = c.pending
		}
	}
	if current == "" {
		t.Fatalf("cycle %d: %s: neither the acknowledged PIN %s nor the pending %q works: an acknowledged change was lost",
			cycle, c.email, c.acked, c.pending)
	}
	if c.pending != "" {
		r := g.pinLogin(c.canary, current)
		switch {
		case current == c.pending && r.code() != 1245:
			t.Fatalf("cycle %d: %s: the PIN changed but the other session survived: %d %s", cycle, c.email, r.status, r.raw)
		case current == c.acked && r.status != 200:
			t.Fatalf("cycle %d: %s: the PIN did not change but the other session was revoked: %d %s", cycle, c.email, r.status, r.raw)
		}
	}
	if c.pending != "" {
		c.inFlight++
	}
	if current == c.pending {
		c.changes++
		c.inFlightDone++
	}
	c.acked, c.pending, c.canary = current, "", ""
}

// randomPIN returns a 4-digit PIN that is not weak (one repeated digit or
// a straight run) and differs from old.
func randomPIN(old string) string {
	for {
		p := fmt.Sprintf("%04d", rand.IntN(10000))
		if p == old || strings.Count(p, p[:1]) == 4 || strings.Contains("0123456789", p) || strings.Contains("9876543210", p) {
			continue
		}
		return p
	}
}

// pinFailer is an account one worker keeps sending wrong PINs for. sent
// counts the requests sent, acked those answered 1236.
type pinFailer struct {
	email, uid, session string
	sent, acked         int
}

func (f *pinFailer) storm(base string) {
	url := base + apiPrefix + "/auth/login/pin?apikey=" + apiKey + "&session_token=" + f.session
	for {
		f.sent++
		r, err := post("POST", url, map[string]string{"pin": wrongPIN})
		if err != nil || r.code() != 1236 {
			return
		}
		f.acked++
	}
}

// checkSQLiteFile runs SQLite's own checks on the file.
func checkSQLiteFile(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("PRAGMA integrity_check: %q, %v", ok, err)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("PRAGMA foreign_key_check reports a violation")
	}
}

// storeState reads the failers' failure counts from the store and checks
// that every account is found by its email, under its own Uid: the
// account and its identifiers were written together.
func storeState(t *testing.T, path string, changers []*pinChanger, failers []*pinFailer) []int {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	for _, c := range changers {
		a, found, err := st.AccountBy(ctx, tenantName, store.IdentEmail, c.email)
		if err != nil || !found || a.UID != c.uid || a.PINHash == "" {
			t.Fatalf("%s: found %v, uid %q (want %s), has a PIN %v, err %v", c.email, found, a.UID, c.uid, a.PINHash != "", err)
		}
	}
	out := make([]int, len(failers))
	for i, f := range failers {
		a, _, err := st.Attempts(ctx, store.AccountRef{Tenant: tenantName, UID: f.uid})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = a.Failures
	}
	return out
}
