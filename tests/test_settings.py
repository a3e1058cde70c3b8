"""Settings are typed (an unknown environment or log format is refused at start, not read as
production), and every check of the secrets lives in one place (core/settings.py)."""

from typing import Any

import pytest
from pydantic import ValidationError

from core.codec import DEV_KEY, new_key_entry
from core.settings import DEV_AUDIT_KEY, DEV_SECRET, Settings

STRONG: dict[str, Any] = {
    "secret_key": "s" * 48,
    "audit_key": "a" * 48,
    "encryption_keys": new_key_entry("k1"),
}


def test_environment_and_log_format_are_closed_lists():
    wrongs: list[dict[str, Any]] = [
        {"environment": "prod"},
        {"environment": "dev"},
        {"log_format": "xml"},
    ]
    for wrong in wrongs:
        with pytest.raises(ValidationError):
            Settings(**wrong)
    assert Settings(environment="development", log_format="json").log_format == "json"


def test_weak_secrets_are_refused_outside_development_only():
    weak: list[tuple[str, dict[str, Any]]] = [
        ("SIAO_SECRET_KEY", {"secret_key": "court"}),
        ("SIAO_SECRET_KEY", {"secret_key": DEV_SECRET}),
        ("SIAO_AUDIT_KEY", {"audit_key": "court"}),
        ("SIAO_AUDIT_KEY", {"audit_key": DEV_AUDIT_KEY}),
        ("développement", {"encryption_keys": f"{new_key_entry('k2')},old:{DEV_KEY}"}),
    ]
    for named, secret in weak:
        with pytest.raises(ValidationError, match=named):
            Settings(environment="production", **{**STRONG, **secret})
        Settings(environment="development", **{**STRONG, **secret})  # public values allowed


def test_missing_secrets_are_refused_when_a_service_starts():
    Settings(environment="production", **STRONG).require_secrets()
    Settings(environment="development").require_secrets()  # the public values stand in
    bare = Settings(environment="production", secret_key="s" * 48)
    with pytest.raises(RuntimeError, match="SIAO_AUDIT_KEY, SIAO_ENCRYPTION_KEYS") as refused:
        bare.require_secrets()
    assert "SIAO_SECRET_KEY" not in str(refused.value)
