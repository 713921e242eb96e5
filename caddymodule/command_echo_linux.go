package caddymodule

import "golang.org/x/sys/unix"

// hideTyping turns the terminal fd's echo off and returns what restores
// it. The secret reader calls it before it prints a prompt: term.ReadPassword
// turns echo off itself, but only after the prompt is out, and what the
// operator types (or pastes) in between is shown on the screen, as the
// tty test saw under load. With echo off first, nothing typed after the
// prompt appears is echoed, as getpass and readpassphrase do.
func hideTyping(fd int) (restore func(), err error) {
	shown, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	hidden := *shown
	hidden.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &hidden); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, shown) }, nil
}
