package pinauth

import (
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/observe"
)

// recordingObserver counts what the gateway reports.
type recordingObserver struct {
	observe.Nop
	mu       sync.Mutex
	logins   map[[2]string]int // method, result
	failures []observe.CredentialFailure
	locks    []observe.AccountLock
	tokens   map[[2]string]int // result, cached
	waits    int
	stores   map[string]int
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{logins: map[[2]string]int{}, tokens: map[[2]string]int{}, stores: map[string]int{}}
}

func (o *recordingObserver) Login(tenant string, m observe.LoginMethod, r observe.LoginResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logins[[2]string{m.String(), r.String()}]++
}

func (o *recordingObserver) CredentialFailed(f observe.CredentialFailure) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures = append(o.failures, f)
}

func (o *recordingObserver) AccountLocked(l observe.AccountLock) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.locks = append(o.locks, l)
}

func (o *recordingObserver) TokenVerified(r observe.TokenResult, cached bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := "miss"
	if cached {
		c = "hit"
	}
	o.tokens[[2]string{r.String(), c}]++
}

func (o *recordingObserver) HashWaited(time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits++
}

func (o *recordingObserver) StoreCall(op observe.StoreOp, _ time.Duration, _ bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stores[op.String()]++
}

func TestObserverSeesLoginsFailuresLocksTokensHashesAndStoreCalls(t *testing.T) {
	t.Parallel()
	obs := newRecordingObserver()
	env := newTestEnv(t, func(c *Config) { c.Observer = obs })
	login := env.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	env.pinLogin(login.str("session_token"), "9999")
	env.pinLogin(login.str("session_token"), testPIN)
	for range 2 {
		if r := env.protected(login.str("access_token")); r.status != 200 {
			t.Fatalf("protected: %d", r.status)
		}
	}
	env.protected("not-a-token")
	for range 6 { // the fifth failure locks; the sixth meets the lock
		env.passwordLogin(testEmail, "wrong password")
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	for key, want := range map[[2]string]int{
		{"password", "success"}: 1, {"pin", "invalid"}: 1, {"pin", "success"}: 1,
		{"password", "invalid"}: 5, {"password", "locked"}: 1,
	} {
		if got := obs.logins[key]; got != want {
			t.Errorf("logins %v = %d, want %d (all: %v)", key, got, want, obs.logins)
		}
	}
	if len(obs.locks) != 1 || obs.locks[0].UID != uid || obs.locks[0].Tenant != "demo" || obs.locks[0].Until.IsZero() {
		t.Errorf("locks = %+v", obs.locks)
	}
	if len(obs.failures) < 5 || obs.failures[0].Reason != "pin" || obs.failures[0].UID != uid || obs.failures[0].ClientIP == "" {
		t.Errorf("failures = %+v", obs.failures)
	}
	if obs.tokens[[2]string{"valid", "miss"}] != 1 || obs.tokens[[2]string{"valid", "hit"}] != 1 || obs.tokens[[2]string{"invalid", "miss"}] != 1 {
		t.Errorf("tokens = %v", obs.tokens)
	}
	if obs.waits < 8 {
		t.Errorf("hash waits reported: %d", obs.waits)
	}
	for _, op := range []string{"account_by", "reserve_attempt", "update", "token", "session"} {
		if obs.stores[op] == 0 {
			t.Errorf("no %s store call timed (%v)", op, obs.stores)
		}
	}
	if w, inUse, capacity := env.gw.HashQueue(); w != 0 || inUse != 0 || capacity < 1 {
		t.Errorf("HashQueue() = %d, %d, %d", w, inUse, capacity)
	}
}
