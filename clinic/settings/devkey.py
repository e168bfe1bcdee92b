"""Per-checkout development keys, kept in var/ (git-ignored), never in the repo."""

import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def development_secret_key(var_dir: Path) -> str:
    path = var_dir / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


def development_field_key(var_dir: Path) -> str:
    """A per-checkout Fernet key for encrypting answers in development, kept beside the above."""
    path = var_dir / "dev-field-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key().decode()
        path.write_text(key)
        path.chmod(0o600)
        return key
