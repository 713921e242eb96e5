package operator

import (
	"context"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// AccountInfo is what an operator sees of an account: the profile as the
// management API returns it (no secret in it) and the facts about secrets
// and locks that the profile does not carry.
type AccountInfo struct {
	// Profile is the LoginRadius-shaped profile (Uid, Email, Roles,
	// IsActive, IsLoginLocked, LoginLockedType, PIN, CustomFields, …).
	Profile map[string]any
	// HasPassword and HasPIN report whether the secrets are set (never
	// what they are).
	HasPassword bool
	HasPIN      bool
	// NeedsSecretReset marks an imported account that must set its
	// secrets through a reset flow before it can log in.
	NeedsSecretReset bool
	// Failures is the stored count of failed credential checks (it starts
	// afresh once the lockout window has passed).
	Failures int
	// Lock is the account's lock state (zero when it has none).
	Lock store.Attempts
}

// FindAccount returns the account of tenant named by ref: its Uid, else
// an email address (ref contains @), a phone number (ref starts with +) or
// a username. It needs only a store, so read-only tools can use it without
// the configuration. An unknown account is a 938 *lrerr.Error.
func FindAccount(ctx context.Context, st store.Reader, tenant, ref string, now time.Time) (AccountInfo, error) {
	a, found, err := st.Account(ctx, tenant, ref)
	if err == nil && !found {
		kind := store.IdentUsername
		switch {
		case strings.Contains(ref, "@"):
			kind = store.IdentEmail
		case strings.HasPrefix(ref, "+"):
			kind = store.IdentPhone
		}
		a, found, err = st.AccountBy(ctx, tenant, kind, ref)
	}
	if err != nil {
		return AccountInfo{}, lrerr.Unavailable(err)
	}
	if !found {
		return AccountInfo{}, lrerr.New(lrerr.CodeUserNotFound)
	}
	att, _, err := st.Attempts(ctx, a.Ref())
	if err != nil {
		return AccountInfo{}, lrerr.Unavailable(err)
	}
	return accountInfo(&a, att, now), nil
}

// ListAccounts returns up to limit accounts of tenant in Uid order after
// the Uid given in after ("" for the first page).
func ListAccounts(ctx context.Context, st store.Reader, tenant, after string, limit int, now time.Time) ([]AccountInfo, error) {
	as, err := st.ListAccounts(ctx, tenant, after, limit)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	out := make([]AccountInfo, 0, len(as))
	for i := range as {
		att, _, err := st.Attempts(ctx, as[i].Ref())
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		out = append(out, accountInfo(&as[i], att, now))
	}
	return out, nil
}

// accountInfo renders an account for an operator. The lock is reported
// only while it is in force.
func accountInfo(a *store.Account, att store.Attempts, now time.Time) AccountInfo {
	info := AccountInfo{
		Profile:          lrprofile.View(a, att, now),
		HasPassword:      a.PasswordHash != "",
		HasPIN:           a.PINHash != "",
		NeedsSecretReset: a.NeedsSecretReset,
		Failures:         att.Failures,
	}
	if att.Locked(now) {
		info.Lock = att
	}
	return info
}
