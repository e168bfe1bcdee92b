"""What the review room tells people: a case flagged, a case escalated.

The messages carry the level, a case reference and a link to the dashboard, never health
information. Their forms are registered with the outbox in ClinicConfig.ready().
"""

from django.conf import settings
from django.urls import reverse

from advice.levels import TriageLevel
from clinic.http import absolute_url
from clinic.notifications import outbox
from clinic.notifications.email import render_email
from clinic.notifications.kinds import KindHandlers, Message
from clinic.notifications.models import Notification, NotificationKind
from clinic.review.models import Case, acknowledgement_target
from clinic.staff.roles import Role, has_role
from clinic.staff.selectors import clinic_admins, clinicians_on_duty, escalation_contacts


def pages_someone(level: str) -> bool:
    """Emergency and urgent alerts go by email and webhook as well as in the app; a "soon" case
    (contact within 2 working days) is shown in the app only, so it never pages anyone."""
    return TriageLevel(level) is not TriageLevel.SOON


def notify_case_flagged(*, case: Case, level: TriageLevel) -> list[int]:
    """Tell the clinicians on duty (in the app, and by email and webhook unless the case is only
    "soon") about a flag.

    Called by `case_flag` inside its transaction; the level is part of the key, so a case raised
    from soon to urgent, or urgent to emergency, is announced again and a repeated flag is not.
    """
    return outbox.staff_alert(
        kind=NotificationKind.CASE_FLAGGED,
        key=f"case-flagged:{case.pk}:{level}",
        users=clinicians_on_duty(),
        webhooks=pages_someone(level),
        email=pages_someone(level),
        case=case,
        level=level,
    )


def notify_case_escalated(*, case: Case) -> list:
    """Tell the next people on the escalation list and the clinic admins. Returns who was told."""
    told = set(
        Notification.objects.filter(case=case, kind=NotificationKind.CASE_FLAGGED)
        .exclude(recipient=None)
        .values_list("recipient_id", flat=True)
    )
    users = escalation_contacts(exclude_ids=told, limit=settings.ESCALATION_CONTACTS)
    users += [admin for admin in clinic_admins() if admin not in users]
    if not users:
        # Nobody on the list and no admin: tell every clinician again rather than nobody.
        users = clinicians_on_duty()
    outbox.staff_alert(
        kind=NotificationKind.CASE_ESCALATED,
        key=f"case-escalated:{case.pk}",
        users=users,
        webhooks=pages_someone(case.level),
        email=pages_someone(case.level),
        case=case,
        level=case.level,
    )
    return users


# --- How the messages read ----------------------------------------------------------------------


def _case_path(notification: Notification) -> str:
    return reverse("review:case", args=[notification.case_id])


def _context(notification: Notification) -> dict:
    return {
        "level": notification.get_level_display(),
        "is_emergency": notification.level == TriageLevel.EMERGENCY,
        "case_ref": notification.case_id,
        "url": absolute_url(_case_path(notification)),
    }


def _flagged_email(notification: Notification) -> Message:
    return render_email("clinic/email/case-flagged", _context(notification))


def _escalated_email(notification: Notification) -> Message:
    target = acknowledgement_target(notification.level)
    context = {**_context(notification), "target_minutes": int(target.total_seconds() // 60)}
    return render_email("clinic/email/case-escalated", context)


def _webhook(event: str):
    def payload(notification: Notification) -> dict:
        return {
            "event": event,
            "level": notification.level,
            "case": notification.case_id,
            "url": absolute_url(_case_path(notification)),
        }

    return payload


def _flagged_headline(notification: Notification) -> str:
    return f"{notification.get_level_display()} case {notification.case_id} flagged"


def _escalated_headline(notification: Notification) -> str:
    level = notification.get_level_display()
    return f"{level} case {notification.case_id} escalated: not acknowledged"


def _link(notification: Notification, user) -> str | None:
    return _case_path(notification) if has_role(user, Role.CLINICIAN) else None


KINDS = {
    NotificationKind.CASE_FLAGGED: KindHandlers(
        headline=_flagged_headline,
        email=_flagged_email,
        webhook=_webhook("case.flagged"),
        link=_link,
    ),
    NotificationKind.CASE_ESCALATED: KindHandlers(
        headline=_escalated_headline,
        email=_escalated_email,
        webhook=_webhook("case.escalated"),
        link=_link,
    ),
}
