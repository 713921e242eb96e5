package tokens

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var b64 = base64.RawURLEncoding

// issue is an access token of node n with claims valid for the access
// TTL.
func issue(t *testing.T, n *node) string {
	t.Helper()
	tok, _, err := n.m.Issue("demo", "uid-1", "sid-1", n.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// headerOf decodes a token's header.
func headerOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	raw, err := b64.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// signedBy is header.payload signed (validly) by key k: what only a holder
// of the private key can make, so a refusal is the MAC's doing.
func signedBy(t *testing.T, k *signingKey, header, payload string) string {
	t.Helper()
	sig, err := k.method.Sign(header+"."+payload, k.private)
	if err != nil {
		t.Fatal(err)
	}
	return header + "." + payload + "." + b64.EncodeToString(sig)
}

func encodeHeader(h map[string]any) string {
	raw, _ := json.Marshal(h)
	return b64.EncodeToString(raw)
}

// macWith is the MAC key mac gives kid and payload segment ps.
func macWith(mac []byte, kid, ps string) string {
	h := hmac.New(sha256.New, mac)
	h.Write([]byte(kid + "." + ps))
	return b64.EncodeToString(h.Sum(nil))
}

func TestGatewayTokensCarryAMACThatAppsIgnore(t *testing.T) {
	t.Parallel()
	n := newNode(t, sharedStore(t))
	tok := issue(t, n)
	h := headerOf(t, tok)
	if _, ok := h["crit"]; ok || h["alg"] != AlgEdDSA || h["typ"] != "JWT" || h["kid"] != n.m.Current().ID {
		t.Fatalf("header %v", h)
	}
	if mac, _ := h[macHeader].(string); len(mac) != 43 {
		t.Fatalf("the header carries no 32-byte MAC: %v", h)
	}
	// An app verifies with the JWKS alone, as the app guide shows, and
	// golang-jwt ignores the parameter it does not know.
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(n.m.JWKS(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", n.m.JWKS(), err)
	}
	if _, leaked := set.Keys[0]["d"]; leaked || len(set.Keys[0]) != 6 {
		t.Fatalf("the JWKS publishes more than the public key: %v", set.Keys[0])
	}
	x, _ := b64.DecodeString(set.Keys[0]["x"])
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != set.Keys[0]["kid"] {
			return nil, errors.New("kid")
		}
		return ed25519.PublicKey(x), nil
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer("https://gw.test"), jwt.WithAudience("demo"),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(n.clock.Now), jwt.WithStrictDecoding())
	if err != nil || c.Subject != "uid-1" {
		t.Fatalf("an app cannot verify the token with the JWKS: %v %+v", err, c)
	}
}

func TestAGatewayTokenIsVerifiedByItsMACWithoutASignatureCheck(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	a, b := newNode(t, st), newNode(t, st)
	tok := issue(t, a)
	// Node b holds the same private key: give its ring a wrong public
	// key, so only the MAC path can accept the token.
	ring := b.m.keys.Load()
	k := *ring.current
	other, _, _ := ed25519.GenerateKey(nil)
	k.public = other
	ring.byID[k.id] = &k
	c, err := b.m.Parse(t.Context(), tok)
	if err != nil || c.Subject != "uid-1" || c.SID != "sid-1" {
		t.Fatalf("another node holding the key refused the gateway's token: %v", err)
	}
	// The same token without its MAC needs the signature, which that
	// public key does not verify.
	parts := strings.Split(tok, ".")
	h := headerOf(t, tok)
	delete(h, macHeader)
	plain := signedBy(t, &k, encodeHeader(h), parts[1])
	if _, err := b.m.Parse(t.Context(), plain); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a token without MAC skipped the signature check: %v", err)
	}
	if _, err := a.m.Parse(t.Context(), plain); err != nil {
		t.Fatalf("a token without MAC (issued before) no longer verifies by its signature: %v", err)
	}
}

func TestTamperedGatewayMACsAreRefusedWithoutFallingBackToTheSignature(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n := newNode(t, st)
	old := n.m.keys.Load().current
	oldTok := issue(t, n)
	if _, _, err := n.m.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	cur := n.m.keys.Load().current
	tok := issue(t, n)
	parts := strings.Split(tok, ".")
	h := headerOf(t, tok)
	// A payload for another account, validly signed by the key: only
	// its MAC can tell it was not issued.
	var claims map[string]any
	raw, _ := b64.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &claims)
	claims["sub"] = "uid-2"
	forged, _ := json.Marshal(claims)
	otherPayload := b64.EncodeToString(forged)
	with := func(mac any) string {
		hh := map[string]any{}
		for k, v := range h {
			hh[k] = v
		}
		hh[macHeader] = mac
		return encodeHeader(hh)
	}
	for name, bad := range map[string]string{
		"a forged MAC":               signedBy(t, cur, with(b64.EncodeToString(make([]byte, 32))), parts[1]),
		"a MAC of the wrong length":  signedBy(t, cur, with(h[macHeader].(string)[:40]), parts[1]),
		"a MAC that is no string":    signedBy(t, cur, with(42), parts[1]),
		"a MAC in padded base64":     signedBy(t, cur, with(h[macHeader].(string)+"="), parts[1]),
		"the MAC of another kid":     signedBy(t, cur, with(macWith(old.mac, cur.id, parts[1])), parts[1]),
		"the MAC over another kid":   signedBy(t, cur, with(macWith(cur.mac, old.id, parts[1])), parts[1]),
		"a payload under an old MAC": signedBy(t, cur, parts[0], otherPayload),
		"the old key's token's MAC": signedBy(t, cur, with(headerOf(t, oldTok)[macHeader]),
			strings.Split(oldTok, ".")[1]),
	} {
		if _, err := n.m.Parse(t.Context(), bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want ErrInvalid, got %v", name, err)
		}
		if err := n.m.verify(bad, &Claims{}); !errors.Is(err, errBadMAC) {
			t.Errorf("%s: refused for another reason than its MAC: %v", name, err)
		}
	}
	for name, good := range map[string]string{"the genuine token": tok, "the retired key's token": oldTok} {
		if _, err := n.m.Parse(t.Context(), good); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestAGatewayTokenWithAValidMACVerifiesInItsOneSpellingOnly(t *testing.T) {
	t.Parallel()
	n := newNode(t, sharedStore(t))
	k := n.m.keys.Load().current
	tok := issue(t, n)
	other := issue(t, n)
	parts := strings.Split(tok, ".")
	sig, _ := b64.DecodeString(parts[2])
	flip := func(i int) string {
		s := append([]byte(nil), sig...)
		s[i] ^= 1
		return parts[0] + "." + parts[1] + "." + b64.EncodeToString(s)
	}
	h := headerOf(t, tok)
	spaced, _ := json.MarshalIndent(h, "", " ")
	h["x"] = "y"
	// The signature is not covered by the MAC, so a token's holder can
	// change it and keep the MAC valid: decided, refused (docs/cold-path.md).
	mac := headerOf(t, tok)[macHeader].(string)
	for name, bad := range map[string]struct {
		tok string
		why error
	}{
		"a bit of R flipped":                 {flip(3), errChangedSpelling},
		"a bit of S flipped":                 {flip(40), errChangedSpelling},
		"another token's signature":          {parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2], errChangedSpelling},
		"a zero signature":                   {parts[0] + "." + parts[1] + "." + b64.EncodeToString(make([]byte, 64)), errChangedSpelling},
		"a short signature":                  {parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig[:63]), errChangedSpelling},
		"no signature":                       {parts[0] + "." + parts[1] + ".", errChangedSpelling},
		"the header respelt, validly signed": {signedBy(t, k, b64.EncodeToString(spaced), parts[1]), errChangedSpelling},
		"a header parameter added, signed":   {signedBy(t, k, encodeHeader(h), parts[1]), errChangedSpelling},
		"the algorithm changed to HS256": {b64.EncodeToString([]byte(`{"alg":"HS256","kid":"`+k.id+`","pmac":"`+mac+`","typ":"JWT"}`)) +
			"." + parts[1] + "." + parts[2], errAlg},
		"the algorithm changed to none": {b64.EncodeToString([]byte(`{"alg":"none","kid":"`+k.id+`","pmac":"`+mac+`","typ":"JWT"}`)) +
			"." + parts[1] + ".", errAlg},
		"an unknown kid with a recomputed MAC": {b64.EncodeToString([]byte(`{"alg":"EdDSA","kid":"nope","pmac":"`+macWith(k.mac, "nope", parts[1])+`","typ":"JWT"}`)) +
			"." + parts[1] + "." + parts[2], errUnknownKid},
	} {
		if _, err := n.m.Parse(t.Context(), bad.tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want ErrInvalid, got %v", name, err)
		}
		if err := n.m.verify(bad.tok, &Claims{}); !errors.Is(err, bad.why) {
			t.Errorf("%s: want %v, got %v", name, bad.why, err)
		}
	}
	if err := n.m.verify(tok, &Claims{}); err != nil {
		t.Fatalf("the genuine token: %v", err)
	}
}

func TestAGatewayTokenOfARotatedOutKeyIsRefused(t *testing.T) {
	t.Parallel()
	n := newNode(t, sharedStore(t))
	// A token that outlives its key's retention, so only the key's
	// departure can refuse it.
	now := n.clock.Now()
	tok, err := n.m.Sign(n.m.NewClaims("demo", "uid-1", "sid-1", "jti-1", now, now.Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.m.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.m.Parse(t.Context(), tok); err != nil {
		t.Fatalf("a retired key's token is refused within the retention: %v", err)
	}
	n.clock.Advance(n.m.Retention() + time.Second)
	n.m.Maintain(t.Context())
	n.m.lastKidReload = time.Now() // the reload an unknown kid causes changes nothing
	if _, err := n.m.Parse(t.Context(), tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a rotated-out key's MAC still verifies: %v", err)
	}
}

func TestOnlyEd25519KeysGetAGatewayMAC(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{AlgES256, AlgRS256, AlgHS256} {
		n := newNode(t, sharedStore(t), func(o *Options) { o.Alg = alg })
		tok := issue(t, n)
		if _, ok := headerOf(t, tok)[macHeader]; ok {
			t.Errorf("%s: the token carries a MAC", alg)
		}
		if _, err := n.m.Parse(t.Context(), tok); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		parts := strings.Split(tok, ".")
		if _, err := n.m.Parse(t.Context(), parts[0]+"."+parts[1]+"."+strings.Repeat("A", len(parts[2]))); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: a broken signature: %v", alg, err)
		}
	}
}

func TestAnOperatorKeySignsAsTheGatewayDoes(t *testing.T) {
	t.Parallel()
	_, priv, _ := ed25519.GenerateKey(nil)
	pem := pemOf(t, priv)
	ok1, err := ParseOperatorKey(AlgEdDSA, pem)
	if err != nil {
		t.Fatal(err)
	}
	ok2, _ := ParseOperatorKey(AlgEdDSA, pem)
	n := newNode(t, sharedStore(t), func(o *Options) { o.OperatorKey = ok2 })
	now := n.clock.Now()
	tok, err := ok1.Sign(n.m.NewClaims("demo", "uid-1", "sid-1", "jti-1", now, now.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	gw, _, _ := n.m.Issue("demo", "uid-1", "sid-1", now)
	if headerOf(t, tok)[macHeader] == nil || strings.Split(tok, ".")[0] == strings.Split(gw, ".")[0] ||
		len(strings.Split(tok, ".")[0]) != len(strings.Split(gw, ".")[0]) || ok1.ID() != n.m.Current().ID {
		t.Fatalf("the operator key's token is not spelt as the gateway's: %s vs %s", tok, gw)
	}
	if _, err := n.m.Parse(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
}

// pemOf is a private key as a signing_key value.
func pemOf(t *testing.T, priv ed25519.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
