import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.settings.envtools import env_bool, env_int

ROOT = Path(__file__).resolve().parents[2]


# A valid Fernet key (32 zero bytes): only ever used by these subprocess checks.
FIELD_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _django_check(env_overrides):
    hidden = ("SECRET_KEY", "DEBUG", "DJANGO_ENV", "FIELD_ENCRYPTION_KEYS")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_malformed_boolean_is_an_error_not_false(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", True)


def test_booleans_read_both_ways(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False


def test_malformed_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", 25)


def test_production_refuses_to_start_without_secret_key():
    result = _django_check({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "clinic.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _django_check(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "clinic.example",
            "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        }
    )
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_starts_with_its_settings():
    result = _django_check(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "k" * 60,
            "ALLOWED_HOSTS": "clinic.example",
            "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        }
    )
    assert result.returncode == 0, result.stderr


def test_unknown_environment_name_is_refused():
    result = _django_check({"DJANGO_ENV": "prod"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr
