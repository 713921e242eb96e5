package recovery

import (
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// tokenAccount finds the account an emailed reset token of kind was
// issued to (ResetToken: unknown, of another kind or tenant, used,
// replaced or expired is code with a Description telling which), refusing
// an account that is inactive or block-locked (991). It returns the
// account and what takes the token in the reset's transaction
// (consumeResetToken: of concurrent resets with one token exactly one
// sets its secret). The captcha's always mode covers these calls (the OTP
// and security-answer resets get it through the credential gate).
func (api *API) tokenAccount(r Request, kind store.TokenKind, token string, code lrerr.Code) (store.Account, func(store.Tx) error, error) {
	ctx, now := r.HTTP.Context(), r.Act.Now()
	if err := r.Act.CaptchaGate(ctx); err != nil {
		return store.Account{}, nil, err
	}
	a, hash, err := api.secrets.ResetToken(ctx, r.Act.Tenant(), kind, token, now, code)
	if err != nil {
		return store.Account{}, nil, err
	}
	if blocked, err := api.core.BlockLocked(ctx, a.Ref(), now); err != nil {
		return store.Account{}, nil, lrerr.Unavailable(err)
	} else if blocked || !a.Active {
		return store.Account{}, nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, func(tx store.Tx) error { return consumeResetToken(tx, kind, hash, now, code) }, nil
}

// checkOTP finds the account of ident and checks code against its OTPs
// hashed under channels. Every OTP check goes through the credential gate:
// it is rate-limited per IP, counts toward the lockout and costs one hash,
// also for an unknown account, which answers 1067 like a wrong code. A
// used code (or one replaced by a newer one) is 1068, an expired one 1069,
// a blocked account 991. It returns the account and what takes the code
// in the reset's transaction (consumeOTP).
func (api *API) checkOTP(r Request, kind store.IdentifierKind, ident, code string, channels []string) (store.Account, func(store.Tx) error, error) {
	ctx, now := r.HTTP.Context(), r.Act.Now()
	a, found, err := api.secrets.opt.FindAccount(ctx, r.Act.Tenant(), kind, ident)
	if err != nil {
		return a, nil, lrerr.Unavailable(err)
	}
	if !found {
		return a, nil, r.Act.CheckCredential(ctx, Check{Unknown: ident, Secret: code, Failure: lrerr.CodeOTPInvalid, Reason: "unknown_account"})
	}
	var hash string
	var failure lrerr.Code
	var lookupErr error
	err = r.Act.CheckCredential(ctx, Check{
		Account: &a, Secret: code, Failure: lrerr.CodeOTPInvalid, Reason: "otp",
		Compare: func() bool {
			// One hash, as an unknown account costs, so timing does
			// not tell them apart.
			api.core.VerifyDummy(code)
			hash, failure, lookupErr = api.secrets.findOTP(ctx, &a, code, now, channels)
			return lookupErr == nil && failure == 0
		},
	})
	if lookupErr != nil {
		return a, nil, lrerr.Unavailable(lookupErr)
	}
	if err != nil {
		if e := lrerr.As(err); e.Code == lrerr.CodeOTPInvalid && failure != 0 {
			e.Code = failure
		}
		return a, nil, err
	}
	if !a.Active {
		return a, nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, consumeOTP(hash, now), nil
}
