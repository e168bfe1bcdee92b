from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from advice.levels import TriageLevel
from advice.triage import Reason
from clinic.records.models import Appointment, Patient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Staff"
    last_name = factory.Sequence(lambda n: f"Member {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.invalid")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            # get_or_create: transactional tests flush the groups the migration made.
            group, _ = Group.objects.get_or_create(name=extracted)
            self.groups.add(group)
        self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Patient {n:03d}")
    date_of_birth = date(1984, 3, 14)
    email = factory.Sequence(lambda n: f"patient{n}@example.invalid")
    phone = "+15550100000"


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    reason = "Check-up"


def reason(
    *, rule_id="x", level="urgent", text="Reason", evidence=None, topic="global", act=""
) -> Reason:
    """A triage reason as the engine gives one (advice.triage.Reason)."""
    return Reason(
        rule_id=rule_id,
        topic=topic,
        level=TriageLevel(level),
        text=text,
        act=act or "Call the clinic today.",
        evidence=evidence or {},
    )
