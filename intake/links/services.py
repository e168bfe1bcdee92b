"""Patient links: issued, revoked, and checked against the patient's date of birth.

Views, the admin, management commands and tasks all call these, so each rule is written once.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, TextChoices
from django.utils import timezone
from redis.exceptions import RedisError

from clinic.records.models import Appointment
from intake.links.models import LinkAttempt, LinkAttemptOutcome, PrevisitLink

logger = logging.getLogger(__name__)
# What the cache raises when Redis is unreachable (the file cache raises OSError).
CACHE_ERRORS = (OSError, RedisError)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def demo_token(appointment_id: int) -> str:
    """A token derived from SECRET_KEY, so `seed_demo` can print the same link on every run."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo-link:{appointment_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def link_path(token: str) -> str:
    return f"/p/{token}/"


@transaction.atomic
def link_issue(
    *, appointment: Appointment, by=None, token: str | None = None, replace: bool = False
) -> tuple[PrevisitLink, str]:
    """Make a new link for the appointment. Returns (link, token).

    Links already sent keep working: a reminder adds a link, it never breaks the one in the
    booking email. `replace` revokes them first, for staff reissuing a link that went astray
    (revoking is always an explicit act). The token (192 random bits) is returned once and never
    stored: only its hash is.
    """
    now = timezone.now()
    if replace:
        live = PrevisitLink.objects.select_for_update().filter(
            appointment=appointment, revoked_at__isnull=True
        )
        for old in live:  # one at a time, so each revocation is in the audit trail
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
    token = token or secrets.token_urlsafe(24)
    link = PrevisitLink.objects.create(
        appointment=appointment,
        token_hash=token_hash(token),
        created_by=by,
        expires_at=appointment.starts_at + settings.PREVISIT_LINK_VALID_AFTER,
    )
    return link, token


@transaction.atomic
def link_revoke(*, link: PrevisitLink) -> PrevisitLink:
    locked = PrevisitLink.objects.select_for_update().get(pk=link.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])  # saved, not updated: the audit trail sees it
    link.refresh_from_db()
    return link


@transaction.atomic
def links_revoke(*, appointments) -> int:
    """Revoke every live link of these appointments, one at a time (each one audited)."""
    live = PrevisitLink.objects.select_for_update().filter(
        appointment__in=appointments, revoked_at__isnull=True
    )
    revoked = 0
    for link in live:
        link_revoke(link=link)
        revoked += 1
    return revoked


class VerifyOutcome(TextChoices):
    OK = "ok", "Confirmed"
    # A wrong date, or a link that doesn't exist, expired or was revoked: told apart to no one.
    WRONG = "wrong", "Not confirmed"
    LOCKED = "locked", "Locked"
    RATE_LIMITED = "rate_limited", "Too many checks from this address"


def _ip_key(ip: str | None) -> str:
    return f"previsit:verify-ip:{ip or 'unknown'}"


def _rate_limited(ip: str | None) -> bool:
    """At most N failed checks an hour from one address, counted in the shared cache.

    Only failures count: a clinic's Wi-Fi or a carrier's NAT puts many patients behind one
    address, and each of them confirming their date of birth is not an attack. If the cache
    (Redis) is down, the check is skipped rather than locking every patient out: the per-link
    failure count, kept in the database, still locks a link after a few tries.
    """
    try:
        count = cache.get(_ip_key(ip)) or 0
    except CACHE_ERRORS as exc:
        logger.warning("verify rate limit skipped: cache unavailable (%s)", type(exc).__name__)
        return False
    return count >= settings.PREVISIT_VERIFY_PER_IP_PER_HOUR


def _count_failure(ip: str | None) -> None:
    key = _ip_key(ip)
    try:
        cache.add(key, 0, timeout=3600)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
    except CACHE_ERRORS as exc:
        logger.warning("verify failure not counted: cache unavailable (%s)", type(exc).__name__)


def _unknown_link_failure(token_digest: str, now) -> bool:
    """Count a failed check of a link that does not exist, expired or was revoked, as a real
    link counts its wrong dates; True when this one locks it. Unknown links then answer
    exactly as real ones do ("Too many tries" on the same try, for the same time), so the
    answers tell no one whether a link exists."""
    key = f"previsit:verify-unknown:{token_digest}"
    lock_key = f"{key}:locked"
    try:
        if cache.get(lock_key):
            return True
        cache.add(key, 0, timeout=settings.PREVISIT_LOCK_MINUTES * 60)
        failures = cache.incr(key)
        if failures >= settings.PREVISIT_MAX_DOB_FAILURES:
            cache.set(lock_key, now.isoformat(), timeout=settings.PREVISIT_LOCK_MINUTES * 60)
            cache.delete(key)
            return True
    except (ValueError, *CACHE_ERRORS):
        return False
    return False


@transaction.atomic
def link_verify(
    *, token_digest: str, date_of_birth: date, ip: str | None
) -> tuple[VerifyOutcome, PrevisitLink | None]:
    """Check the date of birth for a link. The outcome never tells a bad link from a bad date."""
    if _rate_limited(ip):
        LinkAttempt.objects.create(
            link=None, ip_address=ip, succeeded=False, outcome=LinkAttemptOutcome.RATE_LIMITED
        )
        return VerifyOutcome.RATE_LIMITED, None
    now = timezone.now()
    link = (
        PrevisitLink.objects.select_for_update()
        .select_related("appointment__patient")
        .filter(token_hash=token_digest)
        .first()
    )
    expected = link.appointment.patient.date_of_birth.isoformat() if link else "0000-00-00"
    matches = hmac.compare_digest(expected.encode(), date_of_birth.isoformat().encode())
    if link is None or link.is_revoked or link.expires_at <= now:
        _count_failure(ip)
        locked = _unknown_link_failure(token_digest, now)
        # The same database work a real link's wrong date does (an update, an insert), so
        # the time of the answer does not tell the two apart either.
        PrevisitLink.objects.filter(token_hash=token_digest, pk__lt=0).update(
            failed_attempts=F("failed_attempts") + 1
        )
        LinkAttempt.objects.create(
            link=link, ip_address=ip, succeeded=False, outcome=LinkAttemptOutcome.BAD_LINK
        )
        return (VerifyOutcome.LOCKED if locked else VerifyOutcome.WRONG), None
    if link.is_locked(now):
        _count_failure(ip)
        LinkAttempt.objects.create(
            link=link, ip_address=ip, succeeded=False, outcome=LinkAttemptOutcome.LOCKED
        )
        return VerifyOutcome.LOCKED, None
    if not matches:
        _count_failure(ip)
        link.failed_attempts += 1
        outcome = LinkAttemptOutcome.WRONG_DATE
        if link.failed_attempts >= settings.PREVISIT_MAX_DOB_FAILURES:
            link.locked_until = now + timedelta(minutes=settings.PREVISIT_LOCK_MINUTES)
            link.failed_attempts = 0
            outcome = LinkAttemptOutcome.LOCKED_NOW
        # An update, not a save: the same statements an unknown link's wrong date makes (a save
        # also re-read the row and wrote an audit entry, 1-2 ms that told the two apart). Each
        # try is on record as its LinkAttempt, the lock as LOCKED_NOW.
        PrevisitLink.objects.filter(pk=link.pk).update(
            failed_attempts=link.failed_attempts, locked_until=link.locked_until
        )
        LinkAttempt.objects.create(link=link, ip_address=ip, succeeded=False, outcome=outcome)
        if outcome == LinkAttemptOutcome.LOCKED_NOW:
            # Someone may be guessing: the admins hear of it within a minute (the LOCKED_NOW row
            # is the record; intake.links.notices.link_locks_notify tells them).
            return VerifyOutcome.LOCKED, None
        return VerifyOutcome.WRONG, None
    link.failed_attempts = 0
    link.locked_until = None
    link.last_verified_at = now
    link.save(update_fields=["failed_attempts", "locked_until", "last_verified_at"])
    LinkAttempt.objects.create(
        link=link, ip_address=ip, succeeded=True, outcome=LinkAttemptOutcome.OK
    )
    return VerifyOutcome.OK, link
