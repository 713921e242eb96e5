package ratelimit

import "net/netip"

// Key is the limiter key of a client address: IPv6 clients are keyed by
// their /64, since one host commonly holds a whole /64.
func Key(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is4() {
		return ip // already canonical: no allocation on the hot path
	}
	if a.Is4In6() {
		return a.Unmap().String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
