package recovery

import (
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// reset is one reset of a secret, once its proof was checked.
type reset struct {
	// what names the reset in logs ("pin reset", "password reset");
	// method the proof ("token", "otp", "security_answer").
	what, method string
	// hook is the webhook event recorded.
	hook string
	// consume, when set, takes the proof first in the transaction.
	consume func(store.Tx) error
	// secret is the new secret (already checked); set stores its hash.
	secret string
	set    func(acc *store.Account, hash string)
}

// commit hashes the new secret and, in one transaction, takes the proof,
// sets the secret of account a (refusing an account that went inactive
// meanwhile), revokes what a reset revokes (revokeAccountSecrets) and
// records the event; then it drops the revoked sessions from the token
// cache. It answers IsPosted.
func (api *API) commit(r Request, a *store.Account, rs reset) (any, error) {
	ctx := r.HTTP.Context()
	hash, err := r.Act.Hash(ctx, rs.secret)
	if err != nil {
		return nil, err
	}
	ref, now := a.Ref(), r.Act.Now()
	var revoked []string
	err = api.core.UpdateAccount(ctx, ref, rs.consume, func(_ store.Tx, acc *store.Account) error {
		if !acc.Active {
			return lrerr.New(lrerr.CodeAccountBlocked)
		}
		rs.set(acc, hash)
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		var err error
		if revoked, err = revokeAccountSecrets(tx, ref, now); err != nil {
			return err
		}
		return r.Act.Emit(tx, rs.hook, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	api.core.SessionsRevoked(revoked, now)
	api.secrets.opt.Log.Info(rs.what, zap.String("client_ip", r.Act.ClientIP()), zap.String("tenant", ref.Tenant),
		zap.String("uid", ref.UID), zap.String("method", rs.method))
	return isPosted, nil
}

// revokeAccountSecrets is what a reset of a secret revokes, in its
// transaction: every login session of the account (with the access and
// refresh tokens bound to them), its PIN session, PinAuth, second-factor,
// step-up and remaining refresh tokens, its unused reset tokens and OTPs
// of both kinds, and its failure count. It returns the revoked session
// ids for the token cache.
func revokeAccountSecrets(tx store.Tx, ref store.AccountRef, now time.Time) ([]string, error) {
	revoked, err := tx.RevokeSessions(ref, "", now)
	if err != nil {
		return nil, err
	}
	if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth,
		store.TokenSecondFactor, store.TokenStepUp, store.TokenRefresh}, ""); err != nil {
		return nil, err
	}
	if _, err := tx.InvalidateTokens(ref, []store.TokenKind{store.TokenPINReset, store.TokenPasswordReset,
		store.TokenOTP}, "", now); err != nil {
		return nil, err
	}
	return revoked, tx.ClearAttempts(ref)
}
