package notify

import (
	"fmt"
	"slices"
	"strings"
)

// kindOf returns the kind of the built-in set name, or of a language twin
// of one (pin_reset_link_de, with de among langs), and whether name is
// either.
func kindOf(name string, langs map[string]bool) (messageKind, bool) {
	if k, ok := builtinKinds[name]; ok {
		return k, true
	}
	i := strings.LastIndexByte(name, '_')
	if i < 0 || !langs[name[i+1:]] {
		return 0, false
	}
	k, ok := builtinKinds[name[:i]]
	return k, ok
}

// checkOverrides refuses a set of m that takes the name of a built-in set,
// or of a language twin, with parts that cannot carry that set's message
// (misfit). pick falls back to such a set without checking it, since it is
// the fallback: a directory that restyles pin_reset_link.txt and drops
// {{.Link}} would mail every forgotten PIN a message with nothing to act
// on. Refusing it at load, with the reason, stops Caddy (or a reload)
// with an error instead.
func (m templates) checkOverrides(langs map[string]bool) error {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		kind, ok := kindOf(name, langs)
		if !ok {
			continue
		}
		s := m[name]
		if s.text != nil {
			if why := kind.misfit(channelEmail.refs(s)); why != "" {
				return fmt.Errorf("pinauth: message templates: set %s cannot be used for its own message (%s)", name, why)
			}
		}
		if s.sms != nil {
			if why := kind.misfit(channelSMS.refs(s)); why != "" {
				return fmt.Errorf("pinauth: message templates: set %s cannot be used for its own SMS (%s)", name, why)
			}
		}
	}
	return nil
}
