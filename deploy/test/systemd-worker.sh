#!/usr/bin/env bash
# Runs deploy/systemd/celeriac.service as systemd would (Type=forking): ExecStart with the environment file,
# checks each node's pid file and `inspect ping`, ExecReload (new pids), then ExecStop (stopwait), and checks
# that the workers are gone and their pid files removed. Prints PASS or FAIL; exit code 0 on PASS.
#   deploy/test/systemd-worker.sh          (CELERIAC_TEST_BIN=/path/to/celeriac to test another command)
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit="$deploy/systemd/celeriac.service"
grep -q '^Type=forking$' "$unit" || fail "$unit is not Type=forking"
grep -q '^EnvironmentFile=-/etc/default/celeriac$' "$unit" || fail "$unit does not read /etc/default/celeriac"
start="$(unit_value "$unit" ExecStart Service)"
stop="$(unit_value "$unit" ExecStop Service)"
reload="$(unit_value "$unit" ExecReload Service)"
load_env "$env_file"
cd "$CELERYD_CHDIR"   # WorkingDirectory=

say "ExecStart: $start"
eval "$start" > "$work/start.out" 2>&1 || fail "ExecStart exited $? (Type=forking needs 0): $(cat "$work/start.out")"
grep -q '> Starting nodes...' "$work/start.out" || fail "no '> Starting nodes...' line"
mapfile -t nodes < <("$BIN" multi names $CELERYD_NODES)
[[ ${#nodes[@]} -eq 2 ]] || fail "expected 2 node names, got: ${nodes[*]}"
declare -A pids
for node in "${nodes[@]}"; do
  short="${node%%@*}"
  pidfile="$work/run/$short.pid"
  pid_alive "$pidfile" || fail "$node: no live process in $pidfile after ExecStart returned"
  pids[$short]="$(cat "$pidfile")"
  await_ping "$node"
  [[ -s "$work/log/$short.log" ]] || fail "$node: no log file $work/log/$short.log"
  say "$node runs as pid ${pids[$short]} and answers ping"
done
"$BIN" inspect stats -j -d "${nodes[1]}" -t 5 2> /dev/null | grep -q '"max-concurrency": 2' \
  || fail "${nodes[1]}: the per-node option -c:2 2 did not reach it"

say "ExecReload: $reload"
eval "$reload" > "$work/reload.out" 2>&1 || fail "ExecReload exited $?: $(cat "$work/reload.out")"
for node in "${nodes[@]}"; do
  short="${node%%@*}"
  grep -q "> Restarting node $node: OK" "$work/reload.out" || fail "$node was not restarted: $(cat "$work/reload.out")"
  new="$(cat "$work/run/$short.pid")"
  [[ "$new" != "${pids[$short]}" ]] || fail "$node: same pid after ExecReload"
  kill -0 "${pids[$short]}" 2> /dev/null && fail "$node: the old process ${pids[$short]} still runs after ExecReload"
  pids[$short]="$new"
  await_ping "$node"
done

say "ExecStop: $stop"
eval "$stop" > "$work/stop.out" 2>&1 || fail "ExecStop exited $?: $(cat "$work/stop.out")"
for node in "${nodes[@]}"; do
  short="${node%%@*}"
  kill -0 "${pids[$short]}" 2> /dev/null && fail "$node (${pids[$short]}) still runs after ExecStop (stopwait) returned"
  [[ -f "$work/run/$short.pid" ]] && fail "$node: pid file left behind"
  grep -q "Warm shutdown" "$work/log/$short.log" || fail "$node: no warm shutdown in its log"
done
say "PASS: start, ping, reload and stop of ${nodes[*]}"
