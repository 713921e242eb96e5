package tokens

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// gatewayClaimsSamples are claims as the gateway issues them, marshalled
// as Sign marshals them.
func gatewayClaimsSamples(t testing.TB) [][]byte {
	m := &Manager{opt: Options{Issuer: "https://gw.example"}}
	now := time.Unix(1765000000, 0)
	profiles := []*Profile{
		nil,
		{Tag: "t0"},
		{Email: "ann@example.com", Tag: "abc"},
		{Email: "ann@example.com", Username: "ann", Name: "Ann Lee", Roles: []string{"admin"}, Tag: "x-y_z"},
		{Name: "Zoë Ångström 李", Roles: []string{"a", "b", "c"}, Tag: "t"},
		{Username: "bob", Roles: []string{"reader"}, Tag: ""},
	}
	var out [][]byte
	for i, p := range profiles {
		c := m.NewClaims("tenant-1", "uid-1", "sid-1", "jti-1", now, now.Add(time.Duration(i+1)*time.Minute))
		c.Profile = p
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestGatewayClaimsTakeTheDirectDecoder: every claims segment the gateway
// writes is decoded without encoding/json (else the cold path silently
// loses its speed) and to exactly what encoding/json gives.
func TestGatewayClaimsTakeTheDirectDecoder(t *testing.T) {
	for _, b := range gatewayClaimsSamples(t) {
		var fast, slow Claims
		if !decodeGatewayClaims(b, &fast) {
			t.Fatalf("the gateway's own claims %s went to encoding/json", b)
		}
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("claims %s: direct %+v, encoding/json %+v", b, fast, slow)
		}
	}
}

// TestOtherClaimSpellingsDecodeAsBefore: a segment in any other spelling
// is left to encoding/json, so it decodes (or fails) exactly as before:
// duplicate keys keep the last, null clears, case-folded keys match,
// escapes are resolved, and what encoding/json refuses stays refused.
func TestOtherClaimSpellingsDecodeAsBefore(t *testing.T) {
	cases := []string{
		`{"iss":"a","sub":"u","sub":"v","aud":["t"],"exp":1765000000,"sid":"s"}`,
		`{"sub":"u","iss":"a","aud":["t"],"exp":1765000000,"sid":"s"}`,
		`{"iss":"a", "sub":"u","aud":["t"],"exp":1765000000,"sid":"s"}`,
		`{"ISS":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s"}`,
		`{"iss":"a","sub":"\u0075","aud":["t"],"exp":1765000000,"sid":"s"}`,
		`{"iss":"a","sub":null,"aud":null,"exp":null,"sid":"s","idn":null}`,
		`{"iss":"a","sub":"u","aud":"t","exp":1765000000,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":[],"exp":1765000000,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t",1],"exp":1765000000,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000.75,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1.765e9,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":-5,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":01765000000,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":"1765000000","sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":12345678901234567890,"sid":"s"}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s","x":{"y":[1]}}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s","idn":{"tg":"t","em":"e"}}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s","idn":{"ro":[],"tg":"t"}}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s","idn":{"nm":"\ud83d\ude00","tg":"t"}}`,
		"{\"iss\":\"a\",\"sub\":\"\xff\xfe\",\"aud\":[\"t\"],\"exp\":1765000000,\"sid\":\"s\"}",
		"{\"iss\":\"a\",\"sub\":\"u\tv\",\"aud\":[\"t\"],\"exp\":1765000000,\"sid\":\"s\"}",
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s"} `,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s"}x`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s",}`,
		`{"iss":"a","sub":"u","aud":["t"],"exp":1765000000,"sid":"s"`,
		`[]`,
		`null`,
		``,
	}
	for _, in := range cases {
		var fast Claims
		if decodeGatewayClaims([]byte(in), &fast) {
			t.Errorf("%q is not the gateway's spelling but took the direct decoder", in)
		}
		var got, want Claims
		gotErr := decodeClaims([]byte(in), &got)
		wantErr := json.Unmarshal([]byte(in), &want)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: decodeClaims %+v (err %v), encoding/json %+v (err %v)", in, got, gotErr, want, wantErr)
		}
	}
}

// FuzzGatewayClaims holds the direct decoder to encoding/json: whatever
// it accepts, encoding/json accepts too and decodes to the same claims.
func FuzzGatewayClaims(f *testing.F) {
	for _, b := range gatewayClaimsSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"iss":"a","aud":["t","u"],"exp":0,"nbf":9,"idn":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast Claims
		if !decodeGatewayClaims(b, &fast) {
			return
		}
		var slow Claims
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("direct decoder accepted %q, which encoding/json refuses: %v", b, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: direct %+v, encoding/json %+v", b, fast, slow)
		}
	})
}
