"""LushaClient.from_settings: settings drive the client; sandbox mode talks to the in-process sandbox."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import AuthenticationError, InvalidRequestError
from lusha_mcp.settings import Settings
from tests.api.conftest import API_KEY, LushaStandIn

pytestmark = pytest.mark.anyio


async def test_from_settings_uses_the_configured_key_and_base_url(lusha: LushaStandIn) -> None:
    settings = Settings(api_key=SecretStr(API_KEY), base_url="https://eu.lusha.test/", max_retries=1)
    async with LushaClient.from_settings(settings, transport=lusha.transport()) as client:
        await client.signals.contact_types()

    assert client.base_url == "https://eu.lusha.test"
    assert client.max_retries == 1
    assert lusha.seen[0].headers["api_key"] == API_KEY


async def test_from_settings_without_a_key_says_what_to_set() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        LushaClient.from_settings(Settings(api_key=None))

    assert "LUSHA_API_KEY" in caught.value.message


async def test_sandbox_mode_talks_to_the_sandbox_and_it_refuses_other_keys(
    sandbox_settings: Settings,
) -> None:
    async with LushaClient.from_settings(sandbox_settings) as client:
        usage = await client.account.usage()
    assert usage.pricing
    assert usage.credits.remaining is not None

    wrong = sandbox_settings.model_copy(update={"api_key": SecretStr("not-the-sandbox-key")})
    async with LushaClient.from_settings(wrong) as client:
        with pytest.raises(AuthenticationError):
            await client.signals.contact_types()
