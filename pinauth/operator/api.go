package operator

import (
	"context"
	"net/http"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Act is the acting side of one action on accounts, a call of the account
// API or of Admin: its tenant and time (one time throughout the action),
// the tenant's PIN policy and security questions, the hashing queue, and
// the webhook events, which an API call may silence (prevent_webhook) and
// Admin never does.
type Act interface {
	// Tenant is the name of the tenant acted in.
	Tenant() string
	// Now is the time of the action.
	Now() time.Time
	// CheckPIN checks a new PIN against the tenant's policy; field names
	// the request field for the 1134 error.
	CheckPIN(field, pin string) *lrerr.Error
	// Hash hashes a secret with the current pepper, through the hashing
	// queue (a full queue is a 503 with Retry-After).
	Hash(ctx context.Context, secret string) (string, error)
	// HashAnswers checks security answers ({questionId: answer}, each a
	// question of the tenant) and hashes them; nil for nil.
	HashAnswers(ctx context.Context, answers map[string]string) (map[string]string, error)
	// Emit records hook's event about account a in tx.
	Emit(tx store.Tx, hook string, a *store.Account) error
}

// Request is one call of the account API, routed and authorised by the
// core.
type Request struct {
	// HTTP is the request, for its body and context.
	HTTP *http.Request
	// Query holds its query parameters.
	Query apireq.Params
	// UID is the {uid} path segment, when the route has one.
	UID string
	// Name is the {role} or {rolecontextname} path segment, when the
	// route has one (roles management, issue 20).
	Name string
	// Account is the caller's account, read from the store, on the routes
	// authenticated by an access token (/auth/account).
	Account *store.Account
	// Act is the call's acting side.
	Act Act
}

// API serves the account API: the management API (/manage/account) and
// the caller's own profile (/auth/account). Each handler returns the
// response body or an *lrerr.Error; the core writes either.
type API struct {
	core Core
}

// NewAPI returns the account API over core.
func NewAPI(core Core) *API { return &API{core: core} }

// isDeleted is the success body of a deletion, as LoginRadius documents
// it (its typed SDKs read IsDeleted).
var isDeleted = map[string]bool{"IsDeleted": true}
