package loginpage

import "testing"

func TestUnpackFieldsRejectsMalformedInput(t *testing.T) {
	t.Parallel()
	good := string(packFields([]string{"demo", "", "x\x00y"}))
	if f, ok := unpackFields(good, 3); !ok || f[0] != "demo" || f[1] != "" || f[2] != "x\x00y" {
		t.Fatalf("round trip: %q %v", f, ok)
	}
	for name, in := range map[string]string{
		"too few fields":   good,
		"length too large": "\x09abc",
		"truncated varint": "\x80",
		"trailing byte":    good + "\x05",
	} {
		n := 3
		if name == "too few fields" {
			n = 4
		}
		if _, ok := unpackFields(in, n); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
