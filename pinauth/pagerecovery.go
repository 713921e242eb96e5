package pinauth

import (
	"context"
	"net/http"
	"net/url"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// resetTokenKinds are the token kinds of the page's resets by an emailed
// token, and the code their API call answers for a bad token.
var resetTokenKinds = map[loginpage.Flow]struct {
	kind store.TokenKind
	code lrerr.Code
}{
	loginpage.FlowResetPassword:   {store.TokenPasswordReset, lrerr.CodeParameterFormat},
	loginpage.FlowResetPINByToken: {store.TokenPINReset, lrerr.CodeResetPINURLInvalid},
}

// Recover runs a forgot call or a reset for the page, as Login runs a
// login: the API handler with its validation, sending limits, lockout and
// webhooks. A reset by an emailed token returns the token's account, read
// before the reset takes the token, so the page can log the person in
// with the password they just chose; other flows return no account.
func (pc pageCore) Recover(r *http.Request, flow loginpage.Flow, query url.Values, body map[string]any) (loginpage.Account, *lrerr.Error) {
	var acct loginpage.Account
	if tk, ok := resetTokenKinds[flow]; ok {
		if token, _ := body["ResetToken"].(string); token != "" {
			// A failed look-up is left to the handler, which answers it
			// with the API's error (and its rate limit).
			if a, _, err := pc.g.recovery.ResetToken(r.Context(), pc.tenant.Name, tk.kind, token, pc.g.now(), tk.code); err == nil {
				acct = pageAccount(&a)
			}
		}
	}
	if _, e := pc.run(r, flow, query, body); e != nil {
		return loginpage.Account{}, e
	}
	return acct, nil
}

// Recovery says how an account of the page's tenant can reset its PIN:
// the ways the tenant has set up and the account can use, and the
// security questions it has answered.
func (pc pageCore) Recovery(ctx context.Context, tenant, uid string) (loginpage.Recovery, error) {
	g := pc.g
	a, found, err := g.store.Account(ctx, tenant, uid)
	if err != nil || !found {
		return loginpage.Recovery{}, err
	}
	rc := loginpage.Recovery{Account: pageAccount(&a)}
	if g.cfg.Email != nil && a.PrimaryEmail() != "" {
		rc.EmailOTP = pc.tenant.PINResetEmail == recovery.ByOTP
		rc.EmailLink = !rc.EmailOTP
	}
	rc.SMS = g.cfg.SMS != nil && a.Phone != ""
	if a.PrimaryEmail() == "" {
		// The page resets by answers with the account's email.
		return rc, nil
	}
	for _, q := range pc.tenant.SecurityQuestions.Answered(a.SecurityAnswers) {
		rc.Questions = append(rc.Questions, loginpage.Question{ID: q.QuestionID, Text: q.Question})
	}
	return rc, nil
}

// pageAccount is how the page names account a.
func pageAccount(a *store.Account) loginpage.Account {
	return loginpage.Account{Email: a.PrimaryEmail(), Username: a.Username, Phone: a.Phone}
}
