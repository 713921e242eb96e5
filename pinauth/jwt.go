package pinauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	// SID is the login session the token belongs to; revoking the session
	// revokes the token.
	SID string `json:"sid"`
}

// issueAccessToken signs an access token for the account in session sid.
func (g *Gateway) issueAccessToken(tenant, uid, sid string, now time.Time) (token string, exp time.Time, err error) {
	exp = now.Add(g.cfg.AccessTTL)
	token, err = g.signAccessToken(g.newAccessClaims(tenant, uid, sid, secret.NewToken(), now, exp))
	return token, exp, err
}

// newAccessClaims are the claims of an access token with id jti.
func (g *Gateway) newAccessClaims(tenant, uid, sid, jti string, iat, exp time.Time) *accessClaims {
	return &accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    g.cfg.Issuer,
			Subject:   uid,
			Audience:  jwt.ClaimStrings{tenant},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        jti,
		},
		SID: sid,
	}
}

// signAccessToken signs claims with the current key, naming it in kid.
func (g *Gateway) signAccessToken(claims *accessClaims) (string, error) {
	ring := g.keys.Load()
	t := jwt.NewWithClaims(ring.current.method, claims)
	t.Header["kid"] = ring.current.id
	token, err := t.SignedString(ring.current.private)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return token, nil
}

// newJWTParser returns the parser every access token goes through: the
// algorithm is pinned to the configured one (so "none" and HS256-with-a-
// public-key confusion fail), exp is required, and iss and aud must match.
// Strict decoding refuses base64 whose unused bits are set, so that (with
// compactJWT) a token has exactly one spelling.
func (g *Gateway) newJWTParser() *jwt.Parser {
	audiences := make([]string, len(g.cfg.Tenants))
	for i, t := range g.cfg.Tenants {
		audiences[i] = t.Name
	}
	return jwt.NewParser(
		jwt.WithValidMethods([]string{g.cfg.SigningAlg}),
		jwt.WithIssuer(g.cfg.Issuer),
		jwt.WithAudience(audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(g.now),
		jwt.WithStrictDecoding(),
	)
}

// keyFor is the jwt.Keyfunc: the key named by the token's kid, and only if
// its algorithm is the token's.
func (g *Gateway) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k := g.keys.Load().byID[kid]
	if k == nil {
		return nil, errUnknownKid
	}
	if k.alg != t.Method.Alg() {
		return nil, errors.New("key algorithm mismatch")
	}
	return k.public, nil
}

var errUnknownKid = errors.New("unknown kid")

// parseAccessToken verifies an access token's signature and claims. It
// returns the claims, or an *Error with 906 for an expired token and 905
// for any other defect.
// A kid this gateway does not know may come from a rotation made by
// another process: the keys are reloaded (rate-limited) and the token
// parsed once more.
func (g *Gateway) parseAccessToken(ctx context.Context, raw string) (*accessClaims, *lrerr.Error) {
	if !compactJWT(raw) {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	var c accessClaims
	ring := g.keys.Load()
	_, err := g.parser.ParseWithClaims(raw, &c, g.keyFor)
	if errors.Is(err, errUnknownKid) && g.reloadKeysForKid(ctx, ring) {
		c = accessClaims{}
		_, err = g.parser.ParseWithClaims(raw, &c, g.keyFor)
	}
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, lrerr.New(lrerr.CodeAccessTokenExpired)
		}
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	if c.Subject == "" || c.SID == "" || len(c.Audience) != 1 {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	return &c, nil
}

// compactJWT reports whether s uses only the characters of a compact JWT:
// base64url and the dots. Go's base64 decoder skips line breaks, so
// without this check a token with one inserted in its signature would
// verify as a second spelling of the same token.
func compactJWT(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
