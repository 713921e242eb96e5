package recovery

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

const (
	testTenant = "demo"
	testEmail  = "alice@example.com"
	testOrigin = "https://app.example.com"
)

// env is a Secrets over a real SQLite store and a local SMTP server, with
// a send queue without workers: the test takes and runs the jobs.
type env struct {
	t     *testing.T
	s     *Secrets
	st    store.Store
	smtp  *notifytest.SMTPServer
	queue *notify.Queue
	now   time.Time
}

func newEnv(t *testing.T, limit notify.SendLimit) *env {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	email, err := (&notify.EmailConfig{Addr: smtp.Addr, From: "gate@example.com", Security: notify.SMTPPlain, Limit: limit}).WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Options{Email: &email, Tenants: []notify.TenantTemplates{{Name: testTenant}}})
	if err != nil {
		t.Fatal(err)
	}
	q := notify.NewQueue(zap.NewNop(), 0)
	t.Cleanup(q.Close)
	e := &env{t: t, st: st, smtp: smtp, queue: q, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e.s = New(Options{Store: st, Notifier: n, Queue: q, Limiter: ratelimit.New(0), Log: zap.NewNop(),
		Pepper: []byte("0123456789abcdef0123456789abcdef"), Email: &email,
		ResetTokenTTL: DefaultResetTokenTTL, OTPTTL: DefaultOTPTTL,
		FindAccount: func(ctx context.Context, tenant string, kind store.IdentifierKind, ident string) (store.Account, bool, error) {
			return st.AccountBy(ctx, tenant, kind, ident)
		}})
	return e
}

// account stores an active account with testEmail.
func (e *env) account() store.Account {
	e.t.Helper()
	a := store.Account{Tenant: testTenant, UID: "u1", Emails: []store.Email{{Type: "Primary", Value: testEmail}}, Active: true,
		CreatedAt: e.now, ModifiedAt: e.now}
	if err := e.st.Update(e.t.Context(), func(tx store.Tx) error { return tx.CreateAccount(a) }); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// forgot queues r for testEmail and runs the job; it returns the sent
// message's body ("" when none was sent).
func (e *env) forgot(r message) string {
	e.t.Helper()
	before := len(e.smtp.Mails())
	if _, err := e.s.enqueue(e.call(nil), store.IdentEmail, testEmail, r); err != nil {
		e.t.Fatalf("queue: %v", err)
	}
	j, ok := e.queue.Take()
	if !ok {
		e.t.Fatal("no job queued")
	}
	j.Run(e.t.Context())
	mails := e.smtp.Mails()
	if len(mails) == before {
		return ""
	}
	m, err := notifytest.ParseEmail(mails[len(mails)-1].Data)
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Text
}

func (e *env) call(limited func(string)) sendCall {
	if limited == nil {
		limited = func(reason string) { e.t.Fatalf("limited: %s", reason) }
	}
	return sendCall{Ctx: e.t.Context(), Tenant: testTenant, ClientIP: "192.0.2.1", Now: e.now, Limited: limited}
}

var tenant = Tenant{Name: testTenant, AllowedOrigins: []string{testOrigin}, PINResetEmail: ByOTP, PasswordResetEmail: ByOTP}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func TestNewOTPIsSixDigits(t *testing.T) {
	for range 100 {
		if c := newOTP(); len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("OTP %q", c)
		}
	}
}

// TestOTPIsFoundOnlyInItsScopeAndOnce: a PIN reset code is found by the
// PIN channels and not by the password scope (nor the reverse), a newer
// code voids it, a consumed one is 1068, an expired one 1069.
func TestOTPIsFoundOnlyInItsScopeAndOnce(t *testing.T) {
	e := newEnv(t, notify.SendLimit{PerIdentifier: 100, PerIP: 100, Window: time.Hour})
	a := e.account()
	pinReq, err := e.s.pinMessage(tenant, store.IdentEmail, apireq.Params{})
	if err != nil {
		t.Fatal(err)
	}
	pwReq, err := e.s.passwordMessage(tenant, apireq.Params{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	find := func(code string, channels []string) lrerr.Code {
		_, failure, err := e.s.findOTP(ctx, &a, code, e.now, channels)
		if err != nil {
			t.Fatal(err)
		}
		return failure
	}
	pinCode := sixDigits.FindString(e.forgot(pinReq))
	if pinCode == "" {
		t.Fatal("no PIN code in the email")
	}
	if f := find(pinCode, pinOTPChannels); f != 0 {
		t.Fatalf("PIN code on the PIN channels: %d", f)
	}
	if f := find(pinCode, []string{passwordOTPScope}); f != lrerr.CodeOTPInvalid {
		t.Fatalf("PIN code on the password scope: %d", f)
	}
	if _, failure, _ := e.s.findOTP(ctx, &a, pinCode, e.now.Add(DefaultOTPTTL), pinOTPChannels); failure != lrerr.CodeOTPExpired {
		t.Fatalf("expired code: %d", failure)
	}
	// The newest code counts: a password code voids the PIN code.
	pwCode := sixDigits.FindString(e.forgot(pwReq))
	if pwCode == "" {
		t.Fatal("no password code in the email")
	}
	if f := find(pinCode, pinOTPChannels); f != lrerr.CodeOTPUsed {
		t.Fatalf("replaced code: %d", f)
	}
	if f := find(pwCode, pinOTPChannels); f == 0 {
		t.Fatal("password code found on the PIN channels")
	}
	hash, _, _ := e.s.findOTP(ctx, &a, pwCode, e.now, []string{passwordOTPScope})
	if err := e.st.Update(ctx, consumeOTP(hash, e.now)); err != nil {
		t.Fatalf("consume: %v", err)
	}
	if err := e.st.Update(ctx, consumeOTP(hash, e.now)); lrerr.As(err).Code != lrerr.CodeOTPUsed {
		t.Fatalf("consume twice: %v", err)
	}
	if f := find(pwCode, []string{passwordOTPScope}); f != lrerr.CodeOTPUsed {
		t.Fatalf("used code: %d", f)
	}
}

// TestResetTokenRefusals: a link's token opens its account in its tenant
// until it is used or expires; each defect has its Description.
func TestResetTokenRefusals(t *testing.T) {
	e := newEnv(t, notify.SendLimit{PerIdentifier: 100, PerIP: 100, Window: time.Hour})
	a := e.account()
	link := tenant
	link.PINResetEmail = ByLink
	r, err := e.s.pinMessage(link, store.IdentEmail, apireq.Params{"resetpinurl": testOrigin + "/reset"})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`vtoken=([0-9a-f-]{36})`).FindStringSubmatch(e.forgot(r))
	if m == nil {
		t.Fatal("no token in the email")
	}
	token, ctx, code := m[1], t.Context(), lrerr.CodeResetPINURLInvalid
	wantDesc := func(what string, err error, desc string) {
		t.Helper()
		if e := lrerr.As(err); err == nil || e.Code != code || e.Description != desc {
			t.Fatalf("%s: %v", what, err)
		}
	}
	got, hash, err := e.s.ResetToken(ctx, testTenant, store.TokenPINReset, token, e.now, code)
	if err != nil || got.UID != a.UID {
		t.Fatalf("token: %v %v", got.UID, err)
	}
	_, _, err = e.s.ResetToken(ctx, "other", store.TokenPINReset, token, e.now, code)
	wantDesc("another tenant", err, DescResetTokenInvalid)
	_, _, err = e.s.ResetToken(ctx, testTenant, store.TokenPasswordReset, token, e.now, code)
	wantDesc("another kind", err, DescResetTokenInvalid)
	_, _, err = e.s.ResetToken(ctx, testTenant, store.TokenPINReset, token, e.now.Add(DefaultResetTokenTTL), code)
	wantDesc("expired", err, DescResetTokenExpired)
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		return consumeResetToken(tx, store.TokenPINReset, hash, e.now, code)
	}); err != nil {
		t.Fatal(err)
	}
	wantDesc("consumed twice", e.st.Update(ctx, func(tx store.Tx) error {
		return consumeResetToken(tx, store.TokenPINReset, hash, e.now, code)
	}), DescResetTokenUsed)
	_, _, err = e.s.ResetToken(ctx, testTenant, store.TokenPINReset, token, e.now, code)
	wantDesc("used", err, DescResetTokenUsed)
}

// TestQueueCountsTheLimitsTheSameForUnknownIdentifiers: the per-identifier
// quota holds for an identifier without an account as for one with, the
// per-IP limit across identifiers, and a job for an unknown identifier
// sends nothing.
func TestQueueCountsTheLimitsTheSameForUnknownIdentifiers(t *testing.T) {
	e := newEnv(t, notify.SendLimit{PerIdentifier: 1, PerIP: 4, Window: time.Hour})
	e.account()
	r, err := e.s.passwordMessage(tenant, apireq.Params{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	c := e.call(func(reason string) { reasons = append(reasons, reason) })
	for _, ident := range []string{testEmail, "nobody@example.com"} {
		if _, err := e.s.enqueue(c, store.IdentEmail, ident, r); err != nil {
			t.Fatalf("first send to %s: %v", ident, err)
		}
		if _, err := e.s.enqueue(c, store.IdentEmail, ident, r); lrerr.As(err).Code != lrerr.CodeEmailLimit {
			t.Fatalf("second send to %s: %v", ident, err)
		}
	}
	if _, err := e.s.enqueue(c, store.IdentEmail, "third@example.com", r); lrerr.As(err).Code != lrerr.CodeEmailLimit {
		t.Fatalf("fifth call from the IP: %v", err)
	}
	if want := "send_limited_identifier send_limited_identifier send_limited_ip"; strings.Join(reasons, " ") != want {
		t.Fatalf("limited %v, want %s", reasons, want)
	}
	for {
		j, ok := e.queue.Take()
		if !ok {
			break
		}
		j.Run(t.Context())
	}
	if mails := e.smtp.Mails(); len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != testEmail {
		t.Fatalf("mails %v", mails)
	}
}
