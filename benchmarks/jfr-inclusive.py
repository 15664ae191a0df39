#!/usr/bin/python3
"""Inclusive CPU samples per method from a JFR recording: the share of jdk.ExecutionSample stacks that
contain each method (at any depth), for the methods under the given prefixes. Used to read the profiles
in docs/performance.md:

  benchmarks/jfr-inclusive.py recording.jfr [prefix ...]     (default prefixes: org.celeriac java.util.UUID)
"""
import collections
import json
import subprocess
import sys


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    path, prefixes = sys.argv[1], sys.argv[2:] or ["org.celeriac", "java.util.UUID"]
    jfr = subprocess.run(["bash", "-c", 'dirname "$(readlink -f "$(benchmarks/bench java 2>/dev/null || command -v java)")"'],
                         capture_output=True, text=True).stdout.strip()
    tool = (jfr + "/jfr") if jfr else "jfr"
    data = json.loads(subprocess.run([tool, "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                                     capture_output=True, text=True, check=True).stdout)
    events = data["recording"]["events"]
    total = len(events)
    inclusive = collections.Counter()
    threads = collections.Counter()
    for e in events:
        v = e["values"]
        threads[(v.get("sampledThread") or {}).get("javaName", "?")] += 1
        seen = set()
        for f in v["stackTrace"]["frames"]:
            m = f["method"]
            name = m["type"]["name"].replace("/", ".") + "." + m["name"]
            if any(name.startswith(p) for p in prefixes) and name not in seen:
                seen.add(name)
                inclusive[name] += 1
    print("%d execution samples" % total)
    print("by thread:")
    for t, c in threads.most_common(12):
        print("  %5.1f%%  %s" % (100.0 * c / total, t))
    print("inclusive, methods under %s:" % ", ".join(prefixes))
    for name, c in inclusive.most_common(40):
        print("  %5.1f%%  %s" % (100.0 * c / total, name))


if __name__ == "__main__":
    main()
