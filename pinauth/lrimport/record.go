package lrimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Record is one profile of an export, read and checked, as the writer of a
// batch receives it. Secrets are never part of it.
type Record struct {
	// UID is the record's Uid, the account's identifier.
	UID string
	// Input holds what an import manages on an account: emails, user
	// name, phone, roles, verified flag and the other profile fields.
	Input *lrprofile.Input
	// Active, Created, LastLogin, Logins and LastLoginLocation are set on
	// the account when the import creates it, never on an update.
	Active            bool
	Created           time.Time
	LastLogin         time.Time
	Logins            int
	LastLoginLocation string

	line, index int
	deleted     bool
	// failure is why the record cannot be imported ("" when it can).
	failure string
}

// parseRecord reads one LoginRadius profile. Problems become the
// record's failure; secrets (Password, PIN, security answers) are dropped
// unread.
func parseRecord(raw []byte) Record {
	rec := Record{Active: true}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		rec.failure = "the record is not a JSON object"
		return rec
	}
	in := &lrprofile.Input{Extra: map[string]json.RawMessage{}}
	var bad []string
	fail := func(field, msg string) { bad = append(bad, field+": "+msg) }
	for key, val := range fields {
		lk := apireq.FoldKey(key)
		null := lrprofile.IsNull(val)
		var err error
		switch lk {
		case "uid":
			err = json.Unmarshal(val, &rec.UID)
		case "email":
			in.HasEmails = true
			if lrprofile.JSONKind(val) == '"' {
				var s string
				err = json.Unmarshal(val, &s)
				in.Emails = []store.Email{{Type: "Primary", Value: s}}
			} else if !null {
				err = json.Unmarshal(val, &in.Emails)
			}
		case "username":
			in.Username = new(string)
			err = lrprofile.UnmarshalNullable(val, in.Username)
		case "phoneid":
			in.Phone = new(string)
			if err = lrprofile.UnmarshalNullable(val, in.Phone); err == nil && *in.Phone != "" && lrprofile.AllDigits(*in.Phone) {
				*in.Phone = "+" + *in.Phone // LoginRadius stores some numbers without the +
			}
		case "roles":
			in.HasRoles = true
			if !null {
				err = json.Unmarshal(val, &in.Roles)
			}
		case "emailverified":
			if !null {
				in.EmailVerified = new(bool)
				err = json.Unmarshal(val, in.EmailVerified)
			}
		case "isactive":
			if !null {
				err = json.Unmarshal(val, &rec.Active)
			}
		case "isdeleted":
			if !null {
				err = json.Unmarshal(val, &rec.deleted)
			}
		case "createddate":
			rec.Created, err = parseTime(val)
		case "lastlogindate":
			rec.LastLogin, err = parseTime(val)
		case "nooflogins":
			if !null {
				err = json.Unmarshal(val, &rec.Logins)
			}
		case "lastloginlocation":
			err = lrprofile.UnmarshalNullable(val, &rec.LastLoginLocation)
		default:
			if lrprofile.IsSecretKey(lk) || lrprofile.IsModelledKey(lk) || null {
				continue
			}
			name, ok := lrprofile.CheckField(key, val)
			if !ok {
				fail(key, "has the wrong type")
				continue
			}
			var compact bytes.Buffer
			if err = json.Compact(&compact, val); err == nil {
				in.SetExtra(key, name, compact.Bytes())
			}
		}
		if err != nil {
			fail(key, "has the wrong type")
		}
	}
	if lrprofile.HasControl(rec.LastLoginLocation) {
		fail("LastLoginLocation", lrprofile.MsgControlChars)
	}
	if !validUID(rec.UID) {
		fail("Uid", "is required: 1 to 128 letters, digits, '-', '_' or '.'")
	}
	if e := in.Validate(); e != nil {
		for _, f := range e.Fields {
			fail(f.FieldName, f.ErrorMessage)
		}
	}
	rec.Input = in
	if len(bad) > 0 {
		slices.Sort(bad)
		rec.failure = strings.Join(bad, "; ")
	}
	return rec
}

// validUID accepts the Uids LoginRadius issues (hex) and other safe
// identifiers: the Uid appears in management URL paths.
func validUID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// parseTime reads a LoginRadius date: RFC 3339 with or without a
// zone (then UTC), or null.
func parseTime(v json.RawMessage) (time.Time, error) {
	var s string
	if lrprofile.IsNull(v) {
		return time.Time{}, nil
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, err
	}
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}
