package pinauth

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// apiSecretFailures bounds the wrong API secrets one client address may
// send: a burst of Requests, then one more per Window/Requests. Only wrong
// secrets count, so an app back end that sends the right one is never
// limited, however many calls it makes; once a client's budget is spent,
// every call of it that needs the secret gets 429 without the secret being
// compared, the right one included, until the budget refills. The secret
// must be at least 16 bytes (package config checks it), so the limit is
// not what keeps it from being guessed: it keeps a guessing client from
// being free, and makes it visible (a log line and a metric per refusal,
// the login_failed event for fail2ban-style blocking).
var apiSecretFailures = ratelimit.Policy{Requests: 20, Window: 10 * time.Minute}

// secretLimitKey is the limiter key of a client's wrong secrets: the shared
// limiter also holds the credential-check budgets, under the bare
// address.
func secretLimitKey(ip string) string { return "apisecret " + ratelimit.Key(ip) }

// checkAPISecret checks the call's API secret (query apisecret or header
// X-LoginRadius-ApiSecret) against the tenant's in constant time. A client
// whose budget of wrong secrets is spent gets 429 before anything is
// compared; each refusal is logged (never the secret) and counted.
func (g *Gateway) checkAPISecret(c *call) *lrerr.Error {
	key := secretLimitKey(c.clientIP)
	if limited, wait := g.limiter.Spent(key, apiSecretFailures, c.now); limited {
		g.refuseSecret(c, observe.SecretLimited)
		return &lrerr.Error{Code: lrerr.CodeTooManyRequests, RetryAfter: wait}
	}
	given := apiSecretOf(c)
	if given == "" {
		// Not a guess: a client that forgot the secret is not limited.
		g.refuseSecret(c, observe.SecretMissing)
		return lrerr.New(lrerr.CodeAPISecretInvalid)
	}
	if !secret.Equal(given, c.tenant.APISecret) {
		g.limiter.Allow(key, apiSecretFailures, c.now)
		g.refuseSecret(c, observe.SecretWrong)
		return lrerr.New(lrerr.CodeAPISecretInvalid)
	}
	return nil
}

// refuseSecret logs and counts a refused API secret. The log line and the
// login_failed event are the credential-failure ones (reason
// api_secret_<why>), so log-based blockers see secret guessing as they see
// PIN guessing.
func (g *Gateway) refuseSecret(c *call, why observe.APISecretRefusal) {
	g.obs.APISecretRefused(c.tenant.Name, why)
	g.logFailure(c, "api_secret_"+why.String(), "")
}

// apiSecretOf is the API secret a call sends: query apisecret, else the
// header X-LoginRadius-ApiSecret; "" for none.
func apiSecretOf(c *call) string {
	if s := c.q.Get("apisecret"); s != "" {
		return s
	}
	return c.r.Header.Get("X-LoginRadius-ApiSecret")
}
