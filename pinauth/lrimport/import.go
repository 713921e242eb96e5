// Package lrimport reads LoginRadius profile exports: a JSON array of
// profiles or one profile per line (NDJSON), streamed, each record checked
// and handed in batches to a writer the caller gives, which stores them
// (the gateway's core, in one transaction per batch). Secrets in an export
// (password hashes, PINs, security answers) are dropped unread. It imports
// nothing of the gateway.
package lrimport

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Options tunes an import.
type Options struct {
	// Progress, when set, is called after each batch with the number of
	// records and input bytes read so far.
	Progress func(records int, bytesRead int64)
	// BatchSize is the number of records written per transaction.
	// Default: 200.
	BatchSize int
}

// Summary is the outcome of an import.
type Summary struct {
	// Records is the number of records read.
	Records int
	// Created, Updated, Skipped and Failed partition the records. Skipped
	// are records identical to the stored account and records LoginRadius
	// marks deleted (IsDeleted).
	Created, Updated, Skipped, Failed int
	// Failures describes the first MaxFailures failed records.
	Failures []Failure
}

// Failure is one record that could not be imported.
type Failure struct {
	// Line is where the record starts in the input (1-based).
	Line int
	// Record is the record's position in the input (1-based).
	Record int
	// UID is the record's Uid, when it has one.
	UID string
	// Reason says what is wrong, naming fields, never quoting secrets.
	Reason string
}

// MaxFailures bounds the failures a Summary lists; they are all counted.
const MaxFailures = 1000

// defaultBatch is small enough that one batch's transaction ends well
// inside the store's default query timeout (5 s, which bounds a whole
// transaction) on a busy PostgreSQL: batches of 200 timed out on a loaded
// machine, while the commits saved by larger batches are few.
const defaultBatch = 50

// Outcome is what writing one record did.
type Outcome int

// The outcomes of writing a record.
const (
	// Created: the record's account did not exist and was created.
	Created Outcome = iota
	// Updated: the stored account differed and was brought up to date.
	Updated
	// Skipped: the stored account already equals the record.
	Skipped
	// Failed: the record cannot be stored (Result.Reason says why).
	Failed
)

// Result is the outcome of writing one record.
type Result struct {
	Outcome Outcome
	// Reason says why a Failed record failed, naming fields, never
	// quoting secrets.
	Reason string
}

// WriteFunc stores a batch of records in one transaction and returns the
// result of each, in order. Only records that can be imported reach it
// (the failed and the deleted are counted before); it may get none. An
// error is a fault that stops the import: nothing of the batch is stored.
type WriteFunc func(ctx context.Context, recs []*Record) ([]Result, error)

// Run reads the export from r and writes its records through write, in
// batches. A record that cannot be imported is counted and listed in the
// summary; the rest go on. The returned error is for faults: the input is
// not an export (ErrNotAnExport), write failed, or ctx ended; the summary
// then tells how far the import got.
func Run(ctx context.Context, r io.Reader, opts Options, write WriteFunc) (Summary, error) {
	var sum Summary
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultBatch
	}
	src, err := newRecordSource(r)
	if err != nil {
		return sum, err
	}
	batch := make([]Record, 0, opts.BatchSize)
	for {
		raw, line, err := src.next()
		if err != nil && !errors.Is(err, io.EOF) {
			return sum, err
		}
		if err == nil {
			sum.Records++
			rec := parseRecord(raw)
			rec.line, rec.index = line, sum.Records
			batch = append(batch, rec)
		}
		if len(batch) == opts.BatchSize || (errors.Is(err, io.EOF) && len(batch) > 0) {
			if ferr := writeBatch(ctx, batch, write, &sum); ferr != nil {
				return sum, ferr
			}
			batch = batch[:0]
			if opts.Progress != nil {
				opts.Progress(sum.Records, src.offset())
			}
		}
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return sum, cerr
		}
	}
}

// writeBatch writes the importable records of batch and counts the
// outcomes of all.
func writeBatch(ctx context.Context, batch []Record, write WriteFunc, sum *Summary) error {
	results := make([]Result, len(batch))
	var todo []*Record
	var at []int // todo[j] is batch[at[j]]
	for i := range batch {
		switch {
		case batch[i].failure != "":
			results[i] = Result{Outcome: Failed, Reason: batch[i].failure}
		case batch[i].deleted:
			results[i] = Result{Outcome: Skipped}
		default:
			todo = append(todo, &batch[i])
			at = append(at, i)
		}
	}
	written, err := write(ctx, todo)
	if err == nil && len(written) != len(todo) {
		err = fmt.Errorf("the writer returned %d results for %d records", len(written), len(todo))
	}
	if err != nil {
		return fmt.Errorf("pinauth: import: writing records %d to %d: %w", batch[0].index, batch[len(batch)-1].index, err)
	}
	for j, res := range written {
		results[at[j]] = res
	}
	for i, res := range results {
		switch res.Outcome {
		case Created:
			sum.Created++
		case Updated:
			sum.Updated++
		case Skipped:
			sum.Skipped++
		case Failed:
			sum.Failed++
			if len(sum.Failures) < MaxFailures {
				sum.Failures = append(sum.Failures, Failure{
					Line: batch[i].line, Record: batch[i].index, UID: batch[i].UID, Reason: res.Reason,
				})
			}
		}
	}
	return nil
}
