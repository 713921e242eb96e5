package notify

import (
	"os"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/testkit"
)

// writeFiles writes name, content pairs into a new directory.
var writeFiles = testkit.WriteFiles

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
