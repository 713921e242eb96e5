package caddymodule

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
)

// importCommand is `caddy pinauth import <file>`.
var importCommand = cliCommand{
	name: "import", use: "<export.json|export.ndjson|->", args: cobra.ExactArgs(1),
	short: "Imports a LoginRadius profile export (JSON array or NDJSON; - reads stdin)",
	flags: func(cmd *cobra.Command) {
		cmd.Flags().Bool("json", false, "Print the summary as JSON")
	},
	run:          runs(runImport),
	createsStore: true,
}

func runImport(x *cliRun) error {
	var in io.Reader = x.in
	var size int64
	if name := x.args[0]; name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return usageErrorf("import: %v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	var sum lrimport.Summary
	err := x.withAdmin(func(adm *operator.Admin, tenant string) error {
		bar := newProgressBar(x.errOut, size)
		var err error
		sum, err = adm.ImportLoginRadius(x.ctx, tenant, in, lrimport.Options{Progress: bar.update})
		bar.done()
		return err
	})
	if perr := printImportSummary(x, sum); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return rejectedErrorf("import: %d of %d records failed (listed above); fix them and run the import again", sum.Failed, sum.Records)
	}
	return nil
}

// printImportSummary prints the summary, always: after a fault too, so the
// operator sees how far the import got.
func printImportSummary(x *cliRun, sum lrimport.Summary) error {
	if x.boolFlag("json") {
		type failure struct {
			Line   int    `json:"line"`
			Record int    `json:"record"`
			UID    string `json:"uid,omitempty"`
			Reason string `json:"reason"`
		}
		out := struct {
			Records  int       `json:"records"`
			Created  int       `json:"created"`
			Updated  int       `json:"updated"`
			Skipped  int       `json:"skipped"`
			Failed   int       `json:"failed"`
			Failures []failure `json:"failures"`
		}{sum.Records, sum.Created, sum.Updated, sum.Skipped, sum.Failed, []failure{}}
		for _, f := range sum.Failures {
			out.Failures = append(out.Failures, failure(f))
		}
		return writeJSONOut(x.out, out)
	}
	for _, f := range sum.Failures {
		uid := ""
		if f.UID != "" {
			uid = " Uid " + f.UID
		}
		fmt.Fprintf(x.out, "failed: line %d (record %d%s): %s\n", f.Line, f.Record, uid, f.Reason)
	}
	if more := sum.Failed - len(sum.Failures); more > 0 {
		fmt.Fprintf(x.out, "failed: %d more not listed\n", more)
	}
	_, err := fmt.Fprintf(x.out, "imported %d records: %d created, %d updated, %d skipped, %d failed\n",
		sum.Records, sum.Created, sum.Updated, sum.Skipped, sum.Failed)
	return err
}

// progressBar draws the import's progress on a terminal; elsewhere (a
// pipe, a log file, CI) it draws nothing.
type progressBar struct {
	w     io.Writer
	size  int64
	on    bool
	drawn bool
}

func newProgressBar(w io.Writer, size int64) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, size: size, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (b *progressBar) update(records int, read int64) {
	if !b.on {
		return
	}
	b.drawn = true
	if b.size <= 0 {
		fmt.Fprintf(b.w, "\rimporting: %d records", records)
		return
	}
	frac := min(float64(read)/float64(b.size), 1)
	const width = 30
	full := int(frac * width)
	fmt.Fprintf(b.w, "\rimporting [%s%s] %3.0f%%  %d records", strings.Repeat("=", full),
		strings.Repeat(" ", width-full), frac*100, records)
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
