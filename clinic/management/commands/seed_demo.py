"""Demo data so the app is alive on first run. Idempotent: a second run creates nothing."""

import base64
import hashlib
import hmac
import json
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from advice.models import ContentStatus, ContentVersion
from advice.services import content_approve, content_sync
from clinic.http import absolute_url
from clinic.records.models import Appointment, Patient
from clinic.staff.models import StaffProfile
from clinic.staff.roles import Role
from clinic.staff.second_factor import needs_second_factor
from intake.links.models import PrevisitLink
from intake.links.services import demo_token, link_issue, link_path, token_hash
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import Response
from intake.responses.services import response_submit

# Finished questionnaires for a few demo patients (by their number), so the dashboard has
# routine, urgent and emergency cases on first run. Answers as the portal stores them.
DEMO_RESPONSES = Path(__file__).resolve().parent / "demo_responses.json"

# Demo logins. Printed on purpose: this command refuses to run in production.
DEMO_USERS = [
    ("clinician", "Demo", "Clinician One", Role.CLINICIAN, "demo-clinician-pass"),
    ("clinician2", "Demo", "Clinician Two", Role.CLINICIAN, "demo-clinician2-pass"),
    ("frontdesk", "Demo", "Front Desk", Role.FRONT_DESK, "demo-frontdesk-pass"),
    ("admin", "Demo", "Clinic Admin", Role.CLINIC_ADMIN, "demo-admin-pass-2026"),
]

# (birth date, visit reason, days from the seed day, hour)
DEMO_PATIENTS = [
    (date(1984, 3, 14), "Muscle spasms in legs and back", 1, 9),
    (date(1989, 7, 2), "Low back pain", 1, 10),
    (date(1996, 11, 23), "Cough and sore throat", 1, 11),
    (date(1978, 1, 30), "Heartburn", 2, 9),
    (date(2000, 5, 5), "Night cramps", 2, 10),
    (date(1991, 9, 17), "Stress and sleep", 2, 14),
    (date(1963, 4, 8), "Knee pain", 3, 9),
    (date(1997, 12, 1), "Itchy rash", 3, 11),
    (date(1970, 6, 21), "Dizziness", 4, 9),
    (date(1965, 2, 11), "Chest discomfort", 4, 15),
]


def demo_email(n: int) -> str:
    return f"patient{n:02d}@demo.previsit.invalid"


class Command(BaseCommand):
    help = "Create demo users, patients and appointments (refuses in production)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        if os.environ.get("DJANGO_ENV", "").strip().lower() == "production":
            raise CommandError(
                "seed_demo creates known passwords; it refuses to run in production."
            )
        with transaction.atomic():
            users, created_users = self._users()
            keys = {name: self._second_factor(user) for name, user in users.items()}
            appointments, created_appts = self._patients_and_appointments(users)
            self._content(users["clinician"])
            links = {a.id: self._link(a) for a in appointments}
            submitted = self._responses(appointments)
        document = {
            "users": [
                {"username": u, "password": pw, "role": role.value, "totp_key": keys[u]}
                for u, _, _, role, pw in DEMO_USERS
            ],
            "appointments": [self._describe(a, links[a.id]) for a in appointments],
        }
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2))
            return
        self.stdout.write(
            f"Demo data: {created_users} users and {created_appts} appointments created "
            f"({len(appointments)} demo appointments in all); {submitted} questionnaires "
            "submitted."
        )
        self.stdout.write("Demo logins (username / password / role):")
        for user in document["users"]:
            self.stdout.write(f"  {user['username']:<11} {user['password']:<24} {user['role']}")
        self.stdout.write(
            "Clinicians and the admin then enter a 6-digit code: "
            "`.venv/bin/python manage.py demo_code clinician` prints the current one "
            "(or add the totp_key from `seed_demo --json` to an authenticator app)."
        )
        shown = sorted(
            (a for a in document["appointments"] if a["link"]),
            key=lambda a: (a["state"] != NOT_STARTED, a["starts_at"]),
        )
        if shown:
            self.stdout.write(
                "Patient links (open one, then confirm with the date of birth shown; "
                "those not started are first):"
            )
            for a in shown:
                self.stdout.write(f"  {a['url']}")
                self.stdout.write(f"      born {a['date_of_birth']} · {a['state']}")

    def _users(self):
        User = get_user_model()
        created = 0
        users = {}
        for username, first, last, role, password in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=first, last_name=last)
                user.email = f"{username}@demo.previsit.invalid"
                user.is_staff = True
                user.is_superuser = role == Role.CLINIC_ADMIN
                user.set_password(password)
                user.save()
                user.groups.add(Group.objects.get(name=role.value))
                created += 1
            users[username] = user
        # Both demo clinicians are on duty; the second is first on the escalation list.
        for rank, username in enumerate(("clinician2", "clinician"), start=1):
            StaffProfile.objects.get_or_create(
                user=users[username], defaults={"on_duty": True, "escalation_rank": rank}
            )
        return users, created

    def _second_factor(self, user) -> str | None:
        """A confirmed TOTP device for each demo user who must use one; returns its key.

        The key is derived from SECRET_KEY (like the demo links), so a reset database gets the
        same key back and an authenticator app set up once keeps working.
        """
        if not needs_second_factor(user):
            return None
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            digest = hmac.new(
                settings.SECRET_KEY.encode(), f"demo-totp:{user.username}".encode(), hashlib.sha256
            ).digest()
            device = TOTPDevice.objects.create(
                user=user, name="Demo authenticator", key=digest[:20].hex(), confirmed=True
            )
        return base64.b32encode(device.bin_key).decode()

    def _patients_and_appointments(self, users):
        created = 0
        appointments = []
        clinicians = [users["clinician"], users["clinician2"]]
        first_day = timezone.localdate()
        for n, (born, reason, days, hour) in enumerate(DEMO_PATIENTS, start=1):
            patient = Patient.objects.filter(email=demo_email(n)).first()
            if patient is None:
                patient = Patient.objects.create(
                    first_name="Demo",
                    last_name=f"Patient {n:02d}",
                    date_of_birth=born,
                    email=demo_email(n),
                    phone=f"+1555010{n:04d}",
                )
            appointment = patient.appointments.order_by("id").first()
            if appointment is None:
                starts = datetime.combine(first_day + timedelta(days=days), time(hour))
                appointment = Appointment.objects.create(
                    patient=patient,
                    clinician=clinicians[n % 2],
                    starts_at=timezone.make_aware(starts),
                    reason=reason,
                )
                created += 1
            appointments.append(appointment)
        return appointments, created

    def _content(self, clinician):
        """Store the shipped handout content and approve it, as a clinic would before go-live."""
        content_sync()
        for version in ContentVersion.objects.filter(status=ContentStatus.DRAFT):
            content_approve(version=version, by=clinician)

    def _responses(self, appointments) -> int:
        """Submit the demo answers through the same service the portal uses."""
        answer_sets = json.loads(DEMO_RESPONSES.read_text(encoding="utf-8"))
        questionnaire = questionnaire_default()
        definition = definition_for(questionnaire)
        submitted = 0
        for number, entry in answer_sets.items():
            appointment = appointments[int(number) - 1]
            if Response.objects.filter(appointment=appointment).exists():
                continue
            answers = entry["answers"]
            response = Response.objects.create(
                appointment=appointment,
                questionnaire=questionnaire,
                answers=answers,
                pages_done=[page.link_id for page in definition.visible_pages(answers)],
            )
            result = response_submit(response=response)
            if result.missing_pages:
                raise CommandError(f"demo answers for patient {number} are incomplete")
            submitted += 1
        return submitted

    def _link(self, appointment) -> str | None:
        """The demo link, derived from SECRET_KEY so every run prints the same one.

        Left alone (and not printed) when staff reissued the link: the token is then unknown.
        """
        token = demo_token(appointment.id)
        live = PrevisitLink.objects.filter(appointment=appointment, revoked_at__isnull=True)
        if not live.exists():
            link_issue(appointment=appointment, token=token)
            return link_path(token)
        if live.filter(token_hash=token_hash(token)).exists():
            return link_path(token)
        return None

    def _describe(self, appointment, link):
        return {
            "id": appointment.id,
            "patient": appointment.patient.full_name,
            "date_of_birth": appointment.patient.date_of_birth.isoformat(),
            "starts_at": appointment.starts_at.isoformat(),
            "link": link,
            "url": absolute_url(link) if link else None,
            "state": _state(appointment),
        }


NOT_STARTED = "not started"


def _state(appointment) -> str:
    """Where the demo patient's questionnaire stands, in the words a newcomer needs."""
    response = Response.objects.filter(appointment=appointment).first()
    if response is None:
        return NOT_STARTED
    if not response.is_submitted:
        return f"started, {len(response.pages_done)} page(s) saved"
    level = response.triage_level or "routine"
    return f"sent (triage: {level})"
