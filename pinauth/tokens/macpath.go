package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// The fast path of verify for a token in the gateway's own spelling with
// a gateway MAC (issue 22). golang-jwt decodes every header into a map
// and leaves the MAC check to re-encode the header to compare it with
// the one the gateway writes; a token the gateway issued has exactly one
// header per key and MAC, so here the decoded header is matched against
// that key's fixed head and tail around the MAC instead. Only a header
// that is byte for byte the gateway's own takes this path; any other goes
// through golang-jwt as before and meets the same checks it always did.

// strictB64 is the base64 of every token segment: unpadded base64url
// refusing set unused bits, as the parser's WithStrictDecoding.
var strictB64 = base64.RawURLEncoding.Strict()

// macHeaderShape is the decoded header of k's MAC-carrying tokens split
// around the MAC: head ends with `"pmac":"`, tail starts with its
// closing quote.
type macHeaderShape struct {
	head, tail []byte
}

// newMACHeaderShape is k's header shape, from the same encoding that
// headerSegment uses.
func newMACHeaderShape(k *signingKey) macHeaderShape {
	const mark = "\x01"
	b, _ := json.Marshal(jwsHeader{Alg: k.alg, Kid: k.id, PMAC: mark, Typ: "JWT"})
	// json.Marshal escapes the control character, so the MAC's place is
	// found by its escaped spelling: once, after kid.
	esc, _ := json.Marshal(mark)
	i := bytes.LastIndex(b, esc)
	return macHeaderShape{head: b[:i+1], tail: b[i+len(esc)-1:]}
}

// macOfHeader is the MAC a decoded header carries when the header is
// exactly the one the gateway writes for k with some MAC ("" otherwise).
// The MAC itself is checked by the caller.
func (s macHeaderShape) macOfHeader(h []byte) string {
	if len(h) != len(s.head)+macB64Len+len(s.tail) || !bytes.HasPrefix(h, s.head) || !bytes.HasSuffix(h, s.tail) {
		return ""
	}
	mac := h[len(s.head) : len(s.head)+macB64Len]
	for _, c := range mac {
		if !b64urlChar(c) {
			return ""
		}
	}
	return string(mac)
}

// macB64Len is the length of an HMAC-SHA256 in unpadded base64.
const macB64Len = 43

// b64urlChar reports whether c is a base64url character: a header with
// any other in its MAC's place is not the gateway's spelling (json.Marshal
// would escape some of them).
func b64urlChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// kidOfHeader is the kid of a decoded header that begins as the gateway
// writes headers for alg, or nil.
func kidOfHeader(h []byte, alg string) []byte {
	rest, ok := bytes.CutPrefix(h, []byte(`{"alg":"`+alg+`","kid":"`))
	if !ok {
		return nil
	}
	kid, _, _ := bytes.Cut(rest, []byte(`"`))
	return kid
}

// verifyGatewayMAC is verify for a token whose header is the gateway's
// own with a MAC of a key this node holds: handled is false for any other
// token, which verify then checks through golang-jwt. For a handled token
// the checks and their order are those of the generic path: claims
// decoded as golang-jwt decodes them (decodeClaims), the MAC in constant
// time, the signature's pin, then the claims' validation.
func (m *Manager) verifyGatewayMAC(raw string, c *Claims) (handled bool, err error) {
	hs, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return false, nil
	}
	ps, ss, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(ss, ".") {
		return false, nil
	}
	h, err := strictB64.DecodeString(hs)
	if err != nil {
		return false, nil
	}
	k := m.keys.Load().byID[string(kidOfHeader(h, m.opt.Alg))]
	if k == nil || k.mac == nil || k.alg != m.opt.Alg {
		return false, nil
	}
	mac := k.shape.macOfHeader(h)
	if mac == "" {
		return false, nil
	}
	cb, err := strictB64.DecodeString(ps)
	if err != nil {
		return true, err
	}
	if err := decodeClaims(cb, c); err != nil {
		return true, err
	}
	sig, err := strictB64.DecodeString(ss)
	if err != nil {
		return true, err
	}
	if err := k.checkMACParts(raw[:len(hs)+1+len(ps)], ps, mac, sig); err != nil {
		return true, err
	}
	return true, m.validator.Validate(c)
}
