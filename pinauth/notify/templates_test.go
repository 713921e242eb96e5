package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name, content pairs into a new directory.
func writeFiles(t *testing.T, pairs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, pairs[i]), []byte(pairs[i+1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderedSubjectsAreOneLine(t *testing.T) {
	t.Parallel()
	m := templates{}
	dir := writeFiles(t, "s.subject.txt", "Hello\r\nBcc: evil@example.com\n{{.Name}}", "s.txt", "body")
	if err := m.load(os.DirFS(dir), dir); err != nil {
		t.Fatal(err)
	}
	out, err := m["s"].renderEmail(Data{Name: strings.Repeat("é", 300)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.subject, "\r\n") || !strings.HasPrefix(out.subject, "Hello Bcc: evil@example.com éé") {
		t.Fatalf("subject %q", out.subject)
	}
	if n := len([]rune(out.subject)); n != maxSubjectRunes {
		t.Fatalf("subject has %d runes, want %d", n, maxSubjectRunes)
	}
}
