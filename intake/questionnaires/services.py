"""Questionnaire versions: imported from FHIR JSON, the active one found, each parsed once."""

import json

from django.db import IntegrityError, transaction

from intake.questionnaires.definition import GENERAL_PREVISIT, Definition
from intake.questionnaires.fhir import validate_questionnaire
from intake.questionnaires.models import Questionnaire, QuestionnaireStatus

DEFAULT_NAME = "general-previsit"

_definitions: dict[int, Definition] = {}


def definition_for(questionnaire: Questionnaire) -> Definition:
    """The parsed definition; a stored version never changes, so parsing once is enough."""
    found = _definitions.get(questionnaire.pk)
    if found is None:
        found = Definition.from_fhir(questionnaire.definition)
        _definitions[questionnaire.pk] = found
    return found


def definition_by_id(questionnaire_id: int) -> Definition:
    """A questionnaire's definition by its id, without loading its row (140 kB) once cached."""
    found = _definitions.get(questionnaire_id)
    if found is None:
        found = definition_for(Questionnaire.objects.get(pk=questionnaire_id))
    return found


def _name_for(resource: dict) -> str:
    return resource["url"].rstrip("/").rsplit("/", 1)[-1]


@transaction.atomic
def questionnaire_import(*, resource: dict, activate: bool = True) -> tuple[Questionnaire, bool]:
    """Store a FHIR Questionnaire. Returns (row, created).

    The same url and version with the same content is a no-op. The same version with other
    content is refused once anyone has answered it; a new version becomes the active one.
    """
    validate_questionnaire(resource)
    Definition.from_fhir(resource)  # our own checks: enableWhen targets, options, sums
    url, version = resource["url"], str(resource.get("version", "1"))
    existing = Questionnaire.objects.select_for_update().filter(url=url, version=version).first()
    if existing is not None:
        if existing.definition == resource:
            return existing, False
        if existing.responses.exists():
            raise ValueError(
                f"version {version} of {url} has been answered and can't change; "
                "give the changed questionnaire a new version"
            )
        existing.definition = resource
        existing.title = resource.get("title", existing.title)
        existing.save(update_fields=["definition", "title"])
        _definitions.pop(existing.pk, None)
        return existing, False
    name = _name_for(resource)
    latest = Questionnaire.objects.filter(name=name).order_by("-version_number").first()
    row = Questionnaire.objects.create(
        name=name,
        url=url,
        version=version,
        version_number=(latest.version_number + 1) if latest else 1,
        title=resource.get("title") or name,
        status=QuestionnaireStatus.ACTIVE if activate else QuestionnaireStatus.DRAFT,
        definition=resource,
    )
    if activate:
        Questionnaire.objects.filter(name=name, status=QuestionnaireStatus.ACTIVE).exclude(
            pk=row.pk
        ).update(status=QuestionnaireStatus.RETIRED)
    return row, True


def questionnaire_default() -> Questionnaire:
    """The active general questionnaire, loading the shipped one if the database has none."""
    current = Questionnaire.objects.current(DEFAULT_NAME)
    if current is None:
        resource = json.loads(GENERAL_PREVISIT.read_text(encoding="utf-8"))
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction goes on
                current, _ = questionnaire_import(resource=resource)
        except IntegrityError:
            # Another request loaded it at the same moment (the first patients after a fresh
            # install): theirs is the one. This was a 500 for all but one of them.
            current = Questionnaire.objects.current(DEFAULT_NAME)
    return current
