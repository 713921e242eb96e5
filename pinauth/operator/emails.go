package operator

import (
	"encoding/json"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// UpsertEmails serves PUT /manage/account/{uid}/email: each email of
// {"Email": [{Type, Value}]} is added to the account, or has its Type
// replaced when the account has it already; the others stay. An email
// another account of the tenant has, in any kind, is 936 and changes
// nothing. Event AddEmail; the answer is the profile.
func (api *API) UpsertEmails(r Request) (any, error) {
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return nil, e
	}
	if !in.HasEmails || len(in.Emails) == 0 {
		return nil, lrerr.Field("Email", "At least one email is required.")
	}
	saved, err := api.changeEmails(r, r.UID, webhook.AddEmail, func(_ store.Tx, a *store.Account) error {
		for _, add := range in.Emails {
			if i := emailIndex(a.Emails, add.Value); i >= 0 {
				a.Emails[i].Type = add.Type
			} else {
				a.Emails = append(a.Emails, add)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return accountView(r.HTTP.Context(), api.core.Store(), &saved, r.Act.Now())
}

// DeleteEmail serves DELETE /manage/account/{uid}/email: the email of
// {"email": …} is removed from the account (1023 when it has no such
// email; 1005 when it is the account's last identifier, no username or
// phone left to find it by). Event RemoveEmail; the answer is the profile.
func (api *API) DeleteEmail(r Request) (any, error) {
	saved, err := api.removeEmail(r, r.UID)
	if err != nil {
		return nil, err
	}
	return accountView(r.HTTP.Context(), api.core.Store(), &saved, r.Act.Now())
}

// RemoveOwnEmail serves DELETE /auth/email: the caller removes the email
// of {"email": …} from its own account, as DeleteEmail does (1023, 1005,
// RemoveEmail event), and is answered {"IsDeleted": true}. Adding an email
// by access token (POST /auth/email) is not served: the address would
// become a login and recovery identifier before anyone verified it.
func (api *API) RemoveOwnEmail(r Request) (any, error) {
	if _, err := api.removeEmail(r, r.Account.UID); err != nil {
		return nil, err
	}
	return isDeleted, nil
}

// removeEmail removes the email a DELETE body names from account uid.
func (api *API) removeEmail(r Request, uid string) (store.Account, error) {
	var body map[string]json.RawMessage
	if e := apireq.DecodeJSON(r.HTTP, &body, false); e != nil {
		return store.Account{}, e
	}
	var value string
	for k, v := range body {
		if apireq.FoldKey(k) == "email" {
			if json.Unmarshal(v, &value) != nil {
				return store.Account{}, lrerr.WithDescription(apireq.BodyCode(r.HTTP.Method), "The field \"email\" has the wrong type.")
			}
		}
	}
	canonical, ok := lrprofile.CanonicalEmail(value)
	if !ok {
		return store.Account{}, lrerr.Field("email", "A valid email address is required.")
	}
	return api.changeEmails(r, uid, webhook.RemoveEmail, func(tx store.Tx, a *store.Account) error {
		i := emailIndex(a.Emails, canonical)
		if i < 0 {
			return lrerr.New(lrerr.CodeEmailNotFound)
		}
		a.Emails = slices.Delete(a.Emails, i, i+1)
		if checkIdentified(a) != nil {
			return lrerr.New(lrerr.CodeLastEmail)
		}
		// Reset links and codes already mailed to the address removed
		// must not stay a way in: every pending one of the account ends.
		_, err := tx.DeleteTokens(a.Ref(), []store.TokenKind{store.TokenPINReset, store.TokenPasswordReset, store.TokenOTP}, "")
		return err
	})
}

// changeEmails applies change to the emails of account uid (938 when
// there is none) through Core.UpdateAccount, which keeps names unique
// across kinds (936), forgets the cached profile on every node and
// journals the change; it records hook's event and returns the account
// saved.
func (api *API) changeEmails(r Request, uid, hook string, change func(tx store.Tx, a *store.Account) error) (store.Account, error) {
	var saved store.Account
	err := api.core.UpdateAccount(r.HTTP.Context(), store.AccountRef{Tenant: r.Act.Tenant(), UID: uid}, change, func(tx store.Tx, a *store.Account) error {
		saved = *a
		return r.Act.Emit(tx, hook, a)
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	return saved, nil
}

// emailIndex is the index in emails of the address value (compared as
// NameOf gives names: case-insensitively), or -1.
func emailIndex(emails []store.Email, value string) int {
	name := store.NameOf(value)
	return slices.IndexFunc(emails, func(e store.Email) bool { return store.NameOf(e.Value) == name })
}
