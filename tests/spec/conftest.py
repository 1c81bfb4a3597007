"""The spec group: tests that check the client and the sandbox against Lusha's published V3 spec.

They run when openapi-v3.yml is in ../shared/lusha-api or in the folder named by LUSHA_SPEC_DIR,
and are all skipped with one reason otherwise (`-m spec` selects only them, `-m "not spec"` none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPEC_MISSING, SPEC_V3
from tests.spec.lusha_spec import LushaSpec, LushaSpecTransport

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    present = SPEC_V3.exists()
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.spec)
            if not present:
                item.add_marker(pytest.mark.skip(reason=SPEC_MISSING))


@pytest.fixture(scope="session")
def lusha_spec() -> LushaSpec:
    with SPEC_V3.open(encoding="utf-8") as handle:
        return LushaSpec(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506


@pytest.fixture
def spec_lusha(lusha_spec: LushaSpec) -> LushaSpecTransport:
    """A Lusha that validates every request against the spec and answers with the spec's examples."""
    return LushaSpecTransport(spec=lusha_spec)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The parsed spec for checking sandbox responses (tests/spec/sandbox_schema.py)."""
    from tests.spec.sandbox_schema import load_spec

    loaded = load_spec()
    assert loaded is not None
    return loaded
