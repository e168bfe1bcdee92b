"""A real worker, in this process's thread, against the real Redis broker."""

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
