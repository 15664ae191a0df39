"""Python Celery 5.2.6 as a MongoDB result-backend peer of the Java tests (MongoBackend through pymongo).

usage: celery_mongo_peer.py URL COMMAND ARGS...
  store ID STATE JSON [TRACEBACK]   app.backend.store_result(ID, json.loads(JSON), STATE)
  fail ID MESSAGE                   store a FAILURE with ValueError(MESSAGE)
  get ID TIMEOUT                    AsyncResult(ID).get(): prints {"state", "result", "date_done"} or the exception
  save_group GID ID...              GroupResult(GID, [AsyncResult(ID)...]).save()
  restore_group GID                 prints the member ids of GroupResult.restore(GID)
Prints one JSON line on stdout.
"""
import json
import sys

from celery import Celery
from celery.result import AsyncResult, GroupResult


def main():
    url, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    app = Celery('interop', backend=url)
    app.conf.result_serializer = 'json'
    app.conf.accept_content = ['json']
    if cmd == 'store':
        tid, state, value = args[0], args[1], json.loads(args[2])
        tb = args[3] if len(args) > 3 else None
        app.backend.store_result(tid, value, state, traceback=tb)
        out = {'ok': True}
    elif cmd == 'fail':
        app.backend.store_result(args[0], ValueError(args[1]), 'FAILURE', traceback='Traceback: ValueError')
        out = {'ok': True}
    elif cmd == 'get':
        r = AsyncResult(args[0], app=app)
        try:
            value = r.get(timeout=float(args[1]), interval=0.1, propagate=True)
            out = {'state': r.state, 'result': value, 'date_done': str(r.date_done)}
        except Exception as e:  # noqa: BLE001 - the test wants to see what Python raises
            out = {'state': r.state, 'exc_type': type(e).__name__, 'exc_args': [str(a) for a in e.args]}
    elif cmd == 'save_group':
        GroupResult(args[0], [AsyncResult(i, app=app) for i in args[1:]], app=app).save(backend=app.backend)
        out = {'ok': True}
    elif cmd == 'restore_group':
        g = GroupResult.restore(args[0], app=app, backend=app.backend)
        # Celery 5.2.6 quirk: with MongoBackend, restore() returns the list of AsyncResults, not a GroupResult
        members = None if g is None else (g if isinstance(g, list) else g.results)
        out = {'ids': None if members is None else [r.id for r in members]}
    else:
        raise SystemExit('unknown command ' + cmd)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
