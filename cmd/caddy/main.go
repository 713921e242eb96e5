// Command caddy is Caddy with its standard modules and the pin_auth
// handler: the development and release binary of caddy-pinauth.
//
// Build it with `go build ./cmd/caddy`, or build any Caddy with the module
// using xcaddy and the settings in xcaddy.json.
package main

import (
	_ "time/tzdata"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// plug in Caddy modules here
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/pinauth/caddy-pinauth/caddymodule"
)

func main() {
	caddycmd.Main()
}
