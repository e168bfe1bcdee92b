from datetime import date

import pytest
from django.utils import timezone
from django.utils.html import escape

from clinic.review.models import Case
from intake.links.services import link_issue
from intake.responses.models import IssuedHandout, Response
from tests.factories import AppointmentFactory, PatientFactory
from tests.portal_support import page_posts
from tests.vignette_answers import VIGNETTES

pytestmark = pytest.mark.django_db

V13 = VIGNETTES["V13"]["answers"]


def _post_page(portal, page_id, data, action="next"):
    return portal.post(f"/p/q/{page_id}/", {**data, "action": action})


def _fill(portal, definition, answers, stop_after=None):
    last = None
    for index, (page_id, data) in enumerate(page_posts(definition, answers)):
        last = _post_page(portal, page_id, data)
        assert last.status_code == 302, (page_id, last.content[:3000])
        if stop_after is not None and index + 1 >= stop_after:
            break
    return last


def test_first_page_shows_progress_and_every_reason(portal):
    page = portal.get("/p/q/page-reason/")
    assert page.status_code == 200
    assert b"Step 1 of" in page.content
    assert b"Muscle spasms or cramps" in page.content
    assert b"<label" in page.content


def test_each_page_is_saved_and_the_link_resumes_on_the_first_unanswered_page(
    portal, definition, link, patient
):
    _fill(portal, definition, V13, stop_after=2)
    response = Response.objects.get()
    assert response.answers["reason"] == ["muscle-spasms"]
    assert response.status == "in_progress"
    # Close the browser; open the link again.
    portal.cookies.clear()
    portal.get(f"/p/{link[1]}/")
    portal.post("/p/verify/", {"date_of_birth": patient.date_of_birth.isoformat()})
    resumed = portal.get("/p/start/")
    assert resumed["Location"] == "/p/q/page-symptoms/"
    back = portal.get("/p/q/page-reason/")
    assert b'value="muscle-spasms"' in back.content and b"checked" in back.content
    assert Response.objects.count() == 1


def test_a_whole_visit_submits_once_and_shows_the_handout(portal, definition, approved_content):
    _fill(portal, definition, V13)
    review = portal.get("/p/review/")
    assert b"Check your answers" in review.content
    assert b"Muscle spasms or cramps" in review.content
    first = portal.post("/p/review/")
    again = portal.post("/p/review/")  # a double click
    assert first["Location"] == again["Location"] == "/p/done/"
    assert Response.objects.submitted().count() == 1
    assert IssuedHandout.objects.count() == 1
    done = portal.get("/p/done/")
    assert b"Your answers were sent" in done.content
    assert b"magnesium" in done.content
    appointment = Response.objects.get().appointment
    assert f"For {appointment.patient.full_name}".encode() in done.content  # whose guide it is
    assert b"being prepared" in done.content or b"Download your guide" in done.content


def test_a_submitted_response_is_read_only_for_the_patient(portal, definition, approved_content):
    _fill(portal, definition, V13)
    portal.post("/p/review/")
    before = Response.objects.get().answers
    response = _post_page(portal, "page-reason", {"reason": ["headache"]})
    assert response["Location"] == "/p/done/"
    assert Response.objects.get().answers == before


def test_the_review_page_shows_each_question_in_its_own_words_and_no_scores(portal, definition):
    _fill(portal, definition, V13)
    review = portal.get("/p/review/").content.decode()
    assert "score" not in review.lower() and "PHQ" not in review and "GAD" not in review
    answered = Response.objects.get().answers
    shortened = [
        item
        for item in definition.items_by_id.values()
        if item.link_id in answered and item.short_text and item.short_text != item.text
    ]
    assert shortened  # the vignette answers questions that have a short clinician label
    for item in shortened:
        assert escape(item.text) in review, item.link_id


def test_change_on_the_review_page_comes_back_to_it_after_next(portal, definition):
    _fill(portal, definition, V13)
    review = portal.get("/p/review/").content.decode()
    assert 'href="/p/q/page-lifestyle/?from=review"' in review
    page = portal.get("/p/q/page-lifestyle/?from=review")
    assert b'name="from" value="review"' in page.content
    data = dict(page_posts(definition, V13))["page-lifestyle"]
    saved = portal.post("/p/q/page-lifestyle/", {**data, "from": "review", "action": "next"})
    assert saved.status_code == 302 and saved["Location"] == "/p/review/"
    # Without "from", Next goes on to the following page as before.
    onward = _post_page(portal, "page-lifestyle", data)
    assert (
        onward["Location"] != "/p/review/" or page_posts(definition, V13)[-1][0] == "page-lifestyle"
    )


def test_a_change_that_brings_up_new_questions_leads_to_them_before_the_review(portal, definition):
    _fill(portal, definition, V13)
    reasons = {**dict(page_posts(definition, V13))["page-reason"]}
    reasons["reason"] = [*reasons["reason"], "headache"]
    saved = portal.post("/p/q/page-reason/", {**reasons, "from": "review", "action": "next"})
    target = saved["Location"]
    assert target.startswith("/p/q/") and target.endswith("/?from=review"), target
    page_id = target.removeprefix("/p/q/").removesuffix("/?from=review")
    # Headache brings up questions of its own, required and not yet answered: that page first.
    assert page_id in definition.incomplete_pages(Response.objects.get().answers)
    assert b'name="from" value="review"' in portal.get(target).content


def test_a_missing_answer_is_named_once_in_the_summary_and_said_briefly_under_it(
    portal, definition
):
    [item] = [q for q in definition.page_questions("page-reason") if q.required]
    page = _post_page(portal, "page-reason", {})
    assert page.status_code == 400
    text = page.content.decode()
    assert escape(f"'{item.text}'") not in text  # the question is never repeated in quotes
    summary, below = text.split('id="error-summary"')[1].split("</ul>", 1)
    link = f'<a href="#div_id_reason">{escape(item.text)}</a> Please choose an answer.'
    assert link in summary  # the summary names it once, as a link to it
    assert "Please choose an answer." in below


def test_after_the_check_each_page_names_the_visit(portal, appointment, clinician):
    appointment.clinician = clinician
    appointment.save()
    starts = timezone.localtime(appointment.starts_at)
    for path in ("/p/q/page-reason/", "/p/review/"):
        text = portal.get(path).content.decode()
        assert starts.strftime("%A, %B ") + str(starts.day) in text, path
        assert f"with {clinician.get_full_name() or clinician.username}" in text, path


def test_told_to_call_the_clinic_the_patient_gets_its_number_as_a_link(client, settings):
    settings.CLINIC_PHONE = "(555) 010-0142"
    page = client.get("/p/verify/")  # no link in this session: "open your link again"
    assert page.status_code == 403
    assert b'<a href="tel:5550100142" class="text-nowrap">(555) 010-0142</a>.' in page.content


def test_submit_with_unanswered_required_pages_names_them(portal):
    _post_page(portal, "page-reason", {"reason": ["headache"]})
    response = portal.post("/p/review/")
    assert response.status_code == 400
    assert b"still need an answer" in response.content
    assert not Response.objects.submitted().exists()


def test_emergency_answer_shows_the_emergency_screen_at_once_and_flags_the_case(portal):
    _post_page(portal, "page-reason", {"reason": ["chest-pain"]})
    response = _post_page(
        portal,
        "page-urgent",
        {
            "urgent-now": ["chest-pain"],
            "chest-pain-with": ["heavy", "spreading", "sweating"],
            "chest-pain-minutes": "over-15",
        },
    )
    assert response["Location"] == "/p/emergency/"
    screen = portal.get("/p/emergency/")
    assert b"Please call" in screen.content and b"911" in screen.content
    case = Case.objects.get()
    assert case.level == "emergency"
    # The patient may still finish afterwards.
    assert portal.get("/p/start/")["Location"] == "/p/q/page-symptoms/"


def test_a_patient_who_chose_to_finish_after_the_emergency_screen_can(portal):
    _post_page(portal, "page-reason", {"reason": ["chest-pain"]})
    first = _post_page(
        portal,
        "page-urgent",
        {
            "urgent-now": ["chest-pain"],
            "chest-pain-with": ["heavy"],
            "chest-pain-minutes": "over-15",
        },
    )
    assert first["Location"] == "/p/emergency/"
    # The same emergency does not send every later page back to the screen.
    calm = {"since": "today", "severity": "7", "fever": "false"}
    assert _post_page(portal, "page-symptoms", calm)["Location"] == "/p/q/page-details/"
    assert _post_page(portal, "page-symptoms", calm)["Location"] == "/p/q/page-details/"
    # A new emergency on a later page is shown again.
    febrile = {**calm, "fever": "true", "temperature": "39", "fever-with": ["stiff-neck"]}
    assert _post_page(portal, "page-symptoms", febrile)["Location"] == "/p/emergency/"
    assert _post_page(portal, "page-symptoms", febrile)["Location"] == "/p/q/page-details/"


def test_self_harm_plan_shows_the_crisis_line(portal, definition):
    answers = VIGNETTES["V06"]["answers"]
    for page_id, data in page_posts(definition, answers):
        response = _post_page(portal, page_id, data)
        if response["Location"] == "/p/emergency/":
            break
    screen = portal.get("/p/emergency/")
    assert b"crisis line" in screen.content and b"988" in screen.content


# --- Bad input ---------------------------------------------------------------------------------


def test_an_option_not_in_the_list_is_refused_and_nothing_is_stored(portal):
    response = _post_page(portal, "page-reason", {"reason": ["muscle-spasms", "bananas"]})
    assert response.status_code == 400
    assert b"Please check" in response.content
    assert Response.objects.get().answers == {}


def test_an_unknown_question_is_refused(portal):
    response = _post_page(portal, "page-reason", {"reason": ["headache"], "evil": "x"})
    assert response.status_code == 400
    assert Response.objects.get().answers == {}


def test_a_number_out_of_range_names_the_question(portal):
    _post_page(portal, "page-reason", {"reason": ["headache"]})
    _post_page(portal, "page-urgent", {"urgent-now": ["none"]})
    response = _post_page(
        portal, "page-symptoms", {"since": "today", "severity": "11", "fever": "false"}
    )
    assert response.status_code == 400
    assert b"0 to 10" in response.content
    assert "severity" not in Response.objects.get().answers


def test_an_answer_to_a_hidden_question_is_dropped(portal):
    _post_page(portal, "page-reason", {"reason": ["headache"], "reason-other": "sneaky"})
    assert "reason-other" not in Response.objects.get().answers


def test_changing_an_earlier_answer_removes_answers_that_no_longer_apply(portal, definition):
    _fill(portal, definition, V13, stop_after=4)
    assert "spasm-with" in Response.objects.get().answers
    _post_page(portal, "page-reason", {"reason": ["headache"]})
    assert "spasm-with" not in Response.objects.get().answers


def test_a_huge_post_is_a_400_not_a_500(portal):
    response = _post_page(portal, "page-reason", {"reason-words": "x" * 400_000})
    assert response.status_code == 400


def test_too_long_text_is_refused_with_the_limit(portal):
    response = _post_page(portal, "page-reason", {"reason": ["other"], "reason-other": "y" * 500})
    assert response.status_code == 400
    assert b"200" in response.content


def test_an_unknown_page_is_404(portal):
    assert portal.get("/p/q/page-nonsense/").status_code == 404


def test_pages_need_the_identity_check(client, link):
    client.get(f"/p/{link[1]}/")
    response = client.get("/p/q/page-reason/")
    assert response["Location"] == "/p/verify/"
    assert client.post("/p/review/")["Location"] == "/p/verify/"


# --- adults only ----------------------------------------------------------------------------


def test_the_link_page_says_the_questionnaire_is_for_adults(client, link):
    _, token = link
    client.get(f"/p/{token}/")
    page = client.get("/p/verify/").content.decode()
    assert "This questionnaire is for adults (16 and over)" in page


@pytest.mark.parametrize(("years", "shown"), [(15, True), (16, False), (40, False)])
def test_a_patient_under_16_is_asked_to_contact_the_clinic_instead(client, years, shown):
    today = date.today()
    born = date(today.year - years, today.month, min(today.day, 28))  # `years` old today
    patient = PatientFactory(date_of_birth=born)
    _, token = link_issue(appointment=AppointmentFactory(patient=patient))
    client.get(f"/p/{token}/")
    client.post("/p/verify/", {"date_of_birth": born.isoformat()})
    page = client.get("/p/q/page-reason/").content.decode()
    assert ("This questionnaire is written for adults, 16 and over" in page) is shown
    assert ('name="reason"' in page) is not shown
    if shown:
        posted = client.post("/p/q/page-reason/", {"reason": ["headache"]})
        assert "written for adults" in posted.content.decode()
        stored = Response.objects.filter(appointment__patient=patient)
        assert all(response.answers == {} for response in stored)


# --- The idle logoff is not defeated by the page polling for its PDF ----------------------------


def test_the_pdf_poll_does_not_count_as_activity_and_stops_after_a_minute(
    portal, definition, settings
):
    import time

    settings.PATIENT_IDLE_MINUTES = 1
    _fill(portal, definition, VIGNETTES["V13"]["answers"])
    assert portal.post("/p/review/")["Location"] == "/p/done/"
    session = portal.session
    session["pv_last_seen"] = seen = time.time() - 50
    session.save()
    poll = portal.get("/p/handout/pdf/status/")
    assert poll.status_code == 200 and b"being prepared" in poll.content
    assert portal.session["pv_last_seen"] == seen  # the poll did not keep the session alive
    session = portal.session
    session["pv_last_seen"] = time.time() - 70
    session.save()
    assert b"being prepared" not in portal.get("/p/handout/pdf/status/").content  # logged off


def test_the_pdf_poll_ends_with_a_message_instead_of_polling_for_ever(portal, definition):
    _fill(portal, definition, VIGNETTES["V13"]["answers"])
    portal.post("/p/review/")
    first = portal.get("/p/handout/pdf/status/").content.decode()
    assert 'hx-get="/p/handout/pdf/status/?n=1"' in first
    last = portal.get("/p/handout/pdf/status/?n=29").content.decode()
    assert 'hx-get="/p/handout/pdf/status/?n=30"' in last
    done = portal.get("/p/handout/pdf/status/?n=30").content.decode()
    assert "hx-get" not in done and "taking longer than usual" in done
    for bad in ("abc", "-5", "99999999999999999999"):
        assert portal.get("/p/handout/pdf/status/", {"n": bad}).status_code == 200
    assert portal.get("/p/handout/pdf/status/", {"n": "\x00"}).status_code == 400
