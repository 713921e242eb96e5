package recovery

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// forgotTokenBody is the body of POST /manage/account/forgot/token.
type forgotTokenBody struct {
	Email string
}

// forgotToken is the answer of POST /manage/account/forgot/token.
// IdentityProviders lists the account's social logins: the gateway has
// none, so it is always empty.
type forgotToken struct {
	ForgotToken       string
	IdentityProviders []string
}

// ForgotPasswordToken serves POST /manage/account/forgot/token ("Forgot
// Password Token", issue 20; API secret): it issues a password reset
// token for the active account with the Email and answers it, for PUT
// /auth/password/reset. As a forgot call's token, it voids the account's
// earlier ones and lives the reset token's lifetime. It sends no email
// unless sendemail is true; then it mails the link with this token to the
// resetPasswordUrl page (required then, on an allowed origin: 908),
// template emailTemplate, whatever the tenant's reset mode. Unlike the
// public forgot call it names a missing account (938) or an inactive one
// (991): its caller holds the API secret.
func (api *API) ForgotPasswordToken(r Request) (any, error) {
	var b forgotTokenBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	if b.Email == "" {
		return nil, lrerr.Field("Email", "The Email is required.")
	}
	s, send := api.secrets, r.Query.Bool("sendemail")
	fr := message{what: "password reset", channel: ChannelEmail, tokenKind: store.TokenPasswordReset, ttl: s.opt.ResetTokenTTL}
	if send {
		t := r.Act.Settings()
		t.PasswordResetEmail = ByLink
		var err error
		if fr, err = s.passwordMessage(t, r.Query); err != nil {
			return nil, err
		}
	}
	ctx, now := r.HTTP.Context(), r.Act.Now()
	a, found, err := s.opt.FindAccount(ctx, r.Act.Tenant(), store.IdentEmail, b.Email)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	if !a.Active {
		return nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	token, err := s.issue(ctx, fr, a.Ref(), now)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if send {
		sendCtx, cancel := context.WithTimeout(ctx, fr.timeout)
		defer cancel()
		if err := s.deliver(sendCtx, &a, destination(&a, store.IdentEmail, b.Email, ChannelEmail), fr, token, now); err != nil {
			return nil, lrerr.Unavailable(err)
		}
	}
	return forgotToken{ForgotToken: token, IdentityProviders: []string{}}, nil
}
