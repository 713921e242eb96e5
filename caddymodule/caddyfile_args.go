package caddymodule

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// args returns the rest of the line, checking there are lo to hi values
// (hi < 0: no limit) and no block. The error names the subdirective, never
// a value: some values are secrets.
func (p *parser) args(name string, lo, hi int) ([]string, error) {
	d := p.d
	args := d.RemainingArgs()
	if d.NextBlock(d.Nesting()) {
		return nil, d.Errf("%s: does not take a block", name)
	}
	switch {
	case len(args) >= lo && (hi < 0 || len(args) <= hi):
		return args, nil
	case hi == 0:
		return nil, d.Errf("%s: takes no value", name)
	case lo == hi && lo == 1:
		return nil, d.Errf("%s: want exactly one value, got %d", name, len(args))
	case lo == hi:
		return nil, d.Errf("%s: want %d values, got %d", name, lo, len(args))
	case hi < 0:
		return nil, d.Errf("%s: want at least %d value(s), got %d", name, lo, len(args))
	default:
		return nil, d.Errf("%s: want %d to %d values, got %d", name, lo, hi, len(args))
	}
}

// single reads exactly one value into dst.
func (p *parser) single(name string, dst *string) error {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return err
	}
	*dst = args[0]
	return nil
}

func (p *parser) duration(name string, dst *caddy.Duration) error {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return err
	}
	v, err := caddy.ParseDuration(args[0])
	if err != nil || v <= 0 {
		return p.d.Errf("%s: invalid duration %q (want e.g. 15m, 12h or 7d)", name, args[0])
	}
	*dst = caddy.Duration(v)
	return nil
}

func (p *parser) boolean(name string) (bool, error) {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return false, err
	}
	switch args[0] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.d.Errf("%s: want true or false, got %q", name, args[0])
}

func (p *parser) positiveInt(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, p.d.Errf("%s: %q is not a positive integer", name, s)
	}
	return n, nil
}

// unknown reports the current token as an unknown subdirective. It never
// quotes the token: a secret continued on its own line (pepper values
// lined up under each other) arrives here as a "subdirective", and echoing
// it would put the secret in logs. It suggests a known name instead.
func (p *parser) unknown(known []string) error {
	got := p.d.Val()
	for _, name := range planned {
		if got == name {
			return p.d.Errf("%s: not supported by this version yet", name)
		}
	}
	best, bestDist := "", 3
	for _, name := range known {
		if dist := editDistance(got, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return p.d.Errf("unknown subdirective (did you mean %s?)", best)
	}
	return p.d.Errf("unknown subdirective (known: %s)", strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
