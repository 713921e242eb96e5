package caddymodule

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

func TestStatsCountsAccountsKeysAndOutboxOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	runStatsCLIScenario(t, "store sqlite "+db, "sqlite:"+db)
}

func TestStatsCountsAccountsKeysAndOutboxOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("CLI_STATS_TEST_DSN", dsn)
	runStatsCLIScenario(t, "store postgres "+dsn, "postgres:{env.CLI_STATS_TEST_DSN}")
}

// runStatsCLIScenario adds two accounts and checks stats, with the config
// and through --store (storeFlag), on the store of storeLine.
func runStatsCLIScenario(t *testing.T, storeLine, storeFlag string) {
	conf := cliSite(t, storeLine)
	for i, email := range []string{"s1@example.com", "s2@example.com"} {
		if r := pinauthCLI(t, "stats password 1\n\n", "user", "add", "--config", conf, "--email", email); r.status != exitOK {
			t.Fatalf("user add %d: %d %q", i, r.status, r.errOut)
		}
	}
	r := pinauthCLI(t, "", "stats", "--config", conf, "--json")
	var stats []storeStats
	if err := json.Unmarshal([]byte(r.out), &stats); err != nil || r.status != exitOK || len(stats) != 1 {
		t.Fatalf("stats --json: %d %v %q %q", r.status, err, r.out, r.errOut)
	}
	s := stats[0]
	if s.Accounts != 2 || s.Tenants["demo"] != 2 || s.Keys.Active != 1 || s.Outbox["pending"] != 0 {
		t.Fatalf("stats: %+v", s)
	}
	if r := pinauthCLI(t, "", "stats", "--store", storeFlag); r.status != exitOK || !regexp.MustCompile(`(?m)^accounts +2$`).MatchString(r.out) {
		t.Fatalf("stats --store: %d %q %q", r.status, r.out, r.errOut)
	}
	oldPepper := hashing.PepperID("cli-user-pepper-0123456789")
	if len(s.Hashes) != 1 || s.Hashes[0] != (hashStats{Secret: store.SecretPassword, Pepper: oldPepper, PepperState: "current",
		MemoryKiB: 64, Time: 1, Threads: 1, CostState: "current", Accounts: 2}) {
		t.Errorf("hashes before the rotation: %+v", s.Hashes)
	}

	// Rotate the pepper and raise the cost; a PIN set now is hashed with
	// both, the passwords stay as they were until their next login.
	t.Setenv("CLI_NEW_PEPPER", "cli-new-pepper-9876543210")
	newPepper := hashing.PepperID("cli-new-pepper-9876543210")
	rewrite(t, conf, "pepper {env.CLI_USER_PEPPER}", "pepper {env.CLI_NEW_PEPPER} {env.CLI_USER_PEPPER}")
	rewrite(t, conf, "hash argon2id 1 64 1", "hash argon2id 2 64 1")
	if r := pinauthCLI(t, "4826\n", "user", "set-pin", "--config", conf, "s1@example.com"); r.status != exitOK {
		t.Fatalf("user set-pin: %d %q", r.status, r.errOut)
	}
	r = pinauthCLI(t, "", "stats", "--config", conf, "--json")
	if err := json.Unmarshal([]byte(r.out), &stats); err != nil || r.status != exitOK || len(stats) != 1 {
		t.Fatalf("stats --json: %d %v %q %q", r.status, err, r.out, r.errOut)
	}
	want := []hashStats{
		{Secret: store.SecretPassword, Pepper: oldPepper, PepperState: "older", MemoryKiB: 64, Time: 1, Threads: 1, CostState: "other", Accounts: 2},
		{Secret: store.SecretPIN, Pepper: newPepper, PepperState: "current", MemoryKiB: 64, Time: 2, Threads: 1, CostState: "current", Accounts: 1},
	}
	if !slices.Equal(stats[0].Hashes, want) {
		t.Errorf("hashes after the rotation: %+v\nwant %+v", stats[0].Hashes, want)
	}
	// The signing key sealed with the old pepper was retired and a new one
	// sealed with the new pepper made.
	wantKeys := []keyPepperStats{{Pepper: oldPepper, PepperState: "older", Keys: 1}, {Pepper: newPepper, PepperState: "current", Keys: 1}}
	if !slices.Equal(stats[0].Keys.ByPepper, wantKeys) {
		t.Errorf("keys by pepper after the rotation: %+v, want %+v", stats[0].Keys.ByPepper, wantKeys)
	}
	r = pinauthCLI(t, "", "stats", "--config", conf)
	t.Logf("stats after the rotation:\n%s", r.out)
	for _, line := range []string{
		`(?m)^  password +` + oldPepper + ` \(older\) +64,1,1 \(other\) +2$`,
		`(?m)^  pin +` + newPepper + ` \(current\) +64,2,1 \(current\) +1$`,
	} {
		if !regexp.MustCompile(line).MatchString(r.out) {
			t.Errorf("stats output lacks %s:\n%s", line, r.out)
		}
	}

	// Once the old pepper is dropped from the config, what still uses it
	// is flagged.
	rewrite(t, conf, "pepper {env.CLI_NEW_PEPPER} {env.CLI_USER_PEPPER}", "pepper {env.CLI_NEW_PEPPER}")
	r = pinauthCLI(t, "", "stats", "--config", conf)
	if !regexp.MustCompile(`(?m)^  password +` + oldPepper + ` \(unknown\) +64,1,1 \(other\) +2$`).MatchString(r.out) {
		t.Errorf("with the old pepper dropped, stats does not flag its hashes as unknown:\n%s", r.out)
	}
}
