#!/usr/bin/env bash
# Runs deploy/systemd/celeriacbeat.service as systemd would (Type=simple: ExecStart stays in the foreground
# as the main process): checks its pid file and log, ExecReload (SIGHUP reopens the log file moved away as
# logrotate does), then systemd's stop (SIGTERM to the main process). Prints PASS or FAIL.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

unit="$deploy/systemd/celeriacbeat.service"
grep -q '^Type=simple$' "$unit" || fail "$unit is not Type=simple"
start="$(unit_value "$unit" ExecStart Service)"
load_env "$env_file"
cd "$CELERYD_CHDIR"

say "ExecStart: $start"
( eval "exec $start" ) > "$work/beat.out" 2>&1 &   # systemd execs ExecStart: its pid is MAINPID
main=$!
pidfile="$CELERYBEAT_PID_FILE"
for i in $(seq 1 120); do
  [[ -s "$pidfile" ]] && break
  kill -0 "$main" 2> /dev/null || fail "beat exited: $(cat "$work/beat.out")"
  sleep 0.5
done
pid_alive "$pidfile" || fail "no live process in $pidfile"
pid="$(cat "$pidfile")"
[[ "$pid" == "$main" ]] || fail "the pid file ($pid) is not systemd's main process ($main): ExecStart must exec"
for i in $(seq 1 120); do
  grep -q "is starting" "$CELERYBEAT_LOG_FILE" 2> /dev/null && break
  sleep 0.5
done
grep -q "is starting" "$CELERYBEAT_LOG_FILE" || fail "beat's banner is not in $CELERYBEAT_LOG_FILE"
say "beat runs as pid $pid, logging to $CELERYBEAT_LOG_FILE"

mv "$CELERYBEAT_LOG_FILE" "$CELERYBEAT_LOG_FILE.1"
kill -HUP "$pid"   # ExecReload=/bin/kill -HUP $MAINPID
for i in $(seq 1 40); do
  grep -q "reopened (SIGHUP)" "$CELERYBEAT_LOG_FILE" 2> /dev/null && break
  sleep 0.5
done
grep -q "reopened (SIGHUP)" "$CELERYBEAT_LOG_FILE" 2> /dev/null || fail "SIGHUP did not reopen $CELERYBEAT_LOG_FILE"
kill -0 "$pid" || fail "beat died on SIGHUP"

kill -TERM "$pid"   # systemctl stop
await_gone "$pid"
wait "$main" || fail "beat exited with $? on SIGTERM (expected 0)"
[[ -f "$pidfile" ]] && fail "pid file left behind"
say "PASS: beat start, reload (log reopened) and stop"
