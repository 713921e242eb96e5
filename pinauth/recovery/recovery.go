// Package recovery serves the forgot-PIN and forgot-password API and
// issues, sends and checks its secrets: the reset tokens of the emailed
// links, the 6-digit OTPs sent by email or SMS, and the background sending
// of both behind the sending limits, in the same time whether or not the
// account exists (design: no enumeration).
//
// API holds the handlers: the forgot calls (ForgotPINBy, ForgotPassword)
// and the resets by token, OTP or security answers (ResetPINByToken,
// ResetPINByOTP, ResetPINByAnswer, ResetPassword). The core routes and
// authorises the calls and keeps the gates they go through: the credential
// gate every OTP and answer check passes, the rate limit, the captcha
// gate, the lock logic, the account transaction and the token cache. The
// handlers reach them through Core (the gateway) and Act (one call).
// The account deletion confirmed by email (RequestAccountDeletion,
// DeleteAccountByToken) issues and checks its token the same way.
// Secrets issues, sends and checks the secrets the handlers use;
// ResetToken also tells the login page whose account a reset link is for,
// and OTPHash how a code is stored.
package recovery

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Options are what the recovery flows need from the gateway.
type Options struct {
	// Store holds the accounts, the reset tokens and OTPs (by hash) and
	// the per-identifier sending quotas.
	Store store.Store
	// Notifier renders and sends the messages.
	Notifier *notify.Notifier
	// Queue runs the background sends; its owner closes it.
	Queue *notify.Queue
	// Limiter counts the sends per client IP.
	Limiter *ratelimit.Limiter
	// Log gets the send failures, never with an identifier, an address
	// or a secret.
	Log *zap.Logger
	// Pepper is the current pepper's key: OTPs and quota names are keyed
	// hashes under keys derived from it.
	Pepper []byte
	// Email and SMS are the channels' settings; nil disables the channel.
	Email *notify.EmailConfig
	SMS   *notify.SMSConfig
	// ResetTokenTTL and OTPTTL are the lifetimes of a link's reset token
	// and of an OTP; DeleteTokenTTL that of an account deletion link's
	// token.
	ResetTokenTTL, OTPTTL, DeleteTokenTTL time.Duration
	// FindAccount finds the account an identifier names (the core's rule
	// for identifiers), for the background send.
	FindAccount func(ctx context.Context, tenant string, kind store.IdentifierKind, ident string) (store.Account, bool, error)
}

// Secrets issues, sends and checks reset tokens and OTPs. It is safe for
// concurrent use.
type Secrets struct {
	opt Options
}

// New returns the recovery flows over opt.
func New(opt Options) *Secrets {
	return &Secrets{opt: opt}
}
