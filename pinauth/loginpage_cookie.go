package pinauth

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The login page keeps three cookies, all HttpOnly, SameSite=Lax, Path=/
// and Secure unless the operator asked for plain-HTTP development:
//
//   - the session cookie (<name>): a sealed browserSession holding the
//     access token and the refresh token of the login session. It has no
//     Max-Age, so it ends with the browser session; the refresh token
//     renews the access token silently while it lasts.
//   - the PIN-device cookie (<name>-pin): a sealed pinDevice holding the
//     PIN session_token. It lives as long as that token (session_ttl), so
//     later visits only need the PIN.
//   - the CSRF cookie (<name>-csrf): a random nonce that form tokens are
//     bound to (see loginpage_csrf.go).
//
// Two credential cookies rather than one because their lifetimes differ:
// the device cookie outlives the browser session by design, while the
// session cookie must not. Both are sealed (AES-256-GCM under a key derived
// from the pepper, with the cookie's role as associated data) so that their
// fields cannot be altered or swapped between cookies, the tenant and uid
// they carry can be trusted without a lookup, and the raw tokens never
// appear in a cookie jar, a proxy log or a browser extension's view.
type cookieNames struct {
	session, pin, csrf string
	// bases are the unprefixed names, for stripping any variant.
	bases  [3]string
	domain string
	secure bool
}

func newCookieNames(c Cookie) cookieNames {
	prefix := ""
	switch {
	case c.Insecure:
	case c.Domain == "":
		// __Host- pins the cookie to this host, Path=/ and Secure: a
		// sibling subdomain cannot plant or overwrite it.
		prefix = "__Host-"
	default:
		prefix = "__Secure-"
	}
	n := cookieNames{domain: c.Domain, secure: !c.Insecure}
	n.bases = [3]string{c.Name, c.Name + "-pin", c.Name + "-csrf"}
	n.session, n.pin, n.csrf = prefix+n.bases[0], prefix+n.bases[1], prefix+n.bases[2]
	return n
}

// set writes a cookie. maxAge 0 makes a browser-session cookie; a negative
// maxAge deletes it.
func (n *cookieNames) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/", Domain: n.domain,
		Secure: n.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}
	switch {
	case maxAge < 0:
		c.Value, c.MaxAge = "", -1
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	w.Header().Add("Set-Cookie", c.String())
}

// isOurs reports whether a cookie name is one of the page's cookies, with
// or without a prefix.
func (n *cookieNames) isOurs(name string) bool {
	if rest, ok := strings.CutPrefix(name, "__Host-"); ok {
		name = rest
	} else if rest, ok := strings.CutPrefix(name, "__Secure-"); ok {
		name = rest
	}
	return name == n.bases[0] || name == n.bases[1] || name == n.bases[2]
}

// strip removes the page's cookies from a request's Cookie headers before
// it is proxied, leaving every other cookie byte for byte as it was. The
// upstream never sees the gateway's credentials.
func (n *cookieNames) strip(h http.Header) {
	lines := h["Cookie"]
	if len(lines) == 0 {
		return
	}
	mentioned := false
	for _, line := range lines {
		mentioned = mentioned || strings.Contains(line, n.bases[0])
	}
	if !mentioned {
		return
	}
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		parts := strings.Split(line, ";")
		kept := parts[:0]
		for _, part := range parts {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if !n.isOurs(strings.TrimSpace(name)) {
				kept = append(kept, part)
			}
		}
		if s := strings.TrimLeft(strings.Join(kept, ";"), " "); strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		h.Del("Cookie")
		return
	}
	h["Cookie"] = out
}

// read returns the value of the named cookie, or "".
func readCookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// pageKeys are the keys the page derives from the peppers, current first:
// older peppers still open cookies and check CSRF tokens made before a
// rotation.
type pageKeys struct {
	aeads []cipher.AEAD
	csrf  [][]byte
}

func newPageKeys(peppers []pepper) pageKeys {
	var k pageKeys
	for _, p := range peppers {
		block, _ := aes.NewCipher(mac(p.key, "login page cookie", "")[:32])
		gcm, _ := cipher.NewGCM(block)
		k.aeads = append(k.aeads, gcm)
		k.csrf = append(k.csrf, mac(p.key, "login page csrf", ""))
	}
	return k
}

// seal encrypts v as JSON for the cookie role purpose.
func (k *pageKeys) seal(purpose string, v any) string {
	plain, _ := json.Marshal(v)
	gcm := k.aeads[0]
	nonce := randomBytes(gcm.NonceSize())
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, []byte(purpose)))
}

// open decrypts a sealed cookie value into v; false when it was not sealed
// by us for purpose (tampered, truncated, another role, unknown pepper).
func (k *pageKeys) open(purpose, value string, v any) bool {
	if value == "" || len(value) > 4096 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return false
	}
	for _, gcm := range k.aeads {
		if len(raw) < gcm.NonceSize() {
			return false
		}
		plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(purpose))
		if err == nil {
			return json.Unmarshal(plain, v) == nil
		}
	}
	return false
}

// The sealed cookies' associated data: a value sealed for one role never
// opens as another.
const (
	purposeSession = "pinauth session v1"
	purposePIN     = "pinauth pin device v1"
)

// browserSession is the session cookie's content.
type browserSession struct {
	Tenant  string `json:"t"`
	UID     string `json:"u"`
	SID     string `json:"s"`
	Access  string `json:"a"`
	Refresh string `json:"r"`
}

// pinDevice is the PIN-device cookie's content.
type pinDevice struct {
	Tenant string `json:"t"`
	UID    string `json:"u"`
	// Token is the PIN session_token.
	Token string `json:"p"`
	// Display names the account on the PIN pad (its email or username).
	Display string `json:"d,omitempty"`
	// Length is the PIN's length once this device has seen it (set or
	// used here), so the pad can submit itself when complete; 0: unknown.
	Length int `json:"n,omitempty"`
	// Expires is when the session_token expires (Unix seconds).
	Expires int64 `json:"e"`
}

// sessionCookie returns the request's browser session, or nil.
func (p *loginPage) sessionCookie(r *http.Request) *browserSession {
	v := readCookie(r, p.cookie.session)
	if v == "" {
		return nil
	}
	var bs browserSession
	if !p.keys.open(purposeSession, v, &bs) || bs.Access == "" || bs.Tenant != p.tenant.Name {
		return nil
	}
	return &bs
}

// pinCookie returns the request's PIN device, or nil.
func (p *loginPage) pinCookie(r *http.Request) *pinDevice {
	v := readCookie(r, p.cookie.pin)
	if v == "" {
		return nil
	}
	var d pinDevice
	if !p.keys.open(purposePIN, v, &d) || d.Token == "" || d.Tenant != p.tenant.Name {
		return nil
	}
	return &d
}

func (p *loginPage) setSession(w http.ResponseWriter, bs *browserSession) {
	p.cookie.set(w, p.cookie.session, p.keys.seal(purposeSession, bs), 0)
}

func (p *loginPage) setPINDevice(w http.ResponseWriter, d *pinDevice, now time.Time) {
	ttl := time.Unix(d.Expires, 0).Sub(now)
	if ttl <= 0 {
		p.cookie.set(w, p.cookie.pin, "", -1)
		return
	}
	p.cookie.set(w, p.cookie.pin, p.keys.seal(purposePIN, d), ttl)
}

func (p *loginPage) clearSession(w http.ResponseWriter) { p.cookie.set(w, p.cookie.session, "", -1) }

func (p *loginPage) clearPINDevice(w http.ResponseWriter) { p.cookie.set(w, p.cookie.pin, "", -1) }
