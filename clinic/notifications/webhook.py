"""The webhook channel: a signed JSON POST carrying a reference and a link, never health data."""

import hashlib
import hmac
import http.client
import json
import ssl
from urllib.parse import urlsplit

from django.conf import settings

from clinic.notifications.errors import (
    NotNeeded,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from clinic.notifications.kinds import KindHandlers
from clinic.notifications.models import Notification


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(notification: Notification, handlers: KindHandlers) -> dict:
    """The kind's payload, with who sent it and the delivery's id (the same on every retry)."""
    if handlers.webhook is None:
        raise PermanentDeliveryError(f"a {notification.get_kind_display()} has no webhook form")
    return {
        **handlers.webhook(notification),
        "clinic": settings.CLINIC_NAME,
        "delivery": notification.idempotency_key,
        "created_at": notification.created_at.isoformat(),
    }


def deliver_webhook(notification: Notification, handlers: KindHandlers) -> None:
    endpoint = notification.webhook
    if endpoint is None or not endpoint.active:
        raise NotNeeded("the webhook was switched off")
    payload = webhook_body(notification, handlers)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    parts = urlsplit(endpoint.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError("the webhook URL is not an http(s) URL")
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Previsit-Webhook/1",
        "X-Previsit-Event": payload["event"],
        "X-Previsit-Delivery": notification.idempotency_key,
        "X-Previsit-Signature": webhook_signature(endpoint.secret, body),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} from the webhook"
    if status >= 500 or status in (408, 425, 429):
        raise TransientDeliveryError(reason)
    raise PermanentDeliveryError(reason)
