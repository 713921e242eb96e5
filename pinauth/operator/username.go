package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// postedBody is LoginRadius's PostResponse.
type postedBody struct {
	IsPosted bool `json:"IsPosted"`
}

// SetOwnUsername serves PUT /auth/username: the caller sets or changes its
// username ({"username": …}, 1 to 128 printable characters without
// spaces). The name must be no other name of the tenant, of any kind (1017
// when another account has it as a username, an email, a phone or a Uid).
// Core.UpdateAccount forgets the cached profile on every node and the save
// journals the change, so the identity headers (X-Auth-Username) carry the
// new name from the next request on. A username is no credential: sessions
// and tokens stay. Events: SetUsername and UpdateProfile.
func (api *API) SetOwnUsername(r Request) (any, error) {
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return nil, e
	}
	if in.Username == nil || *in.Username == "" {
		return nil, lrerr.Field("username", "The username is required.")
	}
	username := *in.Username
	err := api.core.UpdateAccount(r.HTTP.Context(), r.Account.Ref(), func(_ store.Tx, a *store.Account) error {
		a.Username = username
		return nil
	}, func(tx store.Tx, a *store.Account) error {
		if err := r.Act.Emit(tx, webhook.SetUsername, a); err != nil {
			return err
		}
		return r.Act.Emit(tx, webhook.UpdateProfile, a)
	})
	if err != nil {
		return nil, duplicateError(err)
	}
	return postedBody{IsPosted: true}, nil
}
