package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
)

func init() {
	caddy.RegisterModule(eventSink{})
}

// eventSink is an events handler module for tests: what a third-party
// module subscribed to the gateway's events would receive, kept in
// sinkEvents.
type eventSink struct{}

var sinkEvents struct {
	sync.Mutex
	got []caddy.Event
}

// CaddyModule implements caddy.Module.
func (eventSink) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "events.handlers.pin_auth_test_sink", New: func() caddy.Module { return eventSink{} }}
}

// Handle implements caddyevents.Handler.
func (eventSink) Handle(_ context.Context, e caddy.Event) error {
	sinkEvents.Lock()
	sinkEvents.got = append(sinkEvents.got, e)
	sinkEvents.Unlock()
	return nil
}

var _ caddyevents.Handler = eventSink{}

// TestRunningCaddyEmitsLoginFailedAndAccountLockedToSubscribers runs Caddy
// (in this process, on loopback) with the events app subscribing a module
// to the gateway's events, fails logins until the account locks, and
// checks what the subscriber received.
func TestRunningCaddyEmitsLoginFailedAndAccountLockedToSubscribers(t *testing.T) {
	// Not parallel: caddy.Load runs the process's one Caddy config.
	dir := t.TempDir()
	db := filepath.Join(dir, "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	const email, password = "events@example.com", "events password 123"
	if r := pinauthCLI(t, password+"\n\n", "user", "add", "--config", conf, "--email", email); r.status != exitOK {
		t.Fatalf("user add: %d %q", r.status, r.errOut)
	}
	var shown cliAccount
	if err := json.Unmarshal([]byte(pinauthCLI(t, "", "user", "show", email, "--config", conf, "--json").out), &shown); err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	site, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	text := "{\n\tadmin off\n\tpersist_config off\n\tauto_https off\n}\n" +
		strings.Replace(string(site), ":0 {", "http://"+addr+" {", 1)
	js, err := adapt(text)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(js), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["apps"].(map[string]any)["events"] = map[string]any{"subscriptions": []any{map[string]any{
		"events":   []string{EventLoginFailed, EventAccountLocked},
		"handlers": []any{map[string]any{"handler": "pin_auth_test_sink"}},
	}}}
	full, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sinkEvents.Lock()
	sinkEvents.got = nil
	sinkEvents.Unlock()
	if err := caddy.Load(full, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })

	client := &http.Client{Timeout: 10 * time.Second}
	for i := 1; i <= 5; i++ {
		body := fmt.Sprintf(`{"email":%q,"password":"wrong password %d"}`, email, i)
		resp, err := client.Post("http://"+addr+"/identity/v2/auth/login?apikey="+testAPIKey, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d", i, resp.StatusCode)
		}
	}

	var failed, locked []caddy.Event
	deadline := time.Now().Add(10 * time.Second)
	for {
		sinkEvents.Lock()
		failed, locked = nil, nil
		for _, e := range sinkEvents.got {
			switch e.Name() {
			case EventLoginFailed:
				failed = append(failed, e)
			case EventAccountLocked:
				locked = append(locked, e)
			}
		}
		sinkEvents.Unlock()
		if (len(failed) >= 5 && len(locked) >= 1) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling the condition, with a deadline
	}
	if len(failed) != 5 || len(locked) != 1 {
		t.Fatalf("the subscriber got %d login_failed and %d account_locked events, want 5 and 1", len(failed), len(locked))
	}
	for _, e := range failed {
		if e.Data["tenant"] != "demo" || e.Data["uid"] != shown.UID || e.Data["client_ip"] != "127.0.0.1" || e.Data["reason"] == "" {
			t.Errorf("login_failed data: %v", e.Data)
		}
	}
	if d := locked[0].Data; d["uid"] != shown.UID || d["lock_type"] != "Suspend" || d["until"] == "" {
		t.Errorf("account_locked data: %v", d)
	}
	for _, e := range append(failed, locked...) {
		if strings.Contains(fmt.Sprint(e.Data), "wrong password") {
			t.Errorf("an event carries the password: %v", e.Data)
		}
	}
}
