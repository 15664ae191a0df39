"""Python Celery 5.2.6 client for the interop tests: sends tasks to whatever worker consumes the queue and
prints one JSON object per line on stdout (ASCII only), for the Java test to assert on.

  /usr/bin/python3 pyclient.py edge            edge values, failures, unregistered, countdown, eta
  /usr/bin/python3 pyclient.py batch START N   tasks.add(i, 1000000) for i in START..START+N-1

Configuration: see pytasks.py (CELERIAC_IT_BROKER, CELERIAC_IT_BACKEND, CELERIAC_IT_QUEUE).
"""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from celery.exceptions import NotRegistered

from pytasks import QUEUE, app

TIMEOUT = 30.0


def out(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def canon(v):
    """A comparable form that keeps what == loses: int vs float, -0.0, NaN, dict key order."""
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", repr(v)]
    if isinstance(v, str):
        return ["str", v]
    if v is None:
        return ["none"]
    if isinstance(v, (list, tuple)):
        return ["list", [canon(x) for x in v]]
    if isinstance(v, dict):
        return ["dict", [[k, canon(x)] for k, x in v.items()]]
    return ["other", repr(v)]


ECHO_VALUES = {
    "int_small": 42,
    "int_2_pow_70": 2 ** 70,
    "int_neg_2_pow_70": -(2 ** 70),
    "int_2_pow_63": 2 ** 63,
    "int_min_long": -(2 ** 63),
    "int_2_pow_64_minus_1": 2 ** 64 - 1,
    "float_3_0": 3.0,
    "float_neg_zero": -0.0,
    "float_1e_05": 1e-05,
    "float_1e300": 1e300,
    "float_0_1": 0.1,
    "float_nan": float("nan"),
    "float_inf": float("inf"),
    "float_neg_inf": float("-inf"),
    "str_unicode": "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F600 \U0001F468\u200D\U0001F469\u200D\U0001F467",
    "str_controls": "tab\tnl\ncr\r quote\" backslash\\ nul\x00 del\x7f",
    "str_empty": "",
    "none": None,
    "bool_true": True,
    "bool_false": False,
    "list_empty": [],
    "dict_empty": {},
    "list_mixed": [1, 1.0, "1", None, True, [], {}],
    "nested": {"z": [1, {"b": [None, True, False, "x", 2.5]}], "a": {"": "", "\U0001F600": [[[]]]},
               "m": {"k": {"k": {"k": -1}}}},
}


def edge():
    pending = []  # (case, AsyncResult, extra)

    def send(case, name, args=(), kwargs=None, **options):
        r = app.send_task(name, args=list(args), kwargs=kwargs or {}, queue=QUEUE, **options)
        pending.append((case, r, {}))
        return pending[-1][2]

    for case, value in ECHO_VALUES.items():
        extra = send("echo_" + case, "tasks.echo", [value])
        extra["sent"] = value
    send("add_ints", "tasks.add", [2, 2])
    send("add_big", "tasks.add", [2 ** 70, 1])
    send("add_int_float", "tasks.add", [1, 0.5])
    send("add_kwargs", "tasks.add", kwargs={"x": 40, "y": 2})
    send("mul", "tasks.mul", [6, 7])
    send("xsum", "tasks.xsum", [[1, 2, [3, 4]]])
    send("fail", "tasks.fail", ["boom \u2603"])
    send("fail_after_retries", "tasks.fail", ["again"], {"retries": 2, "countdown": 0.2})
    send("unregistered", "tasks.no_such_task", [1, 2])
    now = time.time()
    extra = send("countdown", "tasks.add", [1, 2], countdown=1)
    extra["sent_at"] = now
    extra["not_before"] = now + 1
    eta = datetime.now(timezone.utc) + timedelta(seconds=1)
    extra = send("eta", "tasks.add", [3, 4], eta=eta)
    extra["sent_at"] = time.time()
    extra["not_before"] = eta.timestamp()

    for case, r, extra in pending:
        fields = {"case": case, "id": r.id}
        try:
            value = r.get(timeout=TIMEOUT)
            done = time.time()
            fields.update(ok=True, got_repr=repr(value), got_type=type(value).__name__, state=r.state)
            if "sent" in extra:
                fields.update(sent_repr=repr(extra["sent"]), same=canon(value) == canon(extra["sent"]),
                              same_value=canon_unordered(value) == canon_unordered(extra["sent"]))
            if "not_before" in extra:
                date_done = r.date_done
                if isinstance(date_done, str):
                    date_done = datetime.fromisoformat(date_done)
                if date_done.tzinfo is None:
                    date_done = date_done.replace(tzinfo=timezone.utc)
                fields.update(elapsed=done - extra["sent_at"],
                              done_not_before=date_done.timestamp() >= extra["not_before"],
                              date_done=date_done.isoformat(),
                              not_before=datetime.fromtimestamp(extra["not_before"], timezone.utc).isoformat())
        except Exception as e:  # the point: report what Python raised
            fields.update(ok=False, exc_type=type(e).__name__, exc_module=type(e).__module__,
                          exc_args=[repr(a) for a in e.args], exc_str=str(e),
                          is_value_error=isinstance(e, ValueError),
                          is_not_registered=isinstance(e, NotRegistered),
                          state=r.state, traceback=r.traceback)
        out(**fields)


def canon_unordered(v):
    c = canon(v)
    return _sort(c)


def _sort(c):
    if c[0] == "dict":
        return ["dict", sorted(([k, _sort(x)] for k, x in c[1]), key=lambda kv: kv[0])]
    if c[0] == "list":
        return ["list", [_sort(x) for x in c[1]]]
    return c


def batch(start, count):
    sent = []
    for i in range(start, start + count):
        sent.append((i, app.send_task("tasks.add", args=[i, 1000000], queue=QUEUE)))
    out(case="batch_sent", count=len(sent))
    for i, r in sent:
        try:
            out(case="batch", id=r.id, x=i, result=r.get(timeout=TIMEOUT), state=r.state)
        except Exception as e:
            out(case="batch", id=r.id, x=i, result=None, state=r.state, error=repr(e))


def limits():
    """Time limits sent by Python (the timelimit header) and enforced by the worker."""
    from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
    for case, opts in (("soft", {"soft_time_limit": 0.5}), ("hard", {"time_limit": 0.5})):
        started = time.monotonic()
        r = app.send_task("tasks.sleep", args=[5], queue=QUEUE, **opts)
        try:
            out(case=case, ok=True, result=r.get(timeout=TIMEOUT))
        except Exception as e:
            out(case=case, ok=False, exc_type=type(e).__name__, exc_module=type(e).__module__,
                is_soft=isinstance(e, SoftTimeLimitExceeded), is_hard=isinstance(e, TimeLimitExceeded),
                args=list(getattr(e, "args", ())), state=r.state, elapsed=time.monotonic() - started)


if __name__ == "__main__":
    if sys.argv[1] == "edge":
        edge()
    elif sys.argv[1] == "limits":
        limits()
    elif sys.argv[1] == "batch":
        batch(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit("usage: pyclient.py edge | batch START N")
