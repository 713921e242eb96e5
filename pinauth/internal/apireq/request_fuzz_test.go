package apireq

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets of request parsing. Each has seeds in code (f.Add) and a
// checked-in corpus under testdata/fuzz/<target>; `go test` runs both as
// regression tests, .ci/run also fuzzes each for a few seconds. A crash the
// fuzzer finds is saved there too, so it stays a test once fixed.

// FuzzUnmarshalStrict feeds arbitrary bodies to the strict JSON decoder of
// every endpoint. Whatever the bytes, it must not panic, must answer with a
// body-invalid code, and what it accepts must be a single JSON object with
// no two keys of one object that encoding/json would treat as the same
// field: otherwise a second "password" could hide behind the one a log or
// WAF sees.
func FuzzUnmarshalStrict(f *testing.F) {
	for _, s := range []string{
		`{"pin":"4821"}`, `{"PIN":"4821","pin":"1111"}`, `{"oldPIN":"1","newPIN":"2"}`,
		`{"Email":[{"Type":"Primary","Value":"a@b.c"}],"Password":"pw","PINInfo":{"PIN":"4821"}}`,
		`{"password":"a","paſſword":"b"}`, `{"\u212Aey":1,"key":2}`, `{"a":{"b":{"c":[1,{"d":2}]}}}`,
		`[]`, `{}`, ` `, `{"a":1}{"b":2}`, `{"a":1,}`, `{"a":"\ud800"}`, `{"a":1e999}`,
		`{"securityquestionanswer":[{"QuestionId":"q","Answer":"a"}]}`,
		`{"SecurityAnswer":{"q1":"a"},"PIN":"4821","Email":"a@b.c"}`,
		strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Every body shape an endpoint decodes into.
		targets := []any{
			new(map[string]json.RawMessage),
			new(struct{ PIN, OldPIN, NewPIN, Email, UserName, Phone, Password string }),
			new(struct {
				SecurityQuestionAnswer []struct{ QuestionID, Answer string } `json:"securityquestionanswer"`
			}),
			new(struct{ SecurityAnswer map[string]string }),
		}
		for _, dst := range targets {
			for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
				e := UnmarshalStrict(method, b, dst, false)
				if e == nil {
					assertStrictObject(t, b)
					continue
				}
				if e.Code != BodyCode(method) {
					t.Fatalf("%s: code %d, want %d", method, e.Code, BodyCode(method))
				}
				if e.Description == "" || strings.Contains(e.Description, "\x00") {
					t.Fatalf("description %q", e.Description)
				}
			}
		}
		if e := UnmarshalStrict(http.MethodPost, b, new(map[string]any), true); e != nil && len(bytes.TrimSpace(b)) == 0 {
			t.Fatalf("an empty body with allowEmpty: %v", e)
		}
	})
}

// assertStrictObject fails unless b is valid JSON holding one object whose
// objects have no two keys equal under encoding/json's key matching.
func assertStrictObject(t *testing.T, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("accepted invalid JSON %q", b)
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(map[string]any); !ok {
		t.Fatalf("accepted a non-object %q", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func()
	walk = func() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("re-reading accepted JSON: %v", err)
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				kt, _ := dec.Token()
				k := kt.(string)
				for _, seen := range keys {
					if strings.EqualFold(seen, k) {
						t.Fatalf("accepted the keys %q and %q in one object: encoding/json treats them as one field", seen, k)
					}
				}
				keys = append(keys, k)
				walk()
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				walk()
			}
			_, _ = dec.Token()
		}
	}
	walk()
}

// FuzzQueryParams checks the case-insensitive query parameters: for any raw
// query the result is the same every time (no map-order dependence: two
// spellings of apikey must not pick a tenant at random), a parameter is
// found under any spelling of its name, and the first occurrence in the
// query wins.
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{
		"apikey=K&session_token=T", "apiKey=A&APIKEY=B&apikey=C", "apikey=&apiKey=K",
		"access_token=x&ACCESS_TOKEN=y", "a=1;b=2", "%zz=1&apikey=k", "apı=1&\u212Aey=2&key=3",
		"prevent_webhook=TRUE&g-recaptcha-response=&g_recaptcha_response=r", "=&&=x&k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{URL: &url.URL{RawQuery: raw}}
		p := Query(r)
		for range 3 {
			if again := Query(r); !reflect.DeepEqual(p, again) {
				t.Fatalf("Query(%q) differs between calls: %v then %v", raw, p, again)
			}
		}
		// The first pair (in query order) of each name, by folded name.
		first := map[string]string{}
		for _, pair := range strings.Split(raw, "&") {
			if strings.Contains(pair, ";") {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			k, err1 := url.QueryUnescape(k)
			v, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil || k == "" && pair == "" {
				continue
			}
			fk := FoldKey(k)
			if _, dup := first[fk]; !dup {
				first[fk] = v
			}
			if got, want := p.Get(fk), first[fk]; got != want {
				t.Fatalf("Query(%q): %q (any spelling of %q) = %q, want the first occurrence %q", raw, k, fk, got, want)
			}
		}
	})
}

// FuzzFoldKey checks the one definition of "the same name without case"
// used for query parameters and JSON keys: two names fold alike exactly
// when strings.EqualFold (which encoding/json's key matching follows) says
// they are equal, and ASCII names fold to lower case.
func FuzzFoldKey(f *testing.F) {
	for _, s := range [][2]string{
		{"PIN", "pin"}, {"Password", "paſſword"}, {"key", "\u212Aey"}, {"İsactive", "isactive"},
		{"Σίσυφος", "ΣΊΣΥΦΟΣ"}, {"σ", "ς"}, {"apikey", "apiKey"}, {"a\xffb", "A\xffB"}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := FoldKey(a) == FoldKey(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("FoldKey(%q)==FoldKey(%q) is %v, strings.EqualFold says %v", a, b, got, want)
		}
		if FoldKey(FoldKey(a)) != FoldKey(a) {
			t.Fatalf("FoldKey is not idempotent on %q", a)
		}
		ascii := true
		for i := 0; i < len(a); i++ {
			ascii = ascii && a[i] < 0x80
		}
		if ascii && FoldKey(a) != strings.ToLower(a) {
			t.Fatalf("FoldKey(%q) = %q, want the ASCII lower case %q", a, FoldKey(a), strings.ToLower(a))
		}
	})
}
