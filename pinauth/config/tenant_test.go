package config

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
)

func TestAcceptTenantsMustNameConfiguredTenantsAndTheLoginPages(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"an unknown tenant", func(c *Config) { c.AcceptTenants = []string{"demo", "nosuch"} }},
		{"not the login page's", func(c *Config) {
			c.AcceptTenants = []string{"other"}
			c.LoginPage = &loginpage.Config{Tenant: "demo"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Tenants: []Tenant{{Name: "demo"}, {Name: "other"}}}
			c.mutate(&cfg)
			if err := cfg.validateAcceptTenants(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
