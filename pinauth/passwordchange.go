package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// passwordChangeBody is the body of PUT /auth/password/change.
type passwordChangeBody struct {
	OldPassword string
	NewPassword string
}

// changePassword serves PUT /auth/password/change ("Auth Change
// Password", issue 20). The new password meets the policy of a reset
// (1134 on NewPassword otherwise). The old one goes through the one
// credential gate: a wrong one is 401/967 and counts toward the lockout.
// On success, in one transaction, the password is set (ending an import's
// need for a secret reset), every other login session of the account is
// revoked (their access and refresh tokens die with them, journalled for
// the other nodes), its PIN session, PinAuth, second-factor and step-up
// tokens not bound to the caller's session are deleted, its unused reset
// tokens and OTPs are voided, its failure count cleared, and
// ChangePassword recorded. The caller's session stays, as a PIN change
// leaves it.
func (g *Gateway) changePassword(c *call) (any, error) {
	var body passwordChangeBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	var fields []lrerr.FieldError
	if body.OldPassword == "" {
		fields = append(fields, lrerr.FieldError{FieldName: "OldPassword", ErrorMessage: "The OldPassword is required."})
	}
	if !lrprofile.PasswordLengthOK(body.NewPassword) {
		fields = append(fields, lrerr.FieldError{FieldName: "NewPassword", ErrorMessage: lrprofile.MsgPasswordPolicy})
	}
	if len(fields) > 0 {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	return g.changeOwnSecret(c, b, ownSecretChange{
		current: credentialCheck{account: &a, encoded: a.PasswordHash, secret: body.OldPassword,
			failure: lrerr.CodeCurrentPasswordInvalid, reason: "password_change"},
		next:       body.NewPassword,
		set:        func(acc *store.Account, hash string) { acc.PasswordHash, acc.NeedsSecretReset = hash, false },
		voidResets: true,
		hook:       webhook.ChangePassword,
	})
}
