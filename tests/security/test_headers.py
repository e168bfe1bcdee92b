"""Response headers and templates: CSP, framing, referrer, caching, indexing, no third parties."""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from clinic.review.models import Case
from intake.links.services import link_issue
from tests.factories import AppointmentFactory, PatientFactory
from tests.security.support import submit_vignette

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NO_STORE = "no-store"


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def test_every_page_has_a_strict_content_security_policy(client, admin_user):
    client.force_login(admin_user)
    for url in ("/", "/accounts/login/", "/admin/", "/admin/clinic/patient/", "/p/verify/"):
        response = client.get(url)
        policy = _csp(response)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], url
        assert policy["default-src"] == "default-src 'none'", url
        assert policy["script-src"] == "script-src 'self'", url
        assert policy["style-src"] == "style-src 'self'", url
        assert policy["frame-ancestors"] == "frame-ancestors 'none'", url
        assert "http" not in response["Content-Security-Policy"], url  # no other origin
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url


@pytest.fixture
def flagged(settings, tmp_path, clinician):
    settings.MEDIA_ROOT = tmp_path
    import io

    call_command("sync_content", approve_as=clinician.username, stdout=io.StringIO())
    appointment = AppointmentFactory(patient=PatientFactory())
    submit_vignette(appointment, "V07")
    appointment.response.handout.pdf.save("h.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return appointment


def test_every_page_with_health_information_is_never_stored(client, clinician, admin_user, flagged):
    case = Case.objects.get(appointment=flagged)
    client.force_login(clinician)
    for url in (
        "/dashboard/",
        f"/dashboard/cases/{case.pk}/",
        "/dashboard/appointments/",
        f"/dashboard/appointments/{flagged.pk}/handout.pdf",
        "/dashboard/notifications/",
        f"/admin/intake/response/{flagged.response.pk}/change/",
    ):
        assert NO_STORE in client.get(url)["Cache-Control"], url
    client.force_login(admin_user)
    for url in (
        f"/dashboard/patients/{flagged.patient_id}/data/",
        f"/dashboard/patients/{flagged.patient_id}/export.json",
        "/admin/auditlog/logentry/export.csv",
    ):
        assert NO_STORE in client.get(url)["Cache-Control"], url


def test_the_portal_is_never_stored_never_indexed_and_the_link_leaves_no_referrer(client, flagged):
    _, token = link_issue(appointment=flagged)
    opened = client.get(f"/p/{token}/")
    assert opened["Referrer-Policy"] == "no-referrer"
    client.post("/p/verify/", {"date_of_birth": flagged.patient.date_of_birth.isoformat()})
    for url in ("/p/verify/", "/p/done/", "/p/handout/pdf/", "/p/handout/pdf/status/"):
        response = client.get(url)
        assert NO_STORE in response["Cache-Control"], url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url
        # same-origin, not no-referrer: see docs/security.md on Origin: null and CSRF.
        assert response["Referrer-Policy"] == "same-origin", url
    assert (
        '<meta name="robots" content="noindex, nofollow">'
        in client.get("/p/done/").content.decode()
    )


def _templates():
    return sorted((ROOT / "templates").rglob("*.html"))


def test_no_template_has_inline_script_style_or_event_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    style_attr = re.compile(r"\sstyle\s*=", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style_tag = re.compile(r"<style\b", re.I)
    found = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in [
            ("inline script", inline_script),
            ("style attribute", style_attr),
            ("event handler", handler),
            ("style element", style_tag),
            ("hx-on", re.compile(r"hx-on", re.I)),
            ("javascript: URL", re.compile(r"javascript:", re.I)),
        ]:
            if pattern.search(text):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    assert not found, found


def test_no_page_loads_anything_from_another_origin():
    remote = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
    found = [
        str(path.relative_to(ROOT))
        for path in [*_templates(), *(ROOT / "static").rglob("*.css")]
        if "email" not in path.parts and remote.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, found
    css_imports = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "static").rglob("*.css")
        if re.search(r"@import|url\((['\"]?)https?:", path.read_text(encoding="utf-8"))
    ]
    assert not css_imports, css_imports


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base and '"allowEval": false' in base
