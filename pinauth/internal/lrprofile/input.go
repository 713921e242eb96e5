package lrprofile

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

// Input is a parsed account write (a management body, the caller's own
// profile update, an operator's AccountInput, an imported record): the
// fields the gateway models, each with whether it was present, and every
// other profile field as given.
type Input struct {
	Emails []store.Email
	// HasEmails is true when the write gives Email (Emails may be empty).
	HasEmails bool
	Username  *string
	Phone     *string
	Password  *string
	PIN       *string
	// PINSkipped is PINInfo.Skipped true: the user skipped choosing a
	// PIN (only the sign-up records it).
	PINSkipped bool
	Roles      []string
	// HasRoles is true when the write gives Roles.
	HasRoles      bool
	Active        *bool
	EmailVerified *bool
	LoginLocked   *bool
	// UID is a Uid the body gives (it can only name the account itself).
	UID *string
	// deleted is an IsDeleted the body gives (only false is accepted).
	deleted *bool
	// Answers are security question answers by question id
	// (securityquestionanswer), to be stored hashed.
	Answers map[string]string
	// Extra are unmodelled profile fields by their stored name (see
	// SetExtra); a JSON null removes the field.
	Extra map[string]json.RawMessage
	// sent are the keys of Extra as the body spelt them, when it spelt a
	// documented field otherwise, for field errors.
	sent map[string]string
	// refused are the fields no write may set, each with why.
	refused []lrerr.FieldError
}

// ParseInput reads a create/update body strictly. Keys match without
// case (apireq.FoldKey, as encoding/json matches them). LoginRadius's documented
// profile fields are type-checked and kept under their documented
// spelling, unknown ones kept as given, read-only ones (CreatedDate,
// NoOfLogins…, what a client sends back with a profile it read) ignored;
// secrets other than Password, PINInfo and securityquestionanswer are
// refused (1134), never dropped.
func ParseInput(r *http.Request) (*Input, *lrerr.Error) {
	var raw map[string]json.RawMessage
	if e := apireq.DecodeJSON(r, &raw, false); e != nil {
		return nil, e
	}
	in := &Input{Extra: map[string]json.RawMessage{}}
	code := apireq.BodyCode(r.Method)
	for key, val := range raw {
		var err error
		switch apireq.FoldKey(key) {
		case "email":
			in.HasEmails = true
			err = json.Unmarshal(val, &in.Emails)
		case "username":
			in.Username = new(string)
			err = UnmarshalNullable(val, in.Username)
		case "phoneid", "phone":
			in.Phone = new(string)
			err = UnmarshalNullable(val, in.Phone)
		case "password":
			in.Password = new(string)
			err = json.Unmarshal(val, in.Password)
		case "pininfo":
			var p struct {
				PIN     *string
				Skipped *bool
			}
			if err = json.Unmarshal(val, &p); err == nil {
				in.PIN, in.PINSkipped = p.PIN, p.Skipped != nil && *p.Skipped
			}
		case "roles":
			in.HasRoles = true
			err = json.Unmarshal(val, &in.Roles)
		case "isactive":
			err = json.Unmarshal(val, &in.Active)
		case "emailverified":
			err = json.Unmarshal(val, &in.EmailVerified)
		case "isloginlocked":
			err = json.Unmarshal(val, &in.LoginLocked)
		case "uid":
			if !IsNull(val) {
				in.UID = new(string)
				err = json.Unmarshal(val, in.UID)
			}
		case "isdeleted":
			err = json.Unmarshal(val, &in.deleted)
		case "securityquestionanswer":
			err = json.Unmarshal(val, &in.Answers)
			if err == nil && in.Answers == nil {
				in.Answers = map[string]string{}
			}
		default:
			lk := apireq.FoldKey(key)
			if IsSecretKey(lk) {
				in.refused = append(in.refused, lrerr.FieldError{FieldName: printableKey(key),
					ErrorMessage: "This field cannot be written: set a PIN with PINInfo.PIN, security answers with SecurityQuestionAnswer."})
				continue
			}
			if IsModelledKey(lk) {
				continue
			}
			name, ok := CheckField(key, val)
			if !ok {
				err = errWrongType
			}
			in.SetExtra(key, name, val)
		}
		if err != nil {
			return nil, lrerr.WithDescription(code, fmt.Sprintf("The field %q has the wrong type.", apireq.Truncate(key, 64)))
		}
	}
	if e := in.Validate(); e != nil {
		return nil, e
	}
	return in, nil
}

// Validate normalizes the emails (trimmed, Type Primary by default) and
// checks the fields every way of changing an account must respect, the
// management API and the operator's Admin alike: 1134 names each bad field.
func (in *Input) Validate() *lrerr.Error {
	var fields []lrerr.FieldError
	bad := func(field, msg string) {
		fields = append(fields, lrerr.FieldError{FieldName: field, ErrorMessage: msg})
	}
	for i, e := range in.Emails {
		in.Emails[i].Value = strings.TrimSpace(e.Value)
		if in.Emails[i].Type == "" {
			in.Emails[i].Type = "Primary"
		}
		v := in.Emails[i].Value
		canonical, ok := CanonicalEmail(v)
		switch {
		case HasControl(in.Emails[i].Type):
			bad("Email", "The email Type must be printable text on one line.")
		case !isASCII(v):
			bad("Email", "The email address must be written in ASCII (an internationalized domain in its xn-- form).")
		case !ok:
			bad("Email", msgEmailSyntax)
		default:
			in.Emails[i].Value = canonical
		}
	}
	if in.Username != nil && (HasControl(*in.Username) || !validUsername(*in.Username)) {
		bad("UserName", "The user name must be 1 to 128 printable characters without spaces.")
	}
	if in.Phone != nil && *in.Phone != "" && !ValidPhone(*in.Phone) {
		bad("PhoneId", MsgPhoneFormat)
	}
	if in.Password != nil && !PasswordLengthOK(*in.Password) {
		bad("Password", MsgPasswordPolicy)
	}
	if in.deleted != nil && *in.deleted {
		bad("IsDeleted", "An account is deleted with DELETE /manage/account/{uid}, not by a field.")
	}
	fields = append(fields, in.refused...)
	for _, r := range in.Roles {
		if r == "" || strings.Contains(r, ",") || HasControl(r) {
			bad("Roles", "Roles must be non-empty and contain no comma, line break or other control character.")
			break
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Extra)) {
		if HasControl(k) || JSONHasControl(in.Extra[k]) {
			bad(printableKey(in.sentKey(k)), MsgControlChars)
		}
	}
	if fields != nil {
		return &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	return nil
}

// SetExtra keeps a free field under name, its documented spelling,
// remembering the key the input gave it under.
func (in *Input) SetExtra(key, name string, val json.RawMessage) {
	in.Extra[name] = val
	if key != name {
		if in.sent == nil {
			in.sent = map[string]string{}
		}
		in.sent[name] = key
	}
}

// sentKey is how the input spelt the free field kept under name.
func (in *Input) sentKey(name string) string {
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
	if !HasControl(k) {
		return k
	}
	q := strconv.QuoteToASCII(k)
	return q[1 : len(q)-1]
}

var errWrongType = errors.New("wrong type")

// MsgPhoneFormat is the field error of a phone number not in
// international format.
const MsgPhoneFormat = "The phone number must be in international format, like +15551234567."

// JSONKind is the first byte of a JSON value: '"', '{', '[', 't', 'f', 'n'
// or a digit/'-'.
func JSONKind(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// IsNull reports whether v is the JSON null.
func IsNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// UnmarshalNullable decodes a string that may be null (meaning "clear").
func UnmarshalNullable(val json.RawMessage, dst *string) error {
	if IsNull(val) {
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

// ValidPhone reports whether s is a phone number in international format:
// a + and 5 to 19 digits.
func ValidPhone(s string) bool {
	if len(s) < 6 || len(s) > 20 || s[0] != '+' {
		return false
	}
	return AllDigits(s[1:])
}

// Apply writes the modelled and extra fields of in onto a.
func (in *Input) Apply(a *store.Account) {
	if in.HasEmails {
		a.Emails = in.Emails
	}
	if in.Username != nil {
		a.Username = *in.Username
	}
	if in.Phone != nil {
		a.Phone = *in.Phone
	}
	if in.HasRoles {
		a.Roles = in.Roles
	}
	if in.Active != nil {
		a.Active = *in.Active
	}
	if in.EmailVerified != nil {
		a.EmailVerified = *in.EmailVerified
	}
	if len(in.Extra) > 0 && a.Profile == nil {
		a.Profile = map[string]json.RawMessage{}
	}
	for k, v := range in.Extra {
		// Replace any spelling of the same key.
		for old := range a.Profile {
			if strings.EqualFold(old, k) {
				delete(a.Profile, old)
			}
		}
		if !IsNull(v) {
			a.Profile[k] = v
		}
	}
}

// MsgPasswordPolicy is the field error of a password outside the policy.
const MsgPasswordPolicy = "The password must have 6 to 128 characters."

// PasswordLengthOK reports whether pw meets the password policy (6 to
// 128 bytes), on create, edit and reset alike.
func PasswordLengthOK(pw string) bool { return len(pw) >= 6 && len(pw) <= 128 }

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
