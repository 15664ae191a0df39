# Shared by the deploy/test/*.sh scripts: run a unit or program section the way systemd or supervisord
# would, on a private embedded database in a temporary directory. Sourced, not run.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname -- "$here")"
repo="$(dirname -- "$deploy")"
# The celeriac command: the launcher at the repository root, or CELERIAC_TEST_BIN (the JUnit test passes a
# wrapper around its own class path, so no second build runs inside the build).
BIN="${CELERIAC_TEST_BIN:-$repo/celeriac}"

work="$(mktemp -d "${TMPDIR:-/tmp}/celeriac-deploy.XXXXXX")"
export CELERIAC_DATA_DIR="$work/data"   # the embedded H2 broker + backend every process here shares
run_id="$$"

say() { printf '%s: %s\n' "$(basename -- "$0")" "$*"; }

fail() {
  say "FAIL: $*"
  for f in "$work"/log/* "$work"/*.out; do
    [[ -f "$f" ]] || continue
    echo "---- $f (last 30 lines)"
    tail -n 30 "$f"
  done
  exit 1
}

# The value of KEY= in a unit file or an ini section, continuation lines (ending in '\') joined.
#   unit_value FILE KEY [SECTION]
unit_value() {
  awk -v key="$2" -v want="${3:-}" '
    /^\[/ { section = $0; gsub(/^\[|\]$/, "", section); next }
    want != "" && section != want { next }
    cont { line = line " " $0; if (line ~ /\\$/) { sub(/\\$/, "", line); next } print line; exit }
    index($0, key "=") == 1 {
      line = substr($0, length(key) + 2)
      if (line ~ /\\$/) { sub(/\\$/, "", line); cont = 1; next }
      print line; exit
    }' "$1"
}

# Loads an EnvironmentFile as systemd does: every KEY=value becomes part of the environment.
load_env() {
  set -a
  # shellcheck disable=SC1090
  . "$1"
  set +a
}

# Waits until `celeriac inspect ping -d NODE` answers (the worker logged "ready.").
await_ping() {
  local node="$1" i
  for i in $(seq 1 90); do
    if "$BIN" inspect ping -d "$node" -t 2 > /dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  fail "$node did not answer inspect ping within 3 minutes"
}

# True while the process of a pid file runs.
pid_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2> /dev/null
}

# Waits until a process is gone.
await_gone() {
  local pid="$1" i
  for i in $(seq 1 120); do
    kill -0 "$pid" 2> /dev/null || return 0
    sleep 0.5
  done
  fail "process $pid still runs 60 s after it was told to stop"
}

cleanup() {
  local f
  for f in "$work"/run/*.pid; do
    [[ -f "$f" ]] && kill -KILL "$(cat "$f")" 2> /dev/null || true
  done
  rm -rf -- "$work"
}
trap cleanup EXIT

mkdir -p "$work/run" "$work/log"
printf 'worker_concurrency = 1\ntask_default_queue = "deploy%s"\n' "$run_id" > "$work/celeryconfig.py"

# The example environment file with this run's paths: what an administrator edits.
env_file="$work/celeriac.env"
{
  cat "$deploy/default/celeriac"
  echo "CELERY_BIN=\"$BIN\""
  echo "CELERYD_CHDIR=\"$work\""
  echo "CELERYD_NODES=\"dw1x$run_id dw2x$run_id\""
  echo "CELERYD_OPTS=\"--config=$work/celeryconfig.py --concurrency=1 --time-limit=300 -c:2 2\""
  echo "CELERYD_LOG_FILE=\"$work/log/%n%I.log\""
  echo "CELERYD_PID_FILE=\"$work/run/%n.pid\""
  echo "CELERYBEAT_PID_FILE=\"$work/run/beat.pid\""
  echo "CELERYBEAT_LOG_FILE=\"$work/log/beat.log\""
  echo "CELERYBEAT_SCHEDULE=\"$work/celerybeat-schedule\""
  echo "CELERIAC_JAVA_OPTS=\"-Xmx256m -XX:TieredStopAtLevel=1\""
} > "$env_file"
