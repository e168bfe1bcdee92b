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


def test_production_refuses_to_start_without_field_encryption_keys():
    result = _django_check(
        {"DJANGO_ENV": "production", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "clinic.example"}
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set in production" in result.stderr


def test_a_malformed_field_encryption_key_stops_the_start():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from intake.responses.fields import _fernet; _fernet()",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "clinic.settings.test",
            "FIELD_ENCRYPTION_KEYS": "not-a-key",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be Fernet keys" in result.stderr


def test_check_deploy_prints_nothing_with_a_production_environment():
    import secrets

    # As a deployment has it: not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, for one.
    left_out = ("DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        FIELD_ENCRYPTION_KEYS=FIELD_KEY,
        ALLOWED_HOSTS="previsit.clinic.example",
        CSRF_TRUSTED_ORIGINS="https://previsit.clinic.example",
        SECURE_PROXY_SSL_HEADER_ENABLED="true",
        DJANGO_SETTINGS_MODULE="clinic.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_sends_hsts_secure_host_cookies_and_redirects_to_https():
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS, s.SECURE_PROXY_SSL_HEADER, "
        "s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="k" * 60,
        FIELD_ENCRYPTION_KEYS=FIELD_KEY,
        ALLOWED_HOSTS="clinic.example",
        SECURE_PROXY_SSL_HEADER_ENABLED="true",
        DJANGO_SETTINGS_MODULE="clinic.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000", "True", "True", "__Host-sessionid", "__Host-csrftoken", "True", "True",
        "DENY", "('HTTP_X_FORWARDED_PROTO',", "'https')", "Argon2PasswordHasher",
    ]  # fmt: skip


def _site_url(env_overrides) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PREVISIT_PORT")}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="clinic.settings")
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_email_links_follow_the_port_make_run_serves_on():
    assert _site_url({}) == "http://127.0.0.1:8000"
    assert _site_url({"PREVISIT_PORT": "8123"}) == "http://127.0.0.1:8123"
    assert (
        _site_url({"PREVISIT_PORT": "8123", "SITE_URL": "https://c.example/"})
        == "https://c.example"
    )
