package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// resetOwnSecondFactor serves DELETE
// /auth/account/2fa/authenticator/securityquestionanswer: the caller
// removes the security answers of its account by access token
// (resetSecondFactor).
func (g *Gateway) resetOwnSecondFactor(c *call) (any, error) {
	b, _, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	return g.resetSecondFactor(c, b.ref())
}

// resetSecondFactorByUID serves DELETE
// /manage/account/2fa/authenticator/securityquestionanswer?uid=: the
// back end removes an account's security answers with the API secret
// (resetSecondFactor); 908 without a uid, 938 for an unknown one.
func (g *Gateway) resetSecondFactorByUID(c *call) (any, error) {
	uid := c.q.Get("uid")
	if uid == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The uid is a required parameter.")
	}
	return g.resetSecondFactor(c, store.AccountRef{Tenant: c.tenant.Name, UID: uid})
}

// resetSecondFactor removes the security answers of account ref, its
// security-question authenticator, and answers IsDeleted.
//
// The tenant's MFA setting decides what that means. Only a tenant that
// requires the security-question second factor (mfa security_question)
// has such an authenticator to reset; on any other the answers are only
// recovery and step-up answers, which PUT
// /auth/account/2fa/securityquestionanswer replaces, and the call is
// 1257 with nothing changed. After the reset the tenant still requires
// the second factor: the account's next password login answers the
// SecondFactorAuthentication object with the tenant's questions to enrol
// (IsSecurityQuestionAuthenticatorVerified false), never tokens for the
// password alone. A login in progress (a SecondFactorAuthenticationToken
// issued before the reset) ends: its token is deleted in the reset's
// transaction, so verifying or enrolling with it is 1193 and the user
// starts again with the password; otherwise a password-only login begun
// before the reset could enrol answers of its own choosing. Sessions
// stay: removing a factor proves nothing against them. An account without
// answers is 1259. The change records UpdateProfile (LoginRadius names
// no event for it), which prevent_webhook cannot silence here: removing a
// second factor is a security change, which a stolen access token or the
// API secret must not make unheard.
func (g *Gateway) resetSecondFactor(c *call, ref store.AccountRef) (any, error) {
	if c.tenant.MFA != config.MFASecurityQuestion {
		return nil, lrerr.New(lrerr.CodeSecurityQuestionMFADisabled)
	}
	err := g.updateAccount(c.r.Context(), ref, nil, func(_ store.Tx, acc *store.Account) error {
		if len(acc.SecurityAnswers) == 0 {
			return lrerr.New(lrerr.CodeSecurityAnswersNotSet)
		}
		acc.SecurityAnswers = nil
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenSecondFactor}, ""); err != nil {
			return err
		}
		return g.emit(tx, c.unsilenced(), webhook.UpdateProfile, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return isDeleted, nil
}
