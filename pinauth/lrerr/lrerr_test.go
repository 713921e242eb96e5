package lrerr

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// TestCatalogueMatchesLoginRadiusResponseCodes holds every code the
// gateway shares with LoginRadius to the HTTP status and Message label of
// LoginRadius's response-code list (testdata derived from it): apps match
// on both.
func TestCatalogueMatchesLoginRadiusResponseCodes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/response-codes.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Codes map[string]struct {
			Status  int
			Message string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, code := range Codes() {
		ent, _ := Lookup(code)
		want, documented := doc.Codes[strconv.Itoa(int(code))]
		if !documented {
			continue // the gateway's own codes (404, 429, 500, 503, 6003)
		}
		if ent.Status != want.Status || ent.Message != want.Message {
			t.Errorf("error %d: the catalogue says %d %q, LoginRadius documents %d %q",
				code, ent.Status, ent.Message, want.Status, want.Message)
		}
	}
	if len(doc.Codes) < 30 {
		t.Fatalf("only %d documented codes read: the testdata is truncated", len(doc.Codes))
	}
}
