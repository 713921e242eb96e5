package tests

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// loopbackClient returns an HTTP client whose connections leave from ip, an
// address of 127.0.0.0/8: Linux routes all of it to the loopback device, so
// Caddy sees each such address as a client of its own, with no proxy header
// and no trusted_proxies involved. Like httpClient it never follows
// redirects.
func loopbackClient(t *testing.T, ip string) *http.Client {
	t.Helper()
	addr := net.ParseIP(ip)
	if addr == nil || !addr.IsLoopback() {
		t.Fatalf("loopbackClient: %q is not a loopback address", ip)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: addr}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
