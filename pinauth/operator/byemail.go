package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// recordsDeleted is the answer of DELETE /manage/account?email=….
type recordsDeleted struct {
	IsDeleted      bool `json:"IsDeleted"`
	RecordsDeleted int  `json:"RecordsDeleted"`
}

// identities is the answer of GET /manage/account/identities.
type identities struct {
	Data []lrprofile.Profile `json:"Data"`
}

// DeleteAccountByEmail serves DELETE /manage/account?email=… ("Account
// Delete by Email", issue 20). LoginRadius deletes every account having
// the email; names are unique in a tenant, so here that is the one
// account whose email it is, deleted as DELETE /manage/account/{uid}
// deletes it: in one transaction its sessions are revoked (journalled, so
// every node's cached access tokens stop), its tokens, identifiers and
// counters go and DeleteAccount is recorded. The answer is {IsDeleted:
// true, RecordsDeleted: 1}; 908 without an email, 938 when no account has
// it (also when the account found loses the email before the deletion
// commits: the transaction checks it again).
func (api *API) DeleteAccountByEmail(r Request) (any, error) {
	a, email, err := api.accountByEmail(r)
	if err != nil {
		return nil, err
	}
	err = DeleteAccountIf(r.HTTP.Context(), api.core, r.Act, a.UID, func(_ store.Tx, now *store.Account) error {
		if emailIndex(now.Emails, email) < 0 {
			return lrerr.New(lrerr.CodeUserNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recordsDeleted{IsDeleted: true, RecordsDeleted: 1}, nil
}

// AccountIdentitiesByEmail serves GET /manage/account/identities?email=…
// ("Account Identities by Email", issue 20): {Data: [profile…]}, the
// profiles of every account having the email. Names are unique in a
// tenant, so Data holds the one account whose email it is; 908 without an
// email, 938 when no account has it, as GET /manage/account?email=…
// answers.
func (api *API) AccountIdentitiesByEmail(r Request) (any, error) {
	a, _, err := api.accountByEmail(r)
	if err != nil {
		return nil, err
	}
	p, err := accountView(r.HTTP.Context(), api.core.Store(), &a, r.Act.Now())
	if err != nil {
		return nil, err
	}
	return identities{Data: []lrprofile.Profile{p}}, nil
}

// accountByEmail reads the account the email query parameter names (908
// when it is missing, 938 when no account has it), and returns it with
// the address as stored addresses are written.
func (api *API) accountByEmail(r Request) (store.Account, string, error) {
	email := r.Query.Get("email")
	if email == "" {
		return store.Account{}, "", lrerr.WithDescription(lrerr.CodeParameterFormat, "The email is a required parameter.")
	}
	if canonical, ok := lrprofile.CanonicalEmail(email); ok {
		email = canonical
	}
	a, found, err := api.core.Store().AccountBy(r.HTTP.Context(), r.Act.Tenant(), store.IdentEmail, email)
	if err != nil {
		return store.Account{}, "", lrerr.Unavailable(err)
	}
	if !found {
		return store.Account{}, "", lrerr.New(lrerr.CodeUserNotFound)
	}
	return a, email, nil
}
