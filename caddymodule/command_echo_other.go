//go:build !linux

package caddymodule

// hideTyping is a no-op off Linux (other termios requests, or no termios):
// term.ReadPassword still turns echo off while it reads, only after the
// prompt is printed rather than before.
func hideTyping(int) (restore func(), err error) {
	return func() {}, nil
}
