"""Backups that restore: the database dumped, restored into a new one, and the answers read back
with the keys, as docs/operations.md tells an operator to do it. Without the keys, the check
after the restore fails with a message that says what is missing.

The dump, restore and reads are the real tools in their own processes (pg_dump, createdb,
pg_restore, manage.py), against a copy of the test database that is dropped afterwards.
"""

import json
import os
import subprocess
import uuid

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from intake.responses.models import Response
from tests.factories import AppointmentFactory
from tests.fakes import ROOT, database_url
from tests.security.support import submit_vignette

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WORDS = "Since the fall I take my brother's warfarin sometimes"
PYTHON = ROOT / ".venv" / "bin" / "python"
# Prints one answer of one response as JSON, the way any code of the app reads it.
READ_BACK = (
    "import json; from intake.responses.models import Response; "
    "print(json.dumps(Response.objects.get(pk={pk}).answers['reason-words']))"
)


def _pg_env(settings_dict: dict) -> dict:
    """libpq's variables for the server Django uses, for the PostgreSQL command-line tools."""
    return {
        **os.environ,
        "PGHOST": settings_dict.get("HOST") or "127.0.0.1",
        "PGPORT": str(settings_dict.get("PORT") or 5432),
        "PGUSER": settings_dict.get("USER") or "postgres",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
    }


def _run(args: list, *, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own arguments)
        [str(arg) for arg in args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def restored(tmp_path):
    """Dump the test database with pg_dump -Fc and restore it into a new database; yields a
    DATABASE_URL for the restored copy, which is dropped afterwards however the test ends."""
    settings_dict = connection.settings_dict
    env = _pg_env(settings_dict)
    name = f"previsit_restore_{uuid.uuid4().hex[:12]}"
    dump = tmp_path / "previsit.dump"

    def restore() -> str:
        _ok(_run(["pg_dump", "-Fc", f"--file={dump}", settings_dict["NAME"]], env=env))
        _ok(_run(["createdb", name], env=env))
        _ok(
            _run(["pg_restore", "--exit-on-error", "--no-owner", f"--dbname={name}", dump], env=env)
        )
        return database_url({**settings_dict, "NAME": name})

    try:
        yield restore
    finally:
        _run(["dropdb", "--if-exists", "--force", name], env=env)


def _manage(*args, database: str, keys: list[str]) -> subprocess.CompletedProcess:
    """`python manage.py ...` as an operator runs it on the restored database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "DATABASE_", "FIELD_ENCRYPTION"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DJANGO_ENV": "development",
            "DATABASE_URL": database,
            "CONN_MAX_AGE": "0",
            "FIELD_ENCRYPTION_KEYS": ",".join(keys),
        }
    )
    return _run([PYTHON, "manage.py", *args], env=env)


def test_a_restored_backup_reads_its_answers_with_the_keys_and_fails_readably_without(
    restored, settings
):
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    response = submit_vignette(AppointmentFactory(), "V13", extra={"reason-words": WORDS})
    assert response.is_submitted and response.answers["reason-words"] == WORDS

    database = restored()
    # The copy must stand on its own: the original answers are gone from the test database.
    Response.objects.filter(pk=response.pk).delete()

    _ok(_manage("migrate", "--noinput", database=database, keys=keys))
    check = _ok(_manage("field_keys_check", database=database, keys=keys))
    assert "intake.Response.answers: 1 read, 0 could not be decrypted" in check.stdout
    assert "every one decrypts with FIELD_ENCRYPTION_KEYS" in check.stdout
    assert "warfarin" not in check.stdout + check.stderr  # counts, never a value
    read = _ok(
        _manage("shell", "-c", READ_BACK.format(pk=response.pk), database=database, keys=keys)
    )
    assert json.loads(read.stdout.strip().splitlines()[-1]) == WORDS

    other_keys = [Fernet.generate_key().decode()]
    check = _manage("field_keys_check", database=database, keys=other_keys)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "intake.Response.answers: 0 read, 1 could not be decrypted" in check.stdout
    assert (
        "CommandError: 1 of 1 encrypted value(s) could not be decrypted: the key they were "
        "written with is missing from FIELD_ENCRYPTION_KEYS." in check.stderr
    )
    assert f"row(s) {response.pk}," in check.stderr
    assert "Traceback" not in check.stderr and "warfarin" not in check.stderr

    read = _manage(
        "shell", "-c", READ_BACK.format(pk=response.pk), database=database, keys=other_keys
    )
    assert read.returncode != 0 and "warfarin" not in read.stdout
    assert "the key it was written with is missing from FIELD_ENCRYPTION_KEYS" in read.stderr
    assert "InvalidToken" not in read.stderr
