"""The Python twin of org.celeriac.examples.Tasks, for the interop tests.

Configured from the environment (all optional, defaults for a local try-out):
  CELERIAC_IT_BROKER    broker URL            (redis://127.0.0.1:6379/0)
  CELERIAC_IT_BACKEND   result backend URL    (the broker URL)
  CELERIAC_IT_QUEUE     default queue         (celery)
  CELERIAC_IT_ACKS_LATE               "true" for task_acks_late
  CELERIAC_IT_VISIBILITY_TIMEOUT      broker_transport_options visibility_timeout, seconds (kombu: 3600)
  CELERIAC_IT_REMOTE_CONTROL          "true" to let the worker answer inspect/control (off by default)

Worker:  python3 -m celery -A pytasks worker -P solo -Q <queue> -n py@%h --without-gossip \
             --without-mingle --without-heartbeat -l info
"""
import os
import time

from celery import Celery

BROKER = os.environ.get("CELERIAC_IT_BROKER", "redis://127.0.0.1:6379/0")
BACKEND = os.environ.get("CELERIAC_IT_BACKEND", BROKER)
QUEUE = os.environ.get("CELERIAC_IT_QUEUE", "celery")

app = Celery("pytasks", broker=BROKER, backend=BACKEND)
app.conf.update(
    task_default_queue=QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Remote control (unless CELERIAC_IT_REMOTE_CONTROL=true) and events are off, leaving no pidbox/celeryev
    # traffic on the shared Redis.
    worker_enable_remote_control=os.environ.get("CELERIAC_IT_REMOTE_CONTROL", "").lower() == "true",
    worker_send_task_events=False,
    worker_hijack_root_logger=True,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    task_acks_late=os.environ.get("CELERIAC_IT_ACKS_LATE", "").lower() == "true",
)
if os.environ.get("CELERIAC_IT_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {"visibility_timeout": float(os.environ["CELERIAC_IT_VISIBILITY_TIMEOUT"])}


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.mul")
def mul(x, y):
    return x * y


@app.task(name="tasks.echo")
def echo(obj):
    return obj


@app.task(name="tasks.fail", bind=True)
def fail(self, msg, retries=0, countdown=0.5):
    if self.request.retries < retries:
        raise self.retry(countdown=countdown, max_retries=retries)
    raise ValueError(msg)


@app.task(name="tasks.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="tasks.xsum")
def xsum(numbers):
    return sum(sum(n) if isinstance(n, list) else n for n in numbers)


@app.task(name="tasks.flaky", bind=True)
def flaky(self, failures, countdown=0.5):
    """Retries (countdown in seconds) until it ran failures+1 times, then returns the retries it saw."""
    if self.request.retries < failures:
        raise self.retry(countdown=countdown, max_retries=failures)
    return self.request.retries
