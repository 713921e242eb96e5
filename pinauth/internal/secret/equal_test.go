package secret

import "testing"

func TestConstantTimeEqualMatchesStringEquality(t *testing.T) {
	t.Parallel()
	base := "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.payload-part-0123456789.signature"
	cases := []string{base, base[:len(base)-1], base + "x", "", "e"}
	for i := 0; i < len(base); i++ {
		b := []byte(base)
		b[i] ^= 0x20
		cases = append(cases, string(b))
	}
	for _, a := range cases {
		for _, b := range cases[:5] {
			if got, want := Equal(a, b), a == b; got != want {
				t.Fatalf("Equal(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}
