// Package lrprofile is the LoginRadius user profile as the gateway reads and
// writes it: parsing an account write (Input, ParseInput: the modelled
// fields, the documented free fields and their JSON types, the secrets no
// write may set), validating it (email canonical form, user name, phone,
// password length, control characters), rendering an account in
// LoginRadius's profile shape (View, Profile, with its own JSON encoder)
// and LoginRadius's timestamp format (Time, TimeLayout). It knows the
// store's Account and the error catalogue, and nothing of the gateway.
package lrprofile

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// TimeLayout is LoginRadius's timestamp format: RFC 3339, UTC, seven
// fractional digits.
const TimeLayout = "2006-01-02T15:04:05.0000000Z07:00"

// Time formats t for the wire; the zero time becomes null.
func Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(TimeLayout)
}

// lrZeroTime is how LoginRadius writes a date that was never set where its
// documents give the field as a date string (PIN.SkippedDate): .NET's
// DateTime.MinValue.
const lrZeroTime = "0001-01-01T00:00:00.0000000Z"

// lrDate formats t like Time, but the zero time as lrZeroTime: for the
// fields LoginRadius documents as always a string.
func lrDate(t time.Time) string {
	if t.IsZero() {
		return lrZeroTime
	}
	return t.UTC().Format(TimeLayout)
}

// secretProfileKeys are profile fields never stored from input nor returned,
// compared lower-cased.
var secretProfileKeys = map[string]bool{
	"password": true, "passwordhash": true, "pin": true, "pininfo": true, "pinhash": true,
	"securityquestionanswer": true, "securityanswer": true,
}

// IsSecretKey reports whether the folded key k names a secret
// (see secretProfileKeys).
func IsSecretKey(k string) bool { return secretProfileKeys[k] }

// IsModelledKey reports whether the folded key k names a field the
// gateway models or derives (see modelledProfileKeys).
func IsModelledKey(k string) bool { return modelledProfileKeys[k] }

// modelledProfileKeys are the fields the gateway models itself or derives:
// input copies are not kept in Account.Profile (lower-cased). The derived
// ones (LoginRadius's read-only fields) are ignored when a client sends a
// profile back.
var modelledProfileKeys = map[string]bool{
	"uid": true, "id": true, "email": true, "username": true, "phoneid": true, "phone": true,
	"roles": true, "isactive": true, "isdeleted": true, "emailverified": true, "isloginlocked": true,
	"loginlockedtype": true, "nooflogins": true, "lastlogindate": true, "lastloginlocation": true,
	"createddate": true, "modifieddate": true,
	"identities": true, "ispasswordbreached": true, "passwordexpirationdate": true, "previousuids": true,
	"lastpasswordchangetoken": true, "lastpasswordchangedate": true, "phoneidverified": true,
	"registrationprovider": true, "provider": true, "iscustomuid": true, "issecurepassword": true,
	"isrequiredfieldsfilledonce": true, "firstlogin": true, "pinscount": true, "boardscount": true,
	"likescount": true, "signupdate": true,
}

// profileOutputFields are the other fields LoginRadius's profile answers
// carry, none of them writable there: null (RegistrationSource "API")
// unless a client stored a value under the name.
var profileOutputFields = map[string]any{
	"ConsentProfile": nil, "Created": nil, "ExternalUserLoginId": nil, "Language": nil,
	"PrivacyPolicy": nil, "ProfileModifiedDate": nil, "RegistrationData": nil,
	"RegistrationSource": "API", "UnverifiedEmail": nil, "UpdatedTime": nil, "Verified": nil,
}

// View renders an account in LoginRadius's profile shape: every
// field LoginRadius's profile documents show (null where the account has
// no value, as LoginRadius answers), every other stored field as given.
// Password, PIN and answer hashes are never part of it. What the gateway
// has no such thing for is constant: no social identities (Identities
// empty, Provider "Email", the social counts 0), no password expiry or
// breach data, no phone verification.
func View(a *store.Account, att store.Attempts, now time.Time) Profile {
	p := make(Profile, len(profileFields)+len(profileOutputFields)+len(a.Profile)+40)
	for i := range profileFields {
		p[profileFields[i].Name] = nil
	}
	for k, v := range profileOutputFields {
		p[k] = v
	}
	for k, v := range a.Profile {
		lk := apireq.FoldKey(k)
		if secretProfileKeys[lk] || modelledProfileKeys[lk] {
			continue
		}
		if f := profileFieldsByKey[lk]; f != nil {
			k = f.Name // stored before the documented spelling was enforced
		}
		p[k] = v
	}
	emails := a.Emails
	if emails == nil {
		emails = []store.Email{}
	}
	roles := a.Roles
	if roles == nil {
		roles = []string{}
	}
	lockType := "None"
	locked := att.Locked(now)
	if locked {
		lockType = string(att.LockType)
	}
	p["Uid"] = a.UID
	p["ID"] = a.UID
	p["Email"] = emails
	p["UserName"] = nullIfEmpty(a.Username)
	p["PhoneId"] = nullIfEmpty(a.Phone)
	p["Roles"] = roles
	p["IsActive"] = a.Active
	p["IsDeleted"] = false
	p["EmailVerified"] = a.EmailVerified
	if len(a.UnverifiedEmails) > 0 {
		p["UnverifiedEmail"] = a.UnverifiedEmails
	}
	p["IsLoginLocked"] = locked
	p["LoginLockedType"] = lockType
	p["NoOfLogins"] = a.NoOfLogins
	p["LastLoginDate"] = lrDate(a.LastLoginAt)
	p["LastLoginLocation"] = nullIfEmpty(a.LastLoginLocation)
	p["CreatedDate"] = Time(a.CreatedAt)
	p["ModifiedDate"] = Time(a.ModifiedAt)
	p["SignupDate"] = Time(a.CreatedAt)
	p["FirstLogin"] = a.NoOfLogins == 1
	p["PIN"] = map[string]any{
		"Skipped":           a.PINSkipped,
		"SkippedDate":       lrDate(a.PINSkippedAt),
		"LastPINChangeDate": lrDate(a.PINChangedAt),
	}
	for k, v := range derivedProfileFields {
		p[k] = v
	}
	return p
}

// derivedProfileFields are LoginRadius's read-only profile fields whose
// value is the same for every account of the gateway.
var derivedProfileFields = map[string]any{
	"Identities": []any{}, "IsPasswordBreached": false, "PasswordExpirationDate": nil,
	"PreviousUids": nil, "LastPasswordChangeToken": nil, "LastPasswordChangeDate": nil,
	"PhoneIdVerified": false, "RegistrationProvider": "Email", "Provider": "Email",
	"IsCustomUid": false, "IsSecurePassword": nil, "IsRequiredFieldsFilledOnce": true,
	"PinsCount": 0, "BoardsCount": 0, "LikesCount": 0,
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// DisplayName is the X-Auth-Name value: FullName, else FirstName LastName.
func DisplayName(a *store.Account) string {
	if n := StringField(a, "FullName"); n != "" {
		return n
	}
	return strings.TrimSpace(StringField(a, "FirstName") + " " + StringField(a, "LastName"))
}

// StringField returns a string profile field by case-insensitive name.
func StringField(a *store.Account, name string) string {
	for k, raw := range a.Profile {
		if strings.EqualFold(k, name) {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
		}
	}
	return ""
}
