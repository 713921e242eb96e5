package store

import "time"

// Session is one login: the access tokens and the refresh-token family that
// carry its id (the JWT "sid").
type Session struct {
	ID        string
	Tenant    string
	UID       string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the session is valid.
	RevokedAt time.Time
}

// Ref returns the reference of the session's account.
func (s *Session) Ref() AccountRef { return AccountRef{Tenant: s.Tenant, UID: s.UID} }

// ChangeRetention is how long the store keeps what Reader.Changes returns:
// a gateway trusts the claims of access tokens that live at most this long.
const ChangeRetention = 48 * time.Hour

// Changes are what made claims stale in a span of time (Reader.Changes).
type Changes struct {
	// Accounts were saved or deleted.
	Accounts []AccountRef
	// Sessions were revoked.
	Sessions []string
}
