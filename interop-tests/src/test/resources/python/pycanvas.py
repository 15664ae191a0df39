"""Python Celery 5.2.6 canvas client for CanvasInteropTest: sends chains, groups and chords to whatever worker
consumes the queue and prints one JSON object per line (case, state, value or exception type/message).

  /usr/bin/python3 pycanvas.py          # the primitives, map/starmap/chunks and a chord joined by chord_unlock
  /usr/bin/python3 pycanvas.py nested   # nested canvases only (a chord applied from a chain step, ...)

Configuration: see pytasks.py (CELERIAC_IT_BROKER, CELERIAC_IT_BACKEND, CELERIAC_IT_QUEUE).
"""
import json
import sys
import uuid

from celery import chain, chord, group
from celery.backends.base import Backend

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


def unlock_chord(header, body):
    """A chord as Celery sends it with a backend that has no native join (the database or MongoDB backends):
    no chord size, a celery.chord_unlock task instead (Backend.apply_chord -> fallback_chord_unlock)."""
    be = app.backend
    be.apply_chord = lambda header_result_args, b, **kw: Backend.apply_chord(be, header_result_args, b, **kw)
    be.set_chord_size = lambda group_id, chord_size: None
    try:
        return chord(header, body).apply_async()
    finally:
        del be.apply_chord
        del be.set_chord_size


def primitives():
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
    report("map", echo.map([1, "x", 3]).apply_async())
    report("starmap", add.starmap([(1, 2), (10, 20)]).apply_async())
    report("chunks", add.chunks([(i, i) for i in range(5)], 2).apply_async())
    report("group_of_chains", group(chain(add.s(1, 1), mul.s(10)), chain(add.s(2, 2), mul.s(10))).apply_async())
    report("chord_chain_body", chord([add.s(1, 1), add.s(2, 2)], chain(xsum.s(), mul.s(10))).apply_async())
    report("chord_unlock", unlock_chord([add.s(i, i) for i in range(4)], xsum.s()))
    r = unlock_chord([add.s(1, 1), fail.s("bad")], xsum.s())
    report("chord_unlock_error", app.AsyncResult(r.id))


def nested():
    report("chain_group", chain(add.s(1, 1), group(mul.s(10), mul.s(100)), xsum.s()).apply_async())
    report("chord_header_chains", chord([chain(add.s(1, 1), mul.s(10)), chain(add.s(2, 2), mul.s(10))],
                                        xsum.s()).apply_async())
    report("chain_of_chords", chain(chord([add.s(1, 1), add.s(2, 2)], xsum.s()),
                                    chord([mul.s(2), mul.s(3)], xsum.s())).apply_async())


if __name__ == "__main__":
    nested() if sys.argv[1:] == ["nested"] else primitives()
