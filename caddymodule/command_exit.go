package caddymodule

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
)

// The exit statuses of `caddy pinauth`, documented in its help text and
// the README; scripts rely on them.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNotFound = 3
	exitRejected = 4
)

// cliError is an error with the exit status it ends the command with.
type cliError struct {
	status int
	msg    string
}

func (e *cliError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &cliError{status: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func notFoundErrorf(format string, args ...any) error {
	return &cliError{status: exitNotFound, msg: fmt.Sprintf(format, args...)}
}

func rejectedErrorf(format string, args ...any) error {
	return &cliError{status: exitRejected, msg: fmt.Sprintf(format, args...)}
}

// notFoundIn names where a "not found" answer looked: the tenant and the
// store, so that an operator pointed at the wrong config, tenant or data
// directory sees it at once. Other errors pass unchanged.
func notFoundIn(err error, tenant string, t cliTarget) error {
	status, msg := cliExitStatus(err)
	if status != exitNotFound {
		return err
	}
	where := "store " + t.spec.describe()
	if tenant != "" {
		where = "tenant " + tenant + " of " + where
	}
	return notFoundErrorf("%s in %s", msg, where)
}

// cliExitStatus returns the exit status and the one-line message of err.
// An import input that is not an export is "rejected". Errors of the core
// map by their catalogue code: 938 (no such account) is
// "not found", other client errors (validation, a taken identifier, a PIN
// against the policy) are "rejected", 503 and anything else a failure.
func cliExitStatus(err error) (int, string) {
	if err == nil {
		return exitOK, ""
	}
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.status, ce.msg
	}
	if errors.Is(err, lrimport.ErrNotAnExport) {
		return exitRejected, "import: " + err.Error()
	}
	if errors.Is(err, operator.ErrUnknownTenant) {
		return exitUsage, strings.TrimPrefix(err.Error(), "pinauth: ") + " (--tenant)"
	}
	var pe *lrerr.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Code == lrerr.CodeUserNotFound:
			return exitNotFound, "account not found"
		case pe.Code == lrerr.CodeUnavailable || pe.Code == lrerr.CodeInternal:
			return exitFailure, "the store is unavailable: " + errorCause(pe)
		}
		return exitRejected, "rejected: " + describeRejection(pe)
	}
	return exitFailure, err.Error()
}

// errorCause is the internal cause of a 503, which an operator may see (it
// never holds a secret: store errors name operations, not values).
func errorCause(e *lrerr.Error) string {
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return e.Error()
}

// describeRejection renders a client error as one line: the message and
// each field error.
func describeRejection(e *lrerr.Error) string {
	msg := e.Error()
	if e.Description != "" {
		msg = e.Description
	}
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.FieldName+": "+f.ErrorMessage)
	}
	if len(parts) > 0 {
		return strings.Join(parts, "; ")
	}
	return fmt.Sprintf("%s (code %d)", msg, e.Code)
}

// exitWith ends a command: nil passes; any other error is printed as one
// line on standard error and carried to Caddy's main, which exits with
// its status.
func exitWith(cmd *cobra.Command, err error) error {
	status, msg := cliExitStatus(err)
	if status == exitOK {
		return nil
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "caddy pinauth: "+msg)
	cmd.SilenceErrors = true
	cmd.Root().SilenceErrors = true
	if status == exitFailure {
		return &cliError{status: status, msg: msg}
	}
	// Caddy's main exits with the status of the error its command wrapper
	// returns; the message is printed already, so the wrapper gets none.
	if wrapped := caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
		return status, nil
	})(cmd, nil); wrapped != nil {
		return &exitStatusError{cliError: cliError{status: status, msg: msg}, exit: wrapped}
	}
	return &cliError{status: status, msg: msg}
}

// exitStatusError carries Caddy's exit error (for its main) and ours (for
// tests in this process).
type exitStatusError struct {
	cliError
	exit error
}

// Unwrap lets Caddy's main find its exit error, and errors.As our status.
func (e *exitStatusError) Unwrap() []error { return []error{e.exit, &e.cliError} }
