package loginpage

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// The login page keeps three cookies, all HttpOnly, SameSite=Lax, Path=/
// and Secure unless the operator asked for plain-HTTP development:
//
//   - the session cookie (<name>): a sealed Session holding the
//     access token and the refresh token of the login session. It has no
//     Max-Age, so it ends with the browser session; the refresh token
//     renews the access token silently while it lasts.
//   - the PIN-device cookie (<name>-pin): a sealed pinDevice holding the
//     PIN session_token. It lives as long as that token (session_ttl), so
//     later visits only need the PIN.
//   - the CSRF cookie (<name>-csrf): a random nonce that form tokens are
//     bound to (see csrf.go).
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

// readCookie returns the value of the named cookie, or "".
func readCookie(r *http.Request, name string) string {
	return cookieValue(r.Header, name)
}

// cookieValue returns the value of the first cookie called name in the
// Cookie headers, or "". It scans the raw headers without allocating: it
// runs on every request of a browser.
func cookieValue(h http.Header, name string) string {
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " \t")
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				return strings.Trim(strings.TrimRight(part[len(name)+1:], " \t"), `"`)
			}
		}
	}
	return ""
}

// pageKeys are the keys the page derives from the peppers, current first:
// older peppers still open cookies and check CSRF tokens made before a
// rotation.
type pageKeys struct {
	aeads []cipher.AEAD
	csrf  [][]byte
}

func newPageKeys(peppers []secret.Pepper) pageKeys {
	var k pageKeys
	for _, p := range peppers {
		block, _ := aes.NewCipher(secret.MAC(p.Key, "login page cookie", "")[:32])
		gcm, _ := cipher.NewGCM(block)
		k.aeads = append(k.aeads, gcm)
		k.csrf = append(k.csrf, secret.MAC(p.Key, "login page csrf", ""))
	}
	return k
}

// seal encrypts fields for the cookie role purpose.
func (k *pageKeys) seal(purpose string, fields ...string) string {
	plain := packFields(fields)
	gcm := k.aeads[0]
	nonce := secret.Bytes(gcm.NonceSize())
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, []byte(purpose)))
}

// open decrypts a sealed cookie value into its n fields; false when it was
// not sealed by us for purpose (tampered, truncated, another role, unknown
// pepper) or does not hold n fields. It runs on every request of a
// browser, so it decrypts in place and makes one string of the plaintext.
func (k *pageKeys) open(purpose, value string, n int) ([]string, bool) {
	if value == "" || len(value) > 4096 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return nil, false
	}
	for _, gcm := range k.aeads {
		ns := gcm.NonceSize()
		if len(raw) < ns+gcm.Overhead() {
			return nil, false
		}
		// A failed Open may scribble on its destination: work on a copy
		// when another key is still to be tried.
		src := raw
		if len(k.aeads) > 1 {
			src = append([]byte(nil), raw...)
		}
		plain, err := gcm.Open(src[ns:ns], src[:ns], src[ns:], []byte(purpose))
		if err == nil {
			return unpackFields(string(plain), n)
		}
	}
	return nil, false
}

// packFields encodes strings as a uvarint length and the bytes, each.
func packFields(fields []string) []byte {
	size := 0
	for _, f := range fields {
		size += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, size)
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// unpackFields decodes exactly n fields packed by packFields; the fields
// share s's memory.
func unpackFields(s string, n int) ([]string, bool) {
	out := make([]string, 0, n)
	for len(s) > 0 {
		l, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		if w <= 0 || l > uint64(len(s)-w) {
			return nil, false
		}
		out = append(out, s[w:w+int(l)])
		s = s[w+int(l):]
	}
	return out, len(out) == n
}

// The sealed cookies' associated data: a value sealed for one role never
// opens as another.
const (
	purposeSession = "pinauth session v1"
	purposePIN     = "pinauth pin device v1"
)

// Session is the session cookie's content: a browser's login session.
type Session struct {
	// Tenant, UID and SID name the tenant, the account and the login
	// session.
	Tenant, UID, SID string
	// Access and Refresh are the session's tokens.
	Access, Refresh string
}

// pinDevice is the PIN-device cookie's content.
type pinDevice struct {
	Tenant string
	UID    string
	// Token is the PIN session_token.
	Token string
	// Display names the account on the PIN pad (its email or username).
	Display string
	// Length is the PIN's length once this device has seen it (set or
	// used here), so the pad can submit itself when complete; 0: unknown.
	Length int
	// Expires is when the session_token expires (Unix seconds).
	Expires int64
}

func (bs *Session) seal(k *pageKeys) string {
	return k.seal(purposeSession, bs.Tenant, bs.UID, bs.SID, bs.Access, bs.Refresh)
}

// openSession opens a session cookie value.
func openSession(k *pageKeys, value string) (*Session, bool) {
	f, ok := k.open(purposeSession, value, 5)
	if !ok {
		return nil, false
	}
	return &Session{Tenant: f[0], UID: f[1], SID: f[2], Access: f[3], Refresh: f[4]}, true
}

func (d *pinDevice) seal(k *pageKeys) string {
	return k.seal(purposePIN, d.Tenant, d.UID, d.Token, d.Display,
		strconv.Itoa(d.Length), strconv.FormatInt(d.Expires, 10))
}

// openPINDevice opens a PIN-device cookie value.
func openPINDevice(k *pageKeys, value string) (*pinDevice, bool) {
	f, ok := k.open(purposePIN, value, 6)
	if !ok {
		return nil, false
	}
	n, err1 := strconv.Atoi(f[4])
	exp, err2 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	return &pinDevice{Tenant: f[0], UID: f[1], Token: f[2], Display: f[3], Length: n, Expires: exp}, true
}

// Session returns the browser session of r's session cookie, or nil when
// it has none of this page's tenant.
func (p *Page) Session(r *http.Request) *Session {
	v := cookieValue(r.Header, p.cookie.session)
	if v == "" {
		return nil
	}
	bs, ok := openSession(&p.keys, v)
	if !ok || bs.Access == "" || bs.Tenant != p.tenant.Name {
		return nil
	}
	return bs
}

// pinCookie returns the request's PIN device, or nil.
func (p *Page) pinCookie(r *http.Request) *pinDevice {
	v := cookieValue(r.Header, p.cookie.pin)
	if v == "" {
		return nil
	}
	d, ok := openPINDevice(&p.keys, v)
	if !ok || d.Token == "" || d.Tenant != p.tenant.Name {
		return nil
	}
	return d
}

func (p *Page) setSession(w http.ResponseWriter, bs *Session) {
	p.cookie.set(w, p.cookie.session, bs.seal(&p.keys), 0)
}

func (p *Page) setPINDevice(w http.ResponseWriter, d *pinDevice, now time.Time) {
	ttl := time.Unix(d.Expires, 0).Sub(now)
	if ttl <= 0 {
		p.cookie.set(w, p.cookie.pin, "", -1)
		return
	}
	p.cookie.set(w, p.cookie.pin, d.seal(&p.keys), ttl)
}

func (p *Page) clearSession(w http.ResponseWriter) { p.cookie.set(w, p.cookie.session, "", -1) }

func (p *Page) clearPINDevice(w http.ResponseWriter) { p.cookie.set(w, p.cookie.pin, "", -1) }
