package pinauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// ImportOptions tunes Admin.ImportLoginRadius.
type ImportOptions struct {
	// Progress, when set, is called after each batch with the number of
	// records and input bytes read so far.
	Progress func(records int, bytesRead int64)
	// BatchSize is the number of records written per transaction.
	// Default: 200.
	BatchSize int
}

// ImportSummary is the outcome of an import.
type ImportSummary struct {
	// Records is the number of records read.
	Records int
	// Created, Updated, Skipped and Failed partition the records. Skipped
	// are records identical to the stored account and records LoginRadius
	// marks deleted (IsDeleted).
	Created, Updated, Skipped, Failed int
	// Failures describes the first MaxImportFailures failed records.
	Failures []ImportFailure
}

// ImportFailure is one record that could not be imported.
type ImportFailure struct {
	// Line is where the record starts in the input (1-based).
	Line int
	// Record is the record's position in the input (1-based).
	Record int
	// UID is the record's Uid, when it has one.
	UID string
	// Reason says what is wrong, naming fields, never quoting secrets.
	Reason string
}

// MaxImportFailures bounds the failures an ImportSummary lists; they are
// all counted.
const MaxImportFailures = 1000

const defaultImportBatch = 200

// ImportLoginRadius imports a LoginRadius profile export into tenant ("" for
// the only tenant): a JSON array of profiles, or one profile per line
// (NDJSON), read as a stream. Each record keeps its Uid, emails, username,
// phone, roles, flags, dates and every other profile field as given
// (CustomFields included). LoginRadius's password hashes cannot be
// verified here, so secrets are never imported: new accounts are marked
// NeedsSecretReset and set their password and PIN through a reset flow (or
// an operator sets them).
//
// Re-running an import is safe: a record whose Uid exists updates that
// account's emails, username, phone, roles, verified flag and profile
// fields (fields set only here are kept) or is skipped when nothing
// differs; the account's secrets, PIN, active flag, lock state and login
// history are never touched. Imports record no webhook events: they are a
// migration, not registrations. A record that cannot be imported (a
// missing Uid, an invalid field, an email another account has) is counted
// and listed; the rest go on. The returned error is for faults (the input
// is not a JSON array or stream, the store failed, ctx ended); the summary
// then tells how far the import got, and a re-run continues.
func (a *Admin) ImportLoginRadius(ctx context.Context, tenant string, r io.Reader, opts ImportOptions) (ImportSummary, error) {
	var sum ImportSummary
	c, err := a.call(tenant)
	if err != nil {
		return sum, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultImportBatch
	}
	src, err := newRecordSource(r)
	if err != nil {
		return sum, err
	}
	batch := make([]importRecord, 0, opts.BatchSize)
	for {
		raw, line, err := src.next()
		if err != nil && !errors.Is(err, io.EOF) {
			return sum, err
		}
		if err == nil {
			sum.Records++
			rec := parseImportRecord(raw)
			rec.line, rec.index = line, sum.Records
			batch = append(batch, rec)
		}
		if len(batch) == opts.BatchSize || (errors.Is(err, io.EOF) && len(batch) > 0) {
			if ferr := a.importBatch(ctx, c, batch, &sum); ferr != nil {
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

// importRecord is one parsed record of an export.
type importRecord struct {
	line, index int
	uid         string
	deleted     bool
	// failure is why the record cannot be imported ("" when it can).
	failure string
	in      *lrprofile.Input
	// Set on creation only.
	active     bool
	created    time.Time
	lastLogin  time.Time
	logins     int
	lastLoginL string
}

// importOutcome is what happened to one record.
type importOutcome int

const (
	importCreated importOutcome = iota
	importUpdated
	importSkipped
	importFailed
)

// importBatch writes a batch in one transaction and counts the outcomes.
func (a *Admin) importBatch(ctx context.Context, c *call, batch []importRecord, sum *ImportSummary) error {
	outcomes := make([]importOutcome, len(batch))
	reasons := make([]string, len(batch))
	err := a.g.store.Update(ctx, func(tx store.Tx) error {
		// A backend may run fn again after a conflict: start afresh.
		for i := range batch {
			outcomes[i], reasons[i] = importFailed, batch[i].failure
			if batch[i].failure != "" {
				continue
			}
			if batch[i].deleted {
				outcomes[i] = importSkipped
				continue
			}
			var err error
			if outcomes[i], reasons[i], err = upsertImported(tx, c.tenant.Name, c.now, &batch[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pinauth: import: writing records %d to %d: %w", batch[0].index, batch[len(batch)-1].index, err)
	}
	for i, o := range outcomes {
		switch o {
		case importCreated:
			sum.Created++
		case importUpdated:
			sum.Updated++
			a.g.cache.invalidateAccount(c.tenant.Name, batch[i].uid)
		case importSkipped:
			sum.Skipped++
		case importFailed:
			sum.Failed++
			if len(sum.Failures) < MaxImportFailures {
				sum.Failures = append(sum.Failures, ImportFailure{
					Line: batch[i].line, Record: batch[i].index, UID: batch[i].uid, Reason: reasons[i],
				})
			}
		}
	}
	return nil
}

// upsertImported creates the record's account in tenant or brings the
// stored one up to date, at now. A taken identifier fails the record, not
// the transaction.
func upsertImported(tx store.Tx, tenant string, now time.Time, rec *importRecord) (importOutcome, string, error) {
	cur, found, err := tx.Account(tenant, rec.uid)
	if err != nil {
		return importFailed, "", err
	}
	if !found {
		a := store.Account{
			Tenant: tenant, UID: rec.uid, Active: rec.active, NeedsSecretReset: true,
			CreatedAt: rec.created, ModifiedAt: now, NoOfLogins: rec.logins,
			LastLoginAt: rec.lastLogin, LastLoginLocation: rec.lastLoginL,
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		rec.in.Apply(&a)
		if err := tx.CreateAccount(a); err != nil {
			if d, ok := store.IsDuplicate(err); ok {
				return importFailed, duplicateReason(d), nil
			}
			return importFailed, "", err
		}
		return importCreated, "", nil
	}
	next := cur
	next.Emails = slices.Clone(cur.Emails)
	next.Roles = slices.Clone(cur.Roles)
	next.Profile = maps.Clone(cur.Profile)
	rec.in.Apply(&next)
	if sameImported(&cur, &next) {
		return importSkipped, "", nil
	}
	next.ModifiedAt = now
	if _, err := tx.SaveAccount(next); err != nil {
		if d, ok := store.IsDuplicate(err); ok {
			return importFailed, duplicateReason(d), nil
		}
		return importFailed, "", err
	}
	return importUpdated, "", nil
}

func duplicateReason(d *store.DuplicateError) string {
	return "another account of the tenant already has this " + d.Field + " (as its email, user name, phone or Uid)"
}

// sameImported reports whether the fields an import manages are equal.
func sameImported(a, b *store.Account) bool {
	if !slices.Equal(a.Emails, b.Emails) || a.Username != b.Username || a.Phone != b.Phone ||
		!slices.Equal(a.Roles, b.Roles) || a.EmailVerified != b.EmailVerified || len(a.Profile) != len(b.Profile) {
		return false
	}
	for k, v := range a.Profile {
		if w, ok := b.Profile[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// parseImportRecord reads one LoginRadius profile. Problems become the
// record's failure; secrets (Password, PIN, security answers) are dropped
// unread.
func parseImportRecord(raw []byte) importRecord {
	rec := importRecord{active: true}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		rec.failure = "the record is not a JSON object"
		return rec
	}
	in := &lrprofile.Input{Extra: map[string]json.RawMessage{}}
	var bad []string
	fail := func(field, msg string) { bad = append(bad, field+": "+msg) }
	for key, val := range fields {
		lk := apireq.FoldKey(key)
		null := lrprofile.IsNull(val)
		var err error
		switch lk {
		case "uid":
			err = json.Unmarshal(val, &rec.uid)
		case "email":
			in.HasEmails = true
			if lrprofile.JSONKind(val) == '"' {
				var s string
				err = json.Unmarshal(val, &s)
				in.Emails = []store.Email{{Type: "Primary", Value: s}}
			} else if !null {
				err = json.Unmarshal(val, &in.Emails)
			}
		case "username":
			in.Username = new(string)
			err = lrprofile.UnmarshalNullable(val, in.Username)
		case "phoneid":
			in.Phone = new(string)
			if err = lrprofile.UnmarshalNullable(val, in.Phone); err == nil && *in.Phone != "" && lrprofile.AllDigits(*in.Phone) {
				*in.Phone = "+" + *in.Phone // LoginRadius stores some numbers without the +
			}
		case "roles":
			in.HasRoles = true
			if !null {
				err = json.Unmarshal(val, &in.Roles)
			}
		case "emailverified":
			if !null {
				in.EmailVerified = new(bool)
				err = json.Unmarshal(val, in.EmailVerified)
			}
		case "isactive":
			if !null {
				err = json.Unmarshal(val, &rec.active)
			}
		case "isdeleted":
			if !null {
				err = json.Unmarshal(val, &rec.deleted)
			}
		case "createddate":
			rec.created, err = parseImportTime(val)
		case "lastlogindate":
			rec.lastLogin, err = parseImportTime(val)
		case "nooflogins":
			if !null {
				err = json.Unmarshal(val, &rec.logins)
			}
		case "lastloginlocation":
			err = lrprofile.UnmarshalNullable(val, &rec.lastLoginL)
		default:
			if lrprofile.IsSecretKey(lk) || lrprofile.IsModelledKey(lk) || null {
				continue
			}
			name, ok := lrprofile.CheckField(key, val)
			if !ok {
				fail(key, "has the wrong type")
				continue
			}
			var compact bytes.Buffer
			if err = json.Compact(&compact, val); err == nil {
				in.SetExtra(key, name, compact.Bytes())
			}
		}
		if err != nil {
			fail(key, "has the wrong type")
		}
	}
	if lrprofile.HasControl(rec.lastLoginL) {
		fail("LastLoginLocation", lrprofile.MsgControlChars)
	}
	if !validImportUID(rec.uid) {
		fail("Uid", "is required: 1 to 128 letters, digits, '-', '_' or '.'")
	}
	if e := in.Validate(); e != nil {
		for _, f := range e.Fields {
			fail(f.FieldName, f.ErrorMessage)
		}
	}
	rec.in = in
	if len(bad) > 0 {
		slices.Sort(bad)
		rec.failure = strings.Join(bad, "; ")
	}
	return rec
}

// validImportUID accepts the Uids LoginRadius issues (hex) and other safe
// identifiers: the Uid appears in management URL paths.
func validImportUID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// parseImportTime reads a LoginRadius date: RFC 3339 with or without a
// zone (then UTC), or null.
func parseImportTime(v json.RawMessage) (time.Time, error) {
	var s string
	if lrprofile.IsNull(v) {
		return time.Time{}, nil
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, err
	}
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}
