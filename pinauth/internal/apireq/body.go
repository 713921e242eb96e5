// Package apireq reads API requests the way LoginRadius's SDKs send them:
// query parameters matched without case (Params, FoldKey), bodies that are
// one strict JSON object of at most MaxBodyBytes (DecodeJSON), and a read
// deadline on a body that trickles in (SetBodyDeadline). Its failures are
// lrerr errors, ready to answer. It imports nothing of the gateway.
package apireq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// MaxBodyBytes is the largest request body the API accepts.
const MaxBodyBytes = 64 << 10

// BodyCode returns the body-invalid code LoginRadius uses for a method.
func BodyCode(method string) lrerr.Code {
	switch method {
	case http.MethodPost:
		return lrerr.CodePostBodyInvalid
	case http.MethodPut:
		return lrerr.CodePutBodyInvalid
	}
	return lrerr.CodeBodyInvalid
}

// ReadBody reads the whole request body, at most MaxBodyBytes. An empty
// body yields nil. Afterwards the body reads as empty, and Spent returns
// the bytes.
func ReadBody(r *http.Request) ([]byte, *lrerr.Error) {
	if r.Body == nil {
		return nil, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, lrerr.WithDescription(BodyCode(r.Method), "The Content-Type must be application/json.")
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(r.Method)
		}
		if IsTimeout(err) {
			return nil, &lrerr.Error{Code: BodyCode(r.Method), Status: http.StatusRequestTimeout,
				Description: "The request body did not arrive in time."}
		}
		return nil, lrerr.WithDescription(BodyCode(r.Method), "The request body could not be read.")
	}
	if len(b) > MaxBodyBytes {
		return nil, tooLarge(r.Method)
	}
	r.Body = spentBody{data: b}
	return b, nil
}

// spentBody replaces a body ReadBody has read: reading it again yields
// nothing, as before, but later steps of the call (the captcha fields of a
// credential check) can still look at the bytes (Spent).
type spentBody struct{ data []byte }

func (spentBody) Read([]byte) (int, error) { return 0, io.EOF }
func (spentBody) Close() error             { return nil }

// Spent returns the body ReadBody has read from r, and false when it has
// not read it (yet).
func Spent(r *http.Request) ([]byte, bool) {
	sb, ok := r.Body.(spentBody)
	return sb.data, ok
}

func tooLarge(method string) *lrerr.Error {
	return &lrerr.Error{Code: BodyCode(method), Status: http.StatusRequestEntityTooLarge,
		Description: fmt.Sprintf("The request body exceeds %d KiB.", MaxBodyBytes>>10)}
}

// DecodeJSON reads r's body into dst strictly: the body must be one JSON
// object of at most MaxBodyBytes, no key may appear twice in an object
// (compared without case, since keys match without case), and values must
// have the expected types. Unknown keys are ignored. An empty body is an
// error unless allowEmpty.
func DecodeJSON(r *http.Request, dst any, allowEmpty bool) *lrerr.Error {
	b, e := ReadBody(r)
	if e != nil {
		return e
	}
	return UnmarshalStrict(r.Method, b, dst, allowEmpty)
}

// UnmarshalStrict is DecodeJSON's parsing step, for a body already read
// (method chooses the error code).
func UnmarshalStrict(method string, b []byte, dst any, allowEmpty bool) *lrerr.Error {
	code := BodyCode(method)
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return lrerr.WithDescription(code, "The request body is empty.")
	}
	if err := checkJSONShape(b); err != nil {
		return lrerr.WithDescription(code, err.Error())
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return lrerr.WithDescription(code, fmt.Sprintf("The field %q has the wrong type.", te.Field))
		}
		return lrerr.WithDescription(code, "The request body is not valid JSON.")
	}
	return nil
}

// checkJSONShape verifies that b is exactly one JSON object whose objects
// have no duplicate keys (compared as encoding/json matches them, see
// FoldKey). Error texts never quote
// values, only key names.
func checkJSONShape(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return errors.New("The request body is not valid JSON.")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("The request body must be a JSON object.")
	}
	if err := scanObject(dec, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("The request body must hold exactly one JSON object.")
	}
	return nil
}

// maxJSONDepth bounds nesting so hostile bodies cannot exhaust the stack.
const maxJSONDepth = 32

// scanObject consumes an object's members after its opening brace.
func scanObject(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("The request body is nested too deeply.")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errors.New("The request body is not valid JSON.")
		}
		key, _ := tok.(string)
		lk := FoldKey(key)
		if seen[lk] {
			return fmt.Errorf("The key %q appears more than once.", Truncate(key, 64))
		}
		seen[lk] = true
		if err := scanValue(dec, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return errors.New("The request body is not valid JSON.")
	}
	return nil
}

// scanValue consumes one value.
func scanValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return errors.New("The request body is not valid JSON.")
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		return scanObject(dec, depth+1)
	case '[':
		if depth+1 > maxJSONDepth {
			return errors.New("The request body is nested too deeply.")
		}
		for dec.More() {
			if err := scanValue(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return errors.New("The request body is not valid JSON.")
		}
	}
	return nil
}

// Truncate returns s cut to n bytes, with an ellipsis when it was longer,
// for quoting client input in error texts and logs.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
