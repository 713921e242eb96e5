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
