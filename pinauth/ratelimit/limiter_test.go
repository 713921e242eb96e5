package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestRateLimiterAllowsABurstThenOnePerInterval(t *testing.T) {
	t.Parallel()
	l := New(0)
	p := Policy{Requests: 3, Window: time.Minute}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("198.51.100.7", p, now); !ok {
			t.Fatalf("check %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("198.51.100.7", p, now)
	if ok || wait != 20*time.Second {
		t.Fatalf("fourth check = %v, wait %v; want refused for 20s (one interval)", ok, wait)
	}
	if ok, _ := l.Allow("198.51.100.8", p, now); !ok {
		t.Fatal("another client was refused")
	}
	if ok, _ := l.Allow("198.51.100.7", p, now.Add(20*time.Second-time.Nanosecond)); ok {
		t.Fatal("allowed before the interval passed")
	}
	if ok, _ := l.Allow("198.51.100.7", p, now.Add(20*time.Second)); !ok {
		t.Fatal("refused after the interval passed")
	}
	if ok, wait := l.Allow("198.51.100.7", p, now.Add(20*time.Second)); ok || wait != 20*time.Second {
		t.Fatalf("after one refill, the next check = %v, wait %v; want refused for 20s", ok, wait)
	}
	// After a whole window the full burst is back.
	later := now.Add(20*time.Second + time.Minute)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("198.51.100.7", p, later); !ok {
			t.Fatalf("check %d of the renewed burst refused", i+1)
		}
	}
}

func TestRateLimiterRefundGivesACheckBack(t *testing.T) {
	t.Parallel()
	l := New(0)
	p := Policy{Requests: 2, Window: time.Hour}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	l.Allow("a", p, now)
	l.Allow("a", p, now)
	l.Refund("a", p, now)
	if ok, _ := l.Allow("a", p, now); !ok {
		t.Fatal("refunded check not available")
	}
	if ok, _ := l.Allow("a", p, now); ok {
		t.Fatal("more than the burst allowed after a refund")
	}
}

func TestRateLimiterForgetsIdleClientsAndStaysBounded(t *testing.T) {
	t.Parallel()
	p := Policy{Requests: 10, Window: time.Minute}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	l := New(rateShards * 4)
	for i := 0; i < 5000; i++ {
		l.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), p, now)
	}
	if n := l.Len(); n > rateShards*4 {
		t.Fatalf("limiter remembers %d clients, bound is %d", n, rateShards*4)
	}
	// Once every budget is full again, the next sweep forgets everyone.
	later := now.Add(rateSweepEvery + time.Minute)
	for i := 0; i < 3; i++ {
		l.Allow(fmt.Sprintf("client-%d", i), p, later)
	}
	if n := l.Len(); n > 3 {
		t.Fatalf("after every budget refilled the limiter still remembers %d clients, want at most 3", n)
	}
}

func TestKeyGroupsAnIPv6Slash64(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
		"not-an-ip":            "not-an-ip",
	}
	for in, want := range cases {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
