package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// setPasswordBody is the body of PUT /manage/account/{uid}/password.
type setPasswordBody struct {
	Password string
}

// passwordSet is the answer of PUT /manage/account/{uid}/password.
// LoginRadius answers the account's new password hash; the gateway never
// gives out a hash of a password (an offline guess at it would cost one
// argon2id per guess, with no lockout), so the field is always empty.
type passwordSet struct {
	PasswordHash string
}

// SetPassword serves PUT /manage/account/{uid}/password ("Account Set
// Password", issue 20): the password is set (the policy of a reset, 1134
// on Password otherwise), an import's need for a secret reset ends, and,
// in the same transaction, every login session of the account is revoked
// (journalled for the other nodes), its PIN session, PinAuth,
// second-factor, step-up and refresh tokens deleted, its unused reset
// tokens and OTPs voided, and SetPassword recorded.
func (api *API) SetPassword(r Request) (any, error) {
	var b setPasswordBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	if !lrprofile.PasswordLengthOK(b.Password) {
		return nil, lrerr.Field("Password", lrprofile.MsgPasswordPolicy)
	}
	ctx := r.HTTP.Context()
	hash, err := r.Act.Hash(ctx, b.Password)
	if err != nil {
		return nil, err
	}
	ref, now := store.AccountRef{Tenant: r.Act.Tenant(), UID: r.UID}, r.Act.Now()
	var revoked []string
	err = api.core.UpdateAccount(ctx, ref, func(_ store.Tx, a *store.Account) error {
		a.PasswordHash, a.NeedsSecretReset = hash, false
		return nil
	}, func(tx store.Tx, a *store.Account) error {
		var err error
		if revoked, err = tx.RevokeSessions(ref, "", now); err != nil {
			return err
		}
		if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth,
			store.TokenSecondFactor, store.TokenStepUp, store.TokenRefresh}, ""); err != nil {
			return err
		}
		if _, err := tx.InvalidateTokens(ref, []store.TokenKind{store.TokenPINReset, store.TokenPasswordReset,
			store.TokenOTP}, "", now); err != nil {
			return err
		}
		return r.Act.Emit(tx, webhook.SetPassword, a)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	api.core.SessionsRevoked(revoked, now)
	return passwordSet{}, nil
}

// PasswordHash serves GET /manage/account/{uid}/password ("Account
// Password"), which at LoginRadius answers the account's password hash.
// The gateway refuses it with 403/1144 for every account, known or not:
// a stored argon2id hash, or anything derived from it, would let whoever
// holds the API secret guess the password offline, past the lockout, and
// a migration away needs no hash (accounts import with a reset).
func (api *API) PasswordHash(Request) (any, error) {
	return nil, lrerr.WithDescription(lrerr.CodeResourceDisabled,
		"The gateway never gives out a password hash; set a password with PUT on this path, or send a reset.")
}
