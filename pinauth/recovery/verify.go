package recovery

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// verifiedBody is the answer of a verification: LoginRadius's
// {IsPosted, Data}, Data null since the gateway does not log in on
// verification (the app sends the user to the login).
type verifiedBody struct {
	IsPosted bool `json:"IsPosted"`
	Data     any  `json:"Data"`
}

// VerifyEmailByToken serves GET /auth/email with a verificationtoken (the
// same path with email= is the availability check; the core dispatches
// by query). The token of a verification link marks its address
// verified: 973 for an unknown token (or one of another tenant, or whose
// account is gone), 974 for a used or replaced one, 975 for an expired
// one; of concurrent uses one verifies, the others get 974. The captcha's
// always mode covers the call. EmailVerification is recorded; the first
// verification of an account sends the welcome email when the tenant
// asks for it.
func (api *API) VerifyEmailByToken(r Request) (any, error) {
	ctx, now := r.HTTP.Context(), r.Act.Now()
	token := r.Query.Get("verificationtoken")
	if token == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The verificationtoken is a required parameter.")
	}
	if err := r.Act.CaptchaGate(ctx); err != nil {
		return nil, err
	}
	hash := secret.TokenHash(token)
	tok, found, err := api.secrets.opt.Store.Token(ctx, store.TokenEmailVerify, hash)
	switch {
	case err != nil:
		return nil, lrerr.Unavailable(err)
	case !found || tok.Tenant != r.Act.Tenant():
		return nil, lrerr.New(lrerr.CodeVerificationLinkInvalid)
	case !tok.UsedAt.IsZero():
		return nil, lrerr.New(lrerr.CodeVerificationLinkUsed)
	case !now.Before(tok.ExpiresAt):
		return nil, lrerr.New(lrerr.CodeVerificationLinkExpired)
	}
	return api.verify(ctx, r, store.AccountRef{Tenant: tok.Tenant, UID: tok.UID}, store.TokenEmailVerify, hash, lrerr.CodeVerificationLinkUsed)
}

// verifyOTPBody is PUT /auth/email's body. The captcha and security
// answer fields are accepted as LoginRadius documents them (the captcha
// gate reads the captcha's).
type verifyOTPBody struct {
	OTP            string            `json:"otp"`
	Email          string            `json:"email"`
	SecurityAnswer map[string]string `json:"SecurityAnswer"`
	Recaptcha      string            `json:"g-recaptcha-response"`
	QQTicket       string            `json:"qq_captcha_ticket"`
	QQRandstr      string            `json:"qq_captcha_randstr"`
}

// VerifyEmailByOTP serves PUT /auth/email: the code a verification email
// of a tenant with VerificationEmail otp carried, with its address. Every
// check goes through the credential gate (rate limit, lockout, one hash,
// also for an address no account awaits, which answers 1067 like a wrong
// code); 1068 for a used or replaced code, 1069 for an expired one.
func (api *API) VerifyEmailByOTP(r Request) (any, error) {
	var b verifyOTPBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	var fields []lrerr.FieldError
	if b.OTP == "" {
		fields = append(fields, lrerr.FieldError{FieldName: "otp", ErrorMessage: "The otp is required."})
	}
	if b.Email == "" {
		fields = append(fields, lrerr.FieldError{FieldName: "email", ErrorMessage: "The email is required."})
	}
	if fields != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	ctx, now := r.HTTP.Context(), r.Act.Now()
	a, found, err := AwaitingAccount(ctx, api.secrets.opt.Store, r.Act.Tenant(), b.Email)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, r.Act.CheckCredential(ctx, Check{Unknown: b.Email, Secret: b.OTP, Failure: lrerr.CodeOTPInvalid, Reason: "unknown_account"})
	}
	var hash string
	var failure lrerr.Code
	var lookupErr error
	err = r.Act.CheckCredential(ctx, Check{
		Account: &a, Secret: b.OTP, Failure: lrerr.CodeOTPInvalid, Reason: "email_verification_otp",
		Compare: func() bool {
			api.core.VerifyDummy(b.OTP)
			hash, failure, lookupErr = api.secrets.findVerifyOTP(ctx, &a, b.Email, b.OTP, now)
			return lookupErr == nil && failure == 0
		},
	})
	if lookupErr != nil {
		return nil, lrerr.Unavailable(lookupErr)
	}
	if err != nil {
		if e := lrerr.As(err); e.Code == lrerr.CodeOTPInvalid && failure != 0 {
			e.Code = failure
		}
		return nil, err
	}
	return api.verify(ctx, r, a.Ref(), store.TokenEmailOTP, hash, lrerr.CodeOTPUsed)
}

// AwaitingAccount finds the account of tenant that has address email,
// verified or not (an unverified address is no identifier, but it is the
// account's name): the account whose lockout a code of PUT /auth/email
// counts toward. The login page reads that lockout with it, so it names
// the account the check counted.
func AwaitingAccount(ctx context.Context, st store.Reader, tenant, email string) (store.Account, bool, error) {
	uid, taken, err := st.NameOwner(ctx, tenant, store.NameOf(email))
	if err != nil || !taken || uid == "" {
		return store.Account{}, false, err
	}
	a, found, err := st.Account(ctx, tenant, uid)
	if err != nil || !found || (!a.AddressPending(email) && !a.AddressVerified(email)) {
		return store.Account{}, false, err
	}
	return a, true, nil
}

// findVerifyOTP is findOTP for the verification codes of address email.
func (s *Secrets) findVerifyOTP(ctx context.Context, a *store.Account, email, code string, now time.Time) (string, lrerr.Code, error) {
	h := s.OTPHash(a.Tenant, a.UID, verifyOTPScope(email), code)
	tok, found, err := s.opt.Store.Token(ctx, store.TokenEmailOTP, h)
	switch {
	case err != nil:
		return "", 0, err
	case !found || tok.Tenant != a.Tenant || tok.UID != a.UID:
		return "", lrerr.CodeOTPInvalid, nil
	case !tok.UsedAt.IsZero():
		return "", lrerr.CodeOTPUsed, nil
	case !now.Before(tok.ExpiresAt):
		return "", lrerr.CodeOTPExpired, nil
	}
	return h, 0, nil
}

// verify takes the verification secret of kind and hash in the update of
// account ref and marks its address verified (usedCode when another call
// took the secret first, or the address is gone), records
// EmailVerification, and sends the welcome email on the account's first
// verification when the tenant asks for it.
func (api *API) verify(ctx context.Context, r Request, ref store.AccountRef, kind store.TokenKind, hash string, usedCode lrerr.Code) (any, error) {
	now := r.Act.Now()
	var first bool
	var saved store.Account
	err := api.core.UpdateAccount(ctx, ref, nil, func(tx store.Tx, a *store.Account) error {
		if !a.Active {
			return lrerr.New(lrerr.CodeAccountBlocked)
		}
		was := a.EmailVerified
		if _, ok, err := store.ConsumeEmailVerification(tx, a, kind, hash, now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(usedCode)
		}
		first = !was && a.EmailVerified
		a.ModifiedAt = now
		return nil
	}, func(tx store.Tx, a *store.Account) error {
		saved = *a
		return r.Act.Emit(tx, webhook.EmailVerification, a)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	if t := r.Act.Settings(); first && t.Welcome {
		// The verification stands whatever the welcome's fate; a refused
		// send is the sending limits' to log.
		_ = api.secrets.SendWelcome(ctx, t, r.Query, &saved, r.Act.ClientIP(), now)
	}
	return verifiedBody{IsPosted: true}, nil
}
