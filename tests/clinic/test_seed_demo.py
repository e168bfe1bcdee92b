import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from clinic.records.models import Appointment, Patient

pytestmark = pytest.mark.django_db


def _seed_json(capsys):
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def test_seed_demo_creates_a_clinics_worth_of_data(capsys):
    document = _seed_json(capsys)
    roles = sorted(u["role"] for u in document["users"])
    assert roles == ["clinic_admin", "clinician", "clinician", "front_desk"]
    assert len(document["appointments"]) == 10
    first = document["appointments"][0]
    assert set(first) == {"id", "patient", "date_of_birth", "starts_at", "link", "url", "state"}
    user = get_user_model().objects.get(username=document["users"][0]["username"])
    assert user.check_password(document["users"][0]["password"])


def test_seed_demo_twice_creates_nothing_new(capsys):
    first = _seed_json(capsys)
    counts = (
        Patient.objects.count(),
        Appointment.objects.count(),
        get_user_model().objects.count(),
    )
    second = _seed_json(capsys)
    assert counts == (
        Patient.objects.count(),
        Appointment.objects.count(),
        get_user_model().objects.count(),
    )
    assert [a["id"] for a in first["appointments"]] == [a["id"] for a in second["appointments"]]


def test_seed_demo_refuses_in_production(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    with pytest.raises(CommandError, match="refuses to run in production"):
        call_command("seed_demo")


def test_demo_logins_that_need_a_second_factor_get_one_with_a_code_to_type(capsys):
    from django.test import Client

    document = _seed_json(capsys)
    keys = {u["username"]: u["totp_key"] for u in document["users"]}
    assert all(keys[u] for u in ("frontdesk", "clinician", "admin"))  # every staff role
    call_command("demo_code", "clinician")
    code = capsys.readouterr().out.split()[0]
    client = Client()
    client.post("/accounts/login/", {"username": "clinician", "password": "demo-clinician-pass"})
    assert client.post("/accounts/2fa/", {"code": code})["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_demo_code_refuses_in_production(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    with pytest.raises(CommandError, match="refuses to run in production"):
        call_command("demo_code", "clinician")


def test_make_runs_printout_names_every_link_in_full_with_its_birth_date_and_state(
    capsys, settings, client
):
    """A newcomer can try the questionnaire at once: not-started links first, each whole."""
    settings.SITE_URL = "http://127.0.0.1:8123"
    call_command("seed_demo")
    printed = capsys.readouterr().out
    lines = printed[printed.index("Patient links") :].splitlines()[1:]
    urls = [line.strip() for line in lines[0::2]]
    details = [line.strip() for line in lines[1::2]]
    assert len(urls) == 10
    assert all(url.startswith("http://127.0.0.1:8123/p/") for url in urls)
    not_started = [d for d in details if d.endswith("not started")]
    assert len(not_started) >= 4
    assert details[: len(not_started)] == not_started  # first
    assert any("sent (triage: emergency)" in d for d in details)
    born = details[0].split()[1]
    client.get(urls[0].removeprefix("http://127.0.0.1:8123"))
    verified = client.post("/p/verify/", {"date_of_birth": born})
    assert verified.status_code == 302 and verified["Location"] == "/p/start/"
