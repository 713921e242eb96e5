package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// availabilityBody is LoginRadius's ExistResponse.
type availabilityBody struct {
	IsExist bool `json:"IsExist"`
}

// availabilityOf serves GET /auth/email (email query parameter) and GET
// /auth/username: whether an account of the tenant already has that name,
// by any kind (names are unique across kinds, so a username equal to
// another account's email is "taken" too: setting it would fail). The
// routes are public with the API key, as LoginRadius documents them, so
// they tell anyone whether an address has an account: each call counts
// against the per-client rate limit the forgot flows use (SECURITY.md).
// An email that is no address exists nowhere (IsExist false). A store
// that cannot answer fails the call (503), never answers false.
func availabilityOf(kind store.IdentifierKind) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		value := c.q.Get(string(kind))
		if value == "" {
			return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The "+string(kind)+" is a required parameter.")
		}
		if err := g.limitClient(c); err != nil {
			return nil, err
		}
		if kind == store.IdentEmail {
			canonical, ok := lrprofile.CanonicalEmail(value)
			if !ok {
				return availabilityBody{}, nil
			}
			value = canonical
		}
		_, taken, err := g.store.NameOwner(c.r.Context(), c.tenant.Name, store.NameOf(value))
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		return availabilityBody{IsExist: taken}, nil
	}
}
