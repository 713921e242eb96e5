package recovery

import (
	"context"
	"net/http"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Core is what the forgot and reset API needs of the gateway beyond one
// call: the lock it keeps, the account transaction and the token cache.
type Core interface {
	// BlockLocked reports whether the account has a block lock at now
	// (only an operator lifts it, so no reset may).
	BlockLocked(ctx context.Context, ref store.AccountRef, now time.Time) (bool, error)
	// UpdateAccount runs one transaction that runs before (when set),
	// re-reads the account, applies change, saves it and runs after with
	// the saved account; a lost race retries it, a missing account is 938.
	UpdateAccount(ctx context.Context, ref store.AccountRef, before func(store.Tx) error,
		change, after func(store.Tx, *store.Account) error) error
	// SessionsRevoked drops sessions revoked in a committed transaction
	// from the token cache, so their access tokens fail at once.
	SessionsRevoked(ids []string, now time.Time)
	// VerifyDummy costs one hash against a hash that never matches.
	VerifyDummy(secret string)
}

// Act is the acting side of one API call: its tenant and time, and the
// core's gates the call's checks go through (rate limit, captcha,
// credential check and lockout), which stay the core's.
type Act interface {
	// Tenant is the name of the call's tenant.
	Tenant() string
	// Settings are the tenant's reset settings.
	Settings() Tenant
	// Now is the time of the call.
	Now() time.Time
	// ClientIP is the end user's address.
	ClientIP() string
	// CheckPIN checks a new PIN against the tenant's policy; field names
	// the request field for the 1134 error.
	CheckPIN(field, pin string) *lrerr.Error
	// LimitClient counts the call against the per-client rate limit of
	// credential checks (429 over it).
	LimitClient() error
	// CaptchaGate applies the captcha policy to a check that names no
	// account (the always mode).
	CaptchaGate(ctx context.Context) error
	// CheckCredential runs chk through the credential gate.
	CheckCredential(ctx context.Context, chk Check) error
	// CheckAnswers checks security answers ({questionId: answer}) against
	// account a's, as one credential check (1093 when wrong). a is nil
	// when ident found no account: that check, like one of an account
	// without answers, costs what a wrong answer costs, counts toward
	// ident's lockout and is 1259.
	CheckAnswers(ctx context.Context, a *store.Account, ident string, answers map[string]string) error
	// Hash hashes a secret with the current pepper, through the hashing
	// queue (a full queue is a 503 with Retry-After).
	Hash(ctx context.Context, secret string) (string, error)
	// Emit records hook's event about account a in tx.
	Emit(tx store.Tx, hook string, a *store.Account) error
	// LogFailure logs a refused call as a failed credential check.
	LogFailure(reason string)
	// DeleteAccount deletes account uid of the call's tenant with
	// everything attached, as the management API's deletion does, in one
	// transaction that first runs allow (which may refuse); it records the
	// DeleteAccount event and revokes the account's sessions on every node.
	DeleteAccount(ctx context.Context, uid string, allow func(store.Tx, *store.Account) error) error
}

// Check is one comparison of a presented secret, counted toward the
// lockout by the core's credential gate, which also rate-limits it,
// applies the captcha policy and holds a hashing slot around Compare.
type Check struct {
	// Account is the account checked; nil when the identifier found none
	// (Unknown): the check then costs a dummy hash and fails with Failure.
	Account *store.Account
	// Unknown is the identifier that found no account.
	Unknown string
	// Secret is the presented secret.
	Secret string
	// Failure is the error of a wrong secret.
	Failure lrerr.Code
	// Reason names the check in logs.
	Reason string
	// Compare compares the secret, once the attempt is counted.
	Compare func() bool
}

// Request is one call of the forgot and reset API, routed and authorised
// by the core.
type Request struct {
	// HTTP is the request, for its body and context.
	HTTP *http.Request
	// Query holds its query parameters.
	Query apireq.Params
	// Account is the caller's account, on the routes authenticated by an
	// access token (DELETE /auth/account).
	Account *store.Account
	// Act is the call's acting side.
	Act Act
}

// API serves the forgot-PIN, forgot-password and reset calls. Each
// handler returns the response body or an *lrerr.Error; the core writes
// either.
type API struct {
	secrets *Secrets
	core    Core
}

// NewAPI returns the forgot and reset API over secrets and core.
func NewAPI(secrets *Secrets, core Core) *API { return &API{secrets: secrets, core: core} }

// isPosted is the answer of a call that did what it was asked.
var isPosted = map[string]bool{"IsPosted": true}
