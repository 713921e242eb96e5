package pinauth

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"go.uber.org/zap"
)

// isPosted is the success body of calls that return no data.
var isPosted = map[string]bool{"IsPosted": true}

// isDeleted is the success body of deletions and revocations, as
// LoginRadius documents them (its typed SDKs read IsDeleted).
var isDeleted = map[string]bool{"IsDeleted": true}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only programming errors reach here (every response type marshals).
		status, b = http.StatusInternalServerError, []byte(`{"ErrorCode":500,"Message":"An internal error occurred","Description":"","IsProviderError":false,"ProviderErrorResponse":null}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes err in LoginRadius's error shape. Internal causes are
// logged with a request id that is also returned in X-Request-Id; their
// text never reaches the client.
func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := lrerr.As(err)
	if e.Cause != nil {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		level := zap.ErrorLevel
		if e.Code == lrerr.CodeUnavailable {
			level = zap.WarnLevel
		}
		if ce := g.log.Check(level, "request failed"); ce != nil {
			ce.Write(zap.String("request_id", id), zap.String("method", r.Method),
				zap.String("path", r.URL.Path), zap.Int("code", int(e.Code)), zap.Error(e.Cause))
		}
	}
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	writeJSON(w, e.HTTPStatus(), e.Body())
}

// newRequestID returns a short random id for correlating logs.
func newRequestID() string {
	return secret.Hex(8)
}
