// Package pinauth is the core of caddy-pinauth: the authentication
// gateway, in plain Go (no Caddy import), testable with net/http/httptest.
//
// It holds the Gateway (the route table of the LoginRadius-style API, the
// credential flows and the one credential gate every secret check goes
// through, grants and sessions, the protected path) and the glue to the
// packages that each own one concern: config (the configuration and its
// checks), cache (the token, profile and session caches and their
// invalidation), loginpage, tokens, hashing, ratelimit, captcha, recovery
// (the forgot and reset API and its secrets), notify, webhook,
// identityheaders, publicpath, securityquestion, operator (the account
// API: /manage/account, /auth/account and Admin), lrimport,
// observe, with lrerr, store and pinauth/internal/... as the leaves
// everyone uses. Those packages never import this one (imports_test.go
// holds the layers).
//
// Its exported API is what the Caddy adapter (caddymodule) and the load
// harness (bench) use, and nothing more:
//
//   - New(Config) builds a Gateway over a store.Store; Gateway.Handle
//     serves a request (an API call, the JWKS, the login page, another
//     proxy's auth request about the request it holds, or the gate of a
//     protected request, whose Identity it returns), Gateway.Public
//     answers whether an anonymous request may pass, Gateway.Admin gives
//     the operator API (package operator), Gateway.RotateKey rotates the
//     signing key, Gateway.HashQueue reports the hashing queue for
//     metrics, and Gateway.Close stops the background work (requests still
//     in flight are answered).
//   - Config and Tenant configure it: aliases of package config's types,
//     where every field's default, the values some fields take and the
//     checks New runs (config.Config.WithDefaults) are.
//   - Config.Observer (package observe) is how the adapter counts what
//     happens: logins, credential failures, locks, refused API secrets,
//     token checks and store calls.
//   - Identity (an alias of cache.Identity) is what a protected request
//     proved; Version is the module's version.
package pinauth
