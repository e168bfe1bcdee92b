import hashlib
import re
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.links.models import LinkAttempt, PrevisitLink
from intake.links.notices import link_locks_notify
from intake.links.services import link_issue, link_verify, token_hash
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

WRONG = "confirm your details. Check the date"
LOCKED = "Too many tries"


def _open(client, token):
    return client.get(f"/p/{token}/")


def _verify(client, day):
    return client.post("/p/verify/", {"date_of_birth": day})


def test_link_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(appointment):
    link, token = link_issue(appointment=appointment)
    assert len(token) >= 22  # base64url: 6 bits a character
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PrevisitLink.objects.filter(pk=link.pk).values().get())


def test_a_second_link_leaves_the_first_working(appointment, client, patient):
    _, first = link_issue(appointment=appointment)
    _, second = link_issue(appointment=appointment)
    for token in (first, second):
        _open(client, token)
        assert _verify(client, patient.date_of_birth.isoformat()).status_code == 302
        client.cookies.clear()


def test_replacing_a_link_revokes_the_old_one(appointment, client, patient):
    _, old = link_issue(appointment=appointment)
    _, new = link_issue(appointment=appointment, replace=True)
    _open(client, old)
    assert WRONG.encode() in _verify(client, patient.date_of_birth.isoformat()).content
    _open(client, new)
    assert _verify(client, patient.date_of_birth.isoformat()).status_code == 302


def test_previsit_link_command_prints_a_working_link(appointment, client, patient, capsys):
    call_command("previsit_link", str(appointment.pk))
    path = capsys.readouterr().out.strip()
    assert path.startswith("/p/")
    client.get(path)
    assert _verify(client, patient.date_of_birth.isoformat())["Location"] == "/p/start/"


def test_previsit_link_command_names_an_unknown_appointment():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no appointment with id 999999"):
        call_command("previsit_link", "999999")


def test_opening_the_link_moves_the_token_out_of_the_address_bar(client, link):
    _, token = link
    response = _open(client, token)
    assert response.status_code == 302
    assert response["Location"] == "/p/verify/"
    assert token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_right_birth_date_opens_the_questionnaire(client, link, patient):
    _open(client, link[1])
    response = _verify(client, patient.date_of_birth.isoformat())
    assert response["Location"] == "/p/start/"
    assert client.get("/p/start/")["Location"].startswith("/p/q/page-reason/")


def test_wrong_birth_date_five_times_locks_the_link(client, link, patient):
    _open(client, link[1])
    for _ in range(4):
        assert WRONG.encode() in _verify(client, "1990-01-01").content
    assert LOCKED.encode() in _verify(client, "1990-01-01").content
    # Locked: even the right date is refused, with the same message.
    assert LOCKED.encode() in _verify(client, patient.date_of_birth.isoformat()).content
    assert PrevisitLink.objects.get(pk=link[0].pk).locked_until > timezone.now()


def test_a_link_that_locks_itself_tells_the_clinic_admins(
    client, link, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    from clinic.notifications.delivery import notification_deliver
    from clinic.notifications.models import Notification, NotificationKind

    _open(client, link[1])
    with django_capture_on_commit_callbacks():  # the delivery is done below, not via a broker
        for _ in range(5):
            _verify(client, "1990-01-01")
        # The check only records the lock; beat's minute job tells the admins, once.
        assert not Notification.objects.filter(kind=NotificationKind.LINK_LOCKED).exists()
        assert link_locks_notify() == 1
        assert link_locks_notify() == 0
    told = Notification.objects.filter(kind=NotificationKind.LINK_LOCKED)
    assert {(n.recipient, n.channel) for n in told} == {
        (admin_user, "in_app"),
        (admin_user, "email"),
    }
    assert all(n.previsit_link_id == link[0].pk for n in told)
    # In the app, the bell's list names the link, and the email says what to do; neither says
    # whose link it is.
    assert told.get(channel="in_app").headline == (
        f"Pre-visit link {link[0].pk} locked: wrong dates of birth"
    )
    notification_deliver(notification_id=told.get(channel="email").pk)
    (email,) = mailoutbox
    assert "locked after wrong dates of birth" in email.subject
    assert f"/admin/intake/previsitlink/{link[0].pk}/change/" in email.body
    patient = link[0].appointment.patient
    assert patient.last_name not in email.body + email.subject
    # A further wrong date while locked does not tell them again.
    with django_capture_on_commit_callbacks():
        _verify(client, "1990-01-01")
    assert told.count() == 2


def test_the_lock_lifts_after_the_lock_time(client, link, patient):
    row = link[0]
    row.locked_until = timezone.now() - timedelta(seconds=1)
    row.save()
    _open(client, link[1])
    assert _verify(client, patient.date_of_birth.isoformat()).status_code == 302


def test_unknown_link_and_wrong_date_give_the_same_answer(client, link):
    _open(client, "not-a-real-token-at-all-xxxxxxx")
    unknown = _verify(client, "1984-03-14")
    _open(client, link[1])
    wrong = _verify(client, "1990-01-01")
    assert unknown.status_code == wrong.status_code == 400
    assert WRONG.encode() in unknown.content and WRONG.encode() in wrong.content


def test_expired_link_is_refused_like_a_wrong_date(client, patient):
    past = AppointmentFactory(patient=patient, starts_at=timezone.now() - timedelta(days=3))
    _, token = link_issue(appointment=past)
    _open(client, token)
    assert WRONG.encode() in _verify(client, patient.date_of_birth.isoformat()).content


def test_every_attempt_is_logged(client, link, patient):
    _open(client, link[1])
    _verify(client, "1990-01-01")
    _verify(client, patient.date_of_birth.isoformat())
    outcomes = list(LinkAttempt.objects.order_by("at").values_list("outcome", flat=True))
    assert outcomes == ["wrong-date", "ok"]


@override_settings(PREVISIT_VERIFY_PER_IP_PER_HOUR=3)
def test_verify_is_rate_limited_per_address(client, link, patient):
    from django.core.cache import cache

    cache.delete("previsit:verify-ip:127.0.0.1")
    _open(client, link[1])
    for _ in range(3):
        _verify(client, "1990-01-01")
    assert LOCKED.encode() in _verify(client, patient.date_of_birth.isoformat()).content
    cache.delete("previsit:verify-ip:127.0.0.1")


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "Please enter your date of birth."),
        ("14/03/1984x", "Please enter a real date"),
        ("2999-01-01", "can&#x27;t be in the future"),
        ("1850-01-01", "check the year"),
    ],
)
def test_bad_birth_dates_get_a_clear_error(client, link, value, message):
    _open(client, link[1])
    response = _verify(client, value)
    assert response.status_code == 400
    assert message.encode() in response.content
    assert not LinkAttempt.objects.exists()


def test_the_date_of_birth_in_three_fields_confirms_the_patient(client, link, patient):
    _open(client, link[1])
    page = client.get("/p/verify/").content.decode()
    for part in ("month", "day", "year"):
        assert f'autocomplete="bday-{part}"' in page
        assert f'<label class="form-label mb-1" for="id_{part}">' in page
    assert 'type="date"' not in page
    born = patient.date_of_birth
    answer = client.post("/p/verify/", {"month": born.month, "day": born.day, "year": born.year})
    assert answer.status_code == 302 and answer["Location"] == "/p/start/"


@pytest.mark.parametrize(
    "parts, field, message",
    [
        ({"month": "3", "day": "", "year": "1984"}, "day", "Please enter the day."),
        ({"month": "", "day": "14", "year": "1984"}, "month", "Please enter the month."),
        (
            {"month": "2", "day": "30", "year": "1984"},
            "day",
            "have a day 30.",
        ),
        ({"month": "3", "day": "14", "year": "84"}, "year", "all four numbers of the year"),
        ({"month": "13", "day": "14", "year": "1984"}, "month", "choose the month from the list"),
        ({"month": "3", "day": "x4", "year": "1984"}, "day", "the day as a number"),
        ({"month": "3", "day": "14", "year": "1850"}, "year", "check the year you were born"),
        ({"month": "", "day": "", "year": ""}, None, "Please enter your date of birth."),
        ({"month": "3", "day": "140", "year": "1984"}, "day", "the day as a number"),
        ({"month": "3", "day": "14", "year": "19840"}, "year", "all four numbers of the year"),
    ],
)
def test_a_wrong_part_of_the_date_is_named(client, link, parts, field, message):
    _open(client, link[1])
    answer = client.post("/p/verify/", parts)
    assert answer.status_code == 400
    text = answer.content.decode()
    assert message in text
    assert "Ensure this value" not in text  # Django's own wording never reaches a patient
    assert text.count('class="invalid-feedback') <= 1  # one message for the part at fault
    if field:
        assert f'id="id_{field}-error"' in text
        assert re.search(
            rf'<[^>]*id="id_{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_{field}"',
            text,
        )
    assert not LinkAttempt.objects.exists()


def test_verify_without_a_link_is_refused(client):
    response = client.get("/p/verify/")
    assert response.status_code == 403
    assert b"open your link again" in response.content


def test_a_session_sees_only_its_own_appointment(portal, other_patient):
    other = AppointmentFactory(patient=other_patient)
    link_issue(appointment=other)
    page = portal.get("/p/start/", follow=True)
    assert page.status_code == 200
    from intake.responses.models import Response

    assert list(Response.objects.values_list("appointment__patient", flat=True)) != [
        other_patient.pk
    ]


@override_settings(PATIENT_IDLE_MINUTES=30)
def test_idle_patient_session_asks_for_the_birth_date_again(portal):
    session = portal.session
    session["pv_last_seen"] = time.time() - 31 * 60
    session.save()
    response = portal.get("/p/start/")
    assert response["Location"] == "/p/verify/"


def test_portal_pages_are_not_cached_or_indexed(portal):
    response = portal.get("/p/start/", follow=True)
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_verify_still_works_when_the_cache_is_down(client, link, patient, settings):
    # A real connection attempt to a closed port: Redis is down.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    _open(client, link[1])
    assert WRONG.encode() in _verify(client, "1990-01-01").content
    assert PrevisitLink.objects.get(pk=link[0].pk).failed_attempts == 1
    assert _verify(client, patient.date_of_birth.isoformat()).status_code == 302


# --- Telling real links from random ones, and clinics behind one address -----------------------


@override_settings(PREVISIT_VERIFY_PER_IP_PER_HOUR=3)
def test_patients_who_confirm_their_date_are_not_counted_against_their_address(client):
    """The 31st patient of the hour behind a clinic's Wi-Fi was told to wait: only failures
    count now."""
    from django.core.cache import cache

    cache.delete("previsit:verify-ip:127.0.0.1")
    for _ in range(6):
        appointment = AppointmentFactory()
        _, token = link_issue(appointment=appointment)
        client.get(f"/p/{token}/")
        response = _verify(client, appointment.patient.date_of_birth.isoformat())
        assert response.status_code == 302, response.content[:300]
        client.logout()
    cache.delete("previsit:verify-ip:127.0.0.1")


def test_an_unknown_link_locks_on_the_same_try_as_a_real_one(client, link, settings):
    from django.core.cache import cache

    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 1000
    cache.delete("previsit:verify-ip:127.0.0.1")
    answers = {}
    for name, token in (("real", link[1]), ("unknown", "not-a-real-token-but-long-enough-x")):
        _open(client, token)
        answers[name] = [
            (response.status_code, LOCKED.encode() in response.content)
            for response in (_verify(client, "1990-01-01") for _ in range(7))
        ]
    assert answers["real"] == answers["unknown"]
    assert answers["real"][:4] == [(400, False)] * 4
    assert all(locked for _, locked in answers["real"][4:])


def test_a_link_locked_again_and_again_emails_the_admins_within_a_limit(
    client, settings, admin_user
):
    from clinic.notifications.models import Notification

    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 1000
    settings.LINK_LOCKED_EMAILS_PER_HOUR = 2
    for _ in range(4):
        appointment = AppointmentFactory()
        _, token = link_issue(appointment=appointment)
        _open(client, token)
        for _ in range(5):
            _verify(client, "1990-01-01")
    link_locks_notify()
    notices = Notification.objects.filter(kind="link_locked")
    assert notices.filter(channel="in_app").count() == 4  # always in the app
    assert notices.filter(channel="email").count() == 2  # by email, at most 2 an hour


# --- A staff member who follows a patient link ------------------------------------------------


def test_a_signed_in_clinician_who_opens_a_patient_link_is_asked_before_being_signed_out(
    client, link, patient, clinician
):
    client.force_login(clinician)
    page = client.get(f"/p/{link[1]}/")
    assert page.status_code == 200
    assert b"You are signed in as staff" in page.content
    assert link[1].encode() not in page.content  # the page does not repeat the token
    # Staying: still signed in.
    assert client.get("/dashboard/").status_code == 200
    # Continuing (a POST from that page): signed out, on to the patient's check.
    client.get(f"/p/{link[1]}/")
    moved = client.post(f"/p/{link[1]}/")
    assert moved["Location"] == "/p/verify/"
    assert client.get("/dashboard/").status_code == 302  # signed out
    assert _verify(client, patient.date_of_birth.isoformat()).status_code == 302


def test_a_post_to_a_link_without_the_form_is_refused(link):
    from django.test import Client

    scanner = Client(enforce_csrf_checks=True)
    assert scanner.post(f"/p/{link[1]}/").status_code == 403


def test_wrong_dates_up_to_the_lock_make_the_same_statements_for_real_and_unknown_links(
    link, settings
):
    """What the timing of an answer could tell apart: the database statements behind it. For
    tries 1-5 a real link and an unknown one now make the same kinds in the same order (the real
    link's save also re-read the row and wrote an audit entry, 1-2 ms slower, and its lock told
    the admins in the request, 10 ms slower: bench/probe.py)."""
    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 1000
    kinds = {}
    for name, token in (("real", link[1]), ("unknown", "not-a-real-token-but-long-enough-y")):
        with CaptureQueriesContext(connection) as captured:
            for _ in range(5):  # the fifth locks
                link_verify(
                    token_digest=token_hash(token), date_of_birth=date(1990, 1, 1), ip="::1"
                )
        kinds[name] = [query["sql"].split()[0] for query in captured.captured_queries]
    assert kinds["real"] == kinds["unknown"], kinds
