package recovery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// otpDigits is the length of a PIN reset OTP.
const otpDigits = 6

var otpSpace = big.NewInt(1_000_000)

// newOTP returns a uniformly random 6-digit code from crypto/rand.
func newOTP() string {
	n, err := rand.Int(rand.Reader, otpSpace)
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	return fmt.Sprintf("%0*d", otpDigits, n.Int64())
}

// OTPHash is how an OTP is stored and looked up. A million codes are
// trivially enumerated, so a plain SHA-256 would let anyone holding the
// database read every live code; instead it is HMAC-SHA256 under a key
// derived from the current pepper (which is never stored), over the
// tenant, the account and the channel it was sent by as well as the code:
// a code is only ever valid for that account and channel. (A pepper
// rotation voids the codes sent before it; they live minutes.)
func (s *Secrets) OTPHash(tenant, uid, channel, code string) string {
	key := secret.MAC(s.opt.Pepper, "pinauth otp key", "")
	return hex.EncodeToString(secret.MAC(key, "otp", tenant+"\x00"+uid+"\x00"+channel+"\x00"+code))
}

// pinOTPChannels are the channels a PIN reset OTP presented for an
// account may have been sent by: any PIN reset by OTP accepts a code from
// either.
var pinOTPChannels = []string{ChannelSMS, ChannelEmail}

// passwordOTPScope is what password reset OTPs are hashed under (see
// message): a PIN reset code does not reset a password, nor the reverse.
const passwordOTPScope = "password"

// findOTP looks up code for account a among the codes hashed under
// channels. It returns the stored hash of a usable OTP with failure 0, or
// failure 1068 (used, or replaced by a newer code), 1069 (expired) or 1067
// (no such code). err is a store fault. The caller runs it inside the
// credential gate, which rate-limits and counts the check.
func (s *Secrets) findOTP(ctx context.Context, a *store.Account, code string, now time.Time, channels []string) (hash string, failure lrerr.Code, err error) {
	for _, ch := range channels {
		h := s.OTPHash(a.Tenant, a.UID, ch, code)
		tok, found, err := s.opt.Store.Token(ctx, store.TokenOTP, h)
		if err != nil {
			return "", 0, err
		}
		if !found || tok.Tenant != a.Tenant || tok.UID != a.UID {
			continue
		}
		switch {
		case !tok.UsedAt.IsZero():
			failure = lrerr.CodeOTPUsed
		case !now.Before(tok.ExpiresAt):
			if failure == 0 {
				failure = lrerr.CodeOTPExpired
			}
		default:
			return h, 0, nil
		}
	}
	if failure == 0 {
		failure = lrerr.CodeOTPInvalid
	}
	return "", failure, nil
}

// consumeOTP takes the OTP of hash in the transaction that uses it: of
// concurrent resets with one code exactly one goes through (1068 for the
// others).
func consumeOTP(hash string, now time.Time) func(store.Tx) error {
	return func(tx store.Tx) error {
		if _, ok, err := tx.ConsumeToken(store.TokenOTP, hash, now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(lrerr.CodeOTPUsed)
		}
		return nil
	}
}
