package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// pinChangeBody is the body of PUT/POST /auth/pin/change.
type pinChangeBody struct {
	OldPIN string
	NewPIN string
}

// changePIN serves PUT and POST /auth/pin/change ("Update PIN with Access
// Token"). A wrong OldPIN is 401/1241 and counts toward the lockout. On
// success every other login session of the account is revoked (their
// access tokens fail on the protected path at once, their refresh and PIN
// session tokens are deleted), and so is every PIN session token not bound
// to the caller's session; the caller's session and its tokens stay.
func (g *Gateway) changePIN(c *call) (any, error) {
	var body pinChangeBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if e := checkPINFormat(c.tenant, "OldPIN", body.OldPIN); e != nil {
		return nil, e
	}
	if e := validatePIN(c.tenant, "NewPIN", body.NewPIN); e != nil {
		return nil, e
	}
	if a.PINHash == "" {
		return nil, lrerr.New(lrerr.CodePINNotAvailable)
	}
	return g.changeOwnSecret(c, b, ownSecretChange{
		current: credentialCheck{account: &a, encoded: a.PINHash, secret: body.OldPIN, failure: lrerr.CodeCurrentPINInvalid, reason: "pin_change"},
		next:    body.NewPIN,
		set: func(acc *store.Account, hash string) {
			acc.PINHash, acc.PINChangedAt, acc.PINSkipped = hash, c.now, false
		},
		hook: webhook.ChangePIN,
	})
}
