package recovery

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// DefaultVerificationTokenTTL is how long an email verification link
// works (a code lives OTPTTL).
const DefaultVerificationTokenTTL = 24 * time.Hour

// Descriptions of the verification mail's refusals (code 908).
const (
	DescVerificationURLMissing = "The verificationurl is required: this site has no default verification URL."
	DescVerificationURLInvalid = "The verificationurl is not an allowed origin of this site."
)

// verificationMessage validates what a verification email for tenant t
// asks (q: verificationurl, emailtemplate): a link, or a code when t's
// VerificationEmail is ByOTP. None of its answers depends on an account.
func (s *Secrets) verificationMessage(t Tenant, q apireq.Params) (message, error) {
	if s.opt.Email == nil {
		return message{}, lrerr.WithDescription(lrerr.CodeResourceDisabled, "Email verification needs email, which is not configured for this site.")
	}
	fr := message{what: "email verification", channel: ChannelEmail, linkType: notify.LinkTypeEmailVerification,
		tokenKind: store.TokenEmailVerify, limit: s.opt.Email.Limit, limitErr: lrerr.CodeEmailLimit,
		ttl: DefaultVerificationTokenTTL, timeout: s.opt.Email.Timeout}
	builtin := notify.SetEmailVerificationLink
	if t.VerificationEmail == ByOTP {
		fr.otp, fr.tokenKind, fr.ttl, builtin = true, store.TokenEmailOTP, s.opt.OTPTTL, notify.SetEmailVerificationOTP
	}
	fr.set = s.opt.Notifier.EmailSet(t.Name, q.Get("emailtemplate"), builtin)
	if fr.otp {
		return fr, nil
	}
	raw := q.Get("verificationurl")
	if raw == "" {
		raw = t.VerificationURL
	}
	if raw == "" {
		return message{}, lrerr.WithDescription(lrerr.CodeParameterFormat, DescVerificationURLMissing)
	}
	base, err := notify.LinkBase(t.AllowedOrigins, raw)
	if err != nil {
		return message{}, lrerr.WithDescription(lrerr.CodeParameterFormat, DescVerificationURLInvalid)
	}
	fr.linkBase = base
	return fr, nil
}

// CheckVerification reports what SendVerification would refuse of the
// request alone (908 for the verificationurl, 1144 without email), so a
// sign-up can refuse it before it writes anything.
func (s *Secrets) CheckVerification(t Tenant, q apireq.Params) error {
	_, err := s.verificationMessage(t, q)
	return err
}

// verifyOTPScope is what an email verification code of address email is
// hashed under (OTPHash's channel): a code verifies that address of that
// account only, and no reset code is one.
func verifyOTPScope(email string) string { return "verify\x00" + store.NameOf(email) }

// SendVerification queues the verification email of address email of
// the account ref in tenant t (q: the call's verificationurl and
// emailtemplate): a link with a verificationtoken for GET /auth/email, or
// a code for PUT /auth/email when t's VerificationEmail is ByOTP. It
// checks the request (908 for a verificationurl off the allowed origins,
// 1144 without email) and the sending limits (1122) at once; the
// background job issues the secret, voiding the account's earlier ones,
// and sends it only if the account still awaits the address's
// verification. The registration and the management API call it.
func (s *Secrets) SendVerification(ctx context.Context, t Tenant, q apireq.Params, ref store.AccountRef, email, clientIP string, now time.Time) error {
	r, err := s.verificationMessage(t, q)
	if err != nil {
		return err
	}
	c := sendCall{Ctx: ctx, Tenant: t.Name, ClientIP: clientIP, Now: now, Limited: func(string) {}}
	_, err = s.enqueueJob(c, "verify\x00"+store.NameOf(email), r, func(ctx context.Context, r message) {
		s.sendVerification(ctx, r, ref, email, now)
	})
	return err
}

// ResendVerification is SendVerification for whoever awaits the
// verification of address email in tenant t, if anyone does: the answer
// and its time are the same either way (the look-up is the job's).
func (s *Secrets) ResendVerification(ctx context.Context, t Tenant, q apireq.Params, email, clientIP string, now time.Time) error {
	r, err := s.verificationMessage(t, q)
	if err != nil {
		return err
	}
	c := sendCall{Ctx: ctx, Tenant: t.Name, ClientIP: clientIP, Now: now, Limited: func(string) {}}
	_, err = s.enqueueJob(c, "verify\x00"+store.NameOf(email), r, func(ctx context.Context, r message) {
		uid, taken, err := s.opt.Store.NameOwner(ctx, t.Name, store.NameOf(email))
		if err != nil {
			s.opt.Log.Error("email verification message not sent", zap.String("tenant", t.Name), zap.Error(err))
			return
		}
		if taken && uid != "" {
			s.sendVerification(ctx, r, store.AccountRef{Tenant: t.Name, UID: uid}, email, now)
		}
	})
	return err
}

// sendVerification is the verification's background job: nothing happens
// unless account ref is active and awaits the verification of email.
func (s *Secrets) sendVerification(ctx context.Context, r message, ref store.AccountRef, email string, now time.Time) {
	log := s.opt.Log.With(zap.String("channel", r.channel), zap.String("tenant", ref.Tenant), zap.String("send_id", r.sendID))
	a, found, err := s.opt.Store.Account(ctx, ref.Tenant, ref.UID)
	if err != nil {
		log.Error(r.what+" message not sent", zap.Error(err))
		return
	}
	if !found || !a.Active || !a.AddressPending(email) {
		return
	}
	log = log.With(zap.String("uid", a.UID))
	value, err := s.IssueVerification(ctx, r.otp, ref, email, r.ttl, now)
	if err != nil {
		log.Error(r.what+" message not sent", zap.Error(err))
		return
	}
	if err := s.deliver(ctx, &a, listedEmail(&a, email), r, value, now); err != nil {
		log.Error(r.what+" message not sent", zap.Error(err))
	}
}

// listedEmail is email as account a lists it, verified or not.
func listedEmail(a *store.Account, email string) string {
	n := store.NameOf(email)
	for _, list := range [][]store.Email{a.Emails, a.UnverifiedEmails} {
		for _, e := range list {
			if store.NameOf(e.Value) == n {
				return e.Value
			}
		}
	}
	return email
}

// IssueVerification draws an email verification secret for address email
// of account ref, a 6-digit code when otp is set, else a link's token,
// and in one transaction voids the account's earlier verification secrets
// and stores the new one's hash (store.EmailVerificationToken), usable
// until now+ttl. It returns the secret. The management API's
// verification token (POST /manage/account/verify/token) is one of these.
func (s *Secrets) IssueVerification(ctx context.Context, otp bool, ref store.AccountRef, email string, ttl time.Duration, now time.Time) (string, error) {
	kind := store.TokenEmailVerify
	if otp {
		kind = store.TokenEmailOTP
	}
	var err error
	for range maxSecretDraws {
		value, hash := secret.NewToken(), ""
		if otp {
			value = newOTP()
			hash = s.OTPHash(ref.Tenant, ref.UID, verifyOTPScope(email), value)
		} else {
			hash = secret.TokenHash(value)
		}
		err = s.opt.Store.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.InvalidateTokens(ref, store.EmailVerificationKinds, "", now); err != nil {
				return err
			}
			if _, found, err := tx.Token(kind, hash); err != nil {
				return err
			} else if found {
				return errSecretTaken
			}
			return tx.InsertToken(store.EmailVerificationToken(kind, hash, ref, email, now, ttl))
		})
		if !errors.Is(err, errSecretTaken) {
			return value, err
		}
	}
	return "", err
}

// SendWelcome queues the welcome email (template welcomeemailtemplate of
// q, else the built-in welcome set) to account a's primary email, within
// the email sending limits (1122). 1144 without email.
func (s *Secrets) SendWelcome(ctx context.Context, t Tenant, q apireq.Params, a *store.Account, clientIP string, now time.Time) error {
	if s.opt.Email == nil {
		return lrerr.WithDescription(lrerr.CodeResourceDisabled, "The welcome email needs email, which is not configured for this site.")
	}
	to := a.PrimaryEmail()
	if to == "" {
		return lrerr.New(lrerr.CodeEmailNotFound)
	}
	r := message{what: "welcome", channel: ChannelEmail, limit: s.opt.Email.Limit, limitErr: lrerr.CodeEmailLimit,
		timeout: s.opt.Email.Timeout, set: s.opt.Notifier.EmailSet(t.Name, q.Get("welcomeemailtemplate"), notify.SetWelcome)}
	c := sendCall{Ctx: ctx, Tenant: t.Name, ClientIP: clientIP, Now: now, Limited: func(string) {}}
	acc := *a
	_, err := s.enqueueJob(c, "welcome\x00"+a.UID, r, func(ctx context.Context, r message) {
		if err := s.deliver(ctx, &acc, to, r, "", now); err != nil {
			s.opt.Log.Error("welcome message not sent", zap.String("tenant", acc.Tenant), zap.String("uid", acc.UID), zap.Error(err))
		}
	})
	return err
}
