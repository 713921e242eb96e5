package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Email verification by the management API (issue 20), on the one
// verification mechanism of sign-up: recovery.Secrets' IssueVerification
// and SendVerification, verified by GET|PUT /auth/email.

// verificationTokenBody is POST /manage/account/verify/token's body.
type verificationTokenBody struct {
	Email string `json:"email"`
}

// verificationTokenAnswer is POST /manage/account/verify/token's answer.
type verificationTokenAnswer struct {
	VerificationToken string `json:"VerificationToken"`
	// ExpiresIn is when the token stops working.
	ExpiresIn any `json:"expires_in"`
}

// verificationToken serves POST /manage/account/verify/token: a
// verification link's token for an address awaiting verification, as the
// verification email would carry it (it voids the account's earlier
// verification secrets), with its expiry (expires_in). 1134 without an email; 938 when no account has
// the address; 1025 when it is verified already.
func (g *Gateway) verificationToken(c *call) (any, error) {
	var b verificationTokenBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.Email == "" {
		return nil, lrerr.Field("email", "The email is required.")
	}
	ctx := c.r.Context()
	uid, taken, err := g.store.NameOwner(ctx, c.tenant.Name, store.NameOf(b.Email))
	if err != nil {
		return nil, err
	}
	if !taken || uid == "" {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	a, found, err := g.store.Account(ctx, c.tenant.Name, uid)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	if !a.AddressPending(b.Email) {
		if a.AddressVerified(b.Email) {
			return nil, lrerr.New(lrerr.CodeEmailAlreadyVerified)
		}
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	tok, err := g.recovery.IssueVerification(ctx, false, a.Ref(), b.Email, recovery.DefaultVerificationTokenTTL, c.now)
	if err != nil {
		return nil, err
	}
	return verificationTokenAnswer{VerificationToken: tok, ExpiresIn: lrprofile.Time(c.now.Add(recovery.DefaultVerificationTokenTTL))}, nil
}

// invalidateEmail serves PUT /manage/account/{uid}/invalidateemail: the
// account's email is no longer verified (EmailVerified false: every
// address of its Emails awaits verification again, and a tenant that
// requires verified emails refuses its next login with 970). With a
// verificationurl or emailtemplate query the verification email goes to
// its primary address; the request is checked (908, 1144) before
// anything is written. {IsPosted: true}; 938 for an unknown uid, 1023
// for an account without an email. The change records UpdateProfile.
func (g *Gateway) invalidateEmail(c *call) (any, error) {
	// The call documents no body; one is read within the size limit
	// (413) and ignored.
	if _, e := apireq.ReadBody(c.r); e != nil {
		return nil, e
	}
	settings := recoverySettings(c.tenant)
	send := c.q.Get("verificationurl") != "" || c.q.Get("emailtemplate") != ""
	if send {
		if err := g.recovery.CheckVerification(settings, c.q); err != nil {
			return nil, err
		}
	}
	ref := store.AccountRef{Tenant: c.tenant.Name, UID: c.uid}
	var saved store.Account
	err := g.updateAccount(c.r.Context(), ref, nil, func(_ store.Tx, a *store.Account) error {
		if len(a.Emails) == 0 {
			return lrerr.New(lrerr.CodeEmailNotFound)
		}
		a.EmailVerified = false
		return nil
	}, func(tx store.Tx, a *store.Account) error {
		saved = *a
		return g.emit(tx, c, webhook.UpdateProfile, a)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	if send {
		// The email stays unverified whatever the send's fate (a
		// sending limit): PUT /auth/register sends the email again.
		if err := g.recovery.SendVerification(c.r.Context(), settings, c.q, ref, saved.PrimaryEmail(), c.clientIP, c.now); err != nil {
			g.logFailure(c, "verification_not_sent", ref.UID)
		}
	}
	return map[string]bool{"IsPosted": true}, nil
}
