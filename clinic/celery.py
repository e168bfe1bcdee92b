import importlib
import logging
import os
import threading
from functools import partial

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections, transaction
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

logger = logging.getLogger("clinic.celery")

# What a publish raises when the broker is down or unreachable.
PUBLISH_ERRORS = (KombuOperationalError, RedisError, OSError)


class Task(DjangoTask):
    """`delay_on_commit` that never fails the request that already committed.

    Django runs on-commit callbacks after the commit: an exception there would turn a saved
    submission into an error page. A broker that is down is logged instead; work that must not
    be lost is a database row first (notifications), and a sweep re-queues it.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(partial(self._publish_quietly, args, kwargs, {}), robust=True)

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        transaction.on_commit(
            partial(self._publish_quietly, args or (), kwargs or {}, options), robust=True
        )

    def _publish_quietly(self, args, kwargs, options) -> None:
        try:
            self.apply_async(args, kwargs, **options)
        except PUBLISH_ERRORS as exc:
            logger.error("could not queue %s: broker down (%s)", self.name, type(exc).__name__)


app = Celery("clinic", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each room keeps its own tasks module; Celery imports them when the app is finalised.
TASK_MODULES = [
    "clinic",
    "clinic.notifications",
    "clinic.review",
    "intake.links",
    "intake.responses",
]
app.autodiscover_tasks(TASK_MODULES)


def task_named(name: str) -> Task:
    """A registered task by its name.

    For a room that queues a task whose module imports that room: the task module calls the
    room's services, so the room publishes by name instead of importing it back. The test suite
    checks that every such name is registered.
    """
    _import_task_modules()
    return app.tasks[name]


_TASKS_IMPORTED = threading.Event()
_TASKS_IMPORTING = threading.Lock()


def _import_task_modules() -> None:
    """A web process imports no tasks module of its own accord (only a worker does, at start):
    import them the first time a task is published by name.

    Once per process, behind a lock: gthread workers submit from several threads at once, and a
    thread that found the import started by another (Celery's autodiscovery, or a cache without
    a lock) went on before the tasks were registered, got NotRegistered, and the patient's
    submit rolled back with a 500 (bench/soak.py found it; tests/clinic/test_celery.py)."""
    if _TASKS_IMPORTED.is_set():
        return
    with _TASKS_IMPORTING:
        if not _TASKS_IMPORTED.is_set():
            for package in TASK_MODULES:
                importlib.import_module(f"{package}.tasks")
            _TASKS_IMPORTED.set()


@task_prerun.connect
@task_postrun.connect
def _database_connections_as_in_a_request(task=None, **kwargs) -> None:
    """Before and after each task, what Django does around a request: drop a connection that
    failed, is older than CONN_MAX_AGE or (with CONN_HEALTH_CHECKS) no longer answers, and keep
    the rest. Celery's own fixup would otherwise reconnect for every task (see
    CELERY_DB_REUSE_MAX in settings), which costs more than delivering a notification. A task
    run eagerly is inside its caller's transaction: its connection is left alone."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
