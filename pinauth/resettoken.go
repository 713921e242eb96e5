package pinauth

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Reset tokens (PIN and password) are random UUIDs (122 bits): guessing
// is hopeless, so a wrong one costs no lockout attempt, only the per-IP
// rate limit. The catalogue has no code of its own for them; every defect
// is one code (1248 for a PIN reset token, 908 for a password reset
// token), told apart by the Description. The kinds are stored apart, so a
// token of one kind is unknown to the other's reset call.
const (
	descResetTokenInvalid = "The reset token is invalid."
	descResetTokenUsed    = "The reset token is no longer valid: it was used, or a newer one was sent."
	descResetTokenExpired = "The reset token has expired; request a new email."
)

// resetTokenAccount finds the account an emailed reset token of kind was
// issued to, refusing (with code and a Description telling which) a token
// that is unknown, of another kind or tenant, used, replaced or expired,
// and an account that is gone, inactive or block-locked (991). It returns
// the account and the token's hash. The token is not taken: the reset's
// transaction does that with consumeResetToken. The captcha's always
// mode covers these calls (the OTP and security-answer resets get it
// through checkCredential).
func (g *Gateway) resetTokenAccount(ctx context.Context, c *call, kind store.TokenKind, token string, code lrerr.Code) (store.Account, string, error) {
	if _, err := g.captchaGate(ctx, c, store.AccountRef{}); err != nil {
		return store.Account{}, "", err
	}
	hash := secret.TokenHash(token)
	tok, found, err := g.store.Token(ctx, kind, hash)
	switch {
	case err != nil:
		return store.Account{}, "", lrerr.Unavailable(err)
	case !found || tok.Tenant != c.tenant.Name:
		return store.Account{}, "", lrerr.WithDescription(code, descResetTokenInvalid)
	case !tok.UsedAt.IsZero():
		return store.Account{}, "", lrerr.WithDescription(code, descResetTokenUsed)
	case !c.now.Before(tok.ExpiresAt):
		return store.Account{}, "", lrerr.WithDescription(code, descResetTokenExpired)
	}
	a, found, err := g.store.Account(ctx, tok.Tenant, tok.UID)
	if err != nil {
		return store.Account{}, "", lrerr.Unavailable(err)
	}
	if !found {
		return store.Account{}, "", lrerr.WithDescription(code, descResetTokenInvalid)
	}
	if blocked, err := g.blockLocked(ctx, a.Ref(), c.now); err != nil {
		return store.Account{}, "", lrerr.Unavailable(err)
	} else if blocked || !a.Active {
		return store.Account{}, "", lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, hash, nil
}

// consumeResetToken takes the reset token of kind with hash inside a
// reset's transaction: of concurrent resets with one token exactly one
// goes on; the others get code with descResetTokenUsed.
func consumeResetToken(tx store.Tx, kind store.TokenKind, hash string, now time.Time, code lrerr.Code) error {
	if _, ok, err := tx.ConsumeToken(kind, hash, now); err != nil {
		return err
	} else if !ok {
		return lrerr.WithDescription(code, descResetTokenUsed)
	}
	return nil
}
