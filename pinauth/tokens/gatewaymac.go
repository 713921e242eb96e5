package tokens

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/golang-jwt/jwt/v5"
)

// The gateway MAC (issue 22). Besides its signature, an access token the
// gateway signs with an Ed25519 key carries the private JOSE header
// parameter "pmac": HMAC-SHA256 over kid "." payload-segment, keyed with a
// key derived by HKDF from that signing key's private key. Every gateway
// node holds the private keys, so every node can check the MAC, for about
// a hundredth of an EdDSA verification; apps get only public keys (JWKS),
// cannot derive it, and ignore the parameter ("crit" is never set), so
// they verify the signature as before. The MAC is never an "alg" and never
// comes from a JWKS: the algorithm stays pinned and the key named by kid
// must be one whose private part this node holds.
//
// The MAC cannot cover the signature (the signature covers the MAC), so a
// token's holder could change its signature segment and keep a valid MAC.
// The gateway refuses that, as it always has (one spelling per token),
// with sigPin: only Ed25519, whose signatures are deterministic, allows
// that check without a public-key operation, so ES256 and RS256 tokens
// carry no MAC and keep the signature check (RS256's is cheap anyway).
const (
	// macHeader is the header parameter that carries the MAC.
	macHeader = "pmac"
	// macInfo is the HKDF info of the MAC key; a new derivation gets a new
	// version (and a new header name, so old nodes ignore it).
	macInfo = "pinauth gateway token mac v1"
)

// errBadMAC is a token whose MAC is present but is not the gateway's:
// tampering, refused without falling back to the signature.
var errBadMAC = errors.New("gateway MAC mismatch")

// errChangedSpelling is a token with the gateway's MAC whose header or
// signature segment is not the one the gateway wrote.
var errChangedSpelling = errors.New("token respelt")

// deriveMACKey derives a signing key's MAC key from its private key
// material (PKCS#8 DER, as stored sealed or configured as signing_key).
func deriveMACKey(material []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, material, nil, macInfo, sha256.Size)
}

// macSum is the MAC of a token naming k in kid with payload segment ps.
func (k *signingKey) macSum(ps string) []byte {
	h := k.macState.start()
	io.WriteString(h, ps)
	return h.Sum(nil)
}

// macOf is macSum base64url-encoded, as the header carries it.
func (k *signingKey) macOf(ps string) string {
	return base64.RawURLEncoding.EncodeToString(k.macSum(ps))
}

// jwsHeader is the header the gateway writes, its fields in the order
// json.Marshal gives a map (golang-jwt's own header encoding).
type jwsHeader struct {
	Alg  string `json:"alg"`
	Kid  string `json:"kid"`
	PMAC string `json:"pmac,omitempty"`
	Typ  string `json:"typ"`
}

// headerSegment is the encoded header of a token signed by k carrying mac
// ("" for none): the gateway's one spelling of it.
func (k *signingKey) headerSegment(mac string) string {
	b, _ := json.Marshal(jwsHeader{Alg: k.alg, Kid: k.id, PMAC: mac, Typ: "JWT"})
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign returns claims as a compact JWS signed by k, naming k in kid and,
// when k has a MAC key, carrying the gateway MAC.
func (k *signingKey) sign(claims jwt.Claims) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	ps := base64.RawURLEncoding.EncodeToString(payload)
	mac := ""
	if k.mac != nil {
		mac = k.macOf(ps)
	}
	signing := k.headerSegment(mac) + "." + ps
	sig, err := k.method.Sign(signing, k.private)
	if err != nil {
		return "", err
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// checkMAC verifies the MAC v a token naming k carries, over its exact
// kid and payload segment, in constant time; then that the header is the
// one the gateway writes and the signature the one k makes (sigPin), so
// a token verifies in its one spelling only, as through the signature.
func (k *signingKey) checkMAC(parts []string, v any, sig []byte) error {
	s, _ := v.(string)
	if err := k.checkMACOnly(parts[1], s); err != nil {
		return err
	}
	if parts[0] != k.headerSegment(s) || !k.pin.matches(parts[0]+"."+parts[1], sig) {
		return errChangedSpelling
	}
	return nil
}

// checkMACParts is checkMAC for a token whose signing input (header
// segment "." payload segment ps) has a header already known to be the
// one the gateway writes with MAC s (verifyGatewayMAC).
func (k *signingKey) checkMACParts(signing, ps, s string, sig []byte) error {
	if err := k.checkMACOnly(ps, s); err != nil {
		return err
	}
	if !k.pin.matches(signing, sig) {
		return errChangedSpelling
	}
	return nil
}

// checkMACOnly checks in constant time that s, base64url, is the MAC of
// payload segment ps under k.
func (k *signingKey) checkMACOnly(ps, s string) error {
	got, err := strictB64.DecodeString(s)
	if err != nil || len(got) != sha256.Size {
		return errBadMAC
	}
	if !hmac.Equal(got, k.macSum(ps)) {
		return errBadMAC
	}
	return nil
}

// withMAC gives an Ed25519 key its MAC key, derived from its private key
// material, and its signature pin.
func (k *signingKey) withMAC(material []byte, pin *sigPin) error {
	mac, err := deriveMACKey(material)
	if err != nil || pin == nil {
		return fmt.Errorf("derive MAC key: %v", err)
	}
	k.mac, k.pin = mac, pin
	k.shape = newMACHeaderShape(k)
	k.macState = newPresetMAC(mac, k.id+".")
	return nil
}
