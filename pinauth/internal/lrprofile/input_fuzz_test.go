package lrprofile

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// FuzzParseAccountInput feeds arbitrary management bodies to the account
// parser: no panic, a catalogue error or a parsed input, and never a secret
// field kept as a free profile field under another spelling.
func FuzzParseAccountInput(f *testing.F) {
	for _, s := range []string{
		`{"Email":[{"Type":"Primary","Value":"alice@example.com"}],"Password":"secret pw","UserName":"alice","PhoneId":"+15551234567","Roles":["user"],"PINInfo":{"PIN":"4821"},"CustomFields":{"team":"blue"}}`,
		`{"email":[{"value":" a@b.co "}],"firstname":null,"IsActive":false,"IsLoginLocked":false}`,
		`{"paſſword":"x","PINInfo":{"PIN":"1"},"pininfo":{}}`, `{"paſſword":"long enough"}`, `{"ıd":"x","ısactıve":true}`, `{"Roles":["a,b"]}`, `{"Email":"a@b.c"}`,
		`{"UserName":"' OR 1=1 --","FirstName":"\"; DROP TABLE accounts; --","LastName":"\u0000"}`,
		`{"Email":[{"Value":"аlice@example.com"}]}`, `{"Email":[{"Value":"alice＠example.com"}]}`,
		`{"CustomFields":[],"Addresses":{},"Gender":1}`, `{"Password":"short"}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, put bool) {
		method := http.MethodPost
		if put {
			method = http.MethodPut
		}
		r := &http.Request{Method: method, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b))}
		in, e := ParseInput(r)
		if e != nil {
			if e.Code != apireq.BodyCode(method) && e.Code != lrerr.CodeValidation {
				t.Fatalf("code %d for %q", e.Code, b)
			}
			if e.Code == lrerr.CodeValidation && len(e.Fields) == 0 {
				t.Fatalf("1134 without field errors for %q", b)
			}
			return
		}
		for k := range in.Extra {
			fk := apireq.FoldKey(k)
			if IsSecretKey(fk) || IsModelledKey(fk) {
				t.Fatalf("%q was kept as a free profile field", k)
			}
		}
		for _, em := range in.Emails {
			if !ValidEmail(em.Value) {
				t.Fatalf("accepted the email %q", em.Value)
			}
		}
	})
}
