package store

import (
	"fmt"
	"slices"
	"time"
)

// Email verification, as LoginRadius models it: an account's Emails are
// verified when EmailVerified is set; addresses added later wait in
// UnverifiedEmails (taking their names, finding nothing) until verified.
// A verification is a single-use token (the link's verificationtoken) or
// code (an OTP) stored like any token, by hash only, bound to one account
// and one of its addresses (Data[TokenDataEmail]). The core makes the
// secret and its hash; the store keeps, takes and applies it:
//
//   - issue: tx.InsertToken(EmailVerificationToken(...)), after
//     tx.InvalidateTokens(ref, EmailVerificationKinds, "", now) when a new
//     one replaces the earlier ones;
//   - verify: ConsumeEmailVerification inside the account's update, which
//     then saves the account;
//   - add an address to verify: Account.AddUnverifiedEmail.
const (
	// TokenEmailVerify is a single-use email verification token, sent in
	// a link (LoginRadius's verificationtoken).
	TokenEmailVerify TokenKind = "email_verify"
	// TokenEmailOTP is a single-use email verification code (an OTP).
	TokenEmailOTP TokenKind = "email_otp"
)

// EmailVerificationKinds are the kinds of verification secrets, for
// DeleteTokens and InvalidateTokens.
var EmailVerificationKinds = []TokenKind{TokenEmailVerify, TokenEmailOTP}

// TokenDataEmail is the Token.Data key of the address (as NameOf gives it)
// a verification token or code was issued for.
const TokenDataEmail = "email"

// EmailVerificationToken returns the token to insert for a verification
// of kind (TokenEmailVerify or TokenEmailOTP) whose secret hashes to hash,
// issued at now to the account ref for its address email, usable until
// now+ttl.
func EmailVerificationToken(kind TokenKind, hash string, ref AccountRef, email string, now time.Time, ttl time.Duration) Token {
	return Token{Hash: hash, Kind: kind, Tenant: ref.Tenant, UID: ref.UID, CreatedAt: now,
		ExpiresAt: now.Add(ttl), Data: map[string]string{TokenDataEmail: NameOf(email)}}
}

// ConsumeEmailVerification takes, in tx, the verification token or code of
// kind and hash issued to a (the account read in the same transaction) and
// marks its address verified on a (VerifyEmail); the caller saves a. It
// returns the address as a lists it. ok=false when the secret is unknown,
// used, expired at now, of another kind or account, or a no longer has the
// address; a is then unchanged (the secret is used up all the same when
// it was a's and live). Of concurrent calls with one secret at most one
// gets ok. A kind other than the two verification kinds is an error.
func ConsumeEmailVerification(tx Tx, a *Account, kind TokenKind, hash string, now time.Time) (email string, ok bool, err error) {
	if !slices.Contains(EmailVerificationKinds, kind) {
		return "", false, fmt.Errorf("store: %q is not an email verification kind", kind)
	}
	tok, found, err := tx.Token(kind, hash)
	if err != nil || !found || tok.Tenant != a.Tenant || tok.UID != a.UID {
		return "", false, err
	}
	if _, found, err = tx.ConsumeToken(kind, hash, now); err != nil || !found {
		return "", false, err
	}
	email, ok = a.VerifyEmail(tok.Data[TokenDataEmail])
	return email, ok, nil
}

// AddressVerified reports whether addr (in any case) is a verified address
// of a: one of its Emails while EmailVerified is set.
func (a *Account) AddressVerified(addr string) bool {
	return a.EmailVerified && emailAt(a.Emails, addr) >= 0
}

// AddressPending reports whether addr (in any case) is an address of a
// awaiting verification: an unverified email, or one of its Emails while
// EmailVerified is not set.
func (a *Account) AddressPending(addr string) bool {
	return emailAt(a.UnverifiedEmails, addr) >= 0 || (!a.EmailVerified && emailAt(a.Emails, addr) >= 0)
}

// AddUnverifiedEmail adds e to a's UnverifiedEmails, unless a has the
// address already (verified or not); it reports whether it added it.
// Saving a then takes the address's name (a DuplicateError when another
// account has it) without making it an identifier.
func (a *Account) AddUnverifiedEmail(e Email) bool {
	if emailAt(a.Emails, e.Value) >= 0 || emailAt(a.UnverifiedEmails, e.Value) >= 0 {
		return false
	}
	a.UnverifiedEmails = append(a.UnverifiedEmails, e)
	return true
}

// VerifyEmail marks addr (in any case) verified on a and returns it as a
// lists it: an unverified email moves into Emails, keeping its Type, and
// becomes an identifier; one of Emails sets EmailVerified. An address
// moved in while EmailVerified is not set leaves it unset, since the
// flag speaks for every address in Emails. ok=false, a unchanged, when a
// has no such address.
func (a *Account) VerifyEmail(addr string) (email string, ok bool) {
	if i := emailAt(a.UnverifiedEmails, addr); i >= 0 {
		e := a.UnverifiedEmails[i]
		a.UnverifiedEmails = slices.Delete(slices.Clone(a.UnverifiedEmails), i, i+1)
		if len(a.Emails) == 0 {
			a.EmailVerified = true
		}
		a.Emails = append(slices.Clone(a.Emails), e)
		return e.Value, true
	}
	if i := emailAt(a.Emails, addr); i >= 0 {
		a.EmailVerified = true
		return a.Emails[i].Value, true
	}
	return "", false
}

// emailAt returns the index of addr in emails by NameOf, -1 when absent
// (and for an empty addr).
func emailAt(emails []Email, addr string) int {
	if addr == "" {
		return -1
	}
	n := NameOf(addr)
	return slices.IndexFunc(emails, func(e Email) bool { return NameOf(e.Value) == n })
}
