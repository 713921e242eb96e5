package lrimport

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// noWrites is a writer for inputs whose records must all fail or that
// must stop before any batch is written.
func noWrites(t *testing.T) WriteFunc {
	return func(_ context.Context, recs []*Record) ([]Result, error) {
		if len(recs) > 0 {
			t.Errorf("the writer received %d records", len(recs))
		}
		return make([]Result, len(recs)), nil
	}
}

func TestRunRejectsWhatIsNotAnExportAndStopsAtBrokenJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, wantErr string }{
		{"not JSON", "Uid,Email\n1,a@example.com\n", "must be a JSON array"},
		{"broken array", "[\n" + `{"Uid":"a1","Email":"a1@example.com"},` + "\n{\"Uid\": \n", "line 3"},
		{"a record cut off", "[\n" + `{"Uid":"a1"},` + "\n" + `{"Uid":"a2"`, "ends in the middle of a record"},
		{"an array not closed", "[\n" + `{"Uid":"a1"}` + "\n", "not closed"},
		{"data after the array", `[{"Uid":"a2"}] {"Uid":"a3"}`, "after the JSON array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(t.Context(), strings.NewReader(c.in), Options{}, func(_ context.Context, recs []*Record) ([]Result, error) {
				return make([]Result, len(recs)), nil
			})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, ErrNotAnExport) {
				t.Fatalf("err = %v, want an ErrNotAnExport saying %q", err, c.wantErr)
			}
		})
	}
}

func TestRunReadsEmptyExportsAndSkipsAByteOrderMarkAndBlankLines(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in  string
		records   int
		wantLines []int // of the failures
	}{
		{"nothing", "", 0, nil},
		{"only blanks", " \n\t\r\n", 0, nil},
		{"an empty array", "[]\n", 0, nil},
		{"a BOM before an array", "\ufeff[{\"Email\":\"a@example.com\"}]", 1, []int{1}},
		{"a BOM before NDJSON", "\ufeff{\"Email\":\"a@example.com\"}\n", 1, []int{1}},
		{"blank lines before NDJSON", "\n\r\n  \n{\"Email\":\"a@example.com\"}\n\n{\"Email\":\"b@example.com\"}", 2, []int{4, 6}},
		{"a BOM and a blank line before NDJSON", "\ufeff\n{\"Email\":\"a@example.com\"}\n", 1, []int{2}},
		{"blank lines in NDJSON", "{\"Email\":\"a@example.com\"}\n\n\n{\"Email\":\"b@example.com\"}", 2, []int{1, 4}},
		{"a broken NDJSON line fails only that record", "{not json\n{\"Email\":\"b@example.com\"}\n", 2, []int{1, 2}},
		{"records of an array on one line", `[{"Email":"a@example.com"}, {"Email":"b@example.com"}]`, 2, []int{1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sum, err := Run(t.Context(), strings.NewReader(c.in), Options{}, noWrites(t))
			if err != nil || sum.Records != c.records || sum.Failed != c.records {
				t.Fatalf("%v %+v", err, sum)
			}
			for i, f := range sum.Failures {
				if f.Line != c.wantLines[i] || f.Record != i+1 {
					t.Errorf("failure %d: %+v, want line %d", i, f, c.wantLines[i])
				}
			}
		})
	}
}
