package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// addEmailBody is POST /auth/email's body.
type addEmailBody struct {
	Email string `json:"email"`
	Type  string `json:"type"`
}

// addEmail serves POST /auth/email (issue 20): the caller (by access
// token) adds email as an address awaiting verification (its name taken
// from every other account, no identifier until verified) and is mailed
// its verification link or code (verificationurl, emailtemplate, checked
// before anything is written: 908, 1144). {IsPosted: true}; 1134 for a
// missing or malformed email, 936 when any account has the name in any
// kind; the per-client rate limit (429) and the sending limits (1122)
// apply. The change records AddEmail.
func (g *Gateway) addEmail(c *call) (any, error) {
	var b addEmailBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.Email == "" || !lrprofile.ValidEmail(b.Email) {
		return nil, lrerr.Field("email", "The email is required and must be an email address.")
	}
	_, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	settings := recoverySettings(c.tenant)
	if err := g.recovery.CheckVerification(settings, c.q); err != nil {
		return nil, err
	}
	typ := b.Type
	if typ == "" {
		typ = "Secondary"
	}
	err = g.updateAccount(c.r.Context(), a.Ref(), nil, func(_ store.Tx, acc *store.Account) error {
		if !acc.AddUnverifiedEmail(store.Email{Type: typ, Value: b.Email}) {
			return lrerr.New(lrerr.CodeEmailTaken)
		}
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		return g.emit(tx, c, webhook.AddEmail, acc)
	})
	if _, dup := store.IsDuplicate(err); dup {
		return nil, lrerr.New(lrerr.CodeEmailTaken)
	}
	if err != nil {
		return nil, lrerr.As(err)
	}
	if err := g.recovery.SendVerification(c.r.Context(), settings, c.q, a.Ref(), b.Email, c.clientIP, c.now); err != nil {
		return nil, err
	}
	return map[string]bool{"IsPosted": true}, nil
}
