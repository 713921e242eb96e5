package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// productionSection returns the fenced blocks of one "## N. …" section of
// docs/production.md whose language is lang ("" for the Caddyfiles).
func productionSection(t *testing.T, heading, lang string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readRepoFile(t, "docs/production.md"), "\n## "+heading)
	if !ok {
		t.Fatalf("docs/production.md has no section %q", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for _, m := range regexp.MustCompile("(?sm)^ *```([a-z]*)\n(.*?)^ *```").FindAllStringSubmatch(section, -1) {
		if m[1] == lang {
			// Blocks in list items are indented; the commands are not.
			blocks = append(blocks, regexp.MustCompile(`(?m)^  `).ReplaceAllString(m[2], ""))
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("section %q of docs/production.md has no %q block", heading, lang)
	}
	return blocks
}

// runScript runs a documented shell block with bash -e in dir, with the
// given environment added to PATH.
func runScript(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the documented commands failed: %v\n%s\n--- script:\n%s", err, out, script)
	}
	return string(out)
}

// writeSecrets runs section 2's commands, as printed, with dir standing for
// /etc/caddy-pinauth, and checks what they made.
func writeSecrets(t *testing.T, dir string) {
	t.Helper()
	script := productionSection(t, "2. Secrets", "sh")[0]
	runScript(t, filepath.Dir(dir), strings.ReplaceAll(script, "/etc/caddy-pinauth", dir))
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("secrets directory: %v, mode %v; want 0700", err, fi.Mode())
	}
	for name, hexLen := range map[string]int{"pepper": 64, "api-secret": 64, "api-key": 32, "db-password": 48} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v; want a file of mode 0600", name, err)
		}
		v := strings.TrimSpace(readFile(t, filepath.Join(dir, name)))
		if !regexp.MustCompile(fmt.Sprintf(`^[0-9a-f]{%d}$`, hexLen)).MatchString(v) {
			t.Fatalf("%s = %q, want %d random hex digits", name, v, hexLen)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestProductionCaddyfilesAdaptWithTheSecretsLeftAsRuntimePlaceholders
// adapts every Caddyfile of docs/production.md and checks that no secret
// would be written into the adapted config: the secrets stay {file.…}
// placeholders resolved at run time.
func TestProductionCaddyfilesAdaptWithTheSecretsLeftAsRuntimePlaceholders(t *testing.T) {
	t.Parallel()
	var files []string
	for _, h := range []string{"4. The nodes", "5. Or TLS on the nodes"} {
		files = append(files, productionSection(t, h, "")...)
	}
	if len(files) != 3 {
		t.Fatalf("found %d Caddyfiles, want the node's, the balancer's and the TLS node's", len(files))
	}
	for i, conf := range files {
		dir := t.TempDir()
		path := filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		out, status := runCaddy(t, dir, "adapt", "--config", path, "--adapter", "caddyfile")
		if status != 0 {
			t.Errorf("Caddyfile %d does not adapt: %s", i, out)
			continue
		}
		if strings.Contains(conf, "pin_auth") {
			for _, secret := range []string{"pepper", "api-secret", "dsn"} {
				if !strings.Contains(out, `{file./etc/caddy-pinauth/`+secret+`}`) {
					t.Errorf("Caddyfile %d: the adapted config does not read %s at run time:\n%s", i, secret, out)
				}
			}
		}
	}
}

// TestProductionTwoNodesRunOnPostgresWithExactlyTheDocumentedGrants
// follows docs/production.md on one machine: the secrets of section 2, the
// role and database of section 3 (as printed, run by psql as a
// superuser), and two Caddy processes started from section 4's Caddyfile
// as printed (only the environment differs: the port, the admin address,
// the upstream and the credentials directory). An account made on one
// node logs in on the other; the client address the balancer forwards is
// the one recorded; the role holds no right beyond the documented ones.
// Then section 7's PostgreSQL backup is taken and restored.
func TestProductionTwoNodesRunOnPostgresWithExactlyTheDocumentedGrants(t *testing.T) {
	t.Parallel()
	secrets := filepath.Join(t.TempDir(), "caddy-pinauth")
	writeSecrets(t, secrets)
	server, su, name, node := documentedDatabase(t, secrets)
	if err := os.WriteFile(filepath.Join(secrets, "dsn"), []byte(node.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	conf := productionSection(t, "4. The nodes", "")[0]
	up := newUpstream(t)
	apiKey := strings.TrimSpace(readFile(t, filepath.Join(secrets, "api-key")))
	apiSecret := strings.TrimSpace(readFile(t, filepath.Join(secrets, "api-secret")))
	var bases []string
	for range 2 {
		port := freePort(t)
		base := baseURL(port)
		startCaddy(t, conf, []string{base + "/healthz"},
			"PINAUTH_PORT="+strconv.Itoa(port), "CADDY_ADMIN=localhost:"+strconv.Itoa(freePort(t)),
			"APP_UPSTREAM="+up.addr(), "CREDENTIALS_DIRECTORY="+secrets)
		bases = append(bases, base)
	}
	api := func(i int) string { return bases[i] + "/identity/v2" }

	// Node 0: create the account, log in with the password and set the PIN.
	email := "prod-" + name + "@example.com"
	r, err := post("POST", api(0)+"/manage/account?apikey="+apiKey+"&apisecret="+apiSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": "correct horse battery staple",
	})
	if err != nil || r.status != 200 {
		t.Fatalf("create account on node 0: %v %d %s", err, r.status, r.raw)
	}
	uid := r.str("Uid")
	r, err = post("POST", api(0)+"/auth/login?apikey="+apiKey, map[string]string{"email": email, "password": "correct horse battery staple"},
		"X-Forwarded-For", "203.0.113.7")
	if err != nil || r.status != 403 {
		t.Fatalf("password login on node 0: %v %d %s", err, r.status, r.raw)
	}
	pat, _ := r.object("Data")["PINAuthToken"].(string)
	r, err = post("POST", api(0)+"/auth/pin/set/pinauthtoken?apikey="+apiKey+"&pinauthtoken="+pat, map[string]string{"pin": "4826"})
	if err != nil || r.status != 200 {
		t.Fatalf("set PIN on node 0: %v %d %s", err, r.status, r.raw)
	}
	session := r.str("session_token")

	// Node 1: the PIN login, from the client the balancer names.
	r, err = post("POST", api(1)+"/auth/login/pin?apikey="+apiKey+"&session_token="+session, map[string]string{"pin": "4826"},
		"X-Forwarded-For", "198.51.100.9")
	if err != nil || r.status != 200 {
		t.Fatalf("PIN login on node 1: %v %d %s", err, r.status, r.raw)
	}
	access := r.str("access_token")
	if loc, _ := r.object("Profile")["LastLoginLocation"].(string); loc != "198.51.100.9" {
		t.Errorf("LastLoginLocation = %q, want the forwarded client 198.51.100.9 (trusted_proxies, client_ip_headers)", loc)
	}
	// Node 0 lets node 1's token through to the app, with the identity.
	r, err = post("GET", bases[0]+"/app/data", nil, "Authorization", "Bearer "+access)
	if err != nil || r.status != 200 || up.last(t).Header.Get("X-Auth-Uid") != uid {
		t.Fatalf("node 1's token on node 0: %v %d %s", err, r.status, r.raw)
	}

	// The operator commands work with the same files and grants.
	cmd := caddyCommand(t.TempDir(), "pinauth", "stats", "--config", writeTemp(t, conf), "--adapter", "caddyfile")
	cmd.Env = append(cmd.Env, "CREDENTIALS_DIRECTORY="+secrets)
	if out, err := cmd.CombinedOutput(); err != nil || !regexp.MustCompile(`(?m)^accounts +1$`).Match(out) {
		t.Errorf("caddy pinauth stats with the production config: %v\n%s", err, out)
	}

	checkRoleHasOnlyTheDocumentedRights(t, server, name)
	restoreDocumentedBackup(t, server, su, name, uid)
}

// documentedDatabase runs section 3's SQL, as printed but for this test's
// names for the role, database and schema, with psql as a superuser and
// the password of secrets/db-password, and drops them when the test ends.
// It returns the superuser's DSN (parsed too), the name, and the nodes'
// DSN for the file section 3 describes.
func documentedDatabase(t *testing.T, secrets string) (string, *url.URL, string, url.URL) {
	t.Helper()
	psql := requireTool(t, "psql", "postgresql-client")
	server := pgtest.ServerDSN(t)
	su, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	name := "pinauth_prod_" + randomHexString(t, 6)
	password := strings.TrimSpace(readFile(t, filepath.Join(secrets, "db-password")))
	sql := regexp.MustCompile(`\bpinauth\b`).ReplaceAllString(productionSection(t, "3. PostgreSQL", "sql")[0], name)
	sqlFile := filepath.Join(t.TempDir(), "pinauth.sql")
	if err := os.WriteFile(sqlFile, []byte(sql), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropDatabaseAndRole(t, server, name) })
	if out, err := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "password="+password, "-f", sqlFile, server).CombinedOutput(); err != nil {
		t.Fatalf("the documented SQL failed: %v\n%s", err, out)
	}
	node := *su
	node.User = url.UserPassword(name, password)
	node.Path = "/" + name
	return server, su, name, node
}

// checkRoleHasOnlyTheDocumentedRights asks PostgreSQL, as a superuser,
// what the nodes' role may do after the nodes migrated and served.
func checkRoleHasOnlyTheDocumentedRights(t *testing.T, server, name string) {
	t.Helper()
	var super, createDB, createRole, replication, bypassRLS bool
	queryOn(t, server, "", `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`,
		[]any{name}, &super, &createDB, &createRole, &replication, &bypassRLS)
	if super || createDB || createRole || replication || bypassRLS {
		t.Errorf("role attributes: super %v createdb %v createrole %v replication %v bypassrls %v; want none", super, createDB, createRole, replication, bypassRLS)
	}
	var publicCreate, temp, publicConnect bool
	var inOwnSchema, elsewhere int
	queryOn(t, server, name, `SELECT has_schema_privilege($1, 'public', 'CREATE'), has_database_privilege($1, current_database(), 'TEMP'),
		has_database_privilege('public', current_database(), 'CONNECT'),
		(SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tableowner = $1),
		(SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ($1, 'pg_catalog', 'information_schema'))`,
		[]any{name}, &publicCreate, &temp, &publicConnect, &inOwnSchema, &elsewhere)
	if publicCreate || temp || publicConnect {
		t.Errorf("CREATE on public %v, TEMP %v, PUBLIC may connect %v; want none", publicCreate, temp, publicConnect)
	}
	if inOwnSchema < 9 || elsewhere != 0 {
		t.Errorf("%d tables owned by the role in its schema and %d elsewhere; want the store's (9 or more) and none", inOwnSchema, elsewhere)
	}
}

// restoreDocumentedBackup runs section 7's PostgreSQL commands, as printed
// but for the database names, and finds the account in the restored copy.
func restoreDocumentedBackup(t *testing.T, server string, su *url.URL, name, uid string) {
	t.Helper()
	restore := name + "_restore"
	execOn(t, server, "", `CREATE DATABASE `+restore+` OWNER postgres TEMPLATE template0`)
	t.Cleanup(func() { execOn(t, server, "", `DROP DATABASE IF EXISTS `+restore+` WITH (FORCE)`) })
	script := productionSection(t, "7. Backups", "sh")[0]
	script = strings.ReplaceAll(script, "pinauth_restore", restore)
	script = regexp.MustCompile(`\bpinauth\b`).ReplaceAllString(script, name)
	port := su.Port()
	if port == "" {
		port = "5432"
	}
	runScript(t, t.TempDir(), script, "PGHOST="+su.Hostname(), "PGPORT="+port, "PGUSER="+su.User.Username())
	var n int
	queryOn(t, server, restore, `SELECT count(*) FROM `+name+`.accounts WHERE uid = $1`, []any{uid}, &n)
	if n != 1 {
		t.Errorf("the restored database has %d rows for the account, want 1", n)
	}
}

// dropDatabaseAndRole removes what section 3 made.
func dropDatabaseAndRole(t *testing.T, server, name string) {
	execOn(t, server, "", `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	execOn(t, server, "", `DROP ROLE IF EXISTS `+name)
}

// connectTo connects to server, to database db when it is not "".
func connectTo(t *testing.T, server, db string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	if db != "" {
		cfg.Database = db
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func execOn(t *testing.T, server, db, sql string) {
	t.Helper()
	conn := connectTo(t, server, db)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}

func queryOn(t *testing.T, server, db, sql string, args []any, dest ...any) {
	t.Helper()
	conn := connectTo(t, server, db)
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func writeTemp(t *testing.T, conf string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomHexString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestProductionSQLiteBackupIsConsistentAndRestores runs section 7's SQLite
// commands, as printed but for the store's path: the online backup while a
// store has the file open, then, after a change the backup must not hold,
// the restore with the store closed.
func TestProductionSQLiteBackupIsConsistentAndRestores(t *testing.T) {
	t.Parallel()
	requireTool(t, "sqlite3", "sqlite3")
	lines := strings.Split(strings.TrimSpace(productionSection(t, "7. Backups", "sh")[1]), "\n")
	if len(lines) != 2 {
		t.Fatalf("the SQLite block has %d commands, want the backup and the restore", len(lines))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "caddy", "pinauth.db")
	doc := "/var/lib/caddy-pinauth/caddy/pinauth.db"
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	create := func(uid string) {
		t.Helper()
		err := st.Update(t.Context(), func(tx store.Tx) error {
			return tx.CreateAccount(store.Account{Tenant: "app", UID: uid, Active: true})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create("before-backup")
	runScript(t, dir, strings.ReplaceAll(lines[0], doc, path))
	create("after-backup")
	st.Close()
	runScript(t, dir, strings.ReplaceAll(lines[1], doc, path))

	st, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, found, err := st.Account(t.Context(), "app", "before-backup"); !found || err != nil {
		t.Errorf("the restored store lacks the account made before the backup: %v %v", found, err)
	}
	if _, found, _ := st.Account(t.Context(), "app", "after-backup"); found {
		t.Error("the restored store has the account made after the backup: the restore did not replace the file")
	}
}
