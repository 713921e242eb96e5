package tests

import (
	"strings"
	"testing"
)

// raceExitCode is the exit status GORACE gives a child Caddy that found a
// data race.
const raceExitCode = 66

// knownCaddyRace tells whether a race report is the one Caddy v2.11.9
// itself has when a request passes two reverse_proxy handlers, as
// forward_auth does: the first proxy's dialing goroutine reads the
// request's vars (caddyhttp.GetVar in the transport's dial function) while
// the second proxy writes them (caddyhttp.SetVar in prepareRequest). Caddy
// fixed it upstream by keeping the dial info in a context key (pull request
// 7859, after v2.11.9, the newest release served here). Only a report with
// exactly those two accesses and no frame of this module is excused; any
// other race, in any Caddy of the suite, still fails the test.
func knownCaddyRace(report string) bool {
	return strings.Contains(report, "caddyhttp.GetVar()") &&
		strings.Contains(report, "reverseproxy.(*HTTPTransport).NewTransport.func") &&
		strings.Contains(report, "caddyhttp.SetVar()") &&
		strings.Contains(report, "reverseproxy.Handler.prepareRequest()") &&
		!strings.Contains(report, "github.com/pinauth/caddy-pinauth")
}

// TestRaceReportsExcuseOnlyCaddysForwardAuthRace checks the filter on the
// report CI's race step printed from a stock Caddy's forward_auth (frames
// abridged), and that a report with any other access, or a frame of this
// module, is still a race.
func TestRaceReportsExcuseOnlyCaddysForwardAuthRace(t *testing.T) {
	const sep = "==================\n"
	caddys := "WARNING: DATA RACE\nWrite at 0x00c0007fc1e0 by goroutine 43:\n" +
		"  runtime.mapassign_faststr()\n  github.com/caddyserver/caddy/v2/modules/caddyhttp.SetVar()\n" +
		"  github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy.Handler.prepareRequest()\n" +
		"Previous read at 0x00c0007fc1e0 by goroutine 45:\n  runtime.mapaccess1_faststr()\n" +
		"  github.com/caddyserver/caddy/v2/modules/caddyhttp.GetVar()\n" +
		"  github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy.(*HTTPTransport).NewTransport.func2()\n"
	ours := strings.Replace(caddys, "runtime.mapassign_faststr()",
		"github.com/pinauth/caddy-pinauth/pinauth.(*Gateway).ServeHTTP()", 1)
	other := "WARNING: DATA RACE\nWrite at 0x1 by goroutine 7:\n  github.com/caddyserver/caddy/v2/modules/caddyhttp.SetVar()\n"
	for _, c := range []struct {
		name, logs string
		races      bool
		known      int
	}{
		{"caddy's own", "start\n" + caddys + sep + "end\n", false, 1},
		{"with a frame of ours", ours + sep, true, 0},
		{"another race", other + sep, true, 0},
		{"caddy's own then another", caddys + sep + other + sep, true, 1},
		{"none", "served\n", false, 0},
	} {
		races, known := raceReports(c.logs)
		if (races != "") != c.races || known != c.known {
			t.Errorf("%s: races %q, known %d; want races %v, known %d", c.name, races, known, c.races, c.known)
		}
	}
}
