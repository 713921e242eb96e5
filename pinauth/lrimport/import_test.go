package lrimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
)

// memoryWriter stores records by Uid, as the core's writer does in the
// store: a new Uid is created, a known one skipped.
type memoryWriter struct {
	seen    map[string]bool
	batches []int // records each call received
}

func (w *memoryWriter) write(_ context.Context, recs []*Record) ([]Result, error) {
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.batches = append(w.batches, len(recs))
	out := make([]Result, len(recs))
	for i, rec := range recs {
		if rec.failure != "" || rec.deleted {
			return nil, fmt.Errorf("the writer received record %d, which cannot be imported", rec.index)
		}
		if w.seen[rec.UID] {
			out[i] = Result{Outcome: Skipped}
			continue
		}
		w.seen[rec.UID] = true
		out[i] = Result{Outcome: Created}
	}
	return out, nil
}

func TestRunHandsTheWriterOnlyImportableRecordsInBatchesAndCountsEveryRecord(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		name   string
		format lrfixture.Format
	}{{"json array", lrfixture.JSONArray}, {"ndjson", lrfixture.NDJSON}} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			const n = 1200
			var buf bytes.Buffer
			exp, err := lrfixture.Write(&buf, n, f.format)
			if err != nil {
				t.Fatal(err)
			}
			content := buf.Bytes()
			lines := strings.Split(string(content), "\n")
			var w memoryWriter
			var progress []int
			var lastOffset int64
			sum, err := Run(t.Context(), bytes.NewReader(content), Options{
				BatchSize: 100,
				Progress: func(records int, read int64) {
					progress = append(progress, records)
					lastOffset = read
				},
			}, w.write)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != n || sum.Created != exp.Valid || sum.Skipped != exp.Deleted || sum.Failed != len(exp.Invalid) || sum.Updated != 0 {
				t.Fatalf("summary %+v; want %d created, %d skipped, %d failed", sum, exp.Valid, exp.Deleted, len(exp.Invalid))
			}
			if len(progress) != n/100 || progress[len(progress)-1] != n {
				t.Errorf("progress calls = %v", progress)
			}
			if lastOffset <= 0 || lastOffset > int64(len(content)) {
				t.Errorf("the last progress call read %d bytes of %d", lastOffset, len(content))
			}
			if len(w.batches) != n/100 {
				t.Errorf("the writer was called %d times, want %d", len(w.batches), n/100)
			}
			for i, fl := range sum.Failures {
				if fl.Record != exp.Invalid[i] {
					t.Fatalf("failure %d is record %d, want %d", i, fl.Record, exp.Invalid[i])
				}
				if f.format == lrfixture.NDJSON && fl.Line != fl.Record {
					t.Errorf("NDJSON failure of record %d reported on line %d", fl.Record, fl.Line)
				}
				if f.format == lrfixture.JSONArray && lines[fl.Line-1] != "  {" {
					t.Errorf("JSON failure of record %d reported on line %d, which is %q", fl.Record, fl.Line, lines[fl.Line-1])
				}
				if !strings.Contains(fl.Reason, "Uid") && !strings.Contains(fl.Reason, "Email") {
					t.Errorf("failure reason %q names neither Uid nor Email", fl.Reason)
				}
			}

			again, err := Run(t.Context(), bytes.NewReader(content), Options{}, w.write)
			if err != nil {
				t.Fatal(err)
			}
			if again.Created != 0 || again.Skipped != exp.Valid+exp.Deleted || again.Failed != len(exp.Invalid) {
				t.Fatalf("second run: %+v", again)
			}
			if calls := len(w.batches) - n/100; calls != n/defaultBatch {
				t.Errorf("with the default batch size the writer was called %d times, want %d", calls, n/defaultBatch)
			}
		})
	}
}

func TestRunListsAtMostMaxFailuresAndCountsThemAll(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	const n = MaxFailures + 5
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, `{"Email":"x%d@example.com"}`+"\n", i) // no Uid
	}
	var w memoryWriter
	sum, err := Run(t.Context(), strings.NewReader(in.String()), Options{}, w.write)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != n || len(sum.Failures) != MaxFailures || sum.Failures[MaxFailures-1].Record != MaxFailures {
		t.Fatalf("failed %d, listed %d", sum.Failed, len(sum.Failures))
	}
}

func TestRunCountsTheWritersResultsAndStopsAtItsError(t *testing.T) {
	t.Parallel()
	in := `{"Uid":"u1"}` + "\n" + `{"Uid":"u2"}` + "\n" + `{"Uid":"u3"}` + "\n"
	t.Run("results", func(t *testing.T) {
		sum, err := Run(t.Context(), strings.NewReader(in), Options{}, func(_ context.Context, recs []*Record) ([]Result, error) {
			return []Result{{Outcome: Updated}, {Outcome: Failed, Reason: "taken"}, {Outcome: Created}}, nil
		})
		if err != nil || sum.Updated != 1 || sum.Created != 1 || sum.Failed != 1 ||
			sum.Failures[0] != (Failure{Line: 2, Record: 2, UID: "u2", Reason: "taken"}) {
			t.Fatalf("%v %+v", err, sum)
		}
	})
	t.Run("a fault", func(t *testing.T) {
		fault := errors.New("store down")
		var calls int
		sum, err := Run(t.Context(), strings.NewReader(in), Options{BatchSize: 2}, func(context.Context, []*Record) ([]Result, error) {
			calls++
			return nil, fault
		})
		if !errors.Is(err, fault) || !strings.Contains(err.Error(), "writing records 1 to 2") || calls != 1 || sum.Records != 2 {
			t.Fatalf("%v after %d calls, %+v", err, calls, sum)
		}
	})
	t.Run("a result missing", func(t *testing.T) {
		_, err := Run(t.Context(), strings.NewReader(in), Options{}, func(context.Context, []*Record) ([]Result, error) {
			return nil, nil
		})
		if err == nil {
			t.Fatal("a writer that answered for none of 3 records was taken at its word")
		}
	})
}

func TestRunStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var buf bytes.Buffer
	if _, err := lrfixture.Write(&buf, 500, lrfixture.NDJSON); err != nil {
		t.Fatal(err)
	}
	var w memoryWriter
	sum, err := Run(ctx, &buf, Options{BatchSize: 50}, w.write)
	if !errors.Is(err, context.Canceled) || sum.Records == 500 || len(w.batches) > 1 {
		t.Fatalf("a cancelled import: %v %+v after %d batches", err, sum, len(w.batches))
	}
}
