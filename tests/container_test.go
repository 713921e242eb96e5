package tests

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requirePodman returns podman's path. The container test builds an image
// and runs it, which takes a minute and needs a working container runtime
// as root, so it runs in CI (which installs podman and fails without it)
// and elsewhere only when asked.
func requirePodman(t *testing.T) string {
	t.Helper()
	if os.Getenv("CI") == "" && os.Getenv("PINAUTH_TEST_CONTAINER") == "" {
		t.Skip("builds the Dockerfile's image and runs the Container commands of README and docs/production.md in it (about a minute; " +
			"everything it makes is removed after): run it as root with PINAUTH_TEST_CONTAINER=1 go test ./tests -run TestContainer " +
			"(needs podman; a host like CI's sandbox also needs runc and CONTAINERS_CONF=$PWD/.ci/containers.conf, as .ci/run sets)")
	}
	return requireTool(t, "podman", "podman runc")
}

// containerCommandTimeout bounds each documented command: the binary's
// build on a cold cache is the slowest.
const containerCommandTimeout = 10 * time.Minute

// TestContainerImageRunsAsDocumented builds the image from the Dockerfile
// and runs it as the documents say, on a copy of the repository, with this
// run's own image, container and volume names and host ports, so runs side
// by side (and a reader's own pinauth container) never meet. Everything it
// makes is removed even when it fails.
//
// README: the Container section's first block (the static binary built as
// printed, the image, the container), then the README's walk-through
// against it, then the section's second block: the operator command inside
// the container, a stop (which must be Caddy's clean exit), the container
// removed and a new one run with the same volume, on which the
// walk-through's session and access tokens still work: the store, the
// sessions and the signing keys live in /data. The image runs as uid 65532,
// whose file the store is.
//
// production: docs/production.md's Container commands on the same image,
// with a temporary directory for /etc/caddy-pinauth holding section 2's
// secrets, section 4's Caddyfile and the DSN of section 3's role on the
// real PostgreSQL; an account is made and logs in through the container,
// the app behind it receives the identity, the operator command counts
// the account, and the config Caddy saved in /data holds no secret.
func TestContainerImageRunsAsDocumented(t *testing.T) {
	podman := requirePodman(t)
	t.Parallel()
	dir := t.TempDir()
	copyRepository(t, dir)
	name := "pinauth-test-" + randomHexString(t, 4)
	removeImageAfter(t, podman, name)

	t.Run("README", func(t *testing.T) {
		runREADMEContainer(t, &containerRun{t: t, podman: podman, dir: dir, image: name, container: name,
			volume: name + "-data", port: freePort(t), ready: "/.well-known/jwks.json"})
	})
	t.Run("production", func(t *testing.T) {
		runProductionContainer(t, &containerRun{t: t, podman: podman, dir: dir, image: name, container: name + "-prod",
			volume: name + "-prod-data", port: freePort(t), ready: "/healthz"})
	})
}

// runREADMEContainer runs the README's Container section with the
// walk-through between its two blocks.
func runREADMEContainer(t *testing.T, r *containerRun) {
	r.localize = r.localizeREADME
	r.removeAfter()
	blocks := readmeContainerBlocks(t)
	for _, cmd := range blocks[0] {
		r.run(cmd)
	}
	r.checkBinaryIsStatic()
	if len(r.ids) != 1 {
		t.Fatalf("the Container section's first block started %d containers, want one", len(r.ids))
	}
	tokens := strings.Fields(runWalkThrough(t, r.base(), `printf '%s %s\n' "$SESSION" "$ACCESS"`))
	if len(tokens) != 2 {
		t.Fatalf("the walk-through left session and access tokens %q", tokens)
	}
	session, access := tokens[0], tokens[1]

	for _, cmd := range blocks[1] {
		r.run(cmd)
	}
	if !strings.Contains(r.execOutput, "alice@example.com") {
		t.Errorf("podman exec … caddy pinauth user show does not show the walk-through's account:\n%s", r.execOutput)
	}
	if r.stops != 1 || r.stoppedExitCode != 0 {
		t.Errorf("the section stops the container %d times, exit status %d: want one stop and Caddy's clean exit (0)", r.stops, r.stoppedExitCode)
	}
	if len(r.ids) != 2 || r.ids[0] == r.ids[1] {
		t.Fatalf("the section's second block must start a new container (so only the volume carries the store): started %v", r.ids)
	}

	// The new container knows the walk-through's session, PIN and signing key.
	resp, err := post("GET", r.base()+"/hello", nil, "Authorization", "Bearer "+access)
	if err != nil || resp.status != 200 {
		t.Fatalf("the walk-through's access token on the new container: %v %d %s", err, resp.status, resp.raw)
	}
	if who := echoed(t, resp); who["email"] != "alice@example.com" {
		t.Errorf("the upstream received %v, want alice's identity", who)
	}
	resp, err = post("POST", r.base()+apiPrefix+"/auth/login/pin?apikey="+exampleKey+"&session_token="+session, map[string]string{"pin": "7890"})
	if err != nil || resp.status != 200 || resp.str("access_token") == "" {
		t.Fatalf("the walk-through's PIN login on the new container: %v %d %s", err, resp.status, resp.raw)
	}
	if fi, err := os.Stat(filepath.Join(r.volumeDir(), "caddy", "pinauth.db")); err != nil {
		t.Errorf("the store is not in the volume: %v", err)
	} else if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != 65532 {
		t.Errorf("the store in the volume belongs to %v, want uid 65532", fi.Sys())
	}
}

// runProductionContainer runs docs/production.md's Container commands
// against a real PostgreSQL and a recording app.
func runProductionContainer(t *testing.T, r *containerRun) {
	secrets := filepath.Join(t.TempDir(), "caddy-pinauth")
	writeSecrets(t, secrets)
	_, _, _, node := documentedDatabase(t, secrets)
	gateway, subnet := podmanNetwork(t, r.podman)
	// The container reaches the host at the network's gateway address:
	// PostgreSQL (on loopback) through a proxy, and the app, both
	// listening there for the network's addresses only.
	proxy := newPGProxyOn(t, node.String(), listenForSubnet(t, subnet))
	node.Host = net.JoinHostPort(gateway, port(proxy.ln.Addr()))
	app := newUpstreamOn(t, listenForSubnet(t, subnet))
	for file, content := range map[string]string{
		"dsn":       node.String() + "\n",
		"Caddyfile": productionSection(t, "4. The nodes", "")[0],
	} {
		if err := os.WriteFile(filepath.Join(secrets, file), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.localize = func(cmd string) string {
		return r.localizeProduction(cmd, secrets, net.JoinHostPort(gateway, port(app.srv.Listener.Addr())))
	}
	r.removeAfter()
	cmds := productionContainerCommands(t)
	for _, cmd := range cmds {
		r.run(cmd)
	}
	if len(r.ids) != 1 {
		t.Fatalf("the commands started %d containers, want one", len(r.ids))
	}

	// An account made and logged in through the container, on PostgreSQL.
	apiKey := strings.TrimSpace(readFile(t, filepath.Join(secrets, "api-key")))
	apiSecret := strings.TrimSpace(readFile(t, filepath.Join(secrets, "api-secret")))
	api := r.base() + apiPrefix
	const address, pw, pinCode = "container@example.com", "correct horse battery staple", "4826"
	resp, err := post("POST", api+"/manage/account?apikey="+apiKey+"&apisecret="+apiSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": address}}, "Password": pw,
	})
	if err != nil || resp.status != 200 {
		t.Fatalf("create an account through the container: %v %d %s", err, resp.status, resp.raw)
	}
	uid := resp.str("Uid")
	resp, err = post("POST", api+"/auth/login?apikey="+apiKey, map[string]string{"email": address, "password": pw})
	if err != nil || resp.status != 403 {
		t.Fatalf("password login through the container: %v %d %s", err, resp.status, resp.raw)
	}
	pat, _ := resp.object("Data")["PINAuthToken"].(string)
	resp, err = post("POST", api+"/auth/pin/set/pinauthtoken?apikey="+apiKey+"&pinauthtoken="+pat, map[string]string{"pin": pinCode})
	if err != nil || resp.status != 200 {
		t.Fatalf("set the PIN through the container: %v %d %s", err, resp.status, resp.raw)
	}
	resp, err = post("POST", api+"/auth/login/pin?apikey="+apiKey+"&session_token="+resp.str("session_token"), map[string]string{"pin": pinCode})
	if err != nil || resp.status != 200 {
		t.Fatalf("PIN login through the container: %v %d %s", err, resp.status, resp.raw)
	}
	resp, err = post("GET", r.base()+"/app/data", nil, "Authorization", "Bearer "+resp.str("access_token"))
	if err != nil || resp.status != 200 || app.last(t).Header.Get("X-Auth-Uid") != uid {
		t.Fatalf("the app through the container: %v %d %s", err, resp.status, resp.raw)
	}

	// The documented operator command, again now that there is an account.
	for _, cmd := range cmds {
		if strings.HasPrefix(cmd, "podman exec ") {
			r.run(cmd)
		}
	}
	if !regexp.MustCompile(`(?m)^accounts +1$`).MatchString(r.execOutput) {
		t.Errorf("caddy pinauth stats in the container does not count the account:\n%s", r.execOutput)
	}

	// What Caddy saved in /data holds none of the secrets.
	saved := readFile(t, filepath.Join(r.volumeDir(), "config", "caddy", "autosave.json"))
	for _, file := range []string{"pepper", "api-secret", "db-password"} {
		if secret := strings.TrimSpace(readFile(t, filepath.Join(secrets, file))); strings.Contains(saved, secret) {
			t.Errorf("the autosaved config in /data holds the %s", file)
		}
	}
}

// readmeContainerBlocks returns the command lines of the README's
// Container section: its first block builds and starts the container, its
// second runs after the walk-through.
func readmeContainerBlocks(t *testing.T) [][]string {
	t.Helper()
	var blocks [][]string
	for _, b := range codeBlocks(readmeSection(t, "Container")) {
		blocks = append(blocks, shellCommands(b))
	}
	if len(blocks) != 2 {
		t.Fatalf("README's Container section has %d shell blocks, want two (build and run; then after the walk-through)", len(blocks))
	}
	build := "CGO_ENABLED=0 " + readmeGoBuildLine(t)
	if blocks[0][0] != build {
		t.Errorf("the Container section builds with %q, want the Building section's line with cgo off: %q", blocks[0][0], build)
	}
	return blocks
}

// productionContainerCommands returns the commands of docs/production.md's
// Container part (in section 6).
func productionContainerCommands(t *testing.T) []string {
	t.Helper()
	blocks := productionSection(t, "6. Running it", "sh")
	if len(blocks) != 2 {
		t.Fatalf("section 6 of docs/production.md has %d shell blocks, want two: systemd's, then the container's", len(blocks))
	}
	return shellCommands(blocks[1])
}

// shellCommands splits a shell block into commands, joining
// backslash-continued lines and dropping comments and blank lines.
func shellCommands(block string) []string {
	var cmds []string
	pending := ""
	for _, l := range strings.Split(block, "\n") {
		if strings.HasSuffix(l, "\\") {
			pending += l + "\n"
			continue
		}
		cmd := strings.TrimSpace(pending + l)
		pending = ""
		if cmd != "" && !strings.HasPrefix(cmd, "#") {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// readmeGoBuildLine returns the go build line of the README's Building
// section.
func readmeGoBuildLine(t *testing.T) string {
	t.Helper()
	for _, l := range strings.Split(readmeSection(t, "Building"), "\n") {
		if strings.HasPrefix(l, "go build ") {
			return l
		}
	}
	t.Fatal("README's Building section has no go build line")
	return ""
}

// copyRepository copies the repository's files (not .git, nor a caddy
// binary built at its root) into dir, so the documented commands run on a
// fresh tree and write nothing into the work tree.
func copyRepository(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		if rel == ".git" || rel == "caddy" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := filepath.Join(dir, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(dst, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copying the repository: %v", err)
	}
}
