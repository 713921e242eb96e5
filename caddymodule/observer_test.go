package caddymodule

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"

	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// eventRecorder is a caddyevents handler that keeps what it receives.
type eventRecorder struct {
	mu     sync.Mutex
	events []caddy.Event
}

func (r *eventRecorder) Handle(_ context.Context, e caddy.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func TestObserverEmitsCaddyEventsThroughTheEventsApp(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	app := new(caddyevents.App)
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &eventRecorder{}
	for _, name := range []string{EventLoginFailed, EventAccountLocked} {
		if err := app.On(name, rec); err != nil {
			t.Fatal(err)
		}
	}
	o := newObserver(metrics, []string{"demo"}, "", app, ctx)
	o.CredentialFailed(observe.CredentialFailure{Tenant: "demo", UID: "u1", ClientIP: "203.0.113.9", Reason: "pin"})
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	o.AccountLocked(observe.AccountLock{Tenant: "demo", UID: "u1", ClientIP: "203.0.113.9", Type: store.LockSuspend, Until: until})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != 2 {
		t.Fatalf("received %d events, want 2", len(rec.events))
	}
	failed, locked := rec.events[0], rec.events[1]
	if failed.Name() != EventLoginFailed || failed.Data["uid"] != "u1" || failed.Data["reason"] != "pin" || failed.Data["client_ip"] != "203.0.113.9" {
		t.Errorf("login_failed event: %s %v", failed.Name(), failed.Data)
	}
	if locked.Name() != EventAccountLocked || locked.Data["lock_type"] != "Suspend" || locked.Data["until"] != "2030-01-02T03:04:05Z" {
		t.Errorf("account_locked event: %s %v", locked.Name(), locked.Data)
	}
}

func TestObserverCountsIntoPreboundCountersWithoutAllocating(t *testing.T) {
	// Not parallel: it reads the process-wide counters.
	o := newObserver(metrics, []string{"metrics-demo"}, "", nil, testContext(t))
	hit := metrics.tokens.WithLabelValues("valid", "hit")
	before := counterValue(t, hit)
	allocs := testing.AllocsPerRun(100, func() { o.TokenVerified(observe.TokenValid, true) })
	if allocs != 0 {
		t.Errorf("TokenVerified allocates %.1f times per call", allocs)
	}
	if got := counterValue(t, hit) - before; got != 101 {
		t.Errorf("valid/hit moved by %v, want 101", got)
	}
	o.Login("metrics-demo", observe.LoginPIN, observe.LoginInvalid)
	if v := counterValue(t, metrics.logins.WithLabelValues("metrics-demo", "pin", "invalid")); v != 1 {
		t.Errorf("logins{pin,invalid} = %v", v)
	}
	o.StoreCall(observe.OpUpdate, time.Millisecond, true)
	if v := counterValue(t, metrics.storeErrors.WithLabelValues("update")); v < 1 {
		t.Errorf("store errors{update} = %v", v)
	}

	// Registering twice in one registry (two handlers in a config) is
	// fine; a new registry (a reload) gets the same collectors, counts
	// and all.
	reg := prometheus.NewPedanticRegistry()
	for range 2 {
		if err := metrics.register(reg); err != nil {
			t.Fatal(err)
		}
	}
	if err := metrics.register(prometheus.NewPedanticRegistry()); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
	}
	for _, name := range []string{"pinauth_logins_total", "pinauth_token_verifications_total", "pinauth_hash_slots",
		"pinauth_store_operation_duration_seconds", "pinauth_webhook_outbox_events"} {
		if !seen[name] {
			t.Errorf("the registry lacks %s", name)
		}
	}
}

// counterValue reads a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestGrafanaDashboardQueriesOnlyMetricsTheGatewayExports keeps the
// dashboard in docs/ from drifting from the metric names.
func TestGrafanaDashboardQueriesOnlyMetricsTheGatewayExports(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("the dashboard is not a dashboard: %v", err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.register(reg); err != nil {
		t.Fatal(err)
	}
	// Every vector needs a child to be gathered.
	metrics.lockouts.WithLabelValues("x", "Suspend")
	metrics.captcha.WithLabelValues("x", "valid")
	exported := gatheredNames(t, reg)
	name := regexp.MustCompile(`pinauth_[a-z_]+`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
				if !exported[base] {
					t.Errorf("panel %q queries %s, which the gateway does not export", p.Title, n)
				}
			}
		}
	}
}

// TestDocsNameOnlyExportedMetricsAndTheGuideListsEveryOne keeps the
// metric names in the docs true: each one the README and guides mention
// is exported, and the operator guide mentions every exported family.
func TestDocsNameOnlyExportedMetricsAndTheGuideListsEveryOne(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.register(reg); err != nil {
		t.Fatal(err)
	}
	newObserver(metrics, []string{"docs-demo"}, "recaptcha", nil, testContext(t))
	exported := gatheredNames(t, reg)
	name := regexp.MustCompile(`pinauth_[a-z_]+`)
	for _, doc := range []string{"../README.md", "../SECURITY.md", "../docs/operator-guide.md", "../docs/app-guide.md", "../docs/migrating-from-loginradius.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range name.FindAllString(string(b), -1) {
			if !exported[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")] {
				t.Errorf("%s names %s, which the gateway does not export", doc, n)
			}
		}
	}
	guide, err := os.ReadFile("../docs/operator-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	for n := range exported {
		if strings.HasPrefix(n, "pinauth_") && !strings.Contains(string(guide), n) {
			t.Errorf("the operator guide does not mention %s", n)
		}
	}
}

// gatheredNames returns the metric family names reg gathers.
func gatheredNames(t *testing.T, reg prometheus.Gatherer) map[string]bool {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	return names
}
