"""Python Celery 5.2.6 client for FeaturesPythonClientTest: issue #9's worker features as a Python client sees
them on a Java worker, one JSON object per line on stdout.

  /usr/bin/python3 pyfeatures.py NODE

NODE is the Java worker's node name (for remote control). Configuration: see pytasks.py.
"""
import json
import sys
import time

from pytasks import QUEUE, app

TIMEOUT = 20.0


def out(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def wait_state(r, wanted, timeout=TIMEOUT):
    """Polls r.state until it is one of wanted; returns the states seen, in order, without repeats."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = r.state
        if not seen or seen[-1] != s:
            seen.append(s)
        if s in wanted:
            break
        time.sleep(0.02)
    return seen


def outcome(r):
    try:
        return {"ok": True, "result": r.get(timeout=TIMEOUT), "state": r.state}
    except Exception as e:
        return {"ok": False, "exc_type": type(e).__name__, "exc_args": [str(a) for a in getattr(e, "args", ())],
                "state": r.state}


def main(node):
    # AsyncResult.revoke() of a task the Java worker holds until its countdown
    r = app.send_task("f.add", args=[1, 2], queue=QUEUE, countdown=30)
    r.revoke()
    out(case="revoke", seen=wait_state(r, ("REVOKED",)), **outcome(r))

    # AsyncResult.revoke(terminate=True) of a task the Java worker runs (track_started shows it running)
    r = app.send_task("f.sleep", queue=QUEUE)
    started = wait_state(r, ("STARTED",))
    r.revoke(terminate=True, signal="SIGTERM")
    out(case="terminate", started=started, seen=wait_state(r, ("REVOKED", "SUCCESS", "FAILURE")), **outcome(r))

    # celery control rate_limit, then tasks held by the Java worker's token bucket
    reply = app.control.rate_limit("f.limited", "1/h", destination=[node], reply=True, timeout=10)
    first = app.send_task("f.limited", queue=QUEUE)
    first_result = first.get(timeout=TIMEOUT)
    second = app.send_task("f.limited", queue=QUEUE)
    time.sleep(1.0)  # nothing to wait for: the point is that it does not run
    held_state = second.state
    bad = app.control.rate_limit("f.limited", "ten per minute", destination=[node], reply=True, timeout=10)
    off = app.control.rate_limit("f.limited", "", destination=[node], reply=True, timeout=10)
    out(case="rate_limit", reply=reply, first=first_result, held_state=held_state, bad=bad, off=off,
        second=outcome(second))

    # a Java task that retries: RETRY then SUCCESS, the retries count in the extended result
    r = app.send_task("f.retry", args=[1], queue=QUEUE)
    seen = wait_state(r, ("SUCCESS", "FAILURE"))
    res = outcome(r)
    out(case="retry", seen=seen, retries=r.retries, **res)

    r = app.send_task("f.retry", args=[5], queue=QUEUE)
    out(case="retry_exhausted", **outcome(r))

    # expires from Python: the Java worker marks the task REVOKED
    r = app.send_task("f.add", args=[1, 1], queue=QUEUE, countdown=1, expires=0.3)
    out(case="expires", **outcome(r))


if __name__ == "__main__":
    main(sys.argv[1])
