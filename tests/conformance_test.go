package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// LoginRadius wire fidelity on real Caddy (issue 16): every served route
// is driven to success and its answer's keys and JSON types are compared
// with LoginRadius's documented answer (shapes.json, derived from its v2
// documents), for both token formats. Every departure must be one of the
// reasoned shapeExceptions, and docs/api-reference.md's "LoginRadius
// shape" column must say "exact" exactly for the routes that need none.

// conformanceFormats are the token formats the routes are driven with:
// each gets tenants of its own on the same gateway.
var conformanceFormats = []string{"jwt", "uuid"}

// conformanceAnswer is one success answer and the document it is held to.
type conformanceAnswer struct {
	route string // "METHOD /path", as the API reference lists it
	doc   string
	r     response
}

// conformanceRun drives the routes with one token format's tenants.
type conformanceRun struct {
	t      *testing.T
	format string
	// main has allowed origins and security questions; codes sends reset
	// codes instead of links; mfa requires a second factor.
	main, codes, mfa *gateway
	// locks, when set, has a captcha lockout (the unlock route).
	locks        *gateway
	smtp         *notifytest.SMTPServer
	sms          *notifytest.SMSServer
	mails, texts *int
	answers      []conformanceAnswer
	// create is the writable-field body the account was created with.
	create map[string]any
}

// conformanceTenants are the Caddyfile tenant blocks of one format.
func conformanceTenants(format string) string {
	questions := "security_question pet \"Name of your first pet?\"\n\t\t\tsecurity_question city \"Where were you born?\""
	return fmt.Sprintf(`tenant %[1]s-main {
			api_key %[1]s-main-key
			api_secret %[1]s-main-secret-0001
			token_format %[1]s
			allowed_origins %[2]s
			%[3]s
			registration open {
				allow_unverified
				verification_url %[2]s/verify
			}
		}
		tenant %[1]s-codes {
			api_key %[1]s-codes-key
			api_secret %[1]s-codes-secret-0002
			token_format %[1]s
			pin_reset_email otp
			password_reset_email otp
			registration open {
				allow_unverified
				verification_email otp
			}
		}
		tenant %[1]s-mfa {
			api_key %[1]s-mfa-key
			api_secret %[1]s-mfa-secret-00003
			token_format %[1]s
			mfa security_question
			%[3]s
		}`, format, resetOrigin, questions)
}

func TestEveryRouteAnswersLoginRadiusDocumentedShapeOnRealCaddy(t *testing.T) {
	t.Parallel()
	shapes := readShapes(t)
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	var tenants []string
	for _, f := range conformanceFormats {
		tenants = append(tenants, conformanceTenants(f))
	}
	g := startGateway(t, func(s *siteConfig) {
		// The drive sends more emails from one address than the default
		// 20 an hour: raise the per-IP limit (per address stays 5).
		mail := strings.Replace(senders(smtp, sms), "\t\t\tplain\n", "\t\t\tplain\n\t\t\tlimit 5 100 1h\n", 1)
		s.Extra = strings.Join(tenants, "\n\t\t") + "\n\t\t" + mail
	})
	locks := startLockGateway(t)
	mails, texts := 0, 0
	var answers []conformanceAnswer
	for i, f := range conformanceFormats {
		tenant := func(name string) *gateway {
			c := g.in(t)
			c.apiKey, c.apiSecret = f+"-"+name+"-key", map[string]string{
				"main": f + "-main-secret-0001", "codes": f + "-codes-secret-0002", "mfa": f + "-mfa-secret-00003"}[name]
			return c
		}
		run := &conformanceRun{t: t, format: f, main: tenant("main"), codes: tenant("codes"), mfa: tenant("mfa"),
			smtp: smtp, sms: sms, mails: &mails, texts: &texts}
		if i == 0 {
			run.locks = locks
		}
		run.drive()
		checkTokenShapes(t, f, run.answers)
		answers = append(answers, run.answers...)
	}
	checkConformance(t, shapes, answers)
}

// checkConformance compares every answer with its document, fails on any
// departure no exception covers and on exceptions no answer needs, and
// holds the API reference's "LoginRadius shape" column to the result.
func checkConformance(t *testing.T, shapes *lrShapes, answers []conformanceAnswer) {
	t.Helper()
	profileKeys := shapes.profileKeys()
	documented := map[string][]string{}
	for _, r := range shapes.Routes {
		documented[r.Method+" "+r.Path] = r.Documents
	}
	// used are the exceptions' items some answer needed.
	type use struct {
		e    *shapeException
		item string
	}
	used := map[use]bool{}
	differs := map[string]map[*shapeException]bool{}
	driven := map[string]bool{}
	for _, a := range answers {
		driven[a.route] = true
		if !slices.Contains(documented[a.route], a.doc) {
			t.Errorf("%s is held to %s, which shapes.json does not list for it", a.route, a.doc)
			continue
		}
		if differs[a.route] == nil {
			differs[a.route] = map[*shapeException]bool{}
		}
		doc, redirect := compareWith(a.doc)
		if redirect != nil {
			used[use{redirect, ""}], differs[a.route][redirect] = true, true
		}
		var answer any
		if err := json.Unmarshal([]byte(a.r.raw), &answer); err != nil {
			t.Errorf("%s: the answer is not JSON: %s", a.route, a.r.raw)
			continue
		}
		for _, d := range compareShape(answer, shapes.Documents[doc].Output, profileKeys) {
			e := excepted(a.doc, doc, d)
			if e == nil {
				t.Errorf("%s (%s): %s", a.route, strings.TrimSuffix(filepathBase(a.doc), ".json"), d)
				continue
			}
			used[use{e, d.item()}], differs[a.route][e] = true, true
		}
	}
	for _, e := range shapeExceptions {
		for _, item := range e.items() {
			if !used[use{e, item}] {
				t.Errorf("the exception %q is needed by no answer for %q any more: remove it", e.why, item)
			}
		}
	}
	column := apiReferenceShapes(t)
	for _, r := range shapes.Routes {
		route := r.Method + " " + r.Path
		if !driven[route] {
			t.Errorf("%s is served but the conformance test drives no call of it to success", route)
			continue
		}
		var whys []string
		for e := range differs[route] {
			whys = append(whys, e.why)
		}
		sort.Strings(whys)
		got := column[route]
		switch {
		case len(whys) == 0 && got != "exact":
			t.Errorf("%s answers exactly LoginRadius's documented shape; the API reference says %q", route, got)
		case len(whys) > 0 && !strings.HasPrefix(got, "differs ("):
			t.Errorf("%s differs from LoginRadius's documented shape (%s); the API reference says %q", route, strings.Join(whys, "; "), got)
		case len(whys) > 0:
			t.Logf("%s differs: %s", route, strings.Join(whys, "; "))
		}
	}
}

func filepathBase(p string) string { return p[strings.LastIndex(p, "/")+1:] }
