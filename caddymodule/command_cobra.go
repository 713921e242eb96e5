package caddymodule

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// cliCommand is one `caddy pinauth` command: a leaf with run, or a group
// with children. New commands are added to cliCommands.
type cliCommand struct {
	name     string
	short    string
	run      func(ctx context.Context, c cliCall) error
	children []cliCommand
	// use follows the name in the usage line; args checks the positional
	// arguments (default: none), a failure being a usage error; flags
	// declares the command's own flags.
	use   string
	args  cobra.PositionalArgs
	flags func(cmd *cobra.Command)
	// createsStore lets the command create a SQLite store that does not
	// exist yet (adding accounts, importing, making a key); any other
	// command fails on a missing file instead.
	createsStore bool
	// storeOptional lets the command run with no store when no config is
	// given or found (version still prints the build's versions).
	storeOptional bool
}

// cliCall is what a command's run gets: where to read and write, the
// stores to work on, and its own arguments and flags (cmd.Flags()).
type cliCall struct {
	out     io.Writer
	errOut  io.Writer
	in      io.Reader
	targets []cliTarget
	args    []string
	cmd     *cobra.Command
}

// cliRun is a cliCall with its context, for commands written as
// func(*cliRun) error (see runs).
type cliRun struct {
	cliCall
	ctx context.Context
}

// runs adapts a func(*cliRun) error to cliCommand.run.
func runs(fn func(x *cliRun) error) func(context.Context, cliCall) error {
	return func(ctx context.Context, c cliCall) error { return fn(&cliRun{cliCall: c, ctx: ctx}) }
}

// cliTimeout bounds one command's store work (an import gets longer).
const cliTimeout = time.Minute

func (c cliCommand) cobra() *cobra.Command {
	cmd := &cobra.Command{Use: strings.TrimSpace(c.name + " " + c.use), Short: c.short, Args: cobra.ArbitraryArgs}
	if c.flags != nil {
		c.flags(cmd)
	}
	for _, child := range c.children {
		cmd.AddCommand(child.cobra())
	}
	cmd.SetFlagErrorFunc(flagError)
	if c.run == nil {
		cmd.RunE = groupRunE
		return cmd
	}
	run, check := c.run, c.args
	if check == nil {
		check = cobra.NoArgs
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cmd.SilenceUsage = true
		// Checked here rather than by cobra, so a wrong argument count
		// exits with the usage status.
		if err := check(cmd, args); err != nil {
			_ = cmd.Usage()
			return exitWith(cmd, usageErrorf("%s: %v", cmd.CommandPath(), err))
		}
		targets, err := cliTargets(cmd)
		if err != nil && !(c.storeOptional && errors.Is(err, errNoConfig)) {
			return exitWith(cmd, err)
		}
		for i := range targets {
			targets[i].spec.mustExist = !c.createsStore
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), cliTimeout)
		if c.name == "import" {
			// An import of a million profiles takes minutes; the operator
			// stops it with ^C, and a re-run continues where it stopped.
			ctx, cancel = context.WithCancel(cmd.Context())
		}
		defer cancel()
		return exitWith(cmd, run(ctx, cliCall{
			out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), in: cmd.InOrStdin(),
			targets: targets, args: args, cmd: cmd,
		}))
	}
	return cmd
}

// groupRunE runs a command group: without a known subcommand it is a usage
// error.
func groupRunE(cmd *cobra.Command, args []string) error {
	_ = cmd.Usage()
	if len(args) > 0 {
		return exitWith(cmd, usageErrorf("unknown command %q for %s", args[0], cmd.CommandPath()))
	}
	return exitWith(cmd, usageErrorf("%s: name a subcommand", cmd.CommandPath()))
}

// flagError makes an unknown or malformed flag a usage error.
func flagError(cmd *cobra.Command, err error) error {
	return exitWith(cmd, usageErrorf("%v", err))
}

func jsonFlag(cmd *cobra.Command) { cmd.Flags().Bool("json", false, "Print JSON") }

// tenantFlag returns --tenant.
func (x *cliRun) tenantFlag() string {
	t, _ := x.cmd.Flags().GetString("tenant")
	return t
}

func (x *cliRun) boolFlag(name string) bool {
	b, _ := x.cmd.Flags().GetBool(name)
	return b
}

func (x *cliRun) stringFlag(name string) string {
	s, _ := x.cmd.Flags().GetString(name)
	return s
}
