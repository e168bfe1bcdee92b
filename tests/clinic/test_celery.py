"""A real worker, in this process's thread, against the real Redis broker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from clinic.celery import app as celery_app
from clinic.tasks import ping

pytestmark = pytest.mark.worker


def test_task_round_trips_through_redis_and_a_real_worker():
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "make test sets REDIS_URL"
    assert not celery_app.conf.task_always_eager
    # The queue named: an earlier test's worker (queues=["pdf"]) leaves the app consuming only that.
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["default"]
    ):
        result = ping.delay("hello")
        assert result.get(timeout=20) == "pong:hello"


def test_celery_is_configured_for_no_lost_work():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert "heartbeat" in conf.beat_schedule


# Eight threads of a fresh process publish by name at the same moment, as a gthread web worker's
# threads do with the first submits after a start.
FIRST_PUBLISH_RACE = """
import threading
import django
django.setup()
from clinic.celery import task_named
from intake.responses.services import PDF_TASK
start = threading.Barrier(8)
found = []

def publish():
    start.wait()
    try:
        found.append(task_named(PDF_TASK).name)
    except Exception as exc:
        found.append(type(exc).__name__)

threads = [threading.Thread(target=publish) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(sorted(set(found)))
"""


@pytest.mark.parametrize("attempt", range(5))
def test_threads_publishing_by_name_at_once_in_a_fresh_process_all_find_the_task(attempt):
    """Seven of eight threads got NotRegistered (five tries of five): the patient's submit
    rolled back with a 500."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PUBLISH_RACE],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "['intake.responses.tasks.handout_render_pdf']"
