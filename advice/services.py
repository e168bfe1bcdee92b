"""Content versions: load the files as drafts, approve them, and read the approved library.

The engine (advice.evaluate) needs no database; this module is the Django side that decides
which content versions patients may see.
"""

import hashlib
from pathlib import Path

import yaml
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from advice.content_schema import CONTENT_DIR, SUMMARY, ContentError, Library
from advice.models import ContentStatus, ContentVersion


def _read_file(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text), hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def content_sync(*, directory: Path = CONTENT_DIR) -> list[ContentVersion]:
    """Store each content file's version as a draft if it is new. Returns the new drafts.

    A file whose text changed without a new `version` is refused: an approved version must
    never change under the clinician who approved it.
    """
    documents = {}
    for path in sorted(directory.glob("*.yaml")):
        document, digest = _read_file(path)
        if document.get("topic") == SUMMARY:
            continue  # the clinician's summary wording is not patient content: git reviews it
        documents[path] = (document, digest)
    # Validate the whole library first, so nothing half-loads.
    Library.from_documents([doc for doc, _ in documents.values()])
    created = []
    for path, (doc, digest) in documents.items():
        existing = ContentVersion.objects.filter(topic=doc["topic"], version=doc["version"]).first()
        if existing is not None:
            if existing.source_sha256 != digest:
                raise ContentError(
                    path.name,
                    f"the text changed but version {doc['version']} of '{doc['topic']}' is "
                    "already stored; raise `version` to make a new one",
                )
            continue
        created.append(
            ContentVersion.objects.create(
                topic=doc["topic"],
                version=doc["version"],
                title=doc.get("title", doc["topic"]),
                body=doc,
                source_sha256=digest,
            )
        )
    return created


APPROVE_PERMISSION = "approve_contentversion"


def may_approve(user) -> bool:
    """Only a clinician's approval puts content in front of patients: the permission must come
    from one of the user's groups (the clinic gives it to the clinician role). Being a superuser
    is not enough; a superuser who approves content is also a clinician."""
    return (
        user.is_active
        and Permission.objects.filter(
            content_type__app_label="advice", codename=APPROVE_PERMISSION, group__user=user
        ).exists()
    )


@transaction.atomic
def content_approve(*, version: ContentVersion, by) -> ContentVersion:
    """Approve one draft; the topic's earlier approved versions retire."""
    if not may_approve(by):
        raise ContentError(str(version), f"{by.get_username()} may not approve content")
    locked = ContentVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status == ContentStatus.APPROVED:
        return locked
    if locked.status == ContentStatus.RETIRED:
        raise ContentError(str(locked), "a retired version can't be approved again")
    ContentVersion.objects.filter(topic=locked.topic, status=ContentStatus.APPROVED).update(
        status=ContentStatus.RETIRED
    )
    locked.status = ContentStatus.APPROVED
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


_library_cache: dict[tuple, Library] = {}


def approved_library() -> tuple[Library | None, dict[str, int]]:
    """The library patients see: the approved version of each topic, and those versions.

    None when no global safety content is approved yet (intake/responses/evaluation.py says
    what the portal does then).
    """
    rows = list(
        ContentVersion.objects.approved().order_by("topic").values_list("id", "topic", "version")
    )
    versions = {topic: version for _, topic, version in rows}
    if "global" not in versions:
        return None, versions
    key = tuple(row[0] for row in rows)
    library = _library_cache.get(key)
    if library is None:
        bodies = ContentVersion.objects.filter(id__in=key).values_list("body", flat=True)
        library = Library.from_documents(list(bodies))
        _library_cache.clear()
        _library_cache[key] = library
    return library, versions


def packaged_library() -> Library:
    """The library as shipped in advice/content/, for previews and the command line."""
    return Library.from_directory(CONTENT_DIR)
