package recovery

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
	// DescResetTokenInvalid: unknown, of another kind or tenant, or its
	// account is gone.
	DescResetTokenInvalid = "The reset token is invalid."
	// DescResetTokenUsed: used, or replaced by a newer one.
	DescResetTokenUsed = "The reset token is no longer valid: it was used, or a newer one was sent."
	// DescResetTokenExpired: past its lifetime.
	DescResetTokenExpired = "The reset token has expired; request a new email."
)

// ResetToken finds the account an emailed reset token of kind was issued
// to in tenant, refusing (with code and a Description telling which) a
// token that is unknown, of another kind or tenant, used, replaced or
// expired at now, and one whose account is gone. It returns the account
// and the token's hash. The token is not taken: the reset's transaction
// does that with consumeResetToken. Whether the account may be reset
// (active, not block-locked) is the caller's to check.
func (s *Secrets) ResetToken(ctx context.Context, tenant string, kind store.TokenKind, token string, now time.Time, code lrerr.Code) (store.Account, string, error) {
	return s.emailedToken(ctx, tenant, kind, token, now, code, resetTokenWords)
}

// tokenWords are the Descriptions of an emailed token's refusals.
type tokenWords struct{ invalid, used, expired string }

// resetTokenWords describe a reset token's refusals.
var resetTokenWords = tokenWords{DescResetTokenInvalid, DescResetTokenUsed, DescResetTokenExpired}

// emailedToken is ResetToken for any emailed single-use token, its
// refusals described by words.
func (s *Secrets) emailedToken(ctx context.Context, tenant string, kind store.TokenKind, token string, now time.Time, code lrerr.Code, words tokenWords) (store.Account, string, error) {
	hash := secret.TokenHash(token)
	tok, found, err := s.opt.Store.Token(ctx, kind, hash)
	switch {
	case err != nil:
		return store.Account{}, "", lrerr.Unavailable(err)
	case !found || tok.Tenant != tenant:
		return store.Account{}, "", lrerr.WithDescription(code, words.invalid)
	case !tok.UsedAt.IsZero():
		return store.Account{}, "", lrerr.WithDescription(code, words.used)
	case !now.Before(tok.ExpiresAt):
		return store.Account{}, "", lrerr.WithDescription(code, words.expired)
	}
	a, found, err := s.opt.Store.Account(ctx, tok.Tenant, tok.UID)
	if err != nil {
		return store.Account{}, "", lrerr.Unavailable(err)
	}
	if !found {
		return store.Account{}, "", lrerr.WithDescription(code, words.invalid)
	}
	return a, hash, nil
}

// consumeResetToken takes the reset token of kind with hash inside a
// reset's transaction: of concurrent resets with one token exactly one
// goes on; the others get code with DescResetTokenUsed.
func consumeResetToken(tx store.Tx, kind store.TokenKind, hash string, now time.Time, code lrerr.Code) error {
	if _, ok, err := tx.ConsumeToken(kind, hash, now); err != nil {
		return err
	} else if !ok {
		return lrerr.WithDescription(code, DescResetTokenUsed)
	}
	return nil
}
