"""Handout content in the admin: previewed, then approved by a clinician only."""

import io

import pytest
from django.core.management import call_command

from advice.models import ContentStatus, ContentVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(db):
    call_command("sync_content", stdout=io.StringIO())
    return ContentVersion.objects.filter(status=ContentStatus.DRAFT)


def _approve(client, ids):
    return client.post(
        "/admin/advice/contentversion/",
        {"action": "approve", "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_a_clinician_approves_content_in_the_admin(client, clinician, drafts):
    clinician.is_staff = True
    clinician.save()
    client.force_login(clinician)
    version = drafts.get(topic="muscle-spasms")
    page = _approve(client, [version.pk])
    assert b"Approved 1 version" in page.content
    version.refresh_from_db()
    assert version.status == ContentStatus.APPROVED
    assert version.approved_by == clinician and version.approved_at is not None


def test_only_clinicians_can_approve(client, admin_user, drafts):
    admin_user.is_superuser = False
    admin_user.save()
    client.force_login(admin_user)
    changelist = client.get("/admin/advice/contentversion/")
    assert changelist.status_code == 200
    assert b'value="approve"' not in changelist.content
    _approve(client, [drafts.first().pk])
    assert not ContentVersion.objects.filter(status=ContentStatus.APPROVED).exists()


def test_a_draft_can_be_previewed_before_approval(client, clinician, drafts):
    client.force_login(clinician)
    version = drafts.get(topic="muscle-spasms")
    page = client.get(f"/admin/advice/contentversion/{version.pk}/change/")
    assert page.status_code == 200
    assert b"magnesium" in page.content
    assert b"When to get care now" in page.content
    # Shown as the patient will see it: rendered headings, not the HTML's source escaped.
    assert b'<div class="handout pv-admin-preview"><h1' in page.content
    assert b"&lt;h2" not in page.content and b"&lt;p&gt;" not in page.content


def test_a_new_version_retires_the_old_approval(clinician, drafts):
    from advice.services import content_approve

    first = drafts.get(topic="headache")
    content_approve(version=first, by=clinician)
    body = dict(first.body, version=first.version + 1)
    second = ContentVersion.objects.create(
        topic="headache",
        version=first.version + 1,
        title=first.title,
        body=body,
        source_sha256="x" * 64,
    )
    content_approve(version=second, by=clinician)
    first.refresh_from_db()
    assert first.status == ContentStatus.RETIRED


def test_changed_content_without_a_new_version_is_refused(tmp_path, drafts):
    from advice.content_schema import ContentError
    from advice.services import CONTENT_DIR, content_sync

    for path in CONTENT_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    spasms = tmp_path / "muscle-spasms.yaml"
    spasms.write_text(spasms.read_text().replace("It can hurt a lot", "It can hurt"))
    with pytest.raises(ContentError, match="raise `version`"):
        content_sync(directory=tmp_path)
