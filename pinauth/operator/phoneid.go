package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// phoneIDBody is the body of PUT /manage/account/{uid}/phoneid.
type phoneIDBody struct {
	Phone *string
}

// UpdatePhoneID serves PUT /manage/account/{uid}/phoneid ("Update PhoneID
// by UID", issue 20): the account's phone number becomes {"Phone": …}
// (international format, else 1134), with no verification by code, as
// LoginRadius documents it. A number another account of the tenant has,
// in any kind, is 1058 and changes nothing; an unknown uid is 938.
// Core.UpdateAccount keeps names unique, forgets the cached profile on
// every node and journals the change, so logins by phone and the profile
// follow at once. A phone is a login and recovery identifier, not a
// credential: sessions stay, but the account's unused one-time codes end
// with the old number (one texted to it must not stay a way in for
// whoever holds that number now). Event UpdatePhoneId; the answer is the
// profile.
func (api *API) UpdatePhoneID(r Request) (any, error) {
	var b phoneIDBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	switch {
	case b.Phone == nil || *b.Phone == "":
		return nil, lrerr.Field("Phone", "The phone number is required.")
	case !lrprofile.ValidPhone(*b.Phone):
		return nil, lrerr.Field("Phone", lrprofile.MsgPhoneFormat)
	}
	phone, now := *b.Phone, r.Act.Now()
	var changed bool
	var saved store.Account
	err := api.core.UpdateAccount(r.HTTP.Context(), store.AccountRef{Tenant: r.Act.Tenant(), UID: r.UID},
		func(_ store.Tx, a *store.Account) error {
			changed = a.Phone != phone
			a.Phone = phone
			return nil
		}, func(tx store.Tx, a *store.Account) error {
			if changed {
				if _, err := tx.InvalidateTokens(a.Ref(), []store.TokenKind{store.TokenOTP}, "", now); err != nil {
					return err
				}
			}
			saved = *a
			return r.Act.Emit(tx, webhook.UpdatePhoneID, a)
		})
	if err != nil {
		return nil, duplicateError(err)
	}
	return accountView(r.HTTP.Context(), api.core.Store(), &saved, now)
}
