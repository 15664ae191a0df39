"""Prints every Celery event seen on the broker as one JSON line, with Celery's own EventReceiver.

    python3 pyevents.py NODE      (configured like pytasks.py, through CELERIAC_IT_*)

Exits 0 once NODE sent worker-offline, 3 after 120 s without it.
"""
import json
import os
import sys

from pytasks import app

NODE = sys.argv[1]


def on_event(event):
    print(json.dumps(event, default=str), flush=True)
    if event.get("type") == "worker-offline" and event.get("hostname") == NODE:
        sys.stdout.flush()
        os._exit(0)


with app.connection_for_read() as conn:
    receiver = app.events.Receiver(conn, handlers={"*": on_event})
    print("-> capturing", flush=True)
    try:
        receiver.capture(limit=None, timeout=120, wakeup=True)
    except Exception as e:  # socket.timeout after 120 s
        print("-> stopped: %r" % (e,), flush=True)
sys.exit(3)
