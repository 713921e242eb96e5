package pinauth

import (
	"encoding/hex"
	"errors"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// resetKit is what the forgot-PIN calls need besides the core: every
// tenant's message templates and the background send queue.
type resetKit struct {
	templates map[string]messageTemplates // by tenant name
	queue     *sendQueue
}

func newResetKit(cfg *Config, log *zap.Logger) (*resetKit, error) {
	tpl, err := loadMessageTemplates(cfg)
	if err != nil {
		return nil, err
	}
	return &resetKit{templates: tpl, queue: newSendQueue(cfg, log)}, nil
}

func (k *resetKit) close() { k.queue.close() }

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

// forgotRequest is what a forgot-PIN call will send, once validated.
type forgotRequest struct {
	channel  string
	otp      bool
	set      *messageSet
	linkBase *url.URL // link emails only
	limit    SendLimit
	limitErr Code
	ttl      time.Duration
}

// forgotPIN answers IsPosted whether or not the account exists, and does
// the same work either way so that neither the answer nor its timing
// tells (design: no enumeration): it takes the sending limits, draws a
// token or code and its hash, runs the same store transaction (for an
// unknown account it stores nothing) and queues a delivery, which for an
// unknown account is a stand-in the worker drops. The message is rendered
// and sent in the background, outside any transaction. Earlier tokens or
// codes of the account stop working: only the newest counts.
func (g *Gateway) forgotPIN(c *call, kind store.IdentifierKind) (any, error) {
	var b forgotBody
	if e := decodeJSON(c.r, &b, false); e != nil {
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
	// Per client IP, in memory (per node), before anything is looked up.
	ipLimit := RateLimitPolicy{Requests: fr.limit.PerIP, Window: fr.limit.Window}
	if ok, _ := g.limiter.allow("send-"+fr.channel+"|"+rateKey(c.clientIP), ipLimit, c.now); !ok {
		g.logFailure(c, "send_limited_ip", "")
		return nil, errCode(fr.limitErr)
	}
	ctx := c.r.Context()
	a, found, err := g.store.AccountBy(ctx, c.tenant.Name, kind, ident)
	if err != nil {
		return nil, errUnavailable(err)
	}
	to := ""
	if found && a.Active {
		to = destination(&a, kind, ident, fr.channel)
	}
	// The account that gets the token: a stand-in when there is nobody to
	// send to, so the transaction below does the same statements.
	ref := store.AccountRef{Tenant: c.tenant.Name, UID: "-"}
	quotaSubject := "identifier\x00" + string(kind) + "\x00" + store.NormalizeIdentifier(kind, ident)
	if found {
		quotaSubject = "uid\x00" + a.UID
	}
	if to != "" {
		ref = a.Ref()
	}
	if !g.reset.queue.reserve() {
		e := errUnavailable(errors.New("pin reset send queue full"))
		e.RetryAfter = 30 * time.Second
		return nil, e
	}
	secret, err := g.issueResetSecret(c, fr, ref, to != "", g.quotaKey(fr.channel, c.tenant.Name, quotaSubject))
	if err != nil {
		g.reset.queue.release()
		if e := asError(err); e.Code == fr.limitErr {
			g.logFailure(c, "send_limited_account", "")
		}
		return nil, asError(err)
	}
	d := delivery{channel: fr.channel, to: to, tenant: c.tenant.Name, uid: ref.UID, set: fr.set,
		data: newMessageData(c.tenant.Name, "", fr.ttl, c.now.Add(fr.ttl))}
	if to != "" {
		d.data.Name = profileString(&a, "FirstName")
		if d.data.Name == "" {
			d.data.Name = displayName(&a)
		}
		if fr.channel == channelEmail {
			d.data.Email = to
		}
		if fr.otp {
			d.data.OTP = secret
		} else {
			d.data.Token, d.data.Link = secret, resetLink(fr.linkBase, secret)
		}
	}
	g.reset.queue.push(d)
	return isPosted, nil
}

// forgotRequest validates what the call asks to be sent. None of its
// answers depends on the account.
func (g *Gateway) forgotRequest(c *call, kind store.IdentifierKind) (forgotRequest, error) {
	tpl := g.reset.templates[c.tenant.Name]
	if kind == store.IdentPhone {
		if g.cfg.SMS == nil {
			return forgotRequest{}, errDesc(CodePINNotConfigured, "PIN reset by SMS is not configured for this site.")
		}
		// isvoiceotp is accepted (SDKs send it); there is no voice
		// channel, so the code goes by SMS either way.
		_ = c.q.bool("isvoiceotp")
		fr := forgotRequest{channel: channelSMS, otp: true, limit: g.cfg.SMS.Limit, limitErr: CodeSMSLimit, ttl: g.cfg.OTPTTL}
		name := c.q.get("smstemplate")
		if name == "" {
			name = setResetOTP
		}
		if fr.set = tpl.smsSet(name); fr.set == nil {
			return fr, errDesc(CodeParameterFormat, "The smstemplate is not an SMS template of this site.")
		}
		return fr, nil
	}
	if g.cfg.Email == nil {
		return forgotRequest{}, errDesc(CodePINNotConfigured, "PIN reset by email is not configured for this site.")
	}
	fr := forgotRequest{channel: channelEmail, otp: c.tenant.PINResetEmail == PINResetByOTP,
		limit: g.cfg.Email.Limit, limitErr: CodeEmailLimit, ttl: g.cfg.ResetTokenTTL}
	name := c.q.get("emailtemplate")
	if fr.otp {
		fr.ttl = g.cfg.OTPTTL
		if name == "" {
			name = setResetOTP
		}
	} else if name == "" {
		name = setResetLink
	}
	if fr.set = tpl.email(name); fr.set == nil {
		return fr, errDesc(CodeParameterFormat, "The emailtemplate is not an email template of this site.")
	}
	raw := c.q.get("resetpinurl")
	if raw == "" && !fr.otp {
		raw = c.tenant.ResetPINURL
		if raw == "" {
			return fr, errDesc(CodeResetPINURLInvalid, "The resetpinurl is required: this site has no default reset PIN URL.")
		}
	}
	if raw != "" {
		base, err := c.tenant.resetLinkBase(raw)
		if err != nil {
			return fr, errCode(CodeResetPINURLInvalid)
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

// errResetSecretTaken makes issueResetSecret draw another code: the
// account already has a (used or expired) OTP with the same hash.
var errResetSecretTaken = errors.New("pinauth: OTP already stored")

// maxSecretDraws bounds the codes drawn for one forgot-PIN call.
const maxSecretDraws = 5

// issueResetSecret draws a reset token or OTP and, in one transaction,
// counts the per-account sending limit (quotaKey), voids the account's
// earlier secrets of the kind and stores the new one's hash. With keep
// false (nobody to send to) the transaction does the same statements
// against a stand-in account and stores nothing.
func (g *Gateway) issueResetSecret(c *call, fr forgotRequest, ref store.AccountRef, keep bool, quotaKey string) (string, error) {
	kind := store.TokenPINReset
	if fr.otp {
		kind = store.TokenOTP
	}
	var err error
	for range maxSecretDraws {
		secret, hash := "", ""
		if fr.otp {
			secret = newOTP()
			hash = g.otpHash(ref.Tenant, ref.UID, fr.channel, secret)
		} else {
			secret = newOpaqueToken()
			hash = tokenHash(secret)
		}
		err = g.store.Update(c.r.Context(), func(tx store.Tx) error {
			if ok, err := tx.ReserveQuota(quotaKey, fr.limit.PerAccount, fr.limit.Window, c.now); err != nil {
				return err
			} else if !ok {
				return errCode(fr.limitErr)
			}
			if _, err := tx.InvalidateTokens(ref, []store.TokenKind{kind}, "", c.now); err != nil {
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
			if !keep {
				return nil
			}
			return tx.InsertToken(store.Token{
				Hash: hash, Kind: kind, Tenant: ref.Tenant, UID: ref.UID, CreatedAt: c.now,
				ExpiresAt: c.now.Add(fr.ttl), Data: map[string]string{"channel": fr.channel},
			})
		})
		if !errors.Is(err, errResetSecretTaken) {
			return secret, err
		}
	}
	return "", err
}

// quotaKey names a per-account sending quota in the store: a keyed hash,
// so the store holds no identifier of an unknown account in clear.
func (g *Gateway) quotaKey(channel, tenant, subject string) string {
	key := mac(g.peppers[0].key, "pinauth send quota key", "")
	return "send:" + channel + ":" + hex.EncodeToString(mac(key, "quota", tenant+"\x00"+subject))
}
