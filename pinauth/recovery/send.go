package recovery

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// sendCall is what enqueue needs of the API call that asks for a send.
type sendCall struct {
	Ctx      context.Context
	Tenant   string
	ClientIP string
	Now      time.Time
	// Limited logs a send refused by a limit as a failed credential
	// check (reason send_limited_ip or send_limited_identifier).
	Limited func(reason string)
}

// enqueue is the common end of the forgot calls, once the caller has
// validated r and passed the captcha gate: it counts the sending limits
// (per client IP in memory, per identifier in the store, the same work
// for every identifier) and queues the job that sends r to the account
// ident names, if there is one. The call thus takes the same time whether
// or not the account exists: the job, in the background and outside any
// store transaction of the call, finds the account, issues the token or
// code and sends the message; for an identifier with no active account
// (or no address to send to) it does nothing. It returns the send's id
// (the answer to an SMS send names it).
func (s *Secrets) enqueue(c sendCall, kind store.IdentifierKind, ident string, r message) (sendID string, err error) {
	subject := string(kind) + "\x00" + store.NormalizeIdentifier(kind, ident)
	return s.enqueueJob(c, subject, r, func(ctx context.Context, r message) {
		s.send(ctx, c.Tenant, kind, ident, r, c.Now)
	})
}

// enqueueJob counts the sending limits of r for the client and for the
// quota subject (the normalised identifier the message goes to) and
// queues job, which sends r (its sendID set) in the background. Over a
// limit it is r.limitErr, with a full queue 503.
func (s *Secrets) enqueueJob(c sendCall, subject string, r message, job func(context.Context, message)) (sendID string, err error) {
	ipLimit := ratelimit.Policy{Requests: r.limit.PerIP, Window: r.limit.Window}
	if ok, _ := s.opt.Limiter.Allow("send-"+r.channel+"|"+ratelimit.Key(c.ClientIP), ipLimit, c.Now); !ok {
		c.Limited("send_limited_ip")
		return "", lrerr.New(r.limitErr)
	}
	if !s.opt.Queue.Reserve() {
		e := lrerr.Unavailable(errors.New(r.what + " send queue full"))
		e.RetryAfter = 30 * time.Second
		return "", e
	}
	quota := s.quotaKey(r.channel, c.Tenant, subject)
	err = s.opt.Store.Update(c.Ctx, func(tx store.Tx) error {
		if ok, err := tx.ReserveQuota(quota, r.limit.PerIdentifier, r.limit.Window, c.Now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(r.limitErr)
		}
		return nil
	})
	if err != nil {
		s.opt.Queue.Release()
		e := lrerr.As(err)
		if e.Code == r.limitErr {
			c.Limited("send_limited_identifier")
		}
		return "", e
	}
	r.sendID = secret.Hex(16)
	s.opt.Queue.Push(notify.Job{Timeout: r.timeout, Run: func(ctx context.Context) { job(ctx, r) }})
	return r.sendID, nil
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

// destination is where an account's message goes: the stored form of the
// email it was found by (else its primary email), or its phone.
func destination(a *store.Account, kind store.IdentifierKind, ident, channel string) string {
	if channel == ChannelSMS {
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

// send is a forgot call's background job: it finds the account, issues
// its reset token or OTP and sends the message. Nothing happens for an
// identifier without an active account or an address to send to.
// Failures are logged without the identifier, the address or a secret.
func (s *Secrets) send(ctx context.Context, tenant string, kind store.IdentifierKind, ident string, r message, now time.Time) {
	log := s.opt.Log.With(zap.String("channel", r.channel), zap.String("tenant", tenant), zap.String("send_id", r.sendID))
	a, found, err := s.opt.FindAccount(ctx, tenant, kind, ident)
	if err != nil {
		log.Error(r.what+" message not sent", zap.Error(err))
		return
	}
	to := ""
	if found && a.Active {
		to = destination(&a, kind, ident, r.channel)
	}
	if to == "" {
		return
	}
	s.issueAndDeliver(ctx, log, &a, to, r, now)
}

// issueAndDeliver issues r's token or OTP for account a at now and sends
// r to address to, logging the outcome (without the address or the
// secret) on log.
func (s *Secrets) issueAndDeliver(ctx context.Context, log *zap.Logger, a *store.Account, to string, r message, now time.Time) {
	log = log.With(zap.String("uid", a.UID))
	start := time.Now()
	value, err := s.issue(ctx, r, a.Ref(), now)
	if err != nil {
		log.Error(r.what+" message not sent", zap.Error(err))
		return
	}
	if err := s.deliver(ctx, a, to, r, value, now); err != nil {
		log.Error(r.what+" message not sent", zap.Duration("duration", time.Since(start)), zap.Error(err))
		return
	}
	if ce := log.Check(zap.DebugLevel, r.what+" message sent"); ce != nil {
		ce.Write(zap.Duration("duration", time.Since(start)))
	}
}

// errSecretTaken makes issue draw another code: the account already has a
// (used or expired) OTP with the same hash.
var errSecretTaken = errors.New("pinauth: OTP already stored")

// maxSecretDraws bounds the codes drawn for one forgot call.
const maxSecretDraws = 5

// issue draws a reset token or OTP for account ref and, in one
// transaction, voids the account's earlier secrets of the kind and stores
// the new one's hash; it expires r.ttl after now. Only the newest counts.
func (s *Secrets) issue(ctx context.Context, r message, ref store.AccountRef, now time.Time) (string, error) {
	kind := r.tokenKind
	if r.otp {
		kind = store.TokenOTP
	}
	var err error
	for range maxSecretDraws {
		value, hash := "", ""
		if r.otp {
			value = newOTP()
			hash = s.OTPHash(ref.Tenant, ref.UID, r.otpChannel(), value)
		} else {
			value = secret.NewToken()
			hash = secret.TokenHash(value)
		}
		err = s.opt.Store.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.InvalidateTokens(ref, []store.TokenKind{kind}, "", now); err != nil {
				return err
			}
			if r.otp {
				// Codes repeat; hashes may not. An old code of this
				// account that equals the new one: draw again.
				if _, found, err := tx.Token(kind, hash); err != nil {
					return err
				} else if found {
					return errSecretTaken
				}
			}
			return tx.InsertToken(store.Token{
				Hash: hash, Kind: kind, Tenant: ref.Tenant, UID: ref.UID, CreatedAt: now,
				ExpiresAt: now.Add(r.ttl), Data: map[string]string{"channel": r.channel},
			})
		})
		if !errors.Is(err, errSecretTaken) {
			return value, err
		}
	}
	return "", err
}

// quotaKey names a per-identifier sending quota in the store: a keyed
// hash, so the store holds no identifier in clear.
func (s *Secrets) quotaKey(channel, tenant, subject string) string {
	key := secret.MAC(s.opt.Pepper, "pinauth send quota key", "")
	return "send:" + channel + ":" + hex.EncodeToString(secret.MAC(key, "quota", tenant+"\x00"+subject))
}

// deliver sends message r carrying value (a reset token or an OTP issued
// at now) to account a at address to.
func (s *Secrets) deliver(ctx context.Context, a *store.Account, to string, r message, value string, now time.Time) error {
	d := notify.NewData(a.Tenant, lrprofile.StringField(a, "FirstName"), r.ttl, now.Add(r.ttl))
	if d.Name == "" {
		d.Name = lrprofile.DisplayName(a)
	}
	if r.otp {
		d.OTP = value
	} else if r.linkBase != nil {
		d.Token, d.Link = value, notify.Link(r.linkBase, r.linkType, value)
	}
	if r.channel == ChannelSMS {
		return s.opt.Notifier.SMS(ctx, to, r.set, d)
	}
	d.Email = to
	return s.opt.Notifier.Email(ctx, to, r.set, d)
}
