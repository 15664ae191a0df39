#!/usr/bin/python3
"""Prints compare.sh's table (Markdown) from its JSON lines: table.py RESULTS NOTES N RT_N TUNED."""
import json
import os
import platform
import sys

TARGETS = {
    ("redis", "drain"): (20000, "higher"), ("amqp", "drain"): (20000, "higher"), ("h2", "drain"): (5000, "higher"),
    ("amqp-lazy", "drain"): (20000, "higher"), ("amqp-lazy", "publish"): (20000, "higher"),
    ("redis", "publish"): (30000, "higher"), ("amqp", "publish"): (20000, "higher"),
    ("redis", "p50_ms"): (0.5, "lower"), ("redis", "p99_ms"): (2.0, "lower"),
    ("redis", "rss_mib"): (80, "lower"), ("amqp", "rss_mib"): (80, "lower"),
    ("redis", "ready_s"): (1.0, "lower"), ("amqp", "ready_s"): (1.0, "lower"),
}
ROWS = [  # (scenario, metric, caption, higher is better)
    ("drain", "rate", "drain, no-op tasks/s", True),
    ("publish", "rate", "publish, tasks/s (1 thread)", True),
    ("roundtrip", "p50_ms", "round trip p50, ms", False),
    ("roundtrip", "p99_ms", "round trip p99, ms", False),
    ("roundtrip", "max_ms", "round trip max, ms", False),
    ("memory", "rss_mib", "idle worker RSS, MiB (c=2)", False),
    ("memory", "ready_s", "start -> ready, s", False),
]
COLUMNS = [("celery", "default"), ("celery", "best"), ("celeriac", "default"), ("celeriac", "tuned")]


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float) and v < 100:
        return "%.2f" % v if v < 10 else "%.1f" % v
    return "{:,}".format(int(round(v)))


def main():
    results_path, notes_path, n, rt_n, tuned = sys.argv[1:6]
    cells = {}
    extra = {}
    for line in open(results_path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r["impl"] == "celery":
            kind = r.get("label", "redis")
            config = "default" if r["config"] in ("default", "client") else "best"
        else:
            kind, _, config = r.get("label", "redis default").partition(" ")
        for scenario, metric, _, _ in ROWS:
            if r["scenario"] == scenario and metric in r:
                cells[(kind, scenario, metric, r["impl"], config)] = r[metric]
        if r["scenario"] == "memory" and r["impl"] == "celery":
            extra[(kind, config)] = r.get("processes")
    kinds = [k for k in ("redis", "amqp", "amqp-lazy", "h2") if any(c[0] == k for c in cells)]
    print("| broker | measurement | Celery default | Celery best | Celeriac default | Celeriac tuned | ratio | target |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for kind in kinds:
        for scenario, metric, caption, higher in ROWS:
            vals = [cells.get((kind, scenario, metric, impl, cfg)) for impl, cfg in COLUMNS]
            if all(v is None for v in vals):
                continue
            celery = [v for v in vals[:2] if v is not None]
            celeriac = [v for v in vals[2:] if v is not None]
            if metric == "rss_mib" and vals[0] is not None:
                celery = [vals[0]]  # like for like: Celery's prefork at concurrency 2
            ratio = "–"
            if celery and celeriac:
                if higher:
                    ratio = "%.1f×" % (max(celeriac) / max(celery))
                else:
                    ratio = "%.1f×" % (min(celery) / min(celeriac)) if min(celeriac) > 0 else "–"
            key = metric if scenario in ("roundtrip", "memory") else scenario
            target = TARGETS.get((kind, key))
            tcell = "–"
            if target and celeriac:
                best = max(celeriac) if target[1] == "higher" else min(celeriac)
                ok = best >= target[0] if target[1] == "higher" else best <= target[0]
                tcell = "%s %s %s" % ("≥" if target[1] == "higher" else "≤", fmt(target[0]), "met" if ok else "**not met**")
            shown = [fmt(v) for v in vals]
            if metric == "rss_mib":
                for i, cfg in ((0, "default"), (1, "best")):
                    if vals[i] is not None and extra.get((kind, cfg)):
                        shown[i] += " (%d proc.)" % extra[(kind, cfg)]
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % ((kind, caption) + tuple(shown) + (ratio, tcell)))
    print()
    print("N = %s tasks per drain/publish, %s timed round trips; Celeriac tuned = %s (memory: --without-mingle "
          "--without-gossip --without-heartbeat, as Celery best)." % (n, rt_n, tuned))
    print("Ratio: how many times better Celeriac's better figure is than Celery's better one (> 1: Celeriac "
          "faster/smaller, < 1: Celery); RSS is compared with Celery's prefork at the same concurrency 2.")
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
        mem = [l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")][0]
        load = open("/proc/loadavg").read().split()[:3]
        print("Machine: %d × %s, %d GiB, %s; load average at the end %s." % (
            len(cpu), cpu[0] if cpu else "?", int(mem) // 1048576, platform.platform(), " ".join(load)))
    except (OSError, IndexError):
        pass
    notes = [l.rstrip() for l in open(notes_path) if l.strip()]
    if notes:
        print()
        print("Notes:")
        for l in notes:
            print("- " + l)


if __name__ == "__main__":
    main()
