from __future__ import annotations

import pytest
from pydantic import ValidationError

from lusha_mcp.settings import SANDBOX_API_KEY, Settings, Toolset


def test_environment_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUSHA_ALLOWED_REVEALS", "emails")
    monkeypatch.setenv("LUSHA_TOOLSETS", "core, webhooks")
    settings = Settings()
    assert settings.allowed_reveals == ["emails"]
    assert settings.toolsets == [Toolset.core, Toolset.webhooks]


def test_arguments_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUSHA_SESSION_BUDGET", "40")
    assert Settings().session_budget == 40
    assert Settings(session_budget=5).session_budget == 5


def test_sandbox_mode_supplies_the_sandbox_key() -> None:
    settings = Settings(sandbox=True)
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == SANDBOX_API_KEY


def test_an_unknown_reveal_field_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUSHA_ALLOWED_REVEALS", "emails,fax")
    with pytest.raises(ValidationError, match="allowed_reveals"):
        Settings()


def test_the_api_key_is_hidden_in_repr() -> None:
    settings = Settings(api_key="canary-key-123")  # pyright: ignore[reportArgumentType]
    assert "canary-key-123" not in repr(settings)
    assert "canary-key-123" not in str(settings.model_dump())


def test_a_database_url_must_be_postgresql_and_is_never_echoed() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url="mysql://admin:hunter2-db-pw@db/lusha")  # pyright: ignore[reportArgumentType]
    assert "postgresql://user:password@host:port/database" in str(refused.value)
    assert "hunter2-db-pw" not in str(refused.value)
    settings = Settings(database_url="postgresql://lusha:hunter2-db-pw@db/lusha")  # pyright: ignore[reportArgumentType]
    assert "hunter2-db-pw" not in repr(settings)
    assert Settings(database_url="").database_url is None  # pyright: ignore[reportArgumentType]
