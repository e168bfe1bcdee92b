"""Searching patients by name, as the queue and the appointment board do."""

import pytest

from clinic.records.models import Appointment, Patient
from clinic.records.selectors import name_search
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_every_word_must_match_a_first_or_last_name():
    ada = PatientFactory(first_name="Ada", last_name="Lindqvist")
    PatientFactory(first_name="Ada", last_name="Moreau")
    assert list(Patient.objects.filter(name_search("ada lind"))) == [ada]
    assert Patient.objects.filter(name_search("ADA")).count() == 2
    assert Patient.objects.filter(name_search("")).count() == 2


def test_only_the_first_three_words_count():
    ada = PatientFactory(first_name="Ada", last_name="Lindqvist")
    assert list(Patient.objects.filter(name_search("ada lind ada nobody"))) == [ada]


def test_the_search_follows_a_path_to_the_patient():
    booked = AppointmentFactory(patient=PatientFactory(last_name="Okonkwo"))
    AppointmentFactory(patient=PatientFactory(last_name="Smith"))
    found = Appointment.objects.filter(name_search("okon", via="patient__"))
    assert list(found) == [booked]
