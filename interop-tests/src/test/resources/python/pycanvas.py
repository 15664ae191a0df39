"""Python Celery 5.2.6 canvas client for CanvasInteropTest: sends chains, groups and chords to whatever worker
consumes the queue and prints one JSON object per line (case, state, value or exception type/message).

  /usr/bin/python3 pycanvas.py

Configuration: see pytasks.py (CELERIAC_IT_BROKER, CELERIAC_IT_BACKEND, CELERIAC_IT_QUEUE).
"""
import json
import sys
import uuid

from celery import chain, chord, group

from pytasks import add, app, fail, mul, xsum, echo  # noqa: F401

TIMEOUT = 30.0


def out(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def report(case, res, getter=None):
    try:
        value = (getter or (lambda: res.get(timeout=TIMEOUT)))()
        out(case=case, ok=True, value=value)
    except Exception as e:  # noqa: BLE001
        out(case=case, ok=False, exc_type=type(e).__name__, exc_message=str(e),
            exc_module=type(e).__module__)


report("chain", chain(add.s(2, 2), mul.s(10), add.s(1)).apply_async())
report("chain_si", chain(add.s(2, 2), add.si(5, 5)).apply_async())
g = group(add.s(1, 1), mul.s(3, 3), add.s(0, 7)).apply_async()
report("group", g)
report("chord", chord([add.s(i, i) for i in range(5)], xsum.s()).apply_async())
report("chord_order", chord([echo.s("v%d" % i) for i in range(6)], echo.s()).apply_async())
# get() on the returned result re-raises the failed header's own error first (its parent); the body's stored
# state is read through a fresh AsyncResult.
r = chord([add.s(1, 1), fail.s("bad")], xsum.s()).apply_async()
report("chord_error", app.AsyncResult(r.id))

# old-style errback: sent as a task with the failed task's id
eb_id = str(uuid.uuid4())
failed = fail.apply_async(("boom",), link_error=echo.s().set(task_id=eb_id))
report("link_error", app.AsyncResult(eb_id), lambda: [app.AsyncResult(eb_id).get(timeout=TIMEOUT), failed.id])
