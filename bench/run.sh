#!/usr/bin/env bash
# Load harness of caddy-pinauth: builds Caddy (./cmd/caddy), the bench
# program and the pinauth benchmark binary once, then measures every
# scenario of issue 10 on loopback in alternating rounds and writes
# BENCHMARKS.md at the repository root.
#
#   bash bench/run.sh            # full run (about 30 minutes on 2 cores)
#   bash bench/run.sh --quick    # 3 short rounds, 100k-account store
#
# Any other flag goes to the bench program (go run ./bench -h lists them).
# With BENCH_WORK=<dir> the seeded stores are kept there and reused by the
# next run; otherwise everything lives in a temporary directory removed at
# exit. With PINAUTH_TEST_POSTGRES_DSN set, the account-count scenarios run
# on PostgreSQL too, and so does the two-node scenario (phase twonode);
# seeding its 1M-account database takes about a minute more the first
# time (1000 accounts through the store API, the rest cloned from them in
# SQL; kept on the server with BENCH_WORK).
set -euo pipefail
cd "$(dirname "$0")/.."

# The load generator (Debian package); idempotent.
if ! command -v wrk >/dev/null 2>&1; then
	apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }
fi

keep=()
if [ -n "${BENCH_WORK:-}" ]; then
	work=$BENCH_WORK
	mkdir -p "$work"
	keep=(-keep)
else
	work=$(mktemp -d /tmp/pinauth-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi

bin="$work/bin"
mkdir -p "$bin"
echo "building Caddy, the bench and the pinauth benchmarks into $bin" >&2
go build -o "$bin/caddy" ./cmd/caddy
go build -o "$bin/bench" ./bench
go test -c -o "$bin/pinauth.test" ./pinauth

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then
	commit="$commit (with uncommitted changes)"
fi

"$bin/bench" -caddy "$bin/caddy" -pinauth-test "$bin/pinauth.test" -pinauth-dir "$PWD/pinauth" \
	-work "$work" -out BENCHMARKS.md -commit "$commit" "${keep[@]}" "$@"
