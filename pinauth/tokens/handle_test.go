package tokens

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

func TestIsHandleAcceptsOnlyTheCanonicalVersion4Spelling(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		secret.NewToken():                           true,
		"1b4e28ba-2fa1-41d2-883f-0016d3cca427":      true,
		"1b4e28ba-2fa1-11d2-883f-0016d3cca427":      false, // version 1
		"1b4e28ba-2fa1-41d2-c83f-0016d3cca427":      false, // variant
		"1B4E28BA-2FA1-41D2-883F-0016D3CCA427":      false,
		"1b4e28ba2fa141d2883f0016d3cca427":          false,
		"1b4e28ba-2fa1-41d2-883f-0016d3cca42":       false,
		"1b4e28ba-2fa1-41d2-883f-0016d3cca4270":     false,
		"1b4e28ba-2fa1-41d2-883f-0016d3cca42g":      false,
		"00000000-0000-0000-0000-000000000000":      false,
		"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln": false,
		"": false,
	} {
		if got := IsHandle(s); got != want {
			t.Errorf("IsHandle(%q) = %v, want %v", s, got, want)
		}
	}
}
