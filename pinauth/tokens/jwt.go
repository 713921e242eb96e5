package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	// SID is the login session the token belongs to; revoking the session
	// revokes the token.
	SID string `json:"sid"`
	// Profile is what the gateway forwards of the account as identity
	// headers, as it was when the token was issued; nil when the token
	// does not carry it (a handle's JWT, a token outliving its session).
	// Gateways serve it without reading the store while they know it has
	// not changed since (issue 22).
	Profile *Profile `json:"idn,omitempty"`
}

// Profile is the identity an access token carries besides its sub, aud
// and sid: the inputs of the identity headers, kept short.
type Profile struct {
	Email    string   `json:"em,omitempty"`
	Username string   `json:"un,omitempty"`
	Name     string   `json:"nm,omitempty"`
	Roles    []string `json:"ro,omitempty"`
	// Tag binds the rest to the token (ProfileTags).
	Tag string `json:"tg"`
}

// The errors of Parse; the core answers them as LoginRadius 906 and 905.
var (
	// ErrExpired is a well-formed, correctly signed token past its exp.
	ErrExpired = errors.New("access token expired")
	// ErrInvalid is any other defect.
	ErrInvalid = errors.New("access token invalid")
)

// Issue signs an access token for account uid of tenant in session sid,
// valid for Options.AccessTTL from now, carrying no profile.
func (m *Manager) Issue(tenant, uid, sid string, now time.Time) (token string, exp time.Time, err error) {
	return m.IssueWith(tenant, uid, sid, nil, nil, now)
}

// IssueWith is Issue with the token carrying profile p (nil for none),
// tagged by tags.
func (m *Manager) IssueWith(tenant, uid, sid string, p *Profile, tags *ProfileTags, now time.Time) (token string, exp time.Time, err error) {
	exp = now.Add(m.opt.AccessTTL)
	c := m.NewClaims(tenant, uid, sid, secret.NewToken(), now, exp)
	if p != nil {
		tags.Tag(tenant, uid, sid, c.ExpiresAt.Unix(), p)
		c.Profile = p
	}
	token, err = m.Sign(c)
	return token, exp, err
}

// NewClaims are the claims of an access token with id jti.
func (m *Manager) NewClaims(tenant, uid, sid, jti string, iat, exp time.Time) *Claims {
	return &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.opt.Issuer,
			Subject:   uid,
			Audience:  jwt.ClaimStrings{tenant},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        jti,
		},
		SID: sid,
	}
}

// Sign signs claims with the current key, naming it in kid and carrying
// the gateway MAC (see gatewaymac.go).
func (m *Manager) Sign(claims jwt.Claims) (string, error) {
	token, err := m.keys.Load().current.sign(claims)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return token, nil
}

// parserOptions are the checks every access token goes through: the
// algorithm is pinned to the configured one (so "none" and HS256-with-a-
// public-key confusion fail), exp is required, and iss and aud must match.
// Strict decoding refuses base64 whose unused bits are set, so that (with
// compactJWT) a token has exactly one spelling.
func (m *Manager) parserOptions() []jwt.ParserOption {
	return []jwt.ParserOption{
		jwt.WithValidMethods([]string{m.opt.Alg}),
		jwt.WithIssuer(m.opt.Issuer),
		jwt.WithAudience(m.opt.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(m.now),
		jwt.WithStrictDecoding(),
	}
}

// keyFor is the key named by the token's kid, and only if its algorithm
// is the token's.
func (m *Manager) keyFor(t *jwt.Token) (*signingKey, error) {
	kid, _ := t.Header["kid"].(string)
	k := m.keys.Load().byID[kid]
	if k == nil {
		return nil, errUnknownKid
	}
	if k.alg != t.Method.Alg() {
		return nil, errors.New("key algorithm mismatch")
	}
	return k, nil
}

var (
	errUnknownKid = errors.New("unknown kid")
	errAlg        = errors.New("signing method not allowed")
)

// verify checks raw as golang-jwt's ParseWithClaims does with the
// parserOptions (decoding, pinned alg, key by kid, then claims), except
// that a token carrying the gateway MAC of a key whose private part this
// node holds is authenticated by the MAC instead of the signature, and
// refused when that MAC is wrong (no fallback: a wrong MAC is tampering).
func (m *Manager) verify(raw string, c *Claims) error {
	if handled, err := m.verifyGatewayMAC(raw, c); handled {
		return err
	}
	t, parts, err := m.parser.ParseUnverified(raw, c)
	if err != nil {
		return err
	}
	if t.Method.Alg() != m.opt.Alg {
		return errAlg
	}
	k, err := m.keyFor(t)
	if err != nil {
		return err
	}
	if mac, ok := t.Header[macHeader]; ok && k.mac != nil {
		err = k.checkMAC(parts, mac, t.Signature)
	} else {
		err = t.Method.Verify(parts[0]+"."+parts[1], t.Signature, k.public)
	}
	if err != nil {
		return err
	}
	return m.validator.Validate(c)
}

// Parse verifies an access token's signature (or gateway MAC) and claims.
// It returns the claims, or ErrExpired for an expired token and ErrInvalid
// for any other defect. A kid this manager does not know may come from a
// rotation made by another process: the keys are reloaded (rate-limited)
// and the token parsed once more.
func (m *Manager) Parse(ctx context.Context, raw string) (*Claims, error) {
	if !compactJWT(raw) {
		return nil, ErrInvalid
	}
	var c Claims
	ring := m.keys.Load()
	err := m.verify(raw, &c)
	if errors.Is(err, errUnknownKid) && m.reloadForKid(ctx, ring) {
		c = Claims{}
		err = m.verify(raw, &c)
	}
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, ErrExpired
		}
		return nil, ErrInvalid
	}
	if c.Subject == "" || c.SID == "" || len(c.Audience) != 1 {
		return nil, ErrInvalid
	}
	return &c, nil
}

// compactJWT reports whether s uses only the characters of a compact JWT:
// base64url and the dots. Go's base64 decoder skips line breaks, so
// without this check a token with one inserted in its signature would
// verify as a second spelling of the same token.
func compactJWT(s string) bool {
	for i := 0; i < len(s); i++ {
		if !jwtChar[s[i]] {
			return false
		}
	}
	return true
}

// jwtChar marks the bytes compactJWT allows: one table lookup a byte
// instead of a chain of comparisons, over tokens of about 650 bytes.
var jwtChar = func() (t [256]bool) {
	for c := range 256 {
		t[c] = b64urlChar(byte(c)) || c == '.'
	}
	return t
}()
