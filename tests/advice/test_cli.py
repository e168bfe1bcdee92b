import json
import subprocess
import sys

from advice.__main__ import main
from tests.advice.support import FIXTURE_LIBRARY, ROOT

ANSWERS = {"reason": ["muscle-spasms"], "urgent-now": ["none"], "spasm-with": ["weakness"]}


def run(tmp_path, capsys, data, *args):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), "utf-8")
    code = main([str(path), "--content", str(FIXTURE_LIBRARY), *args])
    captured = capsys.readouterr()
    return code, captured


def test_cli_prints_triage_reasons_and_handout(tmp_path, capsys):
    code, captured = run(tmp_path, capsys, ANSWERS, "--clinic-name", "Riverside Clinic")
    assert code == 0
    output = json.loads(captured.out)
    assert output["triage"] == "urgent"
    assert [r["rule_id"] for r in output["reasons"]] == ["spasm-weakness"]
    assert output["reasons"][0]["evidence"] == {"spasm-with": ["weakness"]}
    assert set(output["handout"]) == {"topics", "title", "markdown", "reading_grade"}
    assert output["handout"]["topics"] == ["muscle-spasms"]
    assert "Please call Riverside Clinic today." in output["handout"]["markdown"]


def test_cli_reads_the_vignette_shape_with_an_age(tmp_path, capsys):
    data = {"answers": {"reason": ["other"], "temperature": 39.9}, "age": 70}
    code, captured = run(tmp_path, capsys, data, "--full")
    assert code == 0
    output = json.loads(captured.out)
    assert output["triage"] == "urgent"
    assert output["handout"]["title"] == "Before your visit"
    assert "plain_text" in output["handout"]


def test_cli_reports_bad_content_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "answers.json"
    path.write_text("{}", "utf-8")
    assert main([str(path), "--content", str(tmp_path)]) == 2
    assert "content error" in capsys.readouterr().err


def test_cli_reports_unreadable_answers(tmp_path, capsys):
    path = tmp_path / "answers.json"
    path.write_text("not json", "utf-8")
    assert main([str(path), "--content", str(FIXTURE_LIBRARY)]) == 2
    assert "cannot read answers" in capsys.readouterr().err


def test_python_dash_m_advice_runs(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(ANSWERS), "utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "advice", str(path), "--content", str(FIXTURE_LIBRARY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(finished.stdout)["triage"] == "urgent"
