"""The benchmark's floor view: one indexed read, one insert, and only routed when asked for."""

import pytest
from django.urls import Resolver404, resolve

from clinic.bench_floor import floor
from intake.links.models import LinkAttempt

pytestmark = pytest.mark.django_db


def test_the_floor_reads_one_patient_and_writes_one_attempt(rf, patient):
    response = floor(rf.post(f"/bench/floor?id={patient.pk}"))
    assert response.status_code == 200
    assert response.content.decode() == patient.last_name
    assert LinkAttempt.objects.filter(outcome="bench").count() == 1


def test_the_floor_is_not_routed_unless_the_benchmark_asks_for_it():
    with pytest.raises(Resolver404):
        resolve("/bench/floor")
