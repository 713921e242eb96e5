package pinauth

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// secondFactorTTL is the lifetime of a SecondFactorAuthenticationToken
// (decided: like the PinAuthToken, 10 minutes).
const secondFactorTTL = 10 * time.Minute

// secondFactorInfo is LoginRadius's SecondFactorAuthentication object, with
// every field its documents show, in their types. The gateway offers
// security questions only; the other authenticators are reported as not
// set up: no QR code or manual entry code (empty strings), no email OTP
// status (an empty object), no phone.
type secondFactorInfo struct {
	SecondFactorAuthenticationToken         string                  `json:"SecondFactorAuthenticationToken"`
	ExpireIn                                any                     `json:"ExpireIn"`
	QRCode                                  string                  `json:"QRCode"`
	ManualEntryCode                         string                  `json:"ManualEntryCode"`
	IsGoogleAuthenticatorVerified           bool                    `json:"IsGoogleAuthenticatorVerified"`
	IsAuthenticatorVerified                 bool                    `json:"IsAuthenticatorVerified"`
	IsEmailOtpAuthenticatorVerified         bool                    `json:"IsEmailOtpAuthenticatorVerified"`
	IsOTPAuthenticatorVerified              bool                    `json:"IsOTPAuthenticatorVerified"`
	OTPPhoneNo                              *string                 `json:"OTPPhoneNo"`
	OTPStatus                               *string                 `json:"OTPStatus"`
	Email                                   []string                `json:"Email"`
	EmailOTPStatus                          map[string]string       `json:"EmailOTPStatus"`
	IsSecurityQuestionAuthenticatorVerified bool                    `json:"IsSecurityQuestionAuthenticatorVerified"`
	SecurityQuestions                       []securityquestion.View `json:"SecurityQuestions"`
}

// secondFactorResponse is LoginRadius's answer to a first factor when a
// second one is required: no profile, and the placeholder token and time
// LoginRadius sends in place of real ones.
type secondFactorResponse struct {
	SecondFactorAuthentication secondFactorInfo  `json:"SecondFactorAuthentication"`
	Profile                    lrprofile.Profile `json:"Profile"`
	AccessToken                string            `json:"access_token"`
	ExpiresIn                  string            `json:"expires_in"`
}

// requireSecondFactor answers a correct password when the tenant requires
// security answers: a single-use SecondFactorAuthenticationToken and the
// questions to answer — the account's, or, when it has none yet, the
// tenant's list to choose from (IsSecurityQuestionAuthenticatorVerified
// false; enroll with PUT /auth/login/2fa/securityquestionanswer). The
// failure count is not cleared: only the second factor's success clears
// it, so password logins cannot reset the count of wrong answers.
func (g *Gateway) requireSecondFactor(c *call, a *store.Account, mutate func(*store.Account)) (any, error) {
	ctx := c.r.Context()
	if mutate != nil {
		// A password hash upgrade is retried at the next login if this fails.
		_ = g.updateAccount(ctx, a.Ref(), nil, func(_ store.Tx, acc *store.Account) error {
			mutate(acc)
			return nil
		}, nil)
	}
	token, exp := secret.NewToken(), c.now.Add(secondFactorTTL)
	if err := g.store.Update(ctx, func(tx store.Tx) error {
		return tx.InsertToken(store.Token{
			Hash: secret.TokenHash(token), Kind: store.TokenSecondFactor, Tenant: a.Tenant, UID: a.UID,
			CreatedAt: c.now, ExpiresAt: exp,
		})
	}); err != nil {
		return nil, lrerr.Unavailable(err)
	}
	info := secondFactorInfo{
		SecondFactorAuthenticationToken: token,
		ExpireIn:                        lrprofile.Time(exp),
		Email:                           []string{},
		EmailOTPStatus:                  map[string]string{},
		SecurityQuestions:               c.tenant.SecurityQuestions.Answered(a.SecurityAnswers),
	}
	info.IsSecurityQuestionAuthenticatorVerified = len(info.SecurityQuestions) > 0
	if !info.IsSecurityQuestionAuthenticatorVerified {
		info.SecurityQuestions = c.tenant.SecurityQuestions.Views()
	}
	return secondFactorResponse{
		SecondFactorAuthentication: info,
		AccessToken:                "00000000-0000-0000-0000-000000000000",
		ExpiresIn:                  "0001-01-01T00:00:00",
	}, nil
}

// secondFactorAccount reads the SecondFactorAuthenticationToken of the call
// (without spending it) and its account. Bad tokens are 1193.
func (g *Gateway) secondFactorAccount(c *call) (hash string, a store.Account, err error) {
	raw := c.q.Get("secondfactorauthenticationtoken")
	if raw == "" {
		return "", a, lrerr.WithDescription(lrerr.CodeParameterFormat, "The secondfactorauthenticationtoken is a required parameter.")
	}
	hash = secret.TokenHash(raw)
	tok, err := g.oneTimeToken(c, store.TokenSecondFactor, hash, lrerr.CodeSecondFactorInvalid, lrerr.CodeSecondFactorInvalid)
	if err != nil {
		return "", a, err
	}
	a, found, err := g.store.Account(c.r.Context(), tok.Tenant, tok.UID)
	if err != nil {
		return "", a, lrerr.Unavailable(err)
	}
	if !found {
		return "", a, lrerr.New(lrerr.CodeSecondFactorInvalid)
	}
	if !a.Active {
		return "", a, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return hash, a, nil
}

// consumeSecondFactor spends the token in the transaction that completes
// the login, so one second factor yields one login.
func consumeSecondFactor(hash string, now time.Time) func(store.Tx) error {
	return func(tx store.Tx) error {
		if _, ok, err := tx.ConsumeToken(store.TokenSecondFactor, hash, now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(lrerr.CodeSecondFactorInvalid)
		}
		return nil
	}
}

// verifySecondFactor serves POST
// /auth/login/2fa/verification/securityquestionanswer: the second factor
// of a password login. Correct answers complete the login like a password
// login without MFA (login response with session_token, or 1243 with a
// PINAuthToken when a PIN must be set first) and record the Login event;
// wrong ones are 1093 and count toward the lockout.
func (g *Gateway) verifySecondFactor(c *call) (res any, err error) {
	defer g.observeLogin(c, observe.LoginSecondFactor, &res, &err)
	var body answersBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	hash, a, err := g.secondFactorAccount(c)
	if err != nil {
		return nil, err
	}
	if err := g.checkAnswers(c.r.Context(), c, &a, body.SecurityQuestionAnswer); err != nil {
		return nil, err
	}
	return g.finishPasswordLogin(c, &a, nil, consumeSecondFactor(hash, c.now))
}

// enrollSecondFactor serves PUT /auth/login/2fa/securityquestionanswer: an
// account that has no security answers yet sets them with the
// SecondFactorAuthenticationToken of its password login, which completes
// the login. An account that has answers must verify them instead.
func (g *Gateway) enrollSecondFactor(c *call) (any, error) {
	var body answersBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	hash, a, err := g.secondFactorAccount(c)
	if err != nil {
		return nil, err
	}
	errSet := lrerr.Field(securityquestion.Field, "Security answers are already set; verify them instead.")
	if len(c.tenant.SecurityQuestions.Answered(a.SecurityAnswers)) > 0 {
		return nil, errSet
	}
	ctx := c.r.Context()
	hashes, err := g.newAnswerSet(ctx, c, body.SecurityQuestionAnswer)
	if err != nil {
		return nil, err
	}
	var saved store.Account
	err = g.updateAccount(ctx, a.Ref(), consumeSecondFactor(hash, c.now), func(_ store.Tx, acc *store.Account) error {
		if len(c.tenant.SecurityQuestions.Answered(acc.SecurityAnswers)) > 0 {
			return errSet
		}
		acc.SecurityAnswers = hashes
		return nil
	}, func(_ store.Tx, acc *store.Account) error {
		saved = *acc
		return nil
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return g.finishPasswordLogin(c, &saved, nil, nil)
}
