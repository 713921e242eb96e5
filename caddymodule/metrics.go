package caddymodule

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// metrics are the gateway's Prometheus collectors. They are created once
// per process and registered in the registry of every config Caddy loads
// (each config has its own registry, served on the admin /metrics and by
// the metrics handler), so counts survive reloads.
var metrics = newMetrics()

type metricsSet struct {
	logins        *prometheus.CounterVec
	lockouts      *prometheus.CounterVec
	secretRefused *prometheus.CounterVec
	captcha       *prometheus.CounterVec
	tokens        *prometheus.CounterVec
	hashWait      prometheus.Histogram
	storeLatency  *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
	live          *liveCollector
	tokenCounters [len(tokenResultNames)][2]prometheus.Counter // [result][cached]
	storeObs      []prometheus.Observer
	storeErrs     []prometheus.Counter
	webhookCounts []prometheus.Counter
}

// tokenResultNames index tokenCounters; they follow observe.TokenResults.
var tokenResultNames = [...]string{"valid", "invalid", "expired", "blocked", "error"}

func newMetrics() *metricsSet {
	const ns = "pinauth"
	m := &metricsSet{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "logins_total",
			Help: "Login calls by tenant, method (password, pin, pin_set, second_factor) and result."},
			[]string{"tenant", "method", "result"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "lockouts_total",
			Help: "Accounts locked after repeated failures, by tenant and lock type."}, []string{"tenant", "type"}),
		secretRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "management_auth_refusals_total",
			Help: "Calls refused for their API secret, by tenant and reason (missing, wrong, rate_limited)."},
			[]string{"tenant", "reason"}),
		captcha: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "captcha_verifications_total",
			Help: "Captcha checks by provider and result (valid, invalid, missing, error)."}, []string{"provider", "result"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "token_verifications_total",
			Help: "Access-token checks on the protected path by result and cache (hit or miss)."}, []string{"result", "cache"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "hash_wait_seconds",
			Help:    "Time PIN, password and answer checks waited for a hashing slot.",
			Buckets: []float64{0, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		storeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "store_operation_duration_seconds",
			Help:    "Store operation latency by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "store_operation_errors_total",
			Help: "Store operations that failed, by operation."}, []string{"op"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_deliveries_total",
			Help: "Webhook delivery attempts by result (delivered, retry, dead)."}, []string{"result"}),
		live: newLiveCollector(),
	}
	// Pre-bound children: the per-request paths only add to a counter.
	for _, r := range observe.TokenResults {
		m.tokenCounters[r][0] = m.tokens.WithLabelValues(r.String(), "miss")
		m.tokenCounters[r][1] = m.tokens.WithLabelValues(r.String(), "hit")
	}
	for _, op := range observe.StoreOps {
		m.storeObs = append(m.storeObs, m.storeLatency.WithLabelValues(op.String()))
		m.storeErrs = append(m.storeErrs, m.storeErrors.WithLabelValues(op.String()))
	}
	for _, r := range webhook.Results {
		m.webhookCounts = append(m.webhookCounts, m.webhooks.WithLabelValues(r.String()))
	}
	return m
}

// register adds the collectors to a config's registry. A registry that has
// them already (a second pin_auth handler in the same config) is fine.
func (m *metricsSet) register(reg *prometheus.Registry) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{m.logins, m.lockouts, m.secretRefused, m.captcha, m.tokens, m.hashWait,
		m.storeLatency, m.storeErrors, m.webhooks, m.live} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) && are.ExistingCollector == c {
				continue
			}
			return err
		}
	}
	return nil
}

// tenantLogins are a tenant's login counters, pre-bound by method and
// result.
type tenantLogins [][]prometheus.Counter

func (m *metricsSet) loginCounters(tenant string) tenantLogins {
	out := make(tenantLogins, len(observe.LoginMethods))
	for _, meth := range observe.LoginMethods {
		for _, r := range observe.LoginResults {
			out[meth] = append(out[meth], m.logins.WithLabelValues(tenant, meth.String(), r.String()))
		}
	}
	return out
}

// liveCollector reports gauges read at scrape time from the gateways that
// are running: the hashing queue and the webhook outbox.
type liveCollector struct {
	mu       sync.Mutex
	gateways map[*Handler]struct{}

	waiting, inUse, slots, outbox *prometheus.Desc
}

func newLiveCollector() *liveCollector {
	return &liveCollector{
		gateways: map[*Handler]struct{}{},
		waiting: prometheus.NewDesc("pinauth_hash_queue_waiting",
			"Checks waiting for a hashing slot now.", nil, nil),
		inUse: prometheus.NewDesc("pinauth_hash_slots_in_use",
			"Hashing slots in use now.", nil, nil),
		slots: prometheus.NewDesc("pinauth_hash_slots",
			"Hashing slots (max_concurrent_hashes, summed over pin_auth handlers).", nil, nil),
		outbox: prometheus.NewDesc("pinauth_webhook_outbox_events",
			"Webhook outbox events by state (pending, dead), summed over the stores.", []string{"state"}, nil),
	}
}

func (l *liveCollector) add(h *Handler) {
	l.mu.Lock()
	l.gateways[h] = struct{}{}
	l.mu.Unlock()
}

func (l *liveCollector) remove(h *Handler) {
	l.mu.Lock()
	delete(l.gateways, h)
	l.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (l *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- l.waiting
	ch <- l.inUse
	ch <- l.slots
	ch <- l.outbox
}

// Collect implements prometheus.Collector.
func (l *liveCollector) Collect(ch chan<- prometheus.Metric) {
	l.mu.Lock()
	var waiting, inUse, slots int
	stores := map[string]store.Store{}
	for h := range l.gateways {
		if h.gw == nil {
			continue
		}
		w, u, c := h.gw.HashQueue()
		waiting, inUse, slots = waiting+w, inUse+u, slots+c
		if h.storeKey != "" && h.store != nil {
			stores[h.storeKey] = h.store
		}
	}
	l.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(l.waiting, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(l.inUse, prometheus.GaugeValue, float64(inUse))
	ch <- prometheus.MustNewConstMetric(l.slots, prometheus.GaugeValue, float64(slots))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := map[store.EventState]int{}
	for _, st := range stores {
		for _, state := range []store.EventState{store.EventPending, store.EventDead} {
			n, err := st.CountEvents(ctx, state)
			if err != nil {
				continue
			}
			counts[state] += n
		}
	}
	for _, state := range []store.EventState{store.EventPending, store.EventDead} {
		ch <- prometheus.MustNewConstMetric(l.outbox, prometheus.GaugeValue, float64(counts[state]), string(state))
	}
}
