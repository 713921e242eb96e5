package pinauth

import (
	"context"
	"encoding/hex"
	"errors"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The channels a PIN reset message goes by.
const (
	channelEmail = "email"
	channelSMS   = "sms"
)

// forgotBody is the body of the forgot-PIN calls.
type forgotBody struct {
	Email    string
	UserName string
	Phone    string
}

// identifier returns the identifier of kind in b and its field name.
func (b *forgotBody) identifier(kind store.IdentifierKind) (value, field string) {
	switch kind {
	case store.IdentEmail:
		return b.Email, "Email"
	case store.IdentUsername:
		return b.UserName, "UserName"
	}
	return b.Phone, "Phone"
}

// forgotPINBy returns the handler of POST /auth/pin/forgot/email,
// /auth/pin/forgot/username (an email with a reset link, or with an OTP
// when the tenant's pin_reset_email is otp) and /auth/pin/forgot/otp (an
// SMS with an OTP to the account's phone).
func forgotPINBy(kind store.IdentifierKind) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) { return g.forgotPIN(c, kind) }
}

// forgotRequest is what a forgot-PIN or forgot-password call will send,
// once validated.
type forgotRequest struct {
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
	// otpScope, when set, replaces channel in the OTP's hash (otpHash):
	// codes of another purpose (a password reset) are then never found by
	// the PIN reset, nor the PIN reset's by them.
	otpScope string
}

// otpChannel is what an OTP of fr is hashed under.
func (fr *forgotRequest) otpChannel() string {
	if fr.otpScope != "" {
		return fr.otpScope
	}
	return fr.channel
}

// forgotPIN answers IsPosted whether or not the account exists, in the
// same time (design: no enumeration): the call itself only validates its
// input, counts the sending limits (per client IP in memory, per
// identifier in the store, the same work for every identifier) and
// queues a job. The job, in the background and outside any store
// transaction of the call, finds the account, issues the token or code
// and sends the message; for an identifier with no active account (or no
// address to send to) it does nothing. An account's earlier tokens or
// codes stop working when a new one is issued: only the newest counts.
func (g *Gateway) forgotPIN(c *call, kind store.IdentifierKind) (any, error) {
	var b forgotBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	ident, field := b.identifier(kind)
	if ident == "" {
		return nil, fieldError(field, "The "+field+" is required.")
	}
	fr, err := g.forgotRequest(c, kind)
	if err != nil {
		return nil, err
	}
	return g.queueReset(c, kind, ident, fr)
}

// queueReset is the common end of the forgot calls: it checks the captcha
// (always mode), counts the sending limits (per client IP in memory, per
// identifier in the store, the same work for every identifier) and queues
// the job that sends fr to the account of ident, if there is one. It
// answers IsPosted (with the send's ids in Data for an SMS).
func (g *Gateway) queueReset(c *call, kind store.IdentifierKind, ident string, fr forgotRequest) (any, error) {
	// With the captcha's always mode the forgot calls need a solved
	// captcha too: each makes the gateway send an email or an SMS, which
	// bots abuse (SMS pumping). A nil account keeps the answer the same
	// whether the identifier exists or not.
	if _, err := g.captchaGate(c.r.Context(), c, store.AccountRef{}); err != nil {
		return nil, err
	}
	ipLimit := ratelimit.Policy{Requests: fr.limit.PerIP, Window: fr.limit.Window}
	if ok, _ := g.limiter.Allow("send-"+fr.channel+"|"+ratelimit.Key(c.clientIP), ipLimit, c.now); !ok {
		g.logFailure(c, "send_limited_ip", "")
		return nil, lrerr.New(fr.limitErr)
	}
	if !g.sends.Reserve() {
		e := lrerr.Unavailable(errors.New(fr.what + " send queue full"))
		e.RetryAfter = 30 * time.Second
		return nil, e
	}
	quota := g.quotaKey(fr.channel, c.tenant.Name, string(kind)+"\x00"+store.NormalizeIdentifier(kind, ident))
	err := g.store.Update(c.r.Context(), func(tx store.Tx) error {
		if ok, err := tx.ReserveQuota(quota, fr.limit.PerIdentifier, fr.limit.Window, c.now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(fr.limitErr)
		}
		return nil
	})
	if err != nil {
		g.sends.Release()
		e := lrerr.As(err)
		if e.Code == fr.limitErr {
			g.logFailure(c, "send_limited_identifier", "")
		}
		return nil, e
	}
	tenant, now := c.tenant, c.now
	fr.sendID = secret.Hex(16)
	g.sends.Push(notify.Job{Timeout: fr.timeout, Run: func(ctx context.Context) {
		g.sendReset(ctx, tenant, kind, ident, fr, now)
	}})
	if fr.channel == channelSMS {
		return smsPosted(fr.sendID), nil
	}
	return isPosted, nil
}

// smsPostedBody is LoginRadius's answer to a call that sends an SMS:
// IsPosted and the provider's ids of the message.
type smsPostedBody struct {
	IsPosted bool              `json:"IsPosted"`
	Data     map[string]string `json:"Data"`
}

// smsPosted answers a queued SMS. Sid is the send's id, the one its log
// lines carry (the message leaves later, in the background, and only if
// the phone has an account: the answer must not tell). AccountSid, the SMS
// provider's account, is left empty: anonymous callers have no use for the
// gateway's provider account.
func smsPosted(sendID string) smsPostedBody {
	return smsPostedBody{IsPosted: true, Data: map[string]string{"AccountSid": "", "Sid": sendID}}
}

// forgotRequest validates what the call asks to be sent. None of its
// answers depends on the account.
func (g *Gateway) forgotRequest(c *call, kind store.IdentifierKind) (forgotRequest, error) {
	if kind == store.IdentPhone {
		if g.cfg.SMS == nil {
			return forgotRequest{}, lrerr.WithDescription(lrerr.CodePINNotConfigured, "PIN reset by SMS is not configured for this site.")
		}
		// isvoiceotp is accepted (SDKs send it); there is no voice
		// channel, so the code goes by SMS either way.
		_ = c.q.Bool("isvoiceotp")
		fr := forgotRequest{what: "pin reset", channel: channelSMS, otp: true, limit: g.cfg.SMS.Limit, limitErr: lrerr.CodeSMSLimit,
			ttl: g.cfg.OTPTTL, timeout: g.cfg.SMS.Timeout}
		fr.set = g.notifier.SMSSet(c.tenant.Name, c.q.Get("smstemplate"), notify.SetPINResetOTP)
		return fr, nil
	}
	if g.cfg.Email == nil {
		return forgotRequest{}, lrerr.WithDescription(lrerr.CodePINNotConfigured, "PIN reset by email is not configured for this site.")
	}
	fr := forgotRequest{what: "pin reset", channel: channelEmail, otp: c.tenant.PINResetEmail == PINResetByOTP,
		linkType: notify.LinkTypePIN, tokenKind: store.TokenPINReset, limit: g.cfg.Email.Limit, limitErr: lrerr.CodeEmailLimit, ttl: g.cfg.ResetTokenTTL, timeout: g.cfg.Email.Timeout}
	builtin := notify.SetPINResetLink
	if fr.otp {
		fr.ttl, builtin = g.cfg.OTPTTL, notify.SetPINResetOTP
	}
	fr.set = g.notifier.EmailSet(c.tenant.Name, c.q.Get("emailtemplate"), builtin)
	raw := c.q.Get("resetpinurl")
	if raw == "" && !fr.otp {
		raw = c.tenant.ResetPINURL
		if raw == "" {
			return fr, lrerr.WithDescription(lrerr.CodeResetPINURLInvalid, "The resetpinurl is required: this site has no default reset PIN URL.")
		}
	}
	if raw != "" {
		base, err := notify.LinkBase(c.tenant.AllowedOrigins, raw)
		if err != nil {
			return fr, lrerr.New(lrerr.CodeResetPINURLInvalid)
		}
		fr.linkBase = base
	}
	return fr, nil
}

// destination is where an account's message goes: the stored form of the
// email it was found by (else its primary email), or its phone.
func destination(a *store.Account, kind store.IdentifierKind, ident, channel string) string {
	if channel == channelSMS {
		return a.Phone
	}
	if kind == store.IdentEmail {
		want := store.NormalizeIdentifier(store.IdentEmail, ident)
		for _, e := range a.Emails {
			if store.NormalizeIdentifier(store.IdentEmail, e.Value) == want {
				return e.Value
			}
		}
	}
	return a.PrimaryEmail()
}

// sendReset is a forgot-PIN call's background job: it finds the account,
// issues its reset token or OTP and sends the message. Nothing happens for
// an identifier without an active account or an address to send to.
// Failures are logged without the identifier, the address or a secret.
func (g *Gateway) sendReset(ctx context.Context, t *Tenant, kind store.IdentifierKind, ident string, fr forgotRequest, now time.Time) {
	log := g.log.With(zap.String("channel", fr.channel), zap.String("tenant", t.Name), zap.String("send_id", fr.sendID))
	a, found, err := g.accountByIdentifier(ctx, t.Name, kind, ident)
	if err != nil {
		log.Error(fr.what+" message not sent", zap.Error(err))
		return
	}
	to := ""
	if found && a.Active {
		to = destination(&a, kind, ident, fr.channel)
	}
	if to == "" {
		return
	}
	log = log.With(zap.String("uid", a.UID))
	start := time.Now()
	secret, err := g.issueResetSecret(ctx, fr, a.Ref(), now)
	if err != nil {
		log.Error(fr.what+" message not sent", zap.Error(err))
		return
	}
	d := notify.NewData(t.Name, lrprofile.StringField(&a, "FirstName"), fr.ttl, now.Add(fr.ttl))
	if d.Name == "" {
		d.Name = lrprofile.DisplayName(&a)
	}
	if fr.otp {
		d.OTP = secret
	} else {
		d.Token, d.Link = secret, notify.Link(fr.linkBase, fr.linkType, secret)
	}
	if fr.channel == channelSMS {
		err = g.notifier.SMS(ctx, to, fr.set, d)
	} else {
		d.Email = to
		err = g.notifier.Email(ctx, to, fr.set, d)
	}
	if err != nil {
		log.Error(fr.what+" message not sent", zap.Duration("duration", time.Since(start)), zap.Error(err))
		return
	}
	if ce := log.Check(zap.DebugLevel, fr.what+" message sent"); ce != nil {
		ce.Write(zap.Duration("duration", time.Since(start)))
	}
}

// errResetSecretTaken makes issueResetSecret draw another code: the
// account already has a (used or expired) OTP with the same hash.
var errResetSecretTaken = errors.New("pinauth: OTP already stored")

// maxSecretDraws bounds the codes drawn for one forgot-PIN call.
const maxSecretDraws = 5

// issueResetSecret draws a reset token or OTP for account ref and, in one
// transaction, voids the account's earlier secrets of the kind and stores
// the new one's hash; it expires fr.ttl after now.
func (g *Gateway) issueResetSecret(ctx context.Context, fr forgotRequest, ref store.AccountRef, now time.Time) (string, error) {
	kind := fr.tokenKind
	if fr.otp {
		kind = store.TokenOTP
	}
	var err error
	for range maxSecretDraws {
		value, hash := "", ""
		if fr.otp {
			value = newOTP()
			hash = g.otpHash(ref.Tenant, ref.UID, fr.otpChannel(), value)
		} else {
			value = secret.NewToken()
			hash = secret.TokenHash(value)
		}
		err = g.store.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.InvalidateTokens(ref, []store.TokenKind{kind}, "", now); err != nil {
				return err
			}
			if fr.otp {
				// Codes repeat; hashes may not. An old code of this
				// account that equals the new one: draw again.
				if _, found, err := tx.Token(kind, hash); err != nil {
					return err
				} else if found {
					return errResetSecretTaken
				}
			}
			return tx.InsertToken(store.Token{
				Hash: hash, Kind: kind, Tenant: ref.Tenant, UID: ref.UID, CreatedAt: now,
				ExpiresAt: now.Add(fr.ttl), Data: map[string]string{"channel": fr.channel},
			})
		})
		if !errors.Is(err, errResetSecretTaken) {
			return value, err
		}
	}
	return "", err
}

// quotaKey names a per-identifier sending quota in the store: a keyed
// hash, so the store holds no identifier in clear.
func (g *Gateway) quotaKey(channel, tenant, subject string) string {
	key := secret.MAC(g.peppers[0].Key, "pinauth send quota key", "")
	return "send:" + channel + ":" + hex.EncodeToString(secret.MAC(key, "quota", tenant+"\x00"+subject))
}
