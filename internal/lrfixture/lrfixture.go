// Package lrfixture generates LoginRadius profile exports for tests: as
// many profiles as a test asks for, in either export format, with a few
// records that an import must reject or skip. Tests generate their
// fixtures rather than commit a large file.
package lrfixture

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Format is an export format.
type Format int

// The export formats.
const (
	// JSONArray is one pretty-printed JSON array of profiles.
	JSONArray Format = iota
	// NDJSON is one compact profile per line.
	NDJSON
)

// Export describes a generated export.
type Export struct {
	// Valid is how many records an import creates (the first run).
	Valid int
	// Deleted is how many records LoginRadius marks deleted (skipped).
	Deleted int
	// Invalid are the 1-based positions of records an import must fail.
	Invalid []int
}

// UID is the Uid of the i-th generated profile (0-based).
func UID(i int) string { return fmt.Sprintf("%032x", 0xabc000000+i) }

// Email is the address of the i-th generated profile.
func Email(i int) string { return fmt.Sprintf("user%06d@example.com", i) }

// Profile is the i-th generated profile, shaped like a LoginRadius export
// record (password hash and PIN metadata included, as exports carry them).
func Profile(i int) map[string]any {
	return map[string]any{
		"Uid":           UID(i),
		"ID":            fmt.Sprintf("%032x", 0xdef000000+i),
		"Email":         []map[string]string{{"Type": "Primary", "Value": Email(i)}},
		"UserName":      fmt.Sprintf("user%06d", i),
		"FirstName":     "First",
		"LastName":      fmt.Sprintf("Last%d", i),
		"FullName":      fmt.Sprintf("First Last%d", i),
		"PhoneId":       fmt.Sprintf("1555%07d", i),
		"Roles":         []string{"member"},
		"EmailVerified": i%2 == 0,
		"IsActive":      true,
		"IsDeleted":     false,
		"Password":      "lr-hash-" + UID(i),
		"PIN":           map[string]any{"Skipped": false, "LastPINChangeDate": "2024-05-01T10:00:00Z"},
		"CreatedDate":   "2023-01-02T03:04:05.678Z",
		"LastLoginDate": "2024-06-01T12:00:00Z",
		"NoOfLogins":    i % 17,
		"Provider":      "Email",
		"CustomFields":  map[string]any{"team": fmt.Sprintf("t%d", i%7), "plan": "gold"},
		"Company":       "Example Ltd",
	}
}

// Write writes n generated profiles in format f and returns what an import
// of them must do. Among them: every 250th record has no Uid, every 333rd
// an invalid email, every 400th is marked deleted (so n ≥ 1000 exercises
// each).
func Write(w io.Writer, n int, f Format) (Export, error) {
	bw := bufio.NewWriter(w)
	var exp Export
	if f == JSONArray {
		bw.WriteString("[\n")
	}
	for i := 0; i < n; i++ {
		p := Profile(i)
		switch {
		case i > 0 && i%250 == 0:
			delete(p, "Uid")
			exp.Invalid = append(exp.Invalid, i+1)
		case i > 0 && i%333 == 0:
			p["Email"] = []map[string]string{{"Type": "Primary", "Value": "not an email"}}
			exp.Invalid = append(exp.Invalid, i+1)
		case i > 0 && i%400 == 0:
			p["IsDeleted"] = true
			exp.Deleted++
		default:
			exp.Valid++
		}
		var b []byte
		var err error
		if f == JSONArray {
			b, err = json.MarshalIndent(p, "  ", "  ")
		} else {
			b, err = json.Marshal(p)
		}
		if err != nil {
			return exp, err
		}
		if f == JSONArray {
			bw.WriteString("  ")
		}
		bw.Write(b)
		if f == JSONArray && i < n-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	if f == JSONArray {
		bw.WriteString("]\n")
	}
	return exp, bw.Flush()
}
