#!/usr/bin/env bash
# Runs [program:celeriac] of deploy/supervisor/celeriac.conf as supervisord would: 'command=' (with
# supervisor's %% unescaped) in 'directory=', output to stdout_logfile; checks `inspect ping`, then stops it
# with 'stopsignal=' within 'stopwaitsecs=' and checks exit code 0 (supervisor's expected exitcodes).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

conf="$deploy/supervisor/celeriac.conf"
command="$(unit_value "$conf" command program:celeriac)"
signal="$(unit_value "$conf" stopsignal program:celeriac)"
[[ -n "$command" && -n "$signal" ]] || fail "no command= / stopsignal= in [program:celeriac]"
load_env "$env_file"   # only for CELERIAC_JAVA_OPTS; supervisor would take environment= instead
# This run's paths instead of the installed ones.
command="${command//\/opt\/celeriac\/celeriac/$BIN}"
command="${command//\/etc\/celeriac\/celeryconfig.py/$work/celeryconfig.py}"
command="${command//worker1@/sw1x$run_id@}"
command="${command//%%/%}"
cd "$work"

say "command: $command"
# supervisord execs the command without a shell, stdout and stderr to stdout_logfile
( eval "exec $command" ) >> "$work/log/supervised.log" 2>&1 &
pid=$!
node="$("$BIN" multi names "sw1x$run_id@%h")"
await_ping "$node"
kill -0 "$pid" || fail "the program exited"
say "$node runs as pid $pid"

kill "-$signal" "$pid"
set +e
wait "$pid"
code=$?
set -e
[[ $code -eq 0 ]] || fail "exit code $code after SIG$signal (supervisor expects 0)"
grep -q "Warm shutdown" "$work/log/supervised.log" || fail "no warm shutdown logged"
say "PASS: supervisor program started, answered ping and stopped on SIG$signal with exit code 0"
