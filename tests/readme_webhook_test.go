package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeVerify runs the README's Go verification snippet (section
// "Webhooks") on a delivery and reports whether it accepted it, so the
// documented code is known to verify what the gateway sends.
func readmeVerify(t *testing.T, secret string, d delivery) bool {
	t.Helper()
	readme := readRepoFile(t, "README.md")
	_, section, ok := strings.Cut(readme, "\n## Webhooks\n")
	if !ok {
		t.Fatal("README has no Webhooks section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var snippet string
	for _, b := range codeBlocks(section) {
		if strings.HasPrefix(b, "func verify(") {
			snippet = b
		}
	}
	if snippet == "" {
		t.Fatal("the Webhooks section has no Go func verify")
	}
	dir := t.TempDir()
	for name, v := range map[string]string{
		"id": d.header.Get("webhook-id"), "ts": d.header.Get("webhook-timestamp"),
		"sig": d.header.Get("webhook-signature"), "body": string(d.body), "secret": secret,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	prog := `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func read(name string) string { b, _ := os.ReadFile(name); return string(b) }

func main() {
	h := http.Header{}
	h.Set("webhook-id", read("id"))
	h.Set("webhook-timestamp", read("ts"))
	h.Set("webhook-signature", read("sig"))
	fmt.Print(verify(read("secret"), h, []byte(read("body"))))
}

` + snippet
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool(), "run", "main.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running the README's verify: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out)) == "true"
}
