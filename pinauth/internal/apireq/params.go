package apireq

import (
	"net/http"
	"net/url"
	"strings"
)

// Params is a request's query by folded name (see FoldKey): LoginRadius
// SDKs disagree on spelling (apikey, apiKey), so names match without case.
type Params map[string]string

// Query returns r's query parameters by folded name. The first
// occurrence in the query wins, whatever its spelling: which tenant or
// token a request names must not depend on map order when it repeats a
// parameter (apikey=A&apiKey=B). Pairs url.ParseQuery would drop (a ';'
// separator, bad escapes) are dropped.
func Query(r *http.Request) Params {
	raw := r.URL.RawQuery
	p := make(Params, strings.Count(raw, "&")+1)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			continue
		}
		if fk := FoldKey(k); !hasKey(p, fk) {
			p[fk] = v
		}
	}
	return p
}

func hasKey(p Params, k string) bool {
	_, ok := p[k]
	return ok
}

// Get returns the first non-empty value among names (given folded: ASCII
// lower case).
func (p Params) Get(names ...string) string {
	for _, n := range names {
		if v := p[n]; v != "" {
			return v
		}
	}
	return ""
}

// Bool reports whether the parameter is "true" in any case.
func (p Params) Bool(name string) bool { return strings.EqualFold(p[name], "true") }
