package recovery

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// answerAccount finds the account of ident and checks answers to all of
// its security questions ({questionId: answer}) through the credential
// gate (Act.CheckAnswers): rate-limited per client, under the captcha
// policy, counted toward the lockout, compared in constant time. Wrong
// answers are 1093; an incomplete set 1134. An unknown identifier, like
// an account without answers, is 1259 (as the question list of GET
// /auth/securityquestion/… says) after the same cost as a wrong answer,
// so timing does not tell them apart. A blocked account is 991, once the
// answers are right. Both resets by answer (PIN and password) prove the
// caller with it.
func (api *API) answerAccount(r Request, kind store.IdentifierKind, ident string, answers map[string]string) (store.Account, error) {
	ctx := r.HTTP.Context()
	a, found, err := api.secrets.opt.FindAccount(ctx, r.Act.Tenant(), kind, ident)
	if err != nil {
		return a, lrerr.Unavailable(err)
	}
	acc := &a
	if !found {
		acc = nil
	}
	if err := r.Act.CheckAnswers(ctx, acc, ident, answers); err != nil {
		return a, err
	}
	if !a.Active {
		return a, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, nil
}

// resetPasswordByAnswerBody is the body of PUT
// /auth/password/securityanswer: the account's Email, UserName or Phone,
// the answers and the new password.
type resetPasswordByAnswerBody struct {
	identBody
	SecurityAnswer map[string]string
	Password       string
	// ResetPasswordEmailTemplate is accepted, as LoginRadius documents
	// it: this gateway sends no password-changed email, so it selects
	// nothing.
	ResetPasswordEmailTemplate string
}

// ResetPasswordByAnswer serves PUT /auth/password/securityanswer
// (LoginRadius's reset by security answer and email, username or phone:
// one path, the body naming the identifier; when it names several, the
// Email is used, else the UserName). The answers prove the caller as for
// the PIN reset by answer (answerAccount); the new password must meet the
// password policy (1134), checked before any answer is. The reset then
// commits as the password reset by token does: the password set, every
// login session revoked, the other reset secrets voided, the failure
// count cleared, ResetPassword recorded.
func (api *API) ResetPasswordByAnswer(r Request) (any, error) {
	var b resetPasswordByAnswerBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	id := store.FirstIdentifier(b.Email, b.UserName, b.Phone)
	if id.Value == "" {
		return nil, lrerr.Field("Email", "The Email, UserName or Phone of the account is required.")
	}
	if !lrprofile.PasswordLengthOK(b.Password) {
		return nil, lrerr.Field("Password", lrprofile.MsgPasswordPolicy)
	}
	a, err := api.answerAccount(r, id.Kind, id.Value, b.SecurityAnswer)
	if err != nil {
		return nil, err
	}
	return api.resetPassword(r, &a, b.Password, "security_answer", nil)
}
