package pinauth

// Version is this release of caddy-pinauth, as tagged in git. The newest
// entry of CHANGELOG.md names it too (a test keeps the two equal); `caddy
// pinauth version` prints it.
const Version = "v0.1.0"
