package pinauth

import (
	"net"
	"net/http"
)

// Gateway is the authentication gateway: it serves the LoginRadius-style API
// under the API prefix and the JWKS, and gates every other request on a
// valid access token. Create one with New; it is safe for concurrent use.
type Gateway struct {
	cfg Config
}

// Identity is what the protected path learned about an authenticated
// request. The same values are set as identity headers.
type Identity struct {
	UID      string
	Tenant   string
	Email    string
	Username string
	Name     string
	// Roles is the comma-separated role list.
	Roles   string
	Session string
}

// New validates cfg, loads or creates the signing keys in the store and
// returns a ready Gateway.
func New(cfg Config) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Gateway{cfg: cfg}, nil
}

// Handle serves r. API and JWKS requests are answered completely, as are
// protected requests without a valid token (401 / redirect): then ok is
// false and the caller must not write anything more. For an authenticated
// protected request ok is true: client-sent identity headers have been
// removed and the real ones set on r, and the caller passes r on to the next
// handler. The returned Identity is shared and must not be modified.
func (g *Gateway) Handle(w http.ResponseWriter, r *http.Request) (id *Identity, ok bool) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
	return nil, false
}

// Close stops background work. It does not close the store.
func (g *Gateway) Close() error { return nil }

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
