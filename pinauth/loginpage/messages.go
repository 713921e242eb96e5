package loginpage

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// errorKeys are the texts of the errors that need nothing but their code.
var errorKeys = map[lrerr.Code]string{
	lrerr.CodeCaptchaInvalid:        "error.captcha",
	lrerr.CodeAccountBlocked:        "error.blocked",
	lrerr.CodeSessionTokenInvalid:   "error.sessioninvalid",
	lrerr.CodeSessionTokenExpired:   "error.sessionexpired",
	lrerr.CodePINNotAvailable:       "error.nopin",
	lrerr.CodePINAuthTokenInvalid:   "error.pinauthinvalid",
	lrerr.CodePINAuthTokenExpired:   "error.pinauthexpired",
	lrerr.CodeOTPInvalid:            "error.badcode",
	lrerr.CodeOTPUsed:               "error.codeused",
	lrerr.CodeOTPExpired:            "error.codeexpired",
	lrerr.CodeSecurityAnswerWrong:   "error.badanswers",
	lrerr.CodeSecurityAnswersNotSet: "error.noanswers",
	lrerr.CodeEmailLimit:            "error.emaillimit",
	lrerr.CodeSMSLimit:              "error.smslimit",
	lrerr.CodeResetPINURLInvalid:    "error.noresetbyemail",
	lrerr.CodePINMissing:            "error.pinmissing",
	lrerr.CodePlanExpired:           "error.unavailable",
	lrerr.CodePINNotConfigured:      "error.unavailable",
	lrerr.CodeTooManyRequests:       "error.ratelimited",
	lrerr.CodeEmailNotVerified:      "error.emailnotverified",
}

// errorText says in plain words, in r's language, what went wrong, for the
// page's alert region. left is how many wrong secrets (PINs, passwords,
// codes) the account can still take, when the form knows it (0
// elsewhere); see afterWrongTry.
func (p *Page) errorText(r *http.Request, e *lrerr.Error, left int) string {
	t := p.textsFor(r)
	if key, ok := errorKeys[e.Code]; ok {
		// A wrong, used or expired code counts toward the lockout: say
		// how many tries are left when known. Their texts already ask
		// to try again, so an unknown count adds nothing.
		if left > 0 {
			return t.get(key) + " " + triesLeft(t, left)
		}
		return t.get(key)
	}
	switch e.Code {
	case lrerr.CodeBadCredentials:
		return t.get("error.badcredentials") + " " + triesLeft(t, left)
	case lrerr.CodePINInvalid:
		return t.get("error.badpin") + " " + triesLeft(t, left)
	case lrerr.CodeCurrentPasswordInvalid:
		return t.get("error.badcurrentpassword") + " " + triesLeft(t, left)
	case lrerr.CodeLockedSuspended:
		until, _ := time.Parse(lrprofile.TimeLayout, fmt.Sprint(e.Data["LoginLockedTimeout"]))
		if until.IsZero() {
			return t.get("error.lockedfornow")
		}
		return t.get("error.lockeduntil", inWords(t, until.Sub(p.now())), t.clock(until))
	case lrerr.CodeLockedCaptcha:
		if p.captchaFor(true) != nil {
			return t.get("error.lockedcaptcha")
		}
		return t.get("error.lockedcaptchanowidget")
	case lrerr.CodeValidation:
		if len(e.Fields) > 0 {
			return fieldText(t, e.Fields[0].ErrorMessage)
		}
		return t.get("error.checkinput")
	case lrerr.CodeUnavailable:
		p.logCause(r, e)
		return t.get("error.busy")
	}
	p.logCause(r, e)
	return t.get("error.internal")
}

// fieldMessages are the core's field errors the page shows, by the start
// of their English text; each becomes a text of the page's catalogue.
// The PIN length takes the tenant's bounds from the message itself.
var fieldMessages = []struct{ prefix, key string }{
	{"The PIN must contain digits only.", "error.pindigits"},
	{"The PIN must have ", "error.pinlength"},
	{"The PIN is too easy to guess", "error.pinweak"},
	{lrprofile.MsgPasswordPolicy, "error.passwordpolicy"},
}

// fieldText is a core field error in t's language. One the page does not
// know is shown as the core wrote it in English, and in another language
// asks to check the input.
func fieldText(t texts, msg string) string {
	for _, f := range fieldMessages {
		if !strings.HasPrefix(msg, f.prefix) {
			continue
		}
		if f.key == "error.pinlength" {
			var lo, hi int
			if _, err := fmt.Sscanf(msg, "The PIN must have %d to %d digits.", &lo, &hi); err == nil {
				return t.get(f.key, lo, hi)
			}
			break
		}
		return t.get(f.key)
	}
	if t.lang == defaultLang {
		return msg
	}
	return t.get("error.checkinput")
}

// triesLeft is the sentence about the tries an account has left before
// it locks, or a plain "try again" when that is not known.
func triesLeft(t texts, left int) string {
	switch {
	case left == 1:
		return t.get("error.triesleft.one")
	case left > 1:
		return t.get("error.triesleft.other", left)
	}
	return t.get("error.tryagain")
}

// wrongTry is what a form says after a check of a secret that counts
// toward the account's lockout (a password, a PIN, a code) failed.
type wrongTry struct {
	// Err is the error to answer with: the lock when that try locked the
	// account, else the check's own.
	Err *lrerr.Error
	// Locked says that try locked the account.
	Locked bool
	// Text is Err in words, with the tries left when not locked.
	Text string
	// Captcha is the widget the next try needs, nil when none; Also then
	// says so (" " and the sentence), for the alert.
	Captcha *captchaWidget
	Also    string
}

// afterWrongTry turns the failed check e and the account's Status st, read
// once after it, into what the form says: the one place that derives the
// lock, the tries left and the captcha due from a Status, for every form
// whose check counts (the password and PIN logins, the password change,
// the codes of the sign-up and the resets).
func (p *Page) afterWrongTry(r *http.Request, e *lrerr.Error, st Status) wrongTry {
	if st.Lock != nil {
		return wrongTry{Err: st.Lock, Locked: true, Text: p.errorText(r, st.Lock, 0)}
	}
	w := wrongTry{Err: e, Text: p.errorText(r, e, st.Left)}
	if st.CaptchaDue {
		// The next attempt needs a solved captcha: show it now rather
		// than after a refused try.
		if w.Captcha = p.captchaFor(true); w.Captcha != nil {
			w.Also = " " + p.t(r, "error.captchaalso")
		}
	}
	return w
}

// logCause logs the internal cause of a 5xx the page turned into words.
func (p *Page) logCause(r *http.Request, e *lrerr.Error) {
	if e.Cause != nil {
		p.log.Warn("login page request failed", zap.Int("code", int(e.Code)),
			zap.String("client_ip", p.clientIP(r)), zap.Error(e.Cause))
	}
}
