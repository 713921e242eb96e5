package pinauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// accountInput is a parsed management body: the fields the gateway models,
// each with whether it was present, and every other profile field as given.
type accountInput struct {
	emails        []store.Email
	hasEmails     bool
	username      *string
	phone         *string
	password      *string
	pin           *string
	roles         []string
	hasRoles      bool
	active        *bool
	emailVerified *bool
	loginLocked   *bool
	// uid is a Uid the body gives (it can only name the account itself).
	uid *string
	// deleted is an IsDeleted the body gives (only false is accepted).
	deleted *bool
	// answers are security question answers by question id
	// (securityquestionanswer), to be stored hashed.
	answers map[string]string
	// extra are unmodelled profile fields; a JSON null removes the field.
	extra map[string]json.RawMessage
	// sent are the keys of extra as the body spelt them, when it spelt a
	// documented field otherwise, for field errors.
	sent map[string]string
	// refused are the fields no write may set, each with why.
	refused []lrerr.FieldError
}

// parseAccountInput reads a create/update body strictly. Keys match without
// case (foldKey, as encoding/json matches them). LoginRadius's documented
// profile fields are type-checked and kept under their documented
// spelling, unknown ones kept as given, read-only ones (CreatedDate,
// NoOfLogins…, what a client sends back with a profile it read) ignored;
// secrets other than Password, PINInfo and securityquestionanswer are
// refused (1134), never dropped.
func parseAccountInput(r *http.Request) (*accountInput, *lrerr.Error) {
	var raw map[string]json.RawMessage
	if e := apireq.DecodeJSON(r, &raw, false); e != nil {
		return nil, e
	}
	in := &accountInput{extra: map[string]json.RawMessage{}}
	code := apireq.BodyCode(r.Method)
	for key, val := range raw {
		var err error
		switch apireq.FoldKey(key) {
		case "email":
			in.hasEmails = true
			err = json.Unmarshal(val, &in.emails)
		case "username":
			in.username = new(string)
			err = unmarshalNullable(val, in.username)
		case "phoneid", "phone":
			in.phone = new(string)
			err = unmarshalNullable(val, in.phone)
		case "password":
			in.password = new(string)
			err = json.Unmarshal(val, in.password)
		case "pininfo":
			var p struct{ PIN *string }
			if err = json.Unmarshal(val, &p); err == nil {
				in.pin = p.PIN
			}
		case "roles":
			in.hasRoles = true
			err = json.Unmarshal(val, &in.roles)
		case "isactive":
			err = json.Unmarshal(val, &in.active)
		case "emailverified":
			err = json.Unmarshal(val, &in.emailVerified)
		case "isloginlocked":
			err = json.Unmarshal(val, &in.loginLocked)
		case "uid":
			if !isNull(val) {
				in.uid = new(string)
				err = json.Unmarshal(val, in.uid)
			}
		case "isdeleted":
			err = json.Unmarshal(val, &in.deleted)
		case "securityquestionanswer":
			err = json.Unmarshal(val, &in.answers)
			if err == nil && in.answers == nil {
				in.answers = map[string]string{}
			}
		default:
			lk := apireq.FoldKey(key)
			if secretProfileKeys[lk] {
				in.refused = append(in.refused, lrerr.FieldError{FieldName: printableKey(key),
					ErrorMessage: "This field cannot be written: set a PIN with PINInfo.PIN, security answers with SecurityQuestionAnswer."})
				continue
			}
			if modelledProfileKeys[lk] {
				continue
			}
			name, ok := checkProfileField(key, val)
			if !ok {
				err = errWrongType
			}
			in.setExtra(key, name, val)
		}
		if err != nil {
			return nil, lrerr.WithDescription(code, fmt.Sprintf("The field %q has the wrong type.", apireq.Truncate(key, 64)))
		}
	}
	if e := in.validate(); e != nil {
		return nil, e
	}
	return in, nil
}

// validate normalizes the emails (trimmed, Type Primary by default) and
// checks the fields every way of changing an account must respect, the
// management API and the operator's Admin alike: 1134 names each bad field.
func (in *accountInput) validate() *lrerr.Error {
	var fields []lrerr.FieldError
	bad := func(field, msg string) {
		fields = append(fields, lrerr.FieldError{FieldName: field, ErrorMessage: msg})
	}
	for i, e := range in.emails {
		in.emails[i].Value = strings.TrimSpace(e.Value)
		if in.emails[i].Type == "" {
			in.emails[i].Type = "Primary"
		}
		v := in.emails[i].Value
		canonical, ok := canonicalEmail(v)
		switch {
		case hasControl(in.emails[i].Type):
			bad("Email", "The email Type must be printable text on one line.")
		case !isASCII(v):
			bad("Email", "The email address must be written in ASCII (an internationalized domain in its xn-- form).")
		case !ok:
			bad("Email", msgEmailSyntax)
		default:
			in.emails[i].Value = canonical
		}
	}
	if in.username != nil && (hasControl(*in.username) || !validUsername(*in.username)) {
		bad("UserName", "The user name must be 1 to 128 printable characters without spaces.")
	}
	if in.phone != nil && *in.phone != "" && !validPhone(*in.phone) {
		bad("PhoneId", "The phone number must be in international format, like +15551234567.")
	}
	if in.password != nil && !passwordLengthOK(*in.password) {
		bad("Password", msgPasswordPolicy)
	}
	if in.deleted != nil && *in.deleted {
		bad("IsDeleted", "An account is deleted with DELETE /manage/account/{uid}, not by a field.")
	}
	fields = append(fields, in.refused...)
	for _, r := range in.roles {
		if r == "" || strings.Contains(r, ",") || hasControl(r) {
			bad("Roles", "Roles must be non-empty and contain no comma, line break or other control character.")
			break
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.extra)) {
		if hasControl(k) || jsonHasControl(in.extra[k]) {
			bad(printableKey(in.sentKey(k)), msgControlChars)
		}
	}
	if fields != nil {
		return &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	return nil
}

// setExtra keeps a free field under name, its documented spelling,
// remembering the key the input gave it under.
func (in *accountInput) setExtra(key, name string, val json.RawMessage) {
	in.extra[name] = val
	if key != name {
		if in.sent == nil {
			in.sent = map[string]string{}
		}
		in.sent[name] = key
	}
}

// sentKey is how the input spelt the free field kept under name.
func (in *accountInput) sentKey(name string) string {
	if k, ok := in.sent[name]; ok {
		return k
	}
	return name
}

// printableKey is a profile key as a field error may name it: truncated,
// and with control characters shown as Go escapes, so the error itself
// carries none.
func printableKey(k string) string {
	k = apireq.Truncate(k, 64)
	if !hasControl(k) {
		return k
	}
	q := strconv.QuoteToASCII(k)
	return q[1 : len(q)-1]
}

var errWrongType = errors.New("wrong type")

// jsonKind is the first byte of a JSON value: '"', '{', '[', 't', 'f', 'n'
// or a digit/'-'.
func jsonKind(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// unmarshalNullable decodes a string that may be null (meaning "clear").
func unmarshalNullable(val json.RawMessage, dst *string) error {
	if isNull(val) {
		*dst = ""
		return nil
	}
	return json.Unmarshal(val, dst)
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func validUsername(s string) bool {
	if s == "" {
		return true // clearing
	}
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func validPhone(s string) bool {
	if len(s) < 6 || len(s) > 20 || s[0] != '+' {
		return false
	}
	return allDigits(s[1:])
}

// apply writes the modelled and extra fields of in onto a.
func (in *accountInput) apply(a *store.Account) {
	if in.hasEmails {
		a.Emails = in.emails
	}
	if in.username != nil {
		a.Username = *in.username
	}
	if in.phone != nil {
		a.Phone = *in.phone
	}
	if in.hasRoles {
		a.Roles = in.roles
	}
	if in.active != nil {
		a.Active = *in.active
	}
	if in.emailVerified != nil {
		a.EmailVerified = *in.emailVerified
	}
	if len(in.extra) > 0 && a.Profile == nil {
		a.Profile = map[string]json.RawMessage{}
	}
	for k, v := range in.extra {
		// Replace any spelling of the same key.
		for old := range a.Profile {
			if strings.EqualFold(old, k) {
				delete(a.Profile, old)
			}
		}
		if !isNull(v) {
			a.Profile[k] = v
		}
	}
}

// msgPasswordPolicy is the field error of a password outside the policy.
const msgPasswordPolicy = "The password must have 6 to 128 characters."

// passwordLengthOK reports whether pw meets the password policy (6 to
// 128 bytes), on create, edit and reset alike.
func passwordLengthOK(pw string) bool { return len(pw) >= 6 && len(pw) <= 128 }
