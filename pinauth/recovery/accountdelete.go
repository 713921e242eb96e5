package recovery

import (
	"context"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The account deletion confirmed by email (issue 20): DELETE /auth/account
// mails a link carrying a single-use token to the account's primary
// email, and GET /auth/account/delete with that token deletes the account.
// The token is a random UUID stored as its SHA-256, like a reset token,
// of its own kind (a reset token deletes nothing, nor the other way
// round), bound to its tenant and account, valid DeleteTokenTTL; a new
// request voids the earlier ones, and it dies with its account.
//
// The link points to the app's page (deleteurl, else the tenant's
// delete_account_url, on an allowed origin), never to the API itself: a
// link that deletes on a GET would be followed by the mail scanners that
// open every link of a message. The page shows what the link does and
// calls GET /auth/account/delete when the user confirms.

// Descriptions of the account deletion's refusals.
const (
	// DescDeleteURLMissing: no deleteurl and no tenant default (908).
	DescDeleteURLMissing = "The deleteurl is required: this site has no default delete account URL."
	// DescDeleteURLInvalid: the deleteurl is not on an allowed origin (908).
	DescDeleteURLInvalid = "The deleteurl is not an allowed origin of this site."
	// DescDeleteByEmailOff: the gateway sends no email (1144).
	DescDeleteByEmailOff = "Account deletion by email confirmation is not configured for this site: it sends no email."
	// DescNoEmailToConfirm: the account has no email to confirm by (1023).
	DescNoEmailToConfirm = "The account has no email address to send the confirmation to."
	// DescDeleteTokenMissing: the call names no deletetoken (908).
	DescDeleteTokenMissing = "The deletetoken is a required parameter."
)

// deleteTokenWords describe a delete token's refusals (1119).
var deleteTokenWords = tokenWords{
	invalid: "The delete token is invalid.",
	used:    "The delete token is no longer valid: it was used, or a newer one was sent.",
	expired: "The delete token has expired; ask for a new email.",
}

// deleteAccepted is the answer of DELETE /auth/account.
var deleteAccepted = map[string]bool{"IsDeleteRequestAccepted": true}

// RequestAccountDeletion serves DELETE /auth/account (access token): it
// queues the email with the deletion link to the caller's primary email
// and answers IsDeleteRequestAccepted. The query's deleteurl (else the
// tenant's delete_account_url) is the link's page, on an allowed origin
// (908 otherwise or when there is neither); emailtemplate picks the
// template set (default account_delete_link). The send counts against the
// email sending limits of the client and of the address, as a forgot
// call's does (1122 over them). Without email settings it is 1144; an
// account without an email, 1023. Nothing is deleted yet.
func (api *API) RequestAccountDeletion(r Request) (any, error) {
	s := api.secrets
	if s.opt.Email == nil {
		return nil, lrerr.WithDescription(lrerr.CodeResourceDisabled, DescDeleteByEmailOff)
	}
	t := r.Act.Settings()
	raw := r.Query.Get("deleteurl")
	if raw == "" {
		raw = t.DeleteAccountURL
	}
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, DescDeleteURLMissing)
	}
	base, err := notify.LinkBase(t.AllowedOrigins, raw)
	if err != nil {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, DescDeleteURLInvalid)
	}
	a := *r.Account
	to := a.PrimaryEmail()
	if to == "" {
		return nil, lrerr.WithDescription(lrerr.CodeEmailNotFound, DescNoEmailToConfirm)
	}
	m := message{what: "account deletion", channel: ChannelEmail, linkBase: base, linkType: notify.LinkTypeDelete,
		tokenKind: store.TokenAccountDelete, limit: s.opt.Email.Limit, limitErr: lrerr.CodeEmailLimit,
		ttl: s.opt.DeleteTokenTTL, timeout: s.opt.Email.Timeout}
	m.set = s.opt.Notifier.EmailSet(t.Name, r.Query.Get("emailtemplate"), notify.SetAccountDeleteLink)
	c := sendCall{Ctx: r.HTTP.Context(), Tenant: r.Act.Tenant(), ClientIP: r.Act.ClientIP(), Now: r.Act.Now(), Limited: r.Act.LogFailure}
	subject := string(store.IdentEmail) + "\x00" + store.NormalizeIdentifier(store.IdentEmail, to)
	_, err = s.enqueueJob(c, subject, m, func(ctx context.Context, m message) {
		log := s.opt.Log.With(zap.String("channel", m.channel), zap.String("tenant", a.Tenant), zap.String("send_id", m.sendID))
		s.issueAndDeliver(ctx, log, &a, to, m, c.Now)
	})
	if err != nil {
		return nil, err
	}
	return deleteAccepted, nil
}

// DeleteAccountByToken serves GET /auth/account/delete?deletetoken=…: it
// deletes the account the token was mailed for, with everything attached,
// and answers IsPosted. The token is taken in the deletion's transaction,
// so of concurrent calls with one token exactly one deletes. A token that
// is unknown, of another tenant, used, replaced or expired is 1119 (the
// Description tells which; a wrong guess costs the client's rate limit,
// no lockout: the token has 122 random bits); a missing one 908. An
// account blocked meanwhile (inactive, or a block lock) is 991: only an
// operator decides about it then.
func (api *API) DeleteAccountByToken(r Request) (any, error) {
	token := r.Query.Get("deletetoken")
	if token == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, DescDeleteTokenMissing)
	}
	if err := r.Act.LimitClient(); err != nil {
		return nil, err
	}
	ctx, now := r.HTTP.Context(), r.Act.Now()
	a, hash, err := api.secrets.emailedToken(ctx, r.Act.Tenant(), store.TokenAccountDelete, token, now, lrerr.CodeDeleteTokenInvalid, deleteTokenWords)
	if err != nil {
		return nil, err
	}
	if blocked, err := api.core.BlockLocked(ctx, a.Ref(), now); err != nil {
		return nil, lrerr.Unavailable(err)
	} else if blocked {
		return nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	err = r.Act.DeleteAccount(ctx, a.UID, func(tx store.Tx, acc *store.Account) error {
		if _, ok, err := tx.ConsumeToken(store.TokenAccountDelete, hash, now); err != nil {
			return err
		} else if !ok {
			return lrerr.WithDescription(lrerr.CodeDeleteTokenInvalid, deleteTokenWords.used)
		}
		if !acc.Active {
			return lrerr.New(lrerr.CodeAccountBlocked)
		}
		return nil
	})
	if err != nil {
		if e := lrerr.As(err); e.Code == lrerr.CodeUserNotFound {
			// Deleted meanwhile, by another confirmation or an operator.
			return nil, lrerr.WithDescription(lrerr.CodeDeleteTokenInvalid, deleteTokenWords.invalid)
		}
		return nil, lrerr.As(err)
	}
	api.secrets.opt.Log.Info("account deleted", zap.String("client_ip", r.Act.ClientIP()), zap.String("tenant", a.Tenant),
		zap.String("uid", a.UID), zap.String("method", "delete_token"))
	return isPosted, nil
}
