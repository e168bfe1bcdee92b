"""Random and hostile input to every form: never a 500, never a partial write, a clear message.

Hypothesis draws very long strings, control characters, HTML and script, SQL fragments,
template syntax, wrong types (lists where one value belongs, numbers where a choice belongs),
missing fields and extra ones, and posts them to the portal's forms, the staff forms and the
admin. Each form gets a bounded number of examples (MAX_EXAMPLES) so the suite stays fast.
Stored text is then shown on every page that shows it, escaped.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.records.models import Patient
from clinic.review.models import Case, CaseEvent
from intake.links.services import link_issue
from intake.questionnaires.definition import GENERAL_PREVISIT as DEFAULT_QUESTIONNAIRE
from intake.questionnaires.definition import Definition
from intake.questionnaires.services import definition_for, questionnaire_default
from intake.responses.models import Response
from intake.responses.services import response_open
from tests.conftest import SignedInClient
from tests.factories import AppointmentFactory, PatientFactory, reason
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 50
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure can be reproduced
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE intake_response; --",
    "1 OR 1=1",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "\x00",
    "nul\x00in the middle",
    "\u202eevil",
    "\r\n\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "true",
    "[]",
    "{}",
    "x" * 5000,
    "💊" * 700,
]
text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=80),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So"]), max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
value = st.one_of(text, st.lists(text, max_size=4))


def _post_data(fields):
    """Form data from some of the real field names, some invented ones, hostile values."""
    names = st.one_of(st.sampled_from(fields), text.filter(lambda s: 0 < len(s) < 40))
    return st.dictionaries(names, value, max_size=len(fields) + 3)


def _ok(response, allowed=(200, 204, 302, 400, 403, 404, 405, 409, 429)):
    assert response.status_code < 500, response.content[:500]
    assert response.status_code in allowed, response.status_code


# --- The portal ---------------------------------------------------------------------------------


@pytest.fixture
def portal_session(patient):
    appointment = AppointmentFactory(patient=patient)
    response_open(appointment=appointment)
    _, token = link_issue(appointment=appointment)
    client = Client()
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    return client, appointment


@FUZZ
@given(day=st.one_of(text, st.dates().map(str)), extra=_post_data(["date_of_birth"]))
def test_the_birth_date_form_takes_anything(patient, day, extra, settings):
    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 10_000
    appointment = AppointmentFactory(patient=patient)
    _, token = link_issue(appointment=appointment)
    client = Client()
    client.get(f"/p/{token}/")
    response = client.post("/p/verify/", {**extra, "date_of_birth": day})
    _ok(response, allowed=(302, 400))
    if response.status_code == 400:
        assert b'role="alert"' in response.content or b"invalid-feedback" in response.content


@FUZZ
@given(month=text, day=text, year=text, extra=_post_data(["month", "day", "year", "date_of_birth"]))
def test_the_birth_date_in_three_parts_takes_anything(patient, month, day, year, extra, settings):
    settings.PREVISIT_VERIFY_PER_IP_PER_HOUR = 10_000
    appointment = AppointmentFactory(patient=patient)
    _, token = link_issue(appointment=appointment)
    client = Client()
    client.get(f"/p/{token}/")
    response = client.post("/p/verify/", {**extra, "month": month, "day": day, "year": year})
    _ok(response, allowed=(302, 400))
    if response.status_code == 400:
        assert b'role="alert"' in response.content


PAGES = [
    page.link_id
    for page in Definition.from_fhir(json.loads(DEFAULT_QUESTIONNAIRE.read_text("utf-8"))).pages
]


@pytest.mark.parametrize("page_id", PAGES)
def test_every_questionnaire_page_takes_anything_and_stores_only_valid_answers(
    portal_session, page_id
):
    client, appointment = portal_session
    definition = definition_for(questionnaire_default())
    fields = [item.link_id for item in definition.page(page_id).walk() if item.is_question]

    @FUZZ
    @given(data=_post_data(fields), action=st.sampled_from(["next", "back", "", "delete"]))
    def post(data, action):
        before = Response.objects.get(appointment=appointment).answers
        response = client.post(f"/p/q/{page_id}/", {**data, "action": action})
        _ok(response, allowed=(200, 302, 400))
        after = Response.objects.get(appointment=appointment).answers
        if response.status_code == 400:
            assert after == before, "a refused page changed the stored answers"
            assert b'id="error-summary"' in response.content
        _, errors = definition.validate_answers(after, complete=False)
        assert not errors, errors

    post()


def test_the_review_page_refuses_an_incomplete_questionnaire_clearly(portal_session):
    client, appointment = portal_session
    response = client.post("/p/review/", {"anything": "<script>x</script>"})
    assert response.status_code == 400
    assert not Response.objects.get(appointment=appointment).is_submitted


def test_stored_text_is_escaped_wherever_it_is_shown(client, clinician, admin_user, patient):
    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    attack = "<script>alert('x')</script><img src=x onerror=alert(2)>"
    appointment = AppointmentFactory(patient=patient)
    submit_vignette(appointment, "V07", extra={"reason-words": attack, "medicines": attack})
    case = Case.objects.get(appointment=appointment)
    staff = SignedInClient()
    staff.force_login(clinician)
    staff.post(f"/dashboard/cases/{case.pk}/note/", {"version": case.version, "note": attack})
    assert CaseEvent.objects.filter(case=case, note=attack).exists()
    pages = [staff.get(f"/dashboard/cases/{case.pk}/")]
    admin = SignedInClient()
    admin.force_login(admin_user)
    pages.append(admin.get(f"/admin/intake/response/{appointment.response.pk}/change/"))
    note = CaseEvent.objects.get(case=case, note=attack)
    pages.append(admin.get(f"/admin/clinic/caseevent/{note.pk}/change/"))
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert('x')" not in body and "<img src=x onerror" not in body
        assert "&lt;script&gt;" in body


# --- Staff forms --------------------------------------------------------------------------------


@pytest.fixture
def open_case(clinician, patient):
    from clinic.review.services import case_flag

    appointment = AppointmentFactory(patient=patient)
    return case_flag(
        appointment=appointment,
        level="urgent",
        reasons=[reason(rule_id="x", level="urgent", text="Reason", evidence={})],
    )


@FUZZ
@given(
    action=st.sampled_from(["acknowledge", "note", "resolve", "reassign", "delete", "<x>"]),
    data=_post_data(["version", "note", "disposition", "to", "confirm"]),
)
def test_case_actions_take_anything(client, clinician, open_case, action, data):
    client.force_login(clinician)
    events = CaseEvent.objects.filter(case=open_case).count()
    case_before = Case.objects.get(pk=open_case.pk)
    response = client.post(f"/dashboard/cases/{open_case.pk}/{action}/", data)
    _ok(response, allowed=(200, 302, 400, 404, 409))
    case_after = Case.objects.get(pk=open_case.pk)
    if response.status_code != 302:
        # Refused: nothing was written, neither the case nor its history.
        assert CaseEvent.objects.filter(case=open_case).count() == events
        assert case_after.version == case_before.version
    if response.status_code == 400:
        assert b"The action was not saved" in response.content


@FUZZ
@given(query=_post_data(["level", "status", "mine", "day", "q", "after"]))
def test_the_queue_filters_take_anything(client, clinician, open_case, query):
    client.force_login(clinician)
    _ok(client.get("/dashboard/", query), allowed=(200, 400))
    nul = any(
        "\x00" in key
        or any("\x00" in str(v) for v in (value if isinstance(value, list) else [value]))
        for key, value in query.items()
    )
    # A NUL in the address is a clear 400 before any page runs (clinic.http.RefuseNulInQueries).
    _ok(client.get("/dashboard/appointments/", query), allowed=(400,) if nul else (200,))


@FUZZ
@given(seen=text, htmx=st.booleans())
def test_the_bell_takes_anything(client, clinician, seen, htmx):
    client.force_login(clinician)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    _ok(client.get("/dashboard/notifications/bell/", {"seen": seen}, **headers), (200, 204, 400))


@FUZZ
@given(data=_post_data(["username", "password", "next"]))
def test_the_sign_in_form_takes_anything(data):
    _ok(Client().post("/accounts/login/", data), allowed=(200, 302, 429))


@FUZZ
@given(code=text, data=_post_data(["code", "next"]))
def test_the_code_forms_take_anything(clinician, code, data):
    client = Client()
    client.post(
        "/accounts/login/", {"username": clinician.username, "password": "correct-horse-battery"}
    )
    _ok(client.post("/accounts/2fa/setup/", {**data, "code": code}), allowed=(200, 400))
    _ok(client.post("/accounts/2fa/", {**data, "code": code}), allowed=(302, 400))


@FUZZ
@given(data=_post_data(["first_name", "last_name", "date_of_birth", "email", "phone"]))
def test_the_admin_patient_form_takes_anything(client, front_desk, data):
    client.force_login(front_desk)
    count = Patient.objects.count()
    response = client.post("/admin/clinic/patient/add/", {"preferred_language": "en", **data})
    _ok(response, allowed=(200, 302, 400))
    if response.status_code == 400:  # 19 digits and nothing else: no admin field takes that
        assert b"is a number too large" in response.content
        assert Patient.objects.count() == count
    if response.status_code == 200:
        assert Patient.objects.count() == count
        assert b"errornote" in response.content


@FUZZ
@given(confirm=text, data=_post_data(["confirm"]))
def test_the_data_rights_forms_take_anything(client, admin_user, confirm, data):
    client.force_login(admin_user)
    patient = PatientFactory()
    for action in ("anonymise", "erase"):
        _ok(
            client.post(f"/dashboard/patients/{patient.pk}/{action}/", {**data, "confirm": confirm})
        )
    if confirm != "yes":
        assert Patient.objects.get(pk=patient.pk).last_name == patient.last_name
