package caddymodule

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// secretReader reads passwords and PINs: from a terminal with a prompt and
// without echo (asked twice, so a typo cannot lock the operator out), or
// one per line from standard input for scripts. Secrets are never taken
// from flags or arguments, which other users can read in `ps`.
type secretReader struct {
	tty    int // the terminal's file descriptor, or -1
	lines  *bufio.Reader
	prompt io.Writer
}

func newSecretReader(in io.Reader, prompt io.Writer) *secretReader {
	sr := &secretReader{tty: -1, prompt: prompt}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		sr.tty = int(f.Fd())
		return sr
	}
	sr.lines = bufio.NewReader(in)
	return sr
}

// read returns one secret. what names it in prompts and errors ("password",
// "PIN"). With optional, an empty answer (or no line left) means none.
func (sr *secretReader) read(what string, optional bool) (string, bool, error) {
	if sr.tty < 0 {
		line, err := sr.lines.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		if errors.Is(err, io.EOF) && line == "" {
			if optional {
				return "", false, nil
			}
			return "", false, usageErrorf("no %s on standard input (one per line)", what)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" && optional {
			return "", false, nil
		}
		return line, true, nil
	}
	hint := ""
	if optional {
		hint = " (empty for none)"
	}
	first, err := sr.prompted(fmt.Sprintf("%s%s: ", capitalize(what), hint))
	if err != nil {
		return "", false, err
	}
	if first == "" && optional {
		return "", false, nil
	}
	again, err := sr.prompted(fmt.Sprintf("Repeat the %s: ", what))
	if err != nil {
		return "", false, err
	}
	if again != first {
		return "", false, usageErrorf("the two %ss differ", what)
	}
	return first, true, nil
}

func (sr *secretReader) prompted(prompt string) (string, error) {
	restore, err := hideTyping(sr.tty)
	if err != nil {
		return "", fmt.Errorf("turning the terminal's echo off: %w", err)
	}
	fmt.Fprint(sr.prompt, prompt)
	b, err := term.ReadPassword(sr.tty)
	restore()
	fmt.Fprintln(sr.prompt)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return string(b), nil
}

func capitalize(s string) string {
	if s == "" || s == "PIN" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
