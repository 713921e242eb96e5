package loginpage

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// errorText says in plain words what went wrong, for the page's alert
// region. left is how many wrong PINs or passwords the account can still
// take, when the form knows it (0 elsewhere).
func (p *Page) errorText(r *http.Request, e *lrerr.Error, left int) string {
	now := p.now()
	switch e.Code {
	case lrerr.CodeBadCredentials:
		return "The email, username or password is not right." + triesLeft(left)
	case lrerr.CodePINInvalid:
		return "That PIN is not right." + triesLeft(left)
	case lrerr.CodeLockedSuspended:
		until, _ := time.Parse(lrprofile.TimeLayout, fmt.Sprint(e.Data["LoginLockedTimeout"]))
		if until.IsZero() {
			return "Too many wrong attempts: your account is locked for now. Please try again later."
		}
		return fmt.Sprintf("Too many wrong attempts: your account is locked for %s, until %s UTC. "+
			"You can log in with your password after that, or choose a new password now with “Forgot your password?”.",
			inWords(until.Sub(now)), until.UTC().Format("15:04"))
	case lrerr.CodeLockedCaptcha:
		if p.captchaFor(true) != nil {
			return "Too many wrong attempts. Please complete the check below to show you are not a robot, then try again."
		}
		return "Too many wrong attempts: your account is locked for now. Please try again later or contact the site's support."
	case lrerr.CodeCaptchaInvalid:
		return "Please complete the check that shows you are not a robot, then try again."
	case lrerr.CodeAccountBlocked:
		return "This account is blocked. Please contact the site's support."
	case lrerr.CodeSessionTokenInvalid:
		return "The saved login on this device is no longer valid (you may have logged out or changed your PIN). Please log in with your password."
	case lrerr.CodeSessionTokenExpired:
		return "The saved login on this device has expired. Please log in with your password."
	case lrerr.CodePINNotAvailable:
		return "This account has no PIN yet. Please log in with your password."
	case lrerr.CodePINAuthTokenInvalid:
		return "This PIN setup is no longer valid. Please log in again to choose your PIN."
	case lrerr.CodePINAuthTokenExpired:
		return "Choosing your PIN took too long. Please log in again."
	case lrerr.CodeOTPInvalid:
		return "That code is not right. Please check it and try again."
	case lrerr.CodeOTPUsed:
		return "That code was used already, or a newer one was sent. Please use the newest code."
	case lrerr.CodeOTPExpired:
		return "That code has expired. Please ask for a new one."
	case lrerr.CodeSecurityAnswerWrong:
		return "The answers are not right. Please try again."
	case lrerr.CodeSecurityAnswersNotSet:
		return "This account has no security answers."
	case lrerr.CodeEmailLimit:
		return "Too many emails were sent to this account. Please wait a while, then try again."
	case lrerr.CodeSMSLimit:
		return "Too many text messages were sent to this account. Please wait a while, then try again."
	case lrerr.CodeResetPINURLInvalid:
		return "Resetting by email is not set up for this site. Please contact the site's support."
	case lrerr.CodePINMissing:
		return "Please enter your PIN."
	case lrerr.CodeValidation:
		if len(e.Fields) > 0 {
			// The core's field messages are written for people and never
			// contain the submitted value.
			return e.Fields[0].ErrorMessage
		}
		return "Please check what you typed and try again."
	case lrerr.CodePlanExpired, lrerr.CodePINNotConfigured:
		return "Logging in is not available on this site right now. Please contact the site's support."
	case lrerr.CodeTooManyRequests:
		return "Too many attempts from your network. Please wait a minute, then try again."
	case lrerr.CodeUnavailable:
		p.logCause(r, e)
		return "The login service is busy right now. Please try again in a moment."
	}
	p.logCause(r, e)
	return "Something went wrong. Please try again."
}

// triesLeft is the sentence about the tries an account has left before
// it locks, "" when that is not known.
func triesLeft(left int) string {
	switch {
	case left == 1:
		return " You have 1 more try before your account is locked."
	case left > 1:
		return fmt.Sprintf(" You have %d more tries before your account is locked.", left)
	}
	return " Please try again."
}

// inWords says a duration the way a person would, rounded up.
func inWords(d time.Duration) string {
	if d <= time.Minute {
		return "about a minute"
	}
	if m := int((d + time.Minute - 1) / time.Minute); m < 60 {
		return plural(m, "minute")
	}
	if h := int((d + time.Hour - 1) / time.Hour); h < 48 {
		return plural(h, "hour")
	}
	return plural(int((d+24*time.Hour-1)/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// logCause logs the internal cause of a 5xx the page turned into words.
func (p *Page) logCause(r *http.Request, e *lrerr.Error) {
	if e.Cause != nil {
		p.log.Warn("login page request failed", zap.Int("code", int(e.Code)),
			zap.String("client_ip", p.clientIP(r)), zap.Error(e.Cause))
	}
}
