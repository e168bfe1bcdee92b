import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from intake.questionnaires.fhir import validate_questionnaire
from intake.questionnaires.models import Questionnaire
from intake.responses.models import Response
from tests.portal_support import questionnaire_response
from tests.vignette_answers import VIGNETTES

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _evaluate(capsys, resource, *extra):
    """Run evaluate_response in-process on a JSON document; returns (exit code, out, err)."""
    import io

    stdin = io.StringIO(json.dumps(resource))
    old = sys.stdin
    sys.stdin = stdin
    try:
        call_command("evaluate_response", "-", *extra)
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdin = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case_id", sorted(VIGNETTES))
def test_every_vignette_gets_its_level_through_evaluate_response(
    case_id, capsys, definition, approved_content
):
    vignette = VIGNETTES[case_id]
    resource = questionnaire_response(definition, case_id)
    code, out, err = _evaluate(capsys, resource, "--age", str(vignette["age"]))
    assert code == 0, err
    result = json.loads(out)
    assert result["triage"] == vignette["level"], result["reasons"]
    for topic in vignette["topics"] or ():
        assert topic in result["handout"]["topics"]
    assert result["handout"]["reading_grade"] <= 6.0
    assert not Response.objects.exists()  # it writes nothing


def test_evaluate_response_reports_scores_and_reasons(capsys, definition, approved_content):
    code, out, _ = _evaluate(capsys, questionnaire_response(definition, "V11"))
    result = json.loads(out)
    assert result["scores"]["phq9"]["total"] == 11
    assert result["scores"]["phq9"]["band"] == "moderate"
    assert any("phq9-9" in reason["evidence"] for reason in result["reasons"])


def test_an_invalid_response_exits_2_naming_the_item(capsys, definition):
    resource = questionnaire_response(definition, "V13")
    for page in resource["item"]:
        for item in page.get("item", []):
            if item["linkId"] == "severity":
                item["answer"] = [{"valueInteger": 42}]
    code, _, err = _evaluate(capsys, resource)
    assert code == 2
    assert "severity" in err


def test_an_unknown_questionnaire_exits_2(capsys, definition):
    resource = questionnaire_response(definition, "V13")
    resource["questionnaire"] = "http://elsewhere.example/Questionnaire/x"
    code, _, err = _evaluate(capsys, resource)
    assert code == 2 and "Unknown questionnaire" in err


@pytest.mark.postgres_only  # the subprocess needs the test database by name
def test_evaluate_response_reads_a_file_from_the_command_line(tmp_path, definition):
    from django.db import connection

    path = tmp_path / "qr.json"
    path.write_text(json.dumps(questionnaire_response(definition, "V14")))
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "evaluate_response", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["triage"] == "routine"


def test_export_then_import_round_trips_and_validates(tmp_path, capsys, definition):
    call_command("export_questionnaire")
    exported = json.loads(capsys.readouterr().out)
    validate_questionnaire(exported)
    path = tmp_path / "q.json"
    path.write_text(json.dumps(exported))
    call_command("import_questionnaire", str(path))
    assert "Already up to date" in capsys.readouterr().out
    assert Questionnaire.objects.filter(name="general-previsit").count() == 1


def test_a_changed_questionnaire_becomes_a_new_version(tmp_path, capsys, definition):
    call_command("export_questionnaire")
    resource = json.loads(capsys.readouterr().out)
    resource["version"] = "3"
    resource["item"][0]["text"] = "Why are you coming in?"
    path = tmp_path / "q2.json"
    path.write_text(json.dumps(resource))
    call_command("import_questionnaire", str(path))
    current = Questionnaire.objects.current("general-previsit")
    assert current.version == "3"
    assert Questionnaire.objects.filter(version="2").get().status == "retired"


def test_an_answered_version_can_not_change(tmp_path, capsys, portal):
    portal.post("/p/q/page-reason/", {"reason": ["headache"]})
    call_command("export_questionnaire")
    resource = json.loads(capsys.readouterr().out)
    resource["item"][0]["text"] = "Changed in place"
    path = tmp_path / "q.json"
    path.write_text(json.dumps(resource))
    with pytest.raises(CommandError, match="has been answered and can't change"):
        call_command("import_questionnaire", str(path))


def test_import_names_the_bad_item(tmp_path, capsys, definition):
    call_command("export_questionnaire")
    resource = json.loads(capsys.readouterr().out)
    resource["version"] = "3"
    resource["item"][0]["item"][0]["type"] = "no-such-type"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(resource))
    with pytest.raises(CommandError) as error:
        call_command("import_questionnaire", str(path))
    assert "reason" in str(error.value)


@pytest.mark.parametrize(
    "content, message",
    [("{not json", "not valid JSON"), ('{"resourceType": "Patient"}', "not a FHIR")],
)
def test_import_refuses_files_that_are_not_questionnaires(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_questionnaire", str(path))
