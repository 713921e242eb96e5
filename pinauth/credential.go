package pinauth

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// credentialCheck is one comparison of a presented secret with an
// account's stored secret, counted toward the lockout.
type credentialCheck struct {
	// account is the account whose secret is checked. nil means there is
	// none (an unknown identifier, an invalid token): the check is still
	// rate-limited, captcha-checked and costs a dummy hash, then fails with
	// failure, so it looks like any other failure.
	account *store.Account
	// unknown is, when account is nil, the identifier that found no
	// account (an email, a user name, a phone): the check is counted
	// toward a lockout of its own, so the identifier locks after as many
	// failures as an account would (see unknownRef).
	unknown string
	// encoded is the stored hash ("" when the account has none: the check
	// then costs a dummy hash and fails).
	encoded string
	secret  string
	// failure is the error for a wrong secret (966, 1236, 1241, 1093…).
	failure lrerr.Code
	// reason names the check in logs ("password", "pin", …).
	reason string
	// compare, when set, replaces the comparison of secret with encoded
	// (security answers compare several secrets as one counted check; an
	// OTP compares its hash with the stored one), also for an unknown
	// identifier (answers to no account cost a dummy hash each). It runs
	// after the attempt is counted, while the hashing slot is held.
	compare func() (ok, rehash bool)
}

// checkCredential is the one gate every check of a secret goes through
// (password, PIN, old PIN, security answer, OTP), whatever the endpoint.
// In order: the per-client rate limit (429); the captcha policy, with the
// captcha fields taken from the request (982, 1132, or 503 when the
// provider cannot answer); a hashing slot (503 when the queue is full);
// the attempt counted atomically in the store before comparing, so that N
// parallel guesses never get more than the lockout's attempts (a solved
// captcha passes a captcha lock); the constant-time comparison; and on
// failure the lock once the count reached the limit. A check that fails
// closed before it compares (503) is not counted toward the lockout; it
// still spends the client's rate-limit budget. rehash reports that
// the stored hash should be upgraded to the current pepper and parameters.
func (g *Gateway) checkCredential(ctx context.Context, c *call, chk credentialCheck) (rehash bool, err error) {
	if err := g.limitClient(c); err != nil {
		return false, err
	}
	var ref store.AccountRef
	switch {
	case chk.account != nil:
		ref = chk.account.Ref()
	case chk.unknown != "":
		ref = g.unknownRef(c.tenant.Name, chk.unknown)
	}
	bypass, err := g.captchaGate(ctx, c, ref)
	if err != nil {
		return false, err
	}
	client := c.hashClient()
	if err := g.hasher.Acquire(ctx, client); err != nil {
		// No refund of the rate-limit count: a full queue is what a
		// flood causes, and a refund would let the flood's own 503s
		// keep its budget whole (issue 15, finding 10).
		return false, g.hashQueueError(err)
	}
	defer g.hasher.Release(client)
	if ref.UID == "" {
		g.hasher.VerifyDummy(chk.secret)
		g.logFailure(c, chk.reason, "")
		return false, lrerr.New(chk.failure)
	}
	res, err := g.store.ReserveAttempt(ctx, ref, store.AttemptPolicy{
		Limit: g.cfg.Lockout.Attempts, Window: g.cfg.Lockout.Window, Bypass: bypass,
	}, c.now)
	if err != nil {
		return false, lrerr.Unavailable(err)
	}
	uid := loggedUID(ref)
	if !res.Allowed {
		g.logFailure(c, chk.reason+"_locked", uid)
		return false, g.lockError(res.State, c.now)
	}
	var ok bool
	switch {
	case chk.compare != nil:
		ok, rehash = chk.compare()
	case chk.account == nil:
		g.hasher.VerifyDummy(chk.secret)
	default:
		ok, rehash = g.hasher.VerifyHeld(chk.encoded, chk.secret)
	}
	if ok {
		return rehash, nil
	}
	g.logFailure(c, chk.reason, uid)
	if res.Count >= g.cfg.Lockout.Attempts {
		if chk.account == nil {
			err = g.lockUnknown(ctx, c, ref)
		} else {
			err = g.lockAccount(ctx, c, chk.account)
		}
		if err != nil {
			return false, err
		}
	}
	return false, lrerr.New(chk.failure)
}

func (g *Gateway) hashQueueError(err error) error {
	if errors.Is(err, hashing.ErrQueueFull) {
		e := lrerr.Unavailable(err)
		e.RetryAfter = time.Second
		return e
	}
	return lrerr.Unavailable(err)
}

// lockAccount applies the configured lock once the failure count reached
// the limit: exactly one concurrent caller wins the Lock and revokes the
// account's PIN session tokens and records the BlockAccount event.
func (g *Gateway) lockAccount(ctx context.Context, c *call, a *store.Account) error {
	p := g.cfg.Lockout
	until := c.now.Add(p.Duration)
	if p.Type == store.LockBlock {
		until = store.BlockedUntil
	}
	locked := false
	err := g.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if locked, err = tx.Lock(a.Ref(), p.Attempts, p.Type, until, c.now); err != nil || !locked {
			return err
		}
		// Invalidated, not deleted: while the lock lasts, a PIN login
		// with one of them answers with the lock rather than 1245.
		if _, err := tx.InvalidateTokens(a.Ref(), []store.TokenKind{store.TokenPINSession}, "", c.now); err != nil {
			return err
		}
		return g.emit(tx, c, webhook.BlockAccount, a)
	})
	if err != nil {
		return lrerr.Unavailable(err)
	}
	if locked {
		g.obs.AccountLocked(observe.AccountLock{Tenant: a.Tenant, UID: a.UID, ClientIP: c.clientIP, Type: p.Type, Until: until})
		g.cache.InvalidateAccount(a.Tenant, a.UID)
		g.log.Warn("account locked", append(c.clientFields(), zap.String("tenant", a.Tenant),
			zap.String("uid", a.UID), zap.String("lock_type", string(p.Type)))...)
	}
	return nil
}

// lockError is the error for a locked account (or one whose attempts are
// all in flight: it is about to be locked).
func (g *Gateway) lockError(st store.Attempts, now time.Time) *lrerr.Error {
	typ := st.LockType
	if !st.Locked(now) {
		typ = g.cfg.Lockout.Type
	}
	switch typ {
	case store.LockBlock:
		return lrerr.New(lrerr.CodeAccountBlocked)
	case store.LockCaptcha:
		return lrerr.New(lrerr.CodeLockedCaptcha)
	}
	until := st.LockedUntil
	if !st.Locked(now) {
		until = now.Add(g.cfg.Lockout.Duration)
	}
	return &lrerr.Error{Code: lrerr.CodeLockedSuspended, Data: map[string]any{"LoginLockedTimeout": lrprofile.Time(until)}}
}

// logFailure writes the Info line fail2ban-style tools key on. It never
// contains the secret.
func (g *Gateway) logFailure(c *call, reason, uid string) {
	if ce := g.log.Check(zap.InfoLevel, "credential check failed"); ce != nil {
		ce.Write(append(c.clientFields(), zap.String("tenant", c.tenant.Name),
			zap.String("uid", uid), zap.String("reason", reason))...)
	}
	g.obs.CredentialFailed(observe.CredentialFailure{Tenant: c.tenant.Name, UID: uid, ClientIP: c.clientIP, Reason: reason})
}
