"""Fixtures of the team-mode tests: the identity provider, the generated dataset, a running team."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.settings import Settings
from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
from tests.engines import PostgresServer, RedisServer
from tests.http.issuer import Issuer, running_issuer
from tests.team.harness import Team, next_redis_db, running_team


@pytest.fixture(scope="session")
def issuer() -> Generator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="session")
def dataset(session_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's sandbox dataset, generated before any sandbox process reads it."""
    settings = Settings(
        sandbox=True,
        data_dir=tmp_path_factory.mktemp("team-dataset-owner"),
        sandbox_dataset_dir=session_data_dir,
        sandbox_contacts=TEST_CONTACTS,
        sandbox_companies=TEST_COMPANIES,
    )
    sandbox_app(settings)
    return settings


@pytest.fixture(scope="module")
def team_settings() -> dict[str, str]:
    """Extra LUSHA_* settings of a module's team (none by default)."""
    return {}


@pytest.fixture(scope="module")
def team(
    team_settings: dict[str, str],
    postgres: PostgresServer,
    redis: RedisServer,
    issuer: Issuer,
    dataset: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Generator[Team]:
    """Three replicas on a fresh database (and Redis db), shared by the tests of one module.

    A module overrides `team_settings` (LUSHA_* variables for all its replicas and its admin CLI).
    """
    with running_team(
        postgres=postgres,
        redis=redis,
        redis_db=next_redis_db(),
        issuer=issuer,
        dataset=dataset,
        base_dir=tmp_path_factory.mktemp("team"),
        settings=team_settings,
    ) as running:
        yield running
