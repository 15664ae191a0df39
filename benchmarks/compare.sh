#!/usr/bin/env bash
# benchmarks/compare.sh: Celeriac against Python Celery 5.2.6 on the same broker, in one run, one table.
#
#   benchmarks/compare.sh                      # Redis (db 9), RabbitMQ when Celeriac's amqp transport works, H2
#   benchmarks/compare.sh --only amqp-lazy     # RabbitMQ drain and publish again, the bench queues lazy
#   benchmarks/compare.sh -n 100000 --rt-n 5000
#   benchmarks/compare.sh --only redis --json results.jsonl
#
# Scenarios (docs/performance.md says what each measures):
#   drain      N no-op tasks enqueued first, then a worker starts; rate from the first task run to the last
#   publish    one client thread, N apply_async/applyAsync (ignore_result, no result backend), until the broker holds N
#   roundtrip  add(1, 2) then get(), in sequence after a warm-up: p50 / p99 / max (result backend: --redis)
#   memory     an idle worker at concurrency 2: start -> "ready." and RSS (Celery prefork: all its processes)
# Worker configurations:
#   Celery default   celery's defaults (prefork, -c = cores = 2, prefetch multiplier 4, gossip/mingle/heartbeat)
#   Celery best      -P solo --prefetch-multiplier 64 --without-gossip --without-mingle --without-heartbeat
#   Celeriac default celeriac's defaults (threads, -c = cores, prefetch multiplier 4)
#   Celeriac tuned   --prefetch-multiplier 64 (CELERIAC_TUNED to change)
# The ratio column is Celeriac's better figure over Celery's better figure ("x faster", or "x smaller" for
# times and memory). Every queue is fresh (bench.*.<random>) and removed afterwards; nothing else is flushed.
#
# Options / environment:
#   -n N             tasks per drain and publish (default 20000; the issue's drain figure uses >= 100000)
#   --rt-n N         timed round trips (default 2000, after warm-up calls: Celery 500, Celeriac --rt-warmup)
#   --rt-warmup N    Celeriac's untimed round trips first (default 5000: the JVM compiles the path meanwhile;
#                    the harness then goes on until its JIT has been quiet for 1 s, see bench --help)
#   --redis URL      (default redis://127.0.0.1:6379/9)    --amqp URL (default amqp://guest:guest@127.0.0.1:5672//)
#   --h2 URL         Celeriac-only SQL rows (default jdbc:h2:file:<tmp>/bench;AUTO_SERVER=TRUE; "none" to skip)
#   --only LIST      comma-separated subset of redis,amqp,h2,amqp-lazy (default: all but amqp-lazy). amqp-lazy: the
#                    RabbitMQ drain and publish rows again with every bench.* queue in lazy mode by a policy
#                    (rabbitmqctl set_policy on this machine, cleared afterwards; RabbitMQ >= 3.12 keeps every
#                    classic queue that way): the broker's confirm rate, not Celeriac's, limits the default rows
#   --json FILE      also keep every raw result (one JSON object per line)
#   CELERIAC_TUNED   the tuned Celeriac worker's options (default "--prefetch-multiplier 64")
#   CELERIAC_JAVA_OPTS / CELERIAC_BENCH_BUILD   passed to benchmarks/bench (see there)
set -euo pipefail

here="$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")"
N=20000
RT_N=2000
RT_WARMUP=5000
REDIS="redis://127.0.0.1:6379/9"
AMQP="amqp://guest:guest@127.0.0.1:5672//"
H2=""
ONLY="redis,amqp,h2"
POLICY="celeriac-bench-lazy"
JSON_OUT=""
PY=/usr/bin/python3
TUNED="${CELERIAC_TUNED:---prefetch-multiplier 64}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    --rt-n) RT_N="$2"; shift 2 ;;
    --rt-warmup) RT_WARMUP="$2"; shift 2 ;;
    --redis) REDIS="$2"; shift 2 ;;
    --amqp) AMQP="$2"; shift 2 ;;
    --h2) H2="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --json) JSON_OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d -t celeriac-compare-XXXXXX)"
results="$work/results.jsonl"
notes="$work/notes.txt"
: > "$results"; : > "$notes"
[[ -n "$H2" ]] || H2="jdbc:h2:file:$work/h2/bench;AUTO_SERVER=TRUE"
started=$SECONDS
say() { printf 'compare: [%3d s] %s\n' "$((SECONDS - started))" "$*" >&2; }
note() { printf '%s\n' "$*" >> "$notes"; say "$*"; }
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# Runs one measurement; a failure becomes a note, not the end of the run.
celeriac() {
  local label="$1"; shift
  if ! "$here/bench" --json --label "$label" "$@" >> "$results" 2> "$work/last.err"; then
    note "Celeriac $label $* failed: $(grep -v '^bench: ' "$work/last.err" | head -n 2 | tr '\n' ' ')"
  fi
}
celery() {
  if ! "$PY" "$here/python/celery_bench.py" "$@" >> "$results" 2> "$work/last.err"; then
    note "Celery $* failed: $(grep -v '^celery_bench: ' "$work/last.err" | tail -n 1)"
  fi
}

"$PY" -c 'import celery, kombu, redis' 2>/dev/null || { echo "compare.sh: $PY has no celery/kombu/redis (apt-get install python3-celery python3-redis)" >&2; exit 4; }
say "building / checking the Celeriac class path"
"$here/bench" classpath > /dev/null

# broker KIND URL: the four scenarios on one broker, Celery and Celeriac side by side.
broker() {
  local kind="$1" url="$2" q
  say "$kind: drain, Celery default (prefork) and best (solo), $N tasks each"
  for cfg in default best; do
    q="bench.py.drain.$RANDOM$RANDOM"
    "$here/bench" --broker "$url" --scenario fill -n "$N" --queue "$q" > /dev/null 2> "$work/last.err" \
      || { note "filling $q failed: $(tail -n 2 "$work/last.err" | tr '\n' ' ')"; continue; }
    celery --broker "$url" --config "$cfg" --scenario drain -n "$N" --prefilled "$q" --label "$kind"
  done
  say "$kind: drain, Celeriac default and tuned ($TUNED)"
  celeriac "$kind default" --broker "$url" --scenario drain -n "$N"
  # shellcheck disable=SC2086 # TUNED is a list of options
  celeriac "$kind tuned" --broker "$url" --scenario drain -n "$N" $TUNED
  say "$kind: publish, $N tasks from one thread"
  celery --broker "$url" --scenario publish -n "$N" --label "$kind"
  celeriac "$kind default" --broker "$url" --scenario publish -n "$N"
  say "$kind: roundtrip, $RT_N calls"
  celery --broker "$url" --result-backend "$REDIS" --config best --scenario roundtrip -n "$RT_N" --label "$kind"
  celeriac "$kind default" --broker "$url" --result-backend "$REDIS" --scenario roundtrip -n "$RT_N" --warmup "$RT_WARMUP"
  say "$kind: memory and start-up"
  celery --broker "$url" --config default --scenario memory --label "$kind"
  celery --broker "$url" --config best --scenario memory --label "$kind"
  celeriac "$kind default" --broker "$url" --scenario memory
  # Celery's best configuration starts without gossip, mingle and heartbeat: the same for Celeriac's tuned row
  # (mingle alone waits 1 s for the other workers' replies, in both).
  celeriac "$kind tuned" --broker "$url" --scenario memory --worker-arg=--without-mingle \
    --worker-arg=--without-gossip --worker-arg=--without-heartbeat
}

if wants redis; then
  if redis-cli -u "$REDIS" ping > /dev/null 2>&1 || "$PY" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" "$REDIS" 2>/dev/null; then
    broker redis "$REDIS"
  else
    note "Redis at $REDIS is not reachable: Redis rows skipped"
  fi
fi

if wants amqp; then
  if ! "$PY" -c "import socket,sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); socket.create_connection((p.hostname or '127.0.0.1', p.port or 5672), 2)" "$AMQP" 2>/dev/null; then
    note "RabbitMQ at ${AMQP%%@*}@... is not reachable: AMQP rows skipped"
  elif ! "$here/bench" --broker "$AMQP" --scenario publish -n 10 --warmup 0 > /dev/null 2> "$work/amqp-probe.err"; then
    note "AMQP rows skipped: Celeriac's amqp transport does not work yet ($(grep -m1 -E 'error|Exception|no provider' "$work/amqp-probe.err" | cut -c1-160))"
  else
    broker amqp "$AMQP"
  fi
fi

if wants amqp-lazy; then
  if ! command -v rabbitmqctl > /dev/null 2>&1; then
    note "amqp-lazy rows skipped: no rabbitmqctl on this machine to set the lazy-queue policy"
  elif ! rabbitmqctl set_policy "$POLICY" '^bench\.' '{"queue-mode":"lazy"}' --apply-to queues > "$work/policy.err" 2>&1; then
    note "amqp-lazy rows skipped: rabbitmqctl set_policy failed ($(tail -n 1 "$work/policy.err"))"
  else
    trap 'rabbitmqctl clear_policy "$POLICY" > /dev/null 2>&1 || true' EXIT
    say "amqp-lazy: policy $POLICY (queue-mode lazy on ^bench\.) set"
    say "amqp-lazy: drain, Celery best and Celeriac tuned, $N tasks each"
    q="bench.py.drain.$RANDOM$RANDOM"
    if "$here/bench" --broker "$AMQP" --scenario fill -n "$N" --queue "$q" > /dev/null 2> "$work/last.err"; then
      celery --broker "$AMQP" --config best --scenario drain -n "$N" --prefilled "$q" --label amqp-lazy
    else
      note "filling $q failed: $(tail -n 2 "$work/last.err" | tr '\n' ' ')"
    fi
    # shellcheck disable=SC2086 # TUNED is a list of options
    celeriac "amqp-lazy tuned" --broker "$AMQP" --scenario drain -n "$N" $TUNED
    say "amqp-lazy: publish, $N tasks from one thread"
    celery --broker "$AMQP" --scenario publish -n "$N" --label amqp-lazy
    celeriac "amqp-lazy default" --broker "$AMQP" --scenario publish -n "$N"
    rabbitmqctl clear_policy "$POLICY" > /dev/null 2>&1 || note "could not clear the RabbitMQ policy $POLICY"
    trap - EXIT
  fi
fi

if wants h2 && [[ "$H2" != none ]]; then
  say "h2: Celeriac drain (Celery has no SQL transport here), default and tuned"
  celeriac "h2 default" --broker "$H2" --scenario drain -n "$N"
  # shellcheck disable=SC2086
  celeriac "h2 tuned" --broker "$H2" --scenario drain -n "$N" $TUNED
fi

[[ -n "$JSON_OUT" ]] && cp -- "$results" "$JSON_OUT"
"$PY" "$here/python/table.py" "$results" "$notes" "$N" "$RT_N" "$TUNED"
java_bin="$("$here/bench" java)"
printf 'Versions: %s; %s; %s.\n' "$("$java_bin" -version 2>&1 | head -n 1)" \
  "$("$PY" -c 'import celery, kombu, sys; print("Python %s, Celery %s, kombu %s" % (sys.version.split()[0], celery.__version__, kombu.__version__))')" \
  "$(redis-cli -u "$REDIS" info server 2>/dev/null | sed -n 's/^redis_version:\([^\r]*\).*/Redis \1/p')"
say "done in $((SECONDS - started)) s (raw results: $results)"
