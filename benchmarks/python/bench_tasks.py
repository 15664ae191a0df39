"""The Python twin of org.celeriac.benchmarks.BenchTasks, for benchmarks/compare.sh.

Configured from the environment:
  BENCH_BROKER    broker URL (redis://127.0.0.1:6379/9)
  BENCH_BACKEND   result backend URL (none)
  BENCH_EXPECT    drain: the number of bench.noop runs that completes a drain
  BENCH_REPORT    drain: the file the run that completes it writes {"count", "first_ns", "last_ns", "pid"} to

bench.noop records time.monotonic() of its first and last run in an anonymous shared mapping created
here, at import, before the prefork pool forks: every child process updates the same counter (under
one lock), so the drain is timed from the first run to the last across the whole pool, at a cost of a
few microseconds per task.
"""
import json
import mmap
import multiprocessing
import os
import struct
import time

from celery import Celery

BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/9")
BACKEND = os.environ.get("BENCH_BACKEND") or None

app = Celery("bench_tasks", broker=BROKER, backend=BACKEND)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)

_EXPECT = int(os.environ.get("BENCH_EXPECT", "-1"))
_REPORT = os.environ.get("BENCH_REPORT")
_FORMAT = "qdd"  # count, first, last (monotonic seconds)
_shared = mmap.mmap(-1, struct.calcsize(_FORMAT))  # MAP_SHARED | MAP_ANONYMOUS: inherited by forked children
struct.pack_into(_FORMAT, _shared, 0, 0, float("inf"), float("-inf"))
_lock = multiprocessing.Lock()


@app.task(name="bench.noop", ignore_result=True)
def noop():
    now = time.monotonic()
    with _lock:
        count, first, last = struct.unpack_from(_FORMAT, _shared)
        count += 1
        first = min(first, now)
        last = max(last, now)
        struct.pack_into(_FORMAT, _shared, 0, count, first, last)
    if count == _EXPECT and _REPORT:
        tmp = _REPORT + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"count": count, "first_ns": int(first * 1e9), "last_ns": int(last * 1e9),
                       "pid": os.getpid()}, f)
        os.replace(tmp, _REPORT)


@app.task(name="bench.add")
def add(x, y):
    return x + y
