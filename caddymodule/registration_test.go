package caddymodule

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// parseTenant parses a pin_auth block with one tenant whose block is body.
func parseTenant(t *testing.T, body string) (Handler, error) {
	t.Helper()
	var h Handler
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("pin_auth {\ntenant demo {\napi_key k\n" + body + "\n}\n}"))
	return h, err
}

func TestRegistrationBlockParsesEverySubdirectiveAndConverts(t *testing.T) {
	t.Parallel()
	h, err := parseTenant(t, `registration invite_only {
		invite alice@example.com @corp.example
		invite bob@example.com
		required_fields FirstName LastName
		password_min_length 10
		password_classes 3
		allow_unverified
		verification_url https://app.example.com/verify
		verification_email otp
		welcome_email
	}`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Registration{Mode: "invite_only", Invite: []string{"alice@example.com", "@corp.example", "bob@example.com"},
		RequiredFields: []string{"FirstName", "LastName"}, PasswordMinLength: 10, PasswordClasses: 3, AllowUnverified: true,
		VerificationURL: "https://app.example.com/verify", VerificationEmail: "otp", Welcome: true}
	if got := h.Tenants[0].Registration; !reflect.DeepEqual(got, want) {
		t.Fatalf("registration:\n got  %+v\n want %+v", got, want)
	}
	core := want.core(nil)
	if core.Mode != config.RegistrationInviteOnly || !core.Invited("Dan@CORP.example") || core.Invited("eve@example.com") || !core.Welcome {
		t.Fatalf("core registration: %+v", core)
	}
}

func TestRegistrationIsOffWithoutTheBlockAndOpenWithoutOptions(t *testing.T) {
	t.Parallel()
	h, err := parseTenant(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := h.Tenants[0].Registration; r != nil || r.core(nil).Enabled() {
		t.Fatalf("no block: %+v, want none and off", r)
	}
	h, err = parseTenant(t, "registration open")
	if err != nil {
		t.Fatal(err)
	}
	if r := h.Tenants[0].Registration; r == nil || r.Mode != "open" || !r.core(nil).Enabled() {
		t.Fatalf("registration open: %+v", r)
	}
}

func TestRegistrationBlockRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ body, want string }{
		{"registration", "registration: want open, invite_only or off"},
		{"registration sometimes", `registration: unknown mode "sometimes"`},
		{"registration invite_only", "invite_only needs at least one invite"},
		{"registration invite_only {\ninvite example.com\n}", `invite "example.com" is neither an address nor an @domain`},
		{"registration open {\npassword_min_length 5\n}", "password_min_length must be 6 to 128"},
		{"registration open {\npassword_classes 5\n}", "password_classes must be 1 to 4"},
		{"registration open {\npassword_classes none\n}", "password_classes"},
		{"registration open {\nverification_email sms\n}", "verification_email: unknown value"},
		{"registration open {\nwelcome_email\nwelcome_email\n}", "welcome_email: given more than once"},
		{"registration open {\nallow_unverified true\n}", "allow_unverified: takes no value"},
		{"registration open {\nverifcation_url x\n}", "registration: unknown subdirective"},
		{"registration open\nregistration off", "registration: given more than once"},
	} {
		_, err := parseTenant(t, c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.body, err, c.want)
		}
	}
}
