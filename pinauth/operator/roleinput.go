package operator

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// maxRoleName bounds role, permission and context names, in bytes.
const maxRoleName = 128

// validRoleName reports whether s may name a role. Names are case-sensitive
// and kept as given, but each becomes part of X-Auth-Roles (comma-joined)
// and of the authentik preset's groups header (|-joined), and is addressed
// as one path segment: a comma, |, / or a control character would let one
// role read as several, or not be addressable at all.
func validRoleName(s string) bool {
	return validContextName(s) && !strings.ContainsAny(s, ",|")
}

// validContextName reports whether s may name a role context, which is
// addressed as one path segment: a permission name without /.
func validContextName(s string) bool {
	return validPermission(s) && !strings.Contains(s, "/")
}

// validPermission reports whether s may name a permission: non-empty, at
// most maxRoleName bytes of UTF-8, no control character, no surrounding
// space.
func validPermission(s string) bool {
	return s != "" && len(s) <= maxRoleName && utf8.ValidString(s) && !lrprofile.HasControl(s) &&
		strings.TrimSpace(s) == s
}

// roleNamesBody is a body naming roles ({"roles": ["…"]}), of the account
// roles and role context routes.
type roleNamesBody struct {
	Roles []string `json:"roles"`
}

// readRoleNames reads the roles a body names: each valid, each once, at
// least one.
func readRoleNames(r *http.Request) ([]string, error) {
	var b roleNamesBody
	if e := apireq.DecodeJSON(r, &b, false); e != nil {
		return nil, e
	}
	return checkNames("roles", b.Roles, validRoleName)
}

// checkNames checks a required list of names of field, each by valid, and
// returns it without repeats, in the order given.
func checkNames(field string, names []string, valid func(string) bool) ([]string, error) {
	if len(names) == 0 {
		return nil, lrerr.Field(field, "The "+field+" field is required and may not be empty.")
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !valid(n) {
			if field == "roles" {
				return nil, lrerr.New(lrerr.CodeRoleNameInvalid)
			}
			return nil, lrerr.Field(field, "Each of "+field+" must be a non-empty name without control characters or surrounding spaces.")
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// contextTimeLayouts are the expiration formats a role context upsert
// accepts: LoginRadius's documented US form, and RFC 3339 as the gateway
// answers it.
var contextTimeLayouts = []string{"1/2/2006 3:04:05 PM", time.RFC3339Nano}

// parseExpiration reads a role context's expiration; "" is none. The US
// form carries no zone and is read as UTC.
func parseExpiration(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range contextTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
