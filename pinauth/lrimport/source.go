package lrimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrNotAnExport is matched (errors.Is) by the errors of an import whose
// input is not a LoginRadius export: not JSON, not an array or NDJSON, or
// broken JSON that stops the import. Fixing the input, not retrying, helps.
var ErrNotAnExport = errors.New("pinauth: the input is not a LoginRadius export")

// notAnExportError is an ErrNotAnExport with what is wrong, and where.
type notAnExportError struct{ msg string }

func (e *notAnExportError) Error() string        { return e.msg }
func (e *notAnExportError) Is(target error) bool { return target == ErrNotAnExport }

func notAnExportf(format string, args ...any) error {
	return &notAnExportError{msg: fmt.Sprintf(format, args...)}
}

// recordSource yields the records of an export one at a time, so that an
// export of a million profiles is never held in memory.
type recordSource interface {
	// next returns the next record's bytes and the line it starts on, or
	// io.EOF after the last. Any other error ends the import: the rest of
	// the input cannot be trusted.
	next() (raw []byte, line int, err error)
	// offset is how many bytes of input were consumed.
	offset() int64
}

// newRecordSource detects the export's format from its first byte: '['
// starts a JSON array, '{' newline-delimited JSON (one profile per line).
func newRecordSource(r io.Reader) (recordSource, error) {
	lc := &lineCounter{r: r}
	br := bufio.NewReaderSize(lc, 64<<10)
	// What comes before the first record: its newlines count for the
	// lines of NDJSON records, its bytes for their offset.
	var leadLines int
	var leadBytes int64
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return &emptySource{}, nil
			}
			return nil, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			leadBytes++
			if b == '\n' {
				leadLines++
			}
			continue
		case 0xEF: // a UTF-8 byte order mark
			if _, err := br.Discard(2); err != nil {
				return nil, err
			}
			leadBytes += 3
			continue
		case '[':
			if err := br.UnreadByte(); err != nil {
				return nil, err
			}
			s := &arraySource{dec: json.NewDecoder(br), lc: lc, base: lc.n - int64(br.Buffered())}
			if _, err := s.dec.Token(); err != nil { // the opening bracket
				return nil, err
			}
			return s, nil
		case '{':
			if err := br.UnreadByte(); err != nil {
				return nil, err
			}
			return &lineSource{br: br, lc: lc, line: leadLines, off: leadBytes}, nil
		default:
			return nil, notAnExportf("the export must be a JSON array of profiles or one JSON profile per line (it starts with %q)", b)
		}
	}
}

// lineCounter counts the bytes read through it and remembers where the
// newlines are, so a record's offset can be turned into a line number. It
// keeps only the newlines not yet passed.
type lineCounter struct {
	r      io.Reader
	n      int64
	nl     []int64
	passed int
}

func (lc *lineCounter) Read(p []byte) (int, error) {
	n, err := lc.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			lc.nl = append(lc.nl, lc.n+int64(i))
		}
	}
	lc.n += int64(n)
	return n, err
}

// lineAt returns the 1-based line of the byte at off. Offsets must not
// decrease from call to call.
func (lc *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(lc.nl) && lc.nl[i] < off {
		i++
	}
	lc.passed += i
	lc.nl = lc.nl[i:]
	return lc.passed + 1
}

// emptySource is an empty export.
type emptySource struct{}

func (*emptySource) next() ([]byte, int, error) { return nil, 0, io.EOF }
func (*emptySource) offset() int64              { return 0 }

// lineSource reads newline-delimited JSON. A malformed line fails that
// record only; the next line starts afresh.
type lineSource struct {
	br   *bufio.Reader
	lc   *lineCounter
	line int
	off  int64
}

func (s *lineSource) next() ([]byte, int, error) {
	for {
		b, err := s.br.ReadBytes('\n')
		if len(b) == 0 && err != nil {
			return nil, 0, err
		}
		s.line++
		s.off += int64(len(b))
		if b = bytes.TrimSpace(b); len(b) > 0 {
			return b, s.line, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

func (s *lineSource) offset() int64 { return s.off }

// arraySource reads the elements of one JSON array, streaming.
type arraySource struct {
	dec  *json.Decoder
	lc   *lineCounter
	base int64 // input offset where the decoder started
	done bool
}

func (s *arraySource) next() ([]byte, int, error) {
	if s.done {
		return nil, 0, io.EOF
	}
	if !s.dec.More() {
		s.done = true
		if _, err := s.dec.Token(); err != nil { // the closing bracket
			return nil, 0, notAnExportf("line %d: the JSON array is not closed", s.line())
		}
		if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
			return nil, 0, notAnExportf("line %d: unexpected data after the JSON array", s.line())
		}
		return nil, 0, io.EOF
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		s.done = true
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, 0, notAnExportf("line %d: the export is not valid JSON: %v", s.lc.lineAt(s.base+se.Offset), err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, 0, notAnExportf("line %d: the export ends in the middle of a record", s.lc.lineAt(max(s.lc.n-1, 0)))
		}
		return nil, 0, fmt.Errorf("line %d: reading the export: %w", s.line(), err)
	}
	end := s.base + s.dec.InputOffset()
	return raw, s.lc.lineAt(end - int64(len(raw))), nil
}

// line is the current line, for syntax errors.
func (s *arraySource) line() int { return s.lc.lineAt(s.base + s.dec.InputOffset()) }

func (s *arraySource) offset() int64 { return s.base + s.dec.InputOffset() }
