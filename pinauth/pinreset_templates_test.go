package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/testkit"
)

// writeFiles writes name, content pairs into a new directory.
var writeFiles = testkit.WriteFiles

func TestTemplateDirectoriesOverrideTheBuiltInsPerTenantAndHTMLIsEscaped(t *testing.T) {
	t.Parallel()
	global := writeFiles(t, "pin_reset_link.subject.txt", "PIN for {{.Tenant}}\n")
	tenant := writeFiles(t,
		"pin_reset_link.html", `<p>Hi {{.Name}}</p><a href="{{.Link}}">go</a>`,
		"brand.subject.txt", "Brand: {{.Name}}",
		"brand.txt", "Open {{.Link}}",
		"README.md", "not a template",
	)
	e := newResetEnv(t, func(c *Config) {
		c.MessageTemplates = global
		c.Tenants[0].MessageTemplates = tenant
		c.Tenants[1].AllowedOrigins = []string{appOrigin}
	})
	uid := e.createAccount(testEmail, testPIN)
	wantOK(t, "rename", e.do("PUT", manage("manage/account/"+uid), map[string]any{"FirstName": `<script>alert("x")</script>`}))

	wantOK(t, "forgot", e.forgotByEmail(testEmail))
	_, em := e.nthEmail(1)
	if em.Subject != "PIN for demo" {
		t.Fatalf("subject %q, want the global directory's", em.Subject)
	}
	if strings.Contains(em.HTML, "<script>") || !strings.Contains(em.HTML, "&lt;script&gt;") || !strings.HasPrefix(em.HTML, "<p>Hi ") {
		t.Fatalf("HTML from the tenant's directory, escaped: %s", em.HTML)
	}
	if !strings.Contains(em.Text, "open this link within 15 minutes") {
		t.Fatalf("text from the built-in template: %s", em.Text)
	}

	r := e.forgot("email", map[string]string{"email": testEmail}, "&emailtemplate=brand&resetpinurl="+url.QueryEscape(resetPage))
	wantOK(t, "forgot with emailtemplate", r)
	_, em = e.nthEmail(2)
	if !strings.HasPrefix(em.Subject, "Brand: <script>") || em.HTML != "" || !strings.HasPrefix(em.Text, "Open "+appOrigin) {
		t.Fatalf("brand email: %q %q %q (%s)", em.Subject, em.Text, em.HTML, em.ContentType)
	}

	// The other tenant has no set brand: the name selects its built-in
	// set (with the global subject), as any name it does not know.
	wantOK(t, "an account of the other tenant", e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret,
		map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": testEmail}}, "Password": testPass}))
	other := "/identity/v2/auth/pin/forgot/email?apikey=" + otherKey + "&resetpinurl=" + url.QueryEscape(resetPage)
	wantOK(t, "brand on the other tenant", e.do("POST", other+"&emailtemplate=brand", map[string]string{"email": testEmail}))
	if _, em = e.nthEmail(3); em.Subject != "PIN for other" {
		t.Fatalf("brand on the other tenant: subject %q, want its built-in set's", em.Subject)
	}
}

func TestBrokenTemplatesStopTheGatewayNamingTheFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files []string
		want  string
	}{
		{"unparsable", []string{"pin_reset_link.txt", "{{.Link"}, "pin_reset_link.txt"},
		{"unknown field", []string{"pin_reset_otp.sms.txt", "{{.Nope}}"}, "pin_reset_otp"},
		{"html without text", []string{"x.html", "<p>hi</p>"}, "x.html"},
		{"subject without text", []string{"y.subject.txt", "hi"}, "y.txt"},
		{"a restyled link mail without its link", []string{"pin_reset_link.txt", "Hello", "pin_reset_link.html", "<p>Hello</p>"},
			"set pin_reset_link cannot be used for its own message"},
	}
	for _, c := range cases {
		dir := writeFiles(t, c.files...)
		_, err := New(Config{
			Tenants: []Tenant{{Name: "demo", APIKeys: []string{testKey}, APISecret: testSecret, MessageTemplates: dir}},
			Store:   openTestStore(t), Peppers: []string{testPepper}, Issuer: testIssuer, Hash: cheapHash,
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New = %v, want an error naming %s", c.name, err, c.want)
		}
	}
}
