package pinauth

import (
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// unlockBody is the body of PUT /auth/account/unlock as LoginRadius
// documents it. The captcha answer (g-recaptcha-response,
// h-captcha-response, or Tencent's qq_captcha_ticket and
// qq_captcha_randstr) is read by the captcha gate from the body, as on
// every other route. SecurityAnswer is accepted for the SDKs that send it
// but unlocks nothing: no lock of this gateway asks a security question.
type unlockBody struct {
	SecurityAnswer map[string]string `json:"securityanswer"`
}

// unlockAccount serves PUT /auth/account/unlock (access token, issue 20):
// the caller lifts the captcha lock of their own account by solving the
// captcha, which is what a captcha lock asks of a login, through the same
// captcha gate (1132 without an answer, 982 for a wrong one, 503 when the
// provider cannot answer) and the client's rate limit (429). The failure
// count is cleared with the lock, and the account's cached state dropped
// on every node. Only the captcha lock is the user's to lift, as
// LoginRadius documents: a suspend lock answers with its own error (1198
// with LoginLockedTimeout; it ends by itself), a block lock with 991 (an
// operator lifts it), so a stolen access token cannot undo a lockout that
// guessing caused; an account without a lock is 1221. No webhook event:
// LoginRadius names none for it.
func (g *Gateway) unlockAccount(c *call) (any, error) {
	var b unlockBody
	if e := apireq.DecodeJSON(c.r, &b, true); e != nil {
		return nil, e
	}
	_, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	ctx, ref := c.r.Context(), a.Ref()
	att, _, err := g.store.Attempts(ctx, ref)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !att.Locked(c.now) {
		return nil, lrerr.New(lrerr.CodeAlreadyUnlocked)
	}
	if att.LockType != store.LockCaptcha {
		g.logFailure(c, "unlock_refused", ref.UID)
		return nil, g.lockError(att, c.now)
	}
	passed, err := g.captchaGate(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	if passed != store.LockCaptcha {
		// No captcha provider (configured away since the lock was set):
		// nothing can be solved, so nothing is lifted.
		return nil, lrerr.New(lrerr.CodeLockedCaptcha)
	}
	if err := g.store.Update(ctx, func(tx store.Tx) error { return tx.ClearAttempts(ref) }); err != nil {
		return nil, lrerr.Unavailable(err)
	}
	g.cache.InvalidateAccount(ref.Tenant, ref.UID)
	g.log.Info("account unlocked", append(c.clientFields(), zap.String("tenant", ref.Tenant),
		zap.String("uid", ref.UID), zap.String("method", "captcha"))...)
	return isPosted, nil
}
