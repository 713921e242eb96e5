package identityheaders

import (
	"net/http"
	"strings"
	"testing"
)

func TestUnknownPresetsAreRefusedAndPresetHeaderNamesAreCanonical(t *testing.T) {
	t.Parallel()
	if err := ValidatePreset("keycloak"); err == nil {
		t.Error("an unknown preset was accepted")
	}
	if _, err := New(DefaultPrefix, "keycloak"); err == nil {
		t.Error("New took an unknown preset")
	}
	h, err := New(DefaultPrefix, PresetAuthentik)
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{}
	for _, ph := range h.preset {
		hdr[ph.name] = []string{"x"}
	}
	if hdr.Get("X-authentik-groups") != "x" {
		t.Error("preset header names are not canonical")
	}
}

// TestEveryPresetsHeadersAreStrippedWhateverThePreset guards the strip
// list itself: a header added to any preset, in any spelling, is removed
// from client requests under every preset and under none, so no app can be
// fed a forged value of it.
func TestEveryPresetsHeadersAreStrippedWhateverThePreset(t *testing.T) {
	t.Parallel()
	for _, configured := range []string{"", PresetAuthelia, PresetOAuth2Proxy, PresetAuthentik} {
		h, err := New("X-Auth-", configured)
		if err != nil {
			t.Fatal(err)
		}
		for preset, headers := range presets {
			for _, ph := range headers {
				for _, spelling := range []string{ph.name, strings.ToLower(ph.name), strings.ReplaceAll(ph.name, "-", "_"), strings.ReplaceAll(ph.name, "-", ".")} {
					hdr := http.Header{spelling: {"forged"}}
					h.Strip(hdr)
					if len(hdr) != 0 {
						t.Errorf("with preset %q, %s's header %s (spelt %s) is not stripped", configured, preset, ph.name, spelling)
					}
				}
			}
		}
	}
}
