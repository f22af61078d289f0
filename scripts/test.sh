#!/usr/bin/env bash
# The whole test suite, as README and CI run it: formatting, vet, then every
# package's tests, with the race detector where goroutines share memory.
# The registry's tests also run against PostgreSQL: unless
# BEIANWATCH_TEST_POSTGRES names a server, this starts a throwaway one on a
# loopback port and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

# cmd/beianwatch/default.pgo is for the release build (the Dockerfile's).
# Under the default -pgo=auto, vet ./... and every build of the binary
# compile all of the program's dependencies a second time with the profile;
# off, one plain compile serves vet, the plain tests and the binary.
GOFLAGS=$(go env GOFLAGS)
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-pgo=off"
TEST_BIN_DIR=
cleanup() {
  stop_postgres
  [ -z "$TEST_BIN_DIR" ] || rm -rf "$TEST_BIN_DIR"
}
trap cleanup EXIT

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

# The binary the end-to-end tests run (cmd/beianwatch's and deploy/'s),
# built once, with the flags above: the tests neither compile nor link it.
TEST_BIN_DIR=$(mktemp -d)
go build -o "$TEST_BIN_DIR/beianwatch" ./cmd/beianwatch
export BEIANWATCH_TEST_BIN=$TEST_BIN_DIR/beianwatch

# find_pg_bin prints the directory holding initdb and pg_ctl, if any.
find_pg_bin() {
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return
    fi
  done
}

# start_postgres starts a server in a temp dir and exports
# BEIANWATCH_TEST_POSTGRES; cleanup (the EXIT trap) stops and deletes it.
start_postgres() {
  local bin=$1 dir port tmp=${TMPDIR:-/tmp} as=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: run it as nobody, in a dir it owns
    # (under /tmp, which nobody can reach, unlike root's own TMPDIR).
    tmp=/tmp
    if command -v runuser >/dev/null; then
      as=(runuser -u nobody --)
    else
      as=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
    fi
  fi
  dir=$(mktemp -d "$tmp/beianwatch-pg.XXXXXX")
  chmod 700 "$dir"
  [ "$(id -u)" != 0 ] || chown nobody "$dir"
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop)
  PG_DIR=$dir
  "${as[@]}" "$bin/initdb" -A trust -U postgres -E UTF8 --no-locale -D "$dir/data" >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  # A port taken between free_port and the server's bind is retried.
  local try
  for try in 1 2 3; do
    port=$(free_port) || return 1
    # fsync off: a throwaway server need not survive a power cut.
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      break
    fi
    cat "$dir/server.log" >&2
    [ "$try" -lt 3 ] || return 1
    echo "test.sh: PostgreSQL did not start on port $port; trying another" >&2
  done
  export BEIANWATCH_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "test.sh: throwaway PostgreSQL on 127.0.0.1:$port ($("$bin/postgres" --version))" >&2
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

# free_port prints a loopback TCP port that nothing listens on, below the
# kernel's ephemeral range: a port from that range can be taken at any
# moment as the local port of an outgoing connection (the tests' web
# farms make thousands), and PostgreSQL restarted on it would fail.
free_port() {
  local port low=32768 range
  read -r range _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && low=$range
  [ "$low" -gt 11024 ] || low=11024
  for _ in $(seq 50); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "test.sh: no free port found" >&2
  return 1
}

if [ -z "${BEIANWATCH_TEST_POSTGRES:-}" ]; then
  bin=$(find_pg_bin)
  if [ -z "$bin" ] && [ "${CI:-}" = true ]; then
    echo "test.sh: installing PostgreSQL" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin=$(find_pg_bin)
  fi
  if [ -n "$bin" ]; then
    start_postgres "$bin"
  else
    echo "test.sh: warning: no PostgreSQL (initdb, pg_ctl) found: the PostgreSQL tests will skip" >&2
  fi
fi

# --- alerts/: a real Alertmanager (internal/amtest starts one per test) ---
# Under CI=true it is installed (Debian's prometheus-alertmanager) and a
# missing binary fails the run; elsewhere those tests skip.
if ! command -v prometheus-alertmanager >/dev/null && ! command -v alertmanager >/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: installing prometheus-alertmanager" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
    if ! command -v prometheus-alertmanager >/dev/null; then
      echo "test.sh: prometheus-alertmanager is still missing after apt-get install" >&2
      exit 1
    fi
  else
    echo "test.sh: warning: no prometheus-alertmanager: the Alertmanager tests in alerts/ will skip" >&2
  fi
fi
# --- end alerts/ ---

# --- render/: a real headless Chromium (Debian's chromium; never downloaded
# by the program). Under CI=true it is installed and a missing browser fails
# the run (the tests fail too); elsewhere those tests skip.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && [ -z "${BEIANWATCH_CHROMIUM:-}" ]; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    if ! command -v chromium >/dev/null; then
      echo "test.sh: chromium is still missing after apt-get install" >&2
      exit 1
    fi
  else
    echo "test.sh: warning: no chromium: the browser tests (render/, console/, check and serve --render) will skip" >&2
  fi
fi
# --- end render/ ---

# The race detector where goroutines share memory (pools, the scheduler,
# the daemon's loops, the dispatcher, the registry's connections); the
# single-threaded packages below run without it, where it only made them
# 3-5x slower (sitefile's import suites, the lexicon generator, the pure
# calendar, cases and notices; render's tests drive a real browser end to
# end, one page at a time). cmd/beianwatch is flags, settings and output
# around those packages: its end-to-end tests run the built binary, and
# under -race they built and ran a race binary for 5 minutes of CI to test
# code the daemon, crawler and registry packages race-test themselves; its
# own concurrency (check's workers) is race-tested alone below. A new
# package gets the race detector unless it is added here.
plain=(cases cmd/beianwatch internal/amtest internal/loadtest internal/pgtest lexicon/lexicontest notice render sitefile workday)
module=$(go list -m)
race=()
for p in $(go list ./...); do
  rel=${p#"$module"/}
  if [[ " ${plain[*]} " == *" $rel "* ]]; then continue; fi
  race+=("$p")
done
# -vet=off: go vet ./... above ran every analyzer on every package, tests
# included; go test's own vet would analyse every dependency again in each
# build mode.
go test -race -count=1 -vet=off "$@" "${race[@]}"
go test -count=1 -vet=off "$@" "${plain[@]/#/./}"
go test -race -count=1 -vet=off -run '^TestCheck(JSON|KeepsInputOrder|ErrorWinsOverFail)$' "$@" ./cmd/beianwatch

# --- deploy/: its own Go module (Prometheus and Kubernetes libraries stay out
# of the product's go.mod). Its tests run promtool, a real Prometheus
# scraping a real `beianwatch serve`, amtool and psql; under CI=true Debian's
# prometheus (prometheus, promtool) is installed and a missing tool fails the
# run, elsewhere those tests skip. They run the binary built above.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "test.sh: installing prometheus" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "test.sh: warning: no prometheus/promtool: the rule and scrape tests in deploy/ will skip" >&2
  fi
fi
(cd deploy && go vet ./... && go test -count=1 -vet=off "$@" ./...)
# --- end deploy/ ---
