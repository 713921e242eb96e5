package pinauth

import (
	"net/netip"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"go.uber.org/zap"
)

// The headers in which LoginRadius's server-side SDKs name the end user an
// app server calls for (option originIp).
const (
	headerOriginIP        = "X-Origin-IP"
	headerOriginUserAgent = "X-Origin-User-Agent"
)

// maxUserAgentBytes bounds a User-Agent kept for logs.
const maxUserAgentBytes = 256

// honourOrigin makes the call see the end user an app server acts for.
// Only a server-to-server call may name one (server: it carried the
// tenant's API secret, or came straight from a trusted proxy): its
// X-Origin-IP becomes the call's client address for the per-IP limits,
// failure and lockout logs, events, captcha checks and LastLoginLocation,
// and its X-Origin-User-Agent the User-Agent in logs. From anyone else the
// headers are ignored: a browser could otherwise pick the address its
// guesses are counted against. A server call whose X-Origin-IP is not an
// IP address is refused (908), not silently counted against the server.
func (g *Gateway) honourOrigin(c *call, server bool) *lrerr.Error {
	c.userAgent = c.r.Header.Get("User-Agent")
	if !server {
		c.userAgent = apireq.Truncate(c.userAgent, maxUserAgentBytes)
		return nil
	}
	if raw := strings.TrimSpace(c.r.Header.Get(headerOriginIP)); raw != "" {
		addr, err := netip.ParseAddr(raw)
		if err != nil || addr.Zone() != "" {
			return lrerr.WithDescription(lrerr.CodeParameterFormat, "The X-Origin-IP header is not an IP address.")
		}
		c.via, c.clientIP = c.clientIP, addr.Unmap().String()
	}
	if ua := c.r.Header.Get(headerOriginUserAgent); ua != "" {
		c.userAgent = ua
	}
	c.userAgent = apireq.Truncate(c.userAgent, maxUserAgentBytes)
	return nil
}

// clientFields are the log fields naming the call's end user: client_ip
// and user_agent, and via (the app server's address) when a server call
// named the user.
func (c *call) clientFields() []zap.Field {
	f := []zap.Field{zap.String("client_ip", c.clientIP), zap.String("user_agent", c.userAgent)}
	if c.via != "" {
		f = append(f, zap.String("via", c.via))
	}
	return f
}
