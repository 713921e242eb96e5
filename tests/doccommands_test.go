package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// docCommandGlobs are the documents whose commands
// TestDocumentedCommandsRunAsPrinted runs: every command line of their
// ```sh (or ```bash, ```shell) blocks, and every inline `code` span that is
// a shell command (see docInlineCommand; `caddy pinauth …` mentions in
// prose are checked against the command tree by caddymodule's
// TestEveryDocumentedCLIMentionNamesARealCommandAndFlags instead). A new
// guide under docs/ is picked up on its own; its commands then need a
// setup in docCommandSetups (files and variables a reader brings) or an
// exclusion with its reason in docCommandExclusions.
var docCommandGlobs = []string{"README.md", "SECURITY.md", "BENCHMARKS.md", "CHANGELOG.md", "docs/*.md"}

// docExclusion is a documented command the test does not run, and why.
// An empty command excludes every command of the section; file "*" and
// section "" match any.
type docExclusion struct {
	file, section, command string
	reason                 string
}

// docCommandExclusions are the documented commands this test does not run,
// each with the reason: what runs it elsewhere, or what this machine
// lacks. An exclusion that matches no command fails the test, so the list
// cannot outlive the documents.
var docCommandExclusions = []docExclusion{
	{"README.md", "Quick start", "go run ./cmd/caddy run --config Caddyfile.example --adapter caddyfile",
		"a server that runs until stopped: TestREADMEQuickStartCommandServesTheLoginPage runs it as printed"},
	{"README.md", "Quick start", "go test ./...",
		"the whole suite, this test included: .ci/run runs it as a step (TestREADMEQuickStartIsTwoCommandsAndCIRunsItsTestCommand)"},
	{"README.md", "Building", "go build -o caddy ./cmd/caddy",
		"TestMain builds the same package, into a temporary directory instead of the work tree"},
	{"README.md", "Building", "xcaddy build v2.11.9 --with github.com/pinauth/caddy-pinauth/caddymodule --replace github.com/pinauth/caddy-pinauth=./",
		"needs xcaddy and module downloads: CI builds with it once"},
	{"README.md", "Container", "",
		"builds and runs an image (podman, about a minute): TestContainerImageRunsTheWalkThroughAndKeepsItsStoreInTheVolume runs every command of the section as printed, with its own names and port, in CI"},
	{"README.md", "Walk-through", "",
		"run byte for byte against the example by TestREADMEWalkThroughRunsAsPrintedAgainstTheExample"},
	{"README.md", "Performance and memory", "bash bench/run.sh            # or: bash bench/run.sh --quick",
		"the half-hour load harness, run by hand on a quiet machine; BENCHMARKS.md records its last run"},
	{"README.md", "Testing", "PINAUTH_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' go test ./...",
		"the whole suite with this DSN: .ci/run exports it and runs go test ./... (TestREADMEQuickStartIsTwoCommandsAndCIRunsItsTestCommand)"},

	{"docs/production.md", "1. Build", "CGO_ENABLED=0 go build -o caddy ./cmd/caddy",
		"TestMain builds the same package; the container image's build is this line (Dockerfile)"},
	{"docs/production.md", "2. Secrets", "",
		"writes to /etc: TestProductionTwoNodesRunOnPostgresWithExactlyTheDocumentedGrants runs them as printed with a temporary directory for /etc/caddy-pinauth and checks the files"},
	{"docs/production.md", "systemd", "",
		"installs into /usr/local/bin and /etc/systemd and starts a service: needs root on a systemd host; TestSystemdUnitVerifiesCleanlyAndIsHardened checks the unit with systemd-analyze"},
	{"docs/production.md", "Container", "",
		"writes to /etc and runs a container on PostgreSQL: TestContainerImageRunsTheWalkThroughAndKeepsItsStoreInTheVolume runs them as printed, with a temporary directory for /etc/caddy-pinauth and its own names, port and app address, in CI"},
	{"docs/production.md", "3. PostgreSQL", `psql -v ON_ERROR_STOP=1 -v password="$(cat db-password)" -f pinauth.sql postgres`,
		"the SQL block below it saved as pinauth.sql: TestProductionTwoNodesRunOnPostgresWithExactlyTheDocumentedGrants runs that block with psql and these variables, as a superuser, with its own role and database names"},

	// Commands named in prose.
	{"README.md", "Quick start", "PINAUTH_PORT=8081 go run ./cmd/caddy run …",
		"the Quick start command with the port moved: TestREADMEQuickStartCommandServesTheLoginPage runs it so, on a free port, whenever 8080 is taken"},
	{"*", "", "go build -o caddy ./cmd/caddy", "TestMain builds the same package, into a temporary directory instead of the work tree"},
	{"*", "", "go test", "names the tool, not a command to run"},
	{"*", "", "go test ./...", "the whole suite, this test included: .ci/run's test step"},
	{"README.md", "Testing", "go vet ./...", ".ci/run's vet step"},
	{"README.md", "Testing", "go test -race -count=1 ./...", ".ci/run's race step"},
	{"*", "", "go test -run XXX -fuzz '^FuzzAPIRequest$' -fuzztime 10m ./pinauth",
		"ten minutes of fuzzing: .ci/run's fuzz step runs this command for every target with -fuzztime 10s"},
	{"README.md", "Tuning the hash cost", "go test ./pinauth -run XXX -bench 'Argon2idDefault|PINLogin'",
		"a measurement: .ci/run's bench step runs every benchmark of ./pinauth, these two included (-benchtime=100x)"},
	{"README.md", "Testing", "apt-get install -y chromium", ".ci/run installs Chromium this way when it is missing (ensure_chromium)"},
	{"README.md", "Testing", "go test ./tests -run TestBrowser -screenshots",
		"rewrites docs/screenshots in the work tree; the browser tests run without the flag in every go test ./..."},
	{"*", "", "caddy reload",
		"posts the Caddyfile to the admin API's /load, which TestReloadUnderLoadFailsNoRequestAndKeepsTokensLocksAndRateLimits does five times under load"},
	{"*", "", "caddy validate", "run on good and bad configs by tests/validate_test.go"},
	{"SECURITY.md", "", "caddy adapt",
		"names the command: TestCaddyfileExampleTakesSecretsFromTheEnvironmentAndSavesNoneOfThem runs caddy adapt --config Caddyfile.example"},
	{"BENCHMARKS.md", "", "bash bench/run.sh", "the half-hour load harness, run by hand on a quiet machine; this file records its last run"},
	{"BENCHMARKS.md", "", "bash bench/run.sh --quick", "the load harness's short run, by hand"},
	{"docs/operator-guide.md", "Backups", "sqlite3 /path/to/pinauth.db \".backup /backups/pinauth-$(date +%F).db\"",
		"its paths are placeholders for the reader's database and backup directory"},
	{"docs/operator-guide.md", "Backups", "pg_dump -Fc", "the option to use, not a whole command (no database named)"},
	{"docs/operator-guide.md", "Upgrades", "xcaddy build …", "the README's xcaddy line, abbreviated: CI builds with it"},
}

// docSetup is what a document's commands need around them.
type docSetup struct {
	// example starts Caddyfile.example first: the commands act on its
	// store, with its private HOME and data directory.
	example bool
	// files writes into the working directory the files a reader brings
	// (an export to import, a Caddyfile the guide has them write) and
	// returns the environment variables a reader sets.
	files func(t *testing.T, dir string) []string
	// check verifies what the commands did, given their output.
	check func(t *testing.T, r docRun)
}

// docRun is one document's commands after they ran.
type docRun struct {
	g      *gateway // the example, when the setup starts it
	env    []string
	stdout string
}

// Variables the README's operator commands expect the reader to have set.
const (
	docPassword = "bob's own password"
	docPIN      = "2580"
)

// docCommandSetups gives each document that needs one its setup; the
// others run with the default: an empty working directory holding links
// to the repository's files, the built caddy on PATH, a private HOME.
var docCommandSetups = map[string]docSetup{
	"README.md": {
		example: true,
		files: func(t *testing.T, dir string) []string {
			writeExport(t, filepath.Join(dir, "users.ndjson"), lrfixture.NDJSON)
			return []string{"PASSWORD=" + docPassword, "PIN=" + docPIN}
		},
		check: func(t *testing.T, r docRun) {
			// The account the CLI added logs in through the running
			// example: same store, same pepper.
			login := r.g.do("POST", apiPrefix+"/auth/login?apikey="+exampleKey,
				map[string]string{"email": "bob@example.com", "password": docPassword})
			if login.status != 200 {
				t.Fatalf("bob's password login: %d %s", login.status, login.raw)
			}
			if p := r.g.pinLogin(login.str("session_token"), docPIN); p.status != 200 {
				t.Fatalf("bob's PIN login: %d %s", p.status, p.raw)
			}
			if !strings.Contains(r.stdout, "imported 20 records: 20 created") {
				t.Errorf("the import did not create the export's 20 accounts:\n%s", r.stdout)
			}
		},
	},
	"docs/migrating-from-loginradius.md": {
		files: func(t *testing.T, dir string) []string {
			// Step 1 has the reader write this Caddyfile.
			conf := docBlockAfter(t, "docs/migrating-from-loginradius.md", "## 1. Configure the gateway")
			if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			writeExport(t, filepath.Join(dir, "users.json"), lrfixture.JSONArray)
			return []string{
				"SHOP_API_KEY=shop-key-for-the-docs-test",
				"SHOP_API_SECRET=shop-secret-for-the-docs-test",
				"PINAUTH_PEPPER=pepper-for-the-docs-test-0123",
				"PINAUTH_DSN=" + pgtest.DSN(t),
			}
		},
		check: func(t *testing.T, r docRun) {
			if !strings.Contains(r.stdout, "imported 20 records: 20 created") {
				t.Errorf("the import did not create the export's 20 accounts:\n%s", r.stdout)
			}
		},
	},
}

// TestDocumentedCommandsRunAsPrinted runs every command of the shell
// blocks of the README and the guides, as a reader would copy them, each
// document's in one bash script stopped by the first failure, and fails
// when one exits non-zero or writes to standard error (the CLI is silent
// on success). Commands a test elsewhere runs, or that need what this
// machine lacks, are listed with the reason in docCommandExclusions.
func TestDocumentedCommandsRunAsPrinted(t *testing.T) {
	t.Parallel()
	commands := documentedCommands(t)
	used := make([]bool, len(docCommandExclusions))
	byFile := map[string][]string{}
	var files []string
	for _, c := range commands {
		if i := docExcluded(c); i >= 0 {
			used[i] = true
			continue
		}
		if _, ok := byFile[c.file]; !ok {
			files = append(files, c.file)
		}
		byFile[c.file] = append(byFile[c.file], c.command)
	}
	for i, e := range docCommandExclusions {
		if !used[i] {
			t.Errorf("the exclusion of %q in %s, %q matches no documented command: remove or fix it", e.command, e.file, e.section)
		}
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			runDocCommands(t, docCommandSetups[file], byFile[file])
		})
	}
}

// runDocCommands runs one document's commands in bash, in a working
// directory that links the repository's files, with the built caddy first
// on PATH and nothing else of the test's environment.
func runDocCommands(t *testing.T, setup docSetup, commands []string) {
	var r docRun
	var home string
	if setup.example {
		r.g, home = startExample(t, true)
	} else {
		home = t.TempDir()
	}
	work := t.TempDir()
	linkRepository(t, work)
	if setup.files != nil {
		r.env = setup.files(t, work)
	}
	env := append([]string{
		"PATH=" + filepath.Dir(caddyBin) + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + filepath.Join(home, "home"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"TMPDIR=" + work,
		"GORACE=exitcode=66",
	}, r.env...)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	script := "set -euo pipefail\n" + strings.Join(commands, "\n") + "\n"
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = work, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r.stdout = stdout.String()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("the documented commands failed (%v) or wrote to standard error:\n%s\nstdout:\n%s\nstderr:\n%s\n"+
			"(a document's commands may need a setup in docCommandSetups, or an exclusion with its reason in docCommandExclusions)",
			err, script, r.stdout, stderr.String())
	}
	if setup.check != nil {
		setup.check(t, r)
	}
}

// docCommand is one command line of a document's shell block.
type docCommand struct {
	file, section, command string
}

// docShellFence opens a shell block.
var docShellFence = regexp.MustCompile("^```(sh|bash|shell)$")

// docInlineSpan is an inline code span.
var docInlineSpan = regexp.MustCompile("`([^`]+)`")

// docInlineCommand is an inline span that is a shell command: optional
// VAR=value assignments, a program a reader runs from a shell, and at
// least one argument. `caddy pinauth …` is left to caddymodule's check.
var docInlineCommand = regexp.MustCompile(`^(?:[A-Z][A-Z0-9_]*=\S+\s+)*(?:go|bash|sh|caddy|xcaddy|curl|openssl|sqlite3|psql|pg_dump|pg_restore|createdb|systemctl|systemd-analyze|podman|buildah|docker|apt-get)\s+\S`)

// documentedCommands returns, in document order, the command lines of
// every shell block of the documents (backslash-continued lines joined,
// comment lines dropped) and their inline commands, with the heading each
// is under. It fails when a `caddy pinauth` line sits in a block not
// marked as shell, where it would escape the test.
func documentedCommands(t *testing.T) []docCommand {
	t.Helper()
	var out []docCommand
	for _, file := range docFiles(t) {
		section, fence, pending := "", "", ""
		for n, line := range strings.Split(readRepoFile(t, file), "\n") {
			switch {
			case fence == "" && strings.HasPrefix(line, "```"):
				fence = line
			case fence != "" && line == "```":
				fence = ""
			case fence == "" && strings.HasPrefix(line, "#"):
				section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			case fence == "":
				for _, m := range docInlineSpan.FindAllStringSubmatch(line, -1) {
					if docInlineCommand.MatchString(m[1]) && !strings.HasPrefix(m[1], "caddy pinauth") {
						out = append(out, docCommand{file: file, section: section, command: m[1]})
					}
				}
			case fence != "" && !docShellFence.MatchString(fence):
				if strings.HasPrefix(strings.TrimSpace(line), "caddy pinauth ") {
					t.Errorf("%s:%d: a caddy pinauth command in a %s block: mark the block ```sh so it runs", file, n+1, fence)
				}
			case fence != "":
				if strings.HasSuffix(line, "\\") {
					pending += line + "\n"
					continue
				}
				cmd := pending + line
				pending = ""
				if trimmed := strings.TrimSpace(cmd); trimmed != "" && !strings.HasPrefix(trimmed, "#") {
					out = append(out, docCommand{file: file, section: section, command: cmd})
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no documented commands")
	}
	return out
}

// docFiles lists the documents of docCommandGlobs, relative to the
// repository.
func docFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range docCommandGlobs {
		matches, err := filepath.Glob(filepath.Join("..", g))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			files = append(files, filepath.ToSlash(strings.TrimPrefix(m, ".."+string(filepath.Separator))))
		}
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// docExcluded returns the index of the exclusion matching c, or -1.
func docExcluded(c docCommand) int {
	for i, e := range docCommandExclusions {
		if (e.file == "*" || e.file == c.file) && (e.section == "" || e.section == c.section) &&
			(e.command == "" || e.command == c.command) {
			return i
		}
	}
	return -1
}

// docBlockAfter returns the first fenced block after the line heading in
// a document.
func docBlockAfter(t *testing.T, file, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readRepoFile(t, file), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q", file, heading)
	}
	m := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindStringSubmatch(rest)
	if m == nil {
		t.Fatalf("%s has no code block after %q", file, heading)
	}
	return m[1]
}

// linkRepository links every top-level entry of the repository into dir,
// so commands written for the repository root run there on the
// repository's own files while what they write stays out of the work tree.
func linkRepository(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// writeExport writes a LoginRadius export of 20 valid profiles.
func writeExport(t *testing.T, path string, f lrfixture.Format) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	exp, err := lrfixture.Write(out, 20, f)
	if err != nil || exp.Valid != 20 {
		t.Fatalf("writing the export: %v (%d valid)", err, exp.Valid)
	}
}
