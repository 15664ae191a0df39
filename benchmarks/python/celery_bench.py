#!/usr/bin/python3
"""Python Celery's side of benchmarks/compare.sh: the scenarios of org.celeriac.benchmarks.Bench, measured
the same way, printing one JSON object per run on stdout (progress on stderr).

  celery_bench.py --broker redis://127.0.0.1:6379/9 --config best --scenario drain -n 20000 [--prefilled QUEUE]
  celery_bench.py --broker ... --scenario publish -n 20000
  celery_bench.py --broker ... --config best --scenario roundtrip -n 2000 --warmup 500
  celery_bench.py --broker ... --config default --scenario memory

Worker configurations (--config):
  best     -P solo --prefetch-multiplier 64 --without-gossip --without-mingle --without-heartbeat
  default  celery's defaults: prefork pool, concurrency = cores, prefetch multiplier 4, gossip/mingle/heartbeat on

drain: N bench.noop messages (ignore_result) in a fresh queue, then the worker starts; rate = N / (first run ->
last run) as recorded by bench_tasks.noop in shared memory (start-up excluded). --prefilled QUEUE drains a
queue somebody else filled (compare.sh fills it with Celeriac's publisher: same protocol v2 JSON messages,
and much faster than filling from Python).
"""
import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
CONFIGS = {
    "best": ["-P", "solo", "--prefetch-multiplier", "64", "--without-gossip", "--without-mingle", "--without-heartbeat"],
    "default": [],
}
SEP = "\x06\x16"


def log(msg):
    print("celery_bench: " + msg, file=sys.stderr, flush=True)


class Worker:
    """A `celery worker` process serving bench_tasks, its output in a log file."""

    def __init__(self, args, queue, level, extra_env, log_path):
        self.log_path = log_path
        cmd = [PYTHON, "-m", "celery", "-A", "bench_tasks", "worker", "-Q", queue, "-l", level,
               "-n", "bench-%s@%%h" % uuid.uuid4().hex[:8]] + CONFIGS[args.config]
        env = dict(os.environ)
        env.update(extra_env)
        env["BENCH_BROKER"] = args.broker
        env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
        self.ready = threading.Event()
        self.ready_at = None
        with open(log_path, "w") as f:
            f.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        with open(self.log_path, "ab") as out:
            for line in self.proc.stdout:
                if not self.ready.is_set() and b" ready." in line:
                    self.ready_at = time.monotonic()
                    self.cpu_at_ready = self.cpu_seconds()
                    self.ready.set()
                out.write(line)
                out.flush()

    def cpu_seconds(self):
        """utime + stime of the worker and its descendants so far (USER_HZ = 100)."""
        total, todo = 0.0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / 100.0
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                        todo.extend(int(c) for c in f.read().split())
            except (FileNotFoundError, ProcessLookupError):
                pass
        return round(total, 2)

    def rss_bytes(self):
        """VmRSS of the worker and all its descendants (the prefork children)."""
        total = 0
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                        todo.extend(int(c) for c in f.read().split())
            except FileNotFoundError:
                pass
        return total

    def processes(self):
        n, todo = 0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            n += 1
            try:
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                        todo.extend(int(c) for c in f.read().split())
            except FileNotFoundError:
                pass
        return n

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def redis_client(url):
    import redis
    return redis.Redis.from_url(url)


def delete_queue(url, queue):
    """Removes the queue's keys (Redis) or the queue and its exchange (RabbitMQ); nothing else."""
    if url.startswith("redis"):
        redis_client(url).delete(queue, queue + SEP + "3", queue + SEP + "6", queue + SEP + "9",
                                 "_kombu.binding." + queue)
    elif url.startswith(("amqp", "pyamqp")):
        from kombu import Connection
        with Connection(url) as c:
            c.default_channel.queue_delete(queue)
            c.default_channel.exchange_delete(queue)


def purge_queue(url, queue):
    """Empties the queue but keeps it (and kombu's declare cache) valid."""
    if url.startswith("redis"):
        redis_client(url).delete(queue, queue + SEP + "3", queue + SEP + "6", queue + SEP + "9")
    elif url.startswith(("amqp", "pyamqp")):
        from kombu import Connection
        with Connection(url) as c:
            c.default_channel.queue_purge(queue)


def message_count(url, queue):
    if url.startswith("redis"):
        r = redis_client(url)
        return sum(r.llen(q) for q in (queue, queue + SEP + "3", queue + SEP + "6", queue + SEP + "9"))
    if url.startswith(("amqp", "pyamqp")):
        from kombu import Connection
        with Connection(url) as c:
            return c.default_channel.queue_declare(queue, passive=True).message_count
    return -1


def wait_count(url, queue, n, timeout):
    deadline = time.monotonic() + timeout
    while True:
        c = message_count(url, queue)
        if c < 0 or c == n:
            return c >= 0
        if time.monotonic() > deadline:
            raise SystemExit("the broker counts %d messages in %s, expected %d" % (c, queue, n))
        time.sleep(0.001)


def app_for(args, backend=None):
    os.environ["BENCH_BROKER"] = args.broker
    if backend:
        os.environ["BENCH_BACKEND"] = backend
    sys.path.insert(0, HERE)
    import bench_tasks
    return bench_tasks


def drain(args, out):
    queue = args.prefilled or args.queue
    tasks = app_for(args)
    if not args.prefilled:
        t0 = time.monotonic()
        for _ in range(args.n):
            tasks.noop.apply_async(queue=queue, ignore_result=True)
        out["enqueue_s"] = round(time.monotonic() - t0, 4)
    wait_count(args.broker, queue, args.n, args.timeout)
    tmp = tempfile.mkdtemp(prefix="celery-bench-")
    report = os.path.join(tmp, "drain-report.json")
    w = Worker(args, queue, "warning", {"BENCH_EXPECT": str(args.n), "BENCH_REPORT": report},
               os.path.join(tmp, "worker.log"))
    try:
        deadline = time.monotonic() + args.timeout
        while not os.path.exists(report):
            if w.proc.poll() is not None:
                raise SystemExit("the worker exited before the drain completed; see " + w.log_path)
            if time.monotonic() > deadline:
                raise SystemExit("the drain did not complete in %d s; see %s" % (args.timeout, w.log_path))
            time.sleep(0.01)
        out["spawn_to_done_s"] = round(time.monotonic() - w.started, 4)
    finally:
        w.stop()
    with open(report) as f:
        r = json.load(f)
    s = (r["last_ns"] - r["first_ns"]) / 1e9
    out["seconds"] = round(s, 4)
    out["rate"] = round(args.n / s)
    delete_queue(args.broker, queue)


def publish(args, out):
    tasks = app_for(args, args.result_backend)
    queue = args.queue
    for _ in range(args.warmup):
        tasks.noop.apply_async(queue=queue, ignore_result=True)
    wait_count(args.broker, queue, args.warmup, args.timeout)
    purge_queue(args.broker, queue)
    t0 = time.monotonic()
    for _ in range(args.n):
        tasks.noop.apply_async(queue=queue, ignore_result=True)
    counted = wait_count(args.broker, queue, args.n, args.timeout)
    s = time.monotonic() - t0
    out.update(warmup=args.warmup, counted_by_broker=counted, seconds=round(s, 4), rate=round(args.n / s))
    delete_queue(args.broker, queue)


def roundtrip(args, out):
    backend = args.result_backend or args.broker
    out["result_backend"] = backend
    tasks = app_for(args, backend)
    tmp = tempfile.mkdtemp(prefix="celery-bench-")
    w = Worker(args, args.queue, "warning", {"BENCH_BACKEND": backend}, os.path.join(tmp, "worker.log"))
    ids = []
    try:
        r = tasks.add.apply_async((1, 2), queue=args.queue)
        ids.append(r.id)
        assert r.get(timeout=args.timeout) == 3
        for _ in range(args.warmup):
            r = tasks.add.apply_async((1, 2), queue=args.queue)
            ids.append(r.id)
            assert r.get(timeout=30) == 3
        times = []
        for _ in range(args.n):
            t0 = time.perf_counter()
            r = tasks.add.apply_async((1, 2), queue=args.queue)
            v = r.get(timeout=30)
            times.append(time.perf_counter() - t0)
            ids.append(r.id)
            assert v == 3
    finally:
        w.stop()
    times.sort()

    def pct(p):
        i = max(0, min(len(times) - 1, int(-(-p * len(times) // 100)) - 1))
        return round(times[i] * 1000, 3)

    out.update(warmup=args.warmup, p50_ms=pct(50), p99_ms=pct(99), max_ms=round(times[-1] * 1000, 3),
               mean_ms=round(sum(times) / len(times) * 1000, 3))
    if backend.startswith("redis"):
        r = redis_client(backend)
        for i in range(0, len(ids), 1000):
            r.delete(*["celery-task-meta-" + t for t in ids[i:i + 1000]])
    delete_queue(args.broker, args.queue)


def memory(args, out):
    tmp = tempfile.mkdtemp(prefix="celery-bench-")
    w = Worker(args, args.queue, "info", {}, os.path.join(tmp, "worker.log"))
    try:
        if not w.ready.wait(args.timeout):
            raise SystemExit("the worker did not log 'ready.' in %d s; see %s" % (args.timeout, w.log_path))
        time.sleep(args.settle)  # a measurement delay: RSS once idle
        out["ready_s"] = round(w.ready_at - w.started, 4)
        out["cpu_to_ready_s"] = w.cpu_at_ready
        out["rss_mib"] = round(w.rss_bytes() / 1048576, 1)
        out["processes"] = w.processes()
        out["settle_s"] = args.settle
    finally:
        w.stop()
    delete_queue(args.broker, args.queue)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--broker", default="redis://127.0.0.1:6379/9")
    p.add_argument("--result-backend")
    p.add_argument("--config", choices=sorted(CONFIGS), default="best")
    p.add_argument("--scenario", choices=["drain", "publish", "roundtrip", "memory"], default="drain")
    p.add_argument("-n", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--queue")
    p.add_argument("--prefilled", metavar="QUEUE", help="drain: this queue already holds the N messages")
    # 10 s: the JVM hands its compilers' scratch memory back after its next chunk-pool cleaning, every 5 s (the
    # same default as Celeriac's harness, so both sides are read idle)
    p.add_argument("--settle", type=float, default=10.0)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--label")
    args = p.parse_args()
    args.queue = args.queue or "bench.py.%s.%s" % (args.scenario, uuid.uuid4().hex[:8])
    import celery
    import kombu
    out = {"impl": "celery", "version": "celery %s / kombu %s" % (celery.__version__, kombu.__version__),
           "scenario": args.scenario, "config": args.config if args.scenario != "publish" else "client",
           "broker": args.broker, "n": args.n if args.scenario != "memory" else None}
    if args.label:
        out["label"] = args.label
    with open("/proc/loadavg") as f:
        out["loadavg_1m"] = float(f.read().split()[0])
    log("%s %s on %s, queue %s, worker flags: %s" % (args.scenario, args.config, args.broker, args.queue,
                                                     " ".join(CONFIGS[args.config]) or "(defaults)"))
    {"drain": drain, "publish": publish, "roundtrip": roundtrip, "memory": memory}[args.scenario](args, out)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
