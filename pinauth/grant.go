package pinauth

import (
	"context"
	"errors"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
	"go.uber.org/zap"
)

// grant is what a successful login hands out: a login session, an access
// token naming it, a refresh token of its family and, when the account has
// a PIN, a PIN session_token for later PIN logins on this device. Token
// values exist only here and in the response; the store gets hashes.
type grant struct {
	session    store.Session
	newSession bool
	access     string
	accessExp  time.Time
	// accessIat is set when access is a handle (token_format uuid), which
	// the store keeps as a hash, with the session, issue and expiry times
	// that the JWT minted for it will carry.
	accessIat  time.Time
	refresh    string
	refreshExp time.Time
	// refreshSealed is refresh sealed for the validate call (tokens.SealRefresh).
	refreshSealed string
	pinSession    string
	pinExp        time.Time
}

// newGrant prepares a grant for account a. With sid "" a new session starts;
// otherwise the grant continues that session (a PIN login continues the
// session of the password login that issued its session_token), which
// ends at sessionEnd (zero when unknown). Signing happens here, outside
// any transaction.
func (g *Gateway) newGrant(a *store.Account, sid string, sessionEnd time.Time, withPINSession bool, now time.Time) (*grant, error) {
	gr := &grant{refresh: secret.NewToken(), refreshExp: now.Add(g.cfg.RefreshTTL)}
	gr.refreshSealed = tokens.SealRefresh(g.peppers[0], gr.refresh, secret.TokenHash(gr.refresh))
	if sid == "" {
		gr.newSession = true
		gr.session = store.Session{ID: secret.NewToken(), Tenant: a.Tenant, UID: a.UID, CreatedAt: now, ExpiresAt: gr.refreshExp}
		sessionEnd = gr.refreshExp
	} else {
		gr.session = store.Session{ID: sid, Tenant: a.Tenant, UID: a.UID}
	}
	if withPINSession {
		gr.pinSession, gr.pinExp = secret.NewToken(), now.Add(g.cfg.SessionTTL)
	}
	if g.issuesHandles(a.Tenant) {
		gr.access, gr.accessIat, gr.accessExp = secret.NewToken(), now, now.Add(g.cfg.AccessTTL)
		return gr, nil
	}
	var err error
	gr.access, gr.accessExp, err = g.tokens.IssueWith(a.Tenant, a.UID, gr.session.ID, g.claimsOf(a, sessionEnd, now), g.profileTags, now)
	if err != nil {
		return nil, lrerr.Internal(err)
	}
	return gr, nil
}

// maxClaimedRoles bounds the role names a token carries: an account with
// more gets a token without its profile, served from the store, so that
// no token grows past a header's comfortable size.
const maxClaimedRoles = 512

// claimsOf is the profile an access token of a carries (issue 22), or nil
// when it must carry none: its session may end before the token does
// (the session's end is checked only in the store), or its roles are too
// long to carry.
func (g *Gateway) claimsOf(a *store.Account, sessionEnd, now time.Time) *tokens.Profile {
	if sessionEnd.Before(now.Add(g.cfg.AccessTTL)) || g.cfg.AccessTTL > store.ChangeRetention {
		return nil
	}
	n := 0
	for _, r := range a.Roles {
		n += len(r) + 3
	}
	if n > maxClaimedRoles {
		return nil
	}
	return &tokens.Profile{Email: a.PrimaryEmail(), Username: a.Username, Name: lrprofile.DisplayName(a), Roles: a.Roles}
}

// write stores the grant's session and token hashes in tx.
func (gr *grant) write(tx store.Tx, now time.Time) error {
	if gr.newSession {
		if err := tx.CreateSession(gr.session); err != nil {
			return err
		}
	}
	ref := store.AccountRef{Tenant: gr.session.Tenant, UID: gr.session.UID}
	if !gr.accessIat.IsZero() {
		if err := tx.InsertToken(store.Token{
			Hash: secret.TokenHash(gr.access), Kind: store.TokenAccess, Tenant: ref.Tenant, UID: ref.UID,
			SessionID: gr.session.ID, CreatedAt: gr.accessIat, ExpiresAt: gr.accessExp,
		}); err != nil {
			return err
		}
	}
	if err := tx.InsertToken(store.Token{
		Hash: secret.TokenHash(gr.refresh), Kind: store.TokenRefresh, Tenant: ref.Tenant, UID: ref.UID,
		SessionID: gr.session.ID, CreatedAt: now, ExpiresAt: gr.refreshExp,
		Data: map[string]string{tokens.SealedRefreshKey: gr.refreshSealed},
	}); err != nil {
		return err
	}
	if gr.pinSession != "" {
		return tx.InsertToken(store.Token{
			Hash: secret.TokenHash(gr.pinSession), Kind: store.TokenPINSession, Tenant: ref.Tenant, UID: ref.UID,
			SessionID: gr.session.ID, CreatedAt: now, ExpiresAt: gr.pinExp,
		})
	}
	return nil
}

// loginResponse is LoginRadius's login response.
type loginResponse struct {
	Profile          lrprofile.Profile `json:"Profile"`
	AccessToken      string            `json:"access_token"`
	RefreshToken     string            `json:"refresh_token"`
	ExpiresIn        any               `json:"expires_in"`
	SessionToken     string            `json:"session_token,omitempty"`
	SessionExpiresIn any               `json:"session_expires_in,omitempty"`
}

func (gr *grant) response(a *store.Account, now time.Time) loginResponse {
	resp := loginResponse{
		Profile:      lrprofile.View(a, store.Attempts{}, now),
		AccessToken:  gr.access,
		RefreshToken: gr.refresh,
		ExpiresIn:    lrprofile.Time(gr.accessExp),
	}
	if gr.pinSession != "" {
		resp.SessionToken, resp.SessionExpiresIn = gr.pinSession, lrprofile.Time(gr.pinExp)
	}
	return resp
}

// loginTx describes the writes of a successful login besides the grant.
type loginTx struct {
	// before runs first in the transaction (consume a one-time token);
	// its error rolls everything back.
	before func(tx store.Tx) error
	// mutate changes the account (set a PIN, upgrade a hash).
	mutate func(a *store.Account)
	// hooks are the events recorded (Login is always added).
	hooks []string
}

// maxSaveRetries bounds retries of a transaction whose account save lost an
// optimistic-concurrency race.
const maxSaveRetries = 5

// completeLogin commits a successful login of account a in one transaction:
// lt.before, the account's login statistics and lt.mutate, the grant, the
// cleared failure count and the events. It returns the login response.
func (g *Gateway) completeLogin(ctx context.Context, c *call, a *store.Account, gr *grant, lt loginTx) (loginResponse, error) {
	var saved store.Account
	err := g.updateAccount(ctx, a.Ref(), lt.before, func(tx store.Tx, acc *store.Account) error {
		acc.NoOfLogins++
		acc.LastLoginAt = c.now
		acc.LastLoginLocation = c.clientIP
		if lt.mutate != nil {
			lt.mutate(acc)
		}
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		saved = *acc
		if err := gr.write(tx, c.now); err != nil {
			return err
		}
		if err := tx.ClearAttempts(acc.Ref()); err != nil {
			return err
		}
		for _, h := range append(lt.hooks, webhook.Login) {
			if err := g.emit(tx, c, h, acc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return loginResponse{}, err
	}
	return gr.response(&saved, c.now), nil
}

// updateAccount runs one transaction that re-reads the account, applies
// change, saves it and then runs after with the saved account. before, when
// set, runs first. A lost optimistic-concurrency race retries the whole
// transaction; a missing account yields 938. The account's cached profile is
// invalidated after the commit.
func (g *Gateway) updateAccount(ctx context.Context, ref store.AccountRef, before func(tx store.Tx) error,
	change func(tx store.Tx, a *store.Account) error, after func(tx store.Tx, a *store.Account) error) error {
	var err error
	for range maxSaveRetries {
		err = g.store.Update(ctx, func(tx store.Tx) error {
			if before != nil {
				if err := before(tx); err != nil {
					return err
				}
			}
			a, found, err := tx.Account(ref.Tenant, ref.UID)
			if err != nil {
				return err
			}
			if !found {
				return lrerr.New(lrerr.CodeUserNotFound)
			}
			if err := change(tx, &a); err != nil {
				return err
			}
			a.ModifiedAt = g.now()
			if found, err = tx.SaveAccount(a); err != nil {
				return err
			} else if !found {
				return lrerr.New(lrerr.CodeUserNotFound)
			}
			a.Version++
			if after != nil {
				return after(tx, &a)
			}
			return nil
		})
		if !errors.Is(err, store.ErrVersionConflict) {
			break
		}
	}
	g.cache.InvalidateAccount(ref.Tenant, ref.UID)
	return err
}

// issuesHandles reports whether the named tenant hands out access-token
// handles instead of JWTs.
func (g *Gateway) issuesHandles(tenant string) bool {
	t, err := g.tenantByName(tenant)
	return err == nil && t.TokenFormat == config.TokenFormatUUID
}

// revokeSession ends a login session of account uid of tenant: the
// session is revoked in the store (which deletes its refresh and PIN
// session tokens) and its access tokens stop working in this process at
// once. The login page's logout calls it.
func (g *Gateway) revokeSession(ctx context.Context, tenant, uid, sid string) error {
	now := g.now()
	err := g.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.RevokeSession(sid, now)
		return err
	})
	if err != nil {
		return err
	}
	g.cache.RevokeSessions([]string{sid}, now, g.cfg.AccessTTL)
	g.log.Debug("browser session logged out", zap.String("tenant", tenant), zap.String("uid", uid))
	return nil
}
