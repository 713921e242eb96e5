package pinauth

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// resetTokenAccount finds the account an emailed reset token of kind was
// issued to (recovery.ResetToken: unknown, of another kind or tenant,
// used, replaced or expired is code with a Description telling which),
// refusing an account that is inactive or block-locked (991). It returns
// the account and the token's hash. The token is not taken: the reset's
// transaction does that with recovery.ConsumeResetToken. The captcha's
// always mode covers these calls (the OTP and security-answer resets get
// it through checkCredential).
func (g *Gateway) resetTokenAccount(ctx context.Context, c *call, kind store.TokenKind, token string, code lrerr.Code) (store.Account, string, error) {
	if _, err := g.captchaGate(ctx, c, store.AccountRef{}); err != nil {
		return store.Account{}, "", err
	}
	a, hash, err := g.recovery.ResetToken(ctx, c.tenant.Name, kind, token, c.now, code)
	if err != nil {
		return store.Account{}, "", err
	}
	if blocked, err := g.blockLocked(ctx, a.Ref(), c.now); err != nil {
		return store.Account{}, "", lrerr.Unavailable(err)
	} else if blocked || !a.Active {
		return store.Account{}, "", lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, hash, nil
}
