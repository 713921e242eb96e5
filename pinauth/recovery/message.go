package recovery

import (
	"fmt"
	"net/url"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The channels a reset message goes by.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// The lifetimes' defaults.
const (
	DefaultResetTokenTTL = 15 * time.Minute
	DefaultOTPTTL        = 10 * time.Minute
	// DefaultDeleteTokenTTL is the lifetime of an account deletion
	// link: longer than a reset link's, as the mail may be read later,
	// short enough that an old mailbox does not hold a working one.
	DefaultDeleteTokenTTL = 30 * time.Minute
)

// The values of a tenant's PIN and password reset email mode.
const (
	ByLink = "link"
	ByOTP  = "otp"
)

// CheckMode reports an error unless a tenant's reset email mode is ByLink
// or ByOTP (an empty mode means ByLink and needs no check). The core's and
// the Caddy adapter's validators both call it.
func CheckMode(mode string) error {
	switch mode {
	case ByLink, ByOTP:
		return nil
	}
	return fmt.Errorf("unknown value %q (want link or otp)", mode)
}

// Descriptions of the password reset's refusals (code 908).
const (
	// DescResetPasswordURLMissing: a link is to be sent and the call
	// names no resetpasswordurl.
	DescResetPasswordURLMissing = "The resetpasswordurl is a required parameter."
	// DescResetPasswordURLInvalid: the resetpasswordurl is not on an
	// allowed origin.
	DescResetPasswordURLInvalid = "The resetpasswordurl is not an allowed origin of this site."
)

// Tenant is what the forgot calls read of the caller's tenant.
type Tenant struct {
	Name           string
	AllowedOrigins []string
	// ResetPINURL is the default page of PIN reset links ("" for none).
	ResetPINURL string
	// PINResetEmail and PasswordResetEmail are ByLink or ByOTP.
	PINResetEmail, PasswordResetEmail string
	// DeleteAccountURL is the default page of account deletion links
	// ("" for none).
	DeleteAccountURL string
	// VerificationURL is the default page of email verification links
	// ("" for none); VerificationEmail is ByLink or ByOTP; Welcome sends
	// the welcome email on an account's first verification (issue 20).
	VerificationURL, VerificationEmail string
	Welcome                            bool
}

// message is what a forgot-PIN or forgot-password call will send, once
// validated.
type message struct {
	// what names the message in logs ("pin reset", "password reset").
	what     string
	channel  string
	otp      bool
	set      *notify.Set
	linkBase *url.URL // link emails only
	// linkType is the link's vtype; tokenKind the kind its token is
	// stored as (link emails only).
	linkType  string
	tokenKind store.TokenKind
	limit     notify.SendLimit
	limitErr  lrerr.Code
	ttl       time.Duration
	timeout   time.Duration
	// sendID names the queued message in the answer and the logs.
	sendID string
	// otpScope, when set, replaces channel in the OTP's hash (OTPHash):
	// codes of another purpose (a password reset) are then never found by
	// the PIN reset, nor the PIN reset's by them.
	otpScope string
}

// SMS reports whether r goes by SMS (its answer then names the send).
func (r *message) SMS() bool { return r.channel == ChannelSMS }

// otpChannel is what an OTP of r is hashed under.
func (r *message) otpChannel() string {
	if r.otpScope != "" {
		return r.otpScope
	}
	return r.channel
}

// pinMessage validates what a forgot-PIN call by kind for tenant t asks
// to be sent (q: its query, with resetpinurl, emailtemplate, smstemplate).
// None of its answers depends on the account.
func (s *Secrets) pinMessage(t Tenant, kind store.IdentifierKind, q apireq.Params) (message, error) {
	if kind == store.IdentPhone {
		if s.opt.SMS == nil {
			return message{}, lrerr.WithDescription(lrerr.CodePINNotConfigured, "PIN reset by SMS is not configured for this site.")
		}
		// isvoiceotp is accepted (SDKs send it); there is no voice
		// channel, so the code goes by SMS either way.
		_ = q.Bool("isvoiceotp")
		fr := message{what: "pin reset", channel: ChannelSMS, otp: true, limit: s.opt.SMS.Limit, limitErr: lrerr.CodeSMSLimit,
			ttl: s.opt.OTPTTL, timeout: s.opt.SMS.Timeout}
		fr.set = s.opt.Notifier.SMSSet(t.Name, q.Get("smstemplate"), notify.SetPINResetOTP)
		return fr, nil
	}
	if s.opt.Email == nil {
		return message{}, lrerr.WithDescription(lrerr.CodePINNotConfigured, "PIN reset by email is not configured for this site.")
	}
	fr := message{what: "pin reset", channel: ChannelEmail, otp: t.PINResetEmail == ByOTP,
		linkType: notify.LinkTypePIN, tokenKind: store.TokenPINReset, limit: s.opt.Email.Limit, limitErr: lrerr.CodeEmailLimit, ttl: s.opt.ResetTokenTTL, timeout: s.opt.Email.Timeout}
	builtin := notify.SetPINResetLink
	if fr.otp {
		fr.ttl, builtin = s.opt.OTPTTL, notify.SetPINResetOTP
	}
	fr.set = s.opt.Notifier.EmailSet(t.Name, q.Get("emailtemplate"), builtin)
	raw := q.Get("resetpinurl")
	if raw == "" && !fr.otp {
		raw = t.ResetPINURL
		if raw == "" {
			return fr, lrerr.WithDescription(lrerr.CodeResetPINURLInvalid, "The resetpinurl is required: this site has no default reset PIN URL.")
		}
	}
	if raw != "" {
		base, err := notify.LinkBase(t.AllowedOrigins, raw)
		if err != nil {
			return fr, lrerr.New(lrerr.CodeResetPINURLInvalid)
		}
		fr.linkBase = base
	}
	return fr, nil
}

// passwordMessage validates what a forgot-password call for tenant t asks
// to be sent (q: its query, with resetpasswordurl and emailtemplate): a
// link, or a code with the tenant's PasswordResetEmail ByOTP. Its tokens
// and codes are of their own kind: they do nothing on the PIN resets, nor
// the PIN resets' on the password reset.
func (s *Secrets) passwordMessage(t Tenant, q apireq.Params) (message, error) {
	if s.opt.Email == nil {
		return message{}, lrerr.WithDescription(lrerr.CodeParameterFormat, "Password reset by email is not configured for this site.")
	}
	fr := message{what: "password reset", channel: ChannelEmail, linkType: notify.LinkTypePassword,
		tokenKind: store.TokenPasswordReset, limit: s.opt.Email.Limit, limitErr: lrerr.CodeEmailLimit,
		ttl: s.opt.ResetTokenTTL, timeout: s.opt.Email.Timeout}
	builtin := notify.SetPasswordResetLink
	if t.PasswordResetEmail == ByOTP {
		fr.otp, fr.otpScope, fr.ttl, builtin = true, passwordOTPScope, s.opt.OTPTTL, notify.SetPasswordResetOTP
	}
	fr.set = s.opt.Notifier.EmailSet(t.Name, q.Get("emailtemplate"), builtin)
	raw := q.Get("resetpasswordurl")
	if raw == "" && !fr.otp {
		return message{}, lrerr.WithDescription(lrerr.CodeParameterFormat, DescResetPasswordURLMissing)
	}
	if raw != "" {
		base, err := notify.LinkBase(t.AllowedOrigins, raw)
		if err != nil {
			return message{}, lrerr.WithDescription(lrerr.CodeParameterFormat, DescResetPasswordURLInvalid)
		}
		fr.linkBase = base
	}
	return fr, nil
}
