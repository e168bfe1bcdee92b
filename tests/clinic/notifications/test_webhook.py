"""The webhook channel: signed, carrying only a reference, retried on 5xx."""

import hashlib
import hmac
import json

import pytest

from clinic.notifications.delivery import notification_deliver
from clinic.notifications.models import (
    Notification,
    WebhookEndpoint,
)
from clinic.notifications.webhook import webhook_signature
from tests.notifications_support import (
    HEALTH_WORDS,
    flag,
)

pytestmark = pytest.mark.django_db


# --- Webhooks ---------------------------------------------------------------------------------


def test_a_webhook_is_signed_and_carries_only_the_level_a_reference_and_a_link(clinician, hooks):
    endpoint = WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    case = flag()
    notification = Notification.objects.get(case=case, channel="webhook")
    assert notification_deliver(notification_id=notification.pk).outcome == "sent"
    [hook] = hooks.hooks
    assert hook.path == "/hooks/previsit"
    expected = "sha256=" + hmac.new(b"k" * 32, hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Previsit-Signature"] == expected
    assert webhook_signature(endpoint.secret, hook.body) == expected
    assert hook.headers["X-Previsit-Delivery"] == notification.idempotency_key
    payload = json.loads(hook.body)
    assert set(payload) == {"event", "level", "case", "url", "clinic", "delivery", "created_at"}
    assert payload["event"] == "case.flagged" and payload["level"] == "emergency"
    assert payload["case"] == case.pk
    assert payload["url"] == f"http://127.0.0.1:8000/dashboard/cases/{case.pk}/"
    for word in HEALTH_WORDS:
        assert word not in hook.body.decode()


def test_a_webhook_5xx_is_retried_and_a_4xx_fails(clinician, hooks):
    WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    hooks.statuses = [503, 404]
    first = Notification.objects.get(case=flag(), channel="webhook")
    assert notification_deliver(notification_id=first.pk).outcome == "retry"
    second = Notification.objects.get(case=flag(), channel="webhook")
    assert notification_deliver(notification_id=second.pk).outcome == "failed"
    second.refresh_from_db()
    assert second.last_error == "HTTP 404 from the webhook"


def test_a_webhook_switched_off_before_delivery_is_not_sent(clinician, hooks):
    endpoint = WebhookEndpoint.objects.create(name="Chat", url=hooks.url, secret="k" * 32)
    notification = Notification.objects.get(case=flag(), channel="webhook")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert notification_deliver(notification_id=notification.pk).outcome == "cancelled"
    assert hooks.hooks == []
