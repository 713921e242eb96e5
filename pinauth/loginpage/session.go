package loginpage

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// startSession sets the cookies of a successful login: the browser
// session, and the PIN device when the response carries a PIN
// session_token. pinLength is the PIN's length when the page saw it (0:
// unknown); old is the device cookie the login used, if any.
func (p *Page) startSession(w http.ResponseWriter, r *http.Request, lr *Tokens, pinLength int, old *pinDevice) *lrerr.Error {
	now := p.now()
	bs, e := p.core.SessionOf(r.Context(), lr.Access)
	if e != nil {
		return lrerr.Internal(e)
	}
	bs.Access, bs.Refresh = lr.Access, lr.Refresh
	p.setSession(w, &bs)
	// A new session, a new nonce: no token made before the login, for
	// a nonce someone else may have chosen, outlives it.
	p.rotateNonce(w)
	switch {
	case lr.SessionToken != "":
		d := &pinDevice{Tenant: bs.Tenant, UID: bs.UID, Token: lr.SessionToken, Length: pinLength,
			Expires: now.Add(p.ttl).Unix()}
		if acct, found, err := p.core.Account(r.Context(), bs.Tenant, bs.UID); err == nil && found {
			d.Display = acct.display()
		}
		p.setPINDevice(w, d, now)
	case old != nil && pinLength > 0 && old.Length != pinLength:
		// A PIN login on this device: remember the length so the pad can
		// submit itself next time.
		d := *old
		d.Length = pinLength
		p.setPINDevice(w, &d, now)
	}
	return nil
}

// Renew is called when the session cookie's access token failed with e.
// An expired token is renewed with the refresh token: the new cookie is
// set on w and the new access token returned, for the caller to verify.
// Any other failure, or a failed refresh, clears the session cookie and
// returns the error.
func (p *Page) Renew(ctx context.Context, w http.ResponseWriter, bs *Session, e *lrerr.Error) (access string, _ *lrerr.Error) {
	if e.Code != lrerr.CodeAccessTokenExpired {
		if e.Code != lrerr.CodeUnavailable {
			p.clearSession(w)
		}
		return "", e
	}
	next, re := p.refresh(ctx, bs)
	if re != nil {
		if re.Code != lrerr.CodeUnavailable {
			p.clearSession(w)
			return "", e
		}
		return "", re
	}
	p.setSession(w, next)
	return next.Access, nil
}

// refresh trades the session's refresh token for new tokens. Requests that
// arrive together with the same expired cookie (a page loading its assets)
// share one rotation, and for RefreshGrace afterwards a request still
// carrying the old cookie gets the same new session instead of tripping
// over the spent token.
func (p *Page) refresh(ctx context.Context, bs *Session) (*Session, *lrerr.Error) {
	return p.flight.do(secret.TokenHash(bs.Refresh), p.now(), func() (*Session, *lrerr.Error) {
		next, e := p.core.Refresh(ctx, bs.Tenant, bs.Refresh)
		if e != nil {
			return nil, e
		}
		return &Session{Tenant: bs.Tenant, UID: bs.UID, SID: bs.SID, Access: next.Access, Refresh: next.Refresh}, nil
	})
}

// RefreshGrace is how long the result of a refresh is handed to requests
// that still carry the spent refresh token.
const RefreshGrace = 30 * time.Second

// refreshFlights deduplicates concurrent refreshes of one token.
type refreshFlights struct {
	mu        sync.Mutex
	m         map[string]*refreshFlight
	lastSweep time.Time
}

type refreshFlight struct {
	done chan struct{}
	at   time.Time
	bs   *Session
	err  *lrerr.Error
}

func (f *refreshFlights) do(key string, now time.Time, fn func() (*Session, *lrerr.Error)) (*Session, *lrerr.Error) {
	f.mu.Lock()
	if now.Sub(f.lastSweep) > time.Second {
		f.lastSweep = now
		for k, fl := range f.m {
			if now.Sub(fl.at) > RefreshGrace {
				delete(f.m, k)
			}
		}
	}
	if fl, ok := f.m[key]; ok && now.Sub(fl.at) <= RefreshGrace {
		f.mu.Unlock()
		<-fl.done
		return fl.bs, fl.err
	}
	fl := &refreshFlight{done: make(chan struct{}), at: now}
	f.m[key] = fl
	f.mu.Unlock()

	fl.bs, fl.err = fn()
	if fl.err != nil {
		// Failures are not remembered: a later request may retry (a store
		// outage ends), and a refused token stays refused anyway.
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
	}
	close(fl.done)
	return fl.bs, fl.err
}
