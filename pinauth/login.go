package pinauth

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// passwordLoginBody is the body of POST /auth/login. Keys match without
// case (email, Email, EMAIL).
type passwordLoginBody struct {
	Email    string
	UserName string
	Phone    string
	Password string
}

// pinAuthTokenTTL is the lifetime of a PinAuthToken (spec: decided).
const pinAuthTokenTTL = 10 * time.Minute

// passwordLogin serves POST /auth/login: the first factor. On success it
// returns the login response (with a PIN session_token when the account has
// a PIN). An account that must set a PIN first gets 1243 with a single-use
// PINAuthToken instead of tokens.
func (g *Gateway) passwordLogin(c *call) (res any, err error) {
	defer g.observeLogin(c, observe.LoginPassword, &res, &err)
	var b passwordLoginBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	id := store.FirstIdentifier(b.Email, b.UserName, b.Phone)
	kind, ident := id.Kind, id.Value
	var fields []lrerr.FieldError
	if ident == "" {
		fields = append(fields, lrerr.FieldError{FieldName: "Email", ErrorMessage: "An Email, UserName or Phone is required."})
	}
	if b.Password == "" {
		fields = append(fields, lrerr.FieldError{FieldName: "Password", ErrorMessage: "The Password is required."})
	}
	if fields != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	ctx := c.r.Context()
	a, found, err := g.accountByIdentifier(ctx, c.tenant.Name, kind, ident)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		// Unknown accounts cost one hash too, so timing does not reveal
		// which identifiers exist, and they are rate-limited and locked
		// alike.
		_, err := g.checkCredential(ctx, c, credentialCheck{
			unknown: ident, secret: b.Password, failure: lrerr.CodeBadCredentials, reason: "unknown_account",
		})
		return nil, err
	}
	rehash, err := g.checkCredential(ctx, c, credentialCheck{
		account: &a, encoded: a.PasswordHash, secret: b.Password, failure: lrerr.CodeBadCredentials, reason: "password",
	})
	if err != nil {
		return nil, err
	}
	if !a.Active {
		return nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	if err := unverifiedRefusal(c.tenant, &a); err != nil {
		return nil, err
	}
	var mutate func(*store.Account)
	if rehash {
		if mutate, err = g.rehashPassword(c, b.Password); err != nil {
			return nil, err
		}
	}
	if c.tenant.MFA == config.MFASecurityQuestion {
		return g.requireSecondFactor(c, &a, mutate)
	}
	return g.finishPasswordLogin(c, &a, mutate, nil)
}

// finishPasswordLogin ends a password login whose factors all succeeded:
// an account that must set a PIN gets 1243 with a PINAuthToken, any other
// gets the login response. before runs first in the committing transaction
// (it consumes the second-factor token of an MFA login).
func (g *Gateway) finishPasswordLogin(c *call, a *store.Account, mutate func(*store.Account), before func(store.Tx) error) (any, error) {
	if a.PINHash == "" && !c.tenant.PINOptional {
		return nil, g.requirePIN(c, a, mutate, before)
	}
	gr, err := g.newGrant(a, "", time.Time{}, a.PINHash != "", c.now)
	if err != nil {
		return nil, err
	}
	return g.completeLogin(c.r.Context(), c, a, gr, loginTx{before: before, mutate: mutate})
}

// rehashPassword returns a mutation storing password under the current
// pepper and parameters.
func (g *Gateway) rehashPassword(c *call, password string) (func(*store.Account), error) {
	h, err := g.hasher.Hash(c.r.Context(), c.hashClient(), password)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	return func(a *store.Account) { a.PasswordHash = h }, nil
}

// requirePIN issues a PinAuthToken for an account that must set a PIN and
// returns the 1243 error carrying it. The password check succeeded, so the
// failure count is cleared.
func (g *Gateway) requirePIN(c *call, a *store.Account, mutate func(*store.Account), before func(store.Tx) error) error {
	token := secret.NewToken()
	err := g.store.Update(c.r.Context(), func(tx store.Tx) error {
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		if err := tx.ClearAttempts(a.Ref()); err != nil {
			return err
		}
		return tx.InsertToken(store.Token{
			Hash: secret.TokenHash(token), Kind: store.TokenPINAuth, Tenant: a.Tenant, UID: a.UID,
			CreatedAt: c.now, ExpiresAt: c.now.Add(pinAuthTokenTTL),
		})
	})
	if err != nil {
		return lrerr.As(err)
	}
	if mutate != nil {
		// A hash upgrade is not worth failing the request over; it is
		// retried at the next login.
		_ = g.updateAccount(c.r.Context(), a.Ref(), nil, func(_ store.Tx, acc *store.Account) error {
			mutate(acc)
			return nil
		}, nil)
	}
	return &lrerr.Error{Code: lrerr.CodePINRequired, Data: map[string]any{"PINAuthToken": token}}
}
