"""The layout docs/architecture.md describes, held: no import hidden in a function to dodge a
cycle, every name given as a string resolves, every task published by name exists.

The layers themselves are checked by import-linter in `make lint` (pyproject.toml).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from clinic.celery import app as celery_app
from clinic.celery import task_named
from clinic.notifications.outbox import DELIVER_TASK
from intake.responses.services import PDF_TASK

ROOT = Path(__file__).resolve().parents[1]
OURS = ("clinic", "intake", "advice")
# Imports that wait for first use on purpose, each with its reason.
LAZY_ON_PURPOSE = {
    ("advice/readability.py", "textstat"): "importing it costs a quarter of a second",
    ("advice/pdf.py", "weasyprint"): "only the PDF worker renders; a web process never needs it",
    ("advice/screening.py", "spacy"): "importing spaCy costs half a second; read on first use",
    ("advice/screening.py", "medspacy"): "imported with spaCy, on first use",
}


def _app_modules():
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/settings/" in relative:
                continue
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _imports_inside_functions(tree):
    """(function name, module imported) for every import statement inside a function."""
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                yield from ((function.name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield function.name, node.module


def test_no_import_hides_in_a_function_except_in_app_ready_and_the_listed_lazy_ones():
    found = []
    for relative, tree in _app_modules():
        for function, module in _imports_inside_functions(tree):
            top = module.split(".")[0]
            if relative.endswith("/apps.py") and function == "ready":
                continue  # models can only be imported once the app registry is ready
            if top not in OURS and (relative, top) in LAZY_ON_PURPOSE:
                continue
            found.append(f"{relative}: {function}() imports {module}")
    assert found == []


def test_every_task_published_by_name_is_registered():
    for name in (DELIVER_TASK, PDF_TASK):
        assert task_named(name).name == name


@pytest.mark.parametrize(
    "dotted",
    [
        *settings.MIDDLEWARE,
        settings.AXES_CLIENT_IP_CALLABLE,
        settings.AXES_USERNAME_CALLABLE,
        settings.AUDITLOG_MASK_CALLABLE,
        settings.SMS_BACKEND,
        settings.ROOT_URLCONF + ".urlpatterns",
        settings.WSGI_APPLICATION,
    ],
)
def test_every_dotted_path_in_the_settings_resolves(dotted):
    assert import_string(dotted) is not None


def test_every_routed_and_scheduled_task_exists():
    task_named(DELIVER_TASK)  # imports every room's tasks module
    names = set(settings.CELERY_TASK_ROUTES) | {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert names <= set(celery_app.tasks), names - set(celery_app.tasks)
    # A task lives in its room's tasks module, and its name says where.
    for name in names:
        assert celery_app.tasks[name].__module__ == name.rsplit(".", 1)[0]
