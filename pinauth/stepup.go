package pinauth

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// stepUpTTL is the lifetime of a SecondFactorValidationToken: long enough
// for an app to pass it to its back end, short enough that a leaked one is
// of little use (decided: 5 minutes).
const stepUpTTL = 5 * time.Minute

// The step-up methods, recorded on the token: each validation endpoint
// accepts only the tokens of its own method.
const (
	stepUpPIN              = "pin"
	stepUpSecurityQuestion = "security_question"
	stepUpMethodKey        = "method"
)

// stepUpBody is LoginRadius's EventBasedMultiFactorAuthenticationToken.
type stepUpBody struct {
	SecondFactorValidationToken string `json:"SecondFactorValidationToken"`
	ExpireIn                    any    `json:"ExpireIn"`
}

// reauthByPIN serves PUT /auth/account/reauth/pin: the caller proves the
// account's PIN again and gets a single-use SecondFactorValidationToken
// for its back end. A wrong PIN is 1236 and counts toward the lockout.
func (g *Gateway) reauthByPIN(c *call) (any, error) {
	var body pinBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if e := checkPINFormat(c.tenant, "PIN", body.PIN); e != nil {
		return nil, e
	}
	if a.PINHash == "" {
		return nil, lrerr.New(lrerr.CodePINNotAvailable)
	}
	ctx := c.r.Context()
	rehash, err := g.checkCredential(ctx, c, credentialCheck{
		account: &a, encoded: a.PINHash, secret: body.PIN, failure: lrerr.CodePINInvalid, reason: "pin_reauth",
	})
	if err != nil {
		return nil, err
	}
	if rehash {
		g.upgradeHash(ctx, c, a.Ref(), body.PIN, func(acc *store.Account, h string) { acc.PINHash = h })
	}
	return g.issueStepUp(ctx, c, b, stepUpPIN)
}

// issueStepUp stores a step-up token for the caller's session, clears the
// failure count (the check just succeeded) and returns the response. The
// token is bound to the session, so a logout or a PIN change elsewhere
// removes it.
func (g *Gateway) issueStepUp(ctx context.Context, c *call, b *bearer, method string) (any, error) {
	token, exp := secret.NewToken(), c.now.Add(stepUpTTL)
	ref := b.ref()
	err := g.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.ClearAttempts(ref); err != nil {
			return err
		}
		return tx.InsertToken(store.Token{
			Hash: secret.TokenHash(token), Kind: store.TokenStepUp, Tenant: ref.Tenant, UID: ref.UID,
			SessionID: b.sid(), CreatedAt: c.now, ExpiresAt: exp,
			Data: map[string]string{stepUpMethodKey: method},
		})
	})
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	return stepUpBody{SecondFactorValidationToken: token, ExpireIn: lrprofile.Time(exp)}, nil
}

// stepUpValidationBody is the body of the server-side validation.
type stepUpValidationBody struct {
	SecondFactorValidationToken string
}

// validatePINStepUp serves POST /manage/account/{uid}/reauth/pin.
func (g *Gateway) validatePINStepUp(c *call) (any, error) {
	return g.validateStepUp(c, stepUpPIN)
}

// validate2FAStepUp serves POST /manage/account/{uid}/reauth/2fa: step-ups
// made with a second factor (security answers).
func (g *Gateway) validate2FAStepUp(c *call) (any, error) {
	return g.validateStepUp(c, stepUpSecurityQuestion)
}

// validateStepUp consumes a step-up token of the account in the path,
// made by method: {"IsValid": true} once, 1193 for any other token and for
// every later use.
func (g *Gateway) validateStepUp(c *call, method string) (any, error) {
	var body stepUpValidationBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	if body.SecondFactorValidationToken == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The secondfactorvalidationtoken is a required parameter.")
	}
	hash := secret.TokenHash(body.SecondFactorValidationToken)
	err := g.store.Update(c.r.Context(), func(tx store.Tx) error {
		t, ok, err := tx.ConsumeToken(store.TokenStepUp, hash, c.now)
		if err != nil {
			return err
		}
		// A token of another account or method is rolled back unspent:
		// presenting it in the wrong place must not burn it.
		if !ok || t.Tenant != c.tenant.Name || t.UID != c.uid || t.Data[stepUpMethodKey] != method {
			return lrerr.New(lrerr.CodeSecondFactorInvalid)
		}
		return nil
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return map[string]bool{"IsValid": true}, nil
}

// upgradeHash rehashes a secret that verified against an older pepper or
// older parameters and stores it with set. Failing is not worth failing the
// request over: the next successful check tries again.
func (g *Gateway) upgradeHash(ctx context.Context, c *call, ref store.AccountRef, secret string, set func(*store.Account, string)) {
	h, err := g.hasher.Hash(ctx, c.hashClient(), secret)
	if err != nil {
		return
	}
	_ = g.updateAccount(ctx, ref, nil, func(_ store.Tx, acc *store.Account) error {
		set(acc, h)
		return nil
	}, nil)
}
