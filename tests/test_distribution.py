"""Distribution metadata: the MCP registry's server.json and the Claude Desktop bundle manifest."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

import lusha_mcp
from lusha_mcp.settings import Settings
from tests.conftest import SHARED_DIR

ROOT = Path(__file__).resolve().parents[1]
REGISTRY_SCHEMA = SHARED_DIR / "mcp-registry" / "server.schema.json"
USER_CONFIG_REFERENCE = re.compile(r"^\$\{user_config\.([a-z_]+)\}$")


def load_json(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((ROOT / name).read_text(encoding="utf-8")))


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pypi_package() -> dict[str, Any]:
    packages = [p for p in load_json("server.json")["packages"] if p["registryType"] == "pypi"]
    assert len(packages) == 1
    return cast(dict[str, Any], packages[0])


def setting_name(variable: str) -> str:
    assert variable.startswith("LUSHA_"), variable
    return variable.removeprefix("LUSHA_").lower()


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Settings:
    for name in list(os.environ):
        if name.startswith("LUSHA_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_server_json_is_valid_against_the_registry_schema() -> None:
    if not REGISTRY_SCHEMA.exists():
        pytest.skip(reason=f"the MCP registry schema is not at {REGISTRY_SCHEMA}")
    schema = json.loads(REGISTRY_SCHEMA.read_text(encoding="utf-8"))
    document = load_json("server.json")

    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["$schema"] == schema["$id"]


def test_every_published_version_equals_the_package_version() -> None:
    package_version = pyproject()["project"]["version"]

    assert version("lusha-mcp") == package_version
    assert lusha_mcp.__version__ == package_version
    assert load_json("server.json")["version"] == package_version
    assert pypi_package()["version"] == package_version
    assert load_json("manifest.json")["version"] == package_version


def test_server_json_runs_the_pypi_package_over_stdio_with_uvx() -> None:
    package = pypi_package()

    assert package["identifier"] == pyproject()["project"]["name"]
    assert package["runtimeHint"] == "uvx"
    assert package["transport"] == {"type": "stdio"}
    assert [argument["value"] for argument in package["packageArguments"]] == ["serve"]


def test_the_api_key_is_the_one_required_secret() -> None:
    variables = pypi_package()["environmentVariables"]

    assert [v["name"] for v in variables if v.get("isRequired")] == ["LUSHA_API_KEY"]
    assert [v["name"] for v in variables if v.get("isSecret")] == ["LUSHA_API_KEY"]
    assert "default" not in variables[0]


def test_server_json_declares_only_real_settings_with_their_real_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = pypi_package()["environmentVariables"]
    names = [variable["name"] for variable in variables]
    assert len(names) == len(set(names))
    for variable in variables:
        assert setting_name(variable["name"]) in Settings.model_fields, variable["name"]
        assert variable["description"]

    with_defaults = {v["name"]: v["default"] for v in variables if "default" in v}
    built_in = settings_from_environment(monkeypatch, {})
    declared = settings_from_environment(monkeypatch, with_defaults)

    for name in with_defaults:
        field = setting_name(name)
        assert getattr(declared, field) == getattr(built_in, field), name


def test_server_json_declares_the_documented_environment() -> None:
    names = {variable["name"] for variable in pypi_package()["environmentVariables"]}

    assert {
        "LUSHA_API_KEY",
        "LUSHA_BASE_URL",
        "LUSHA_SANDBOX",
        "LUSHA_DATA_DIR",
        "LUSHA_MAX_CREDITS_PER_CALL",
        "LUSHA_SESSION_BUDGET",
        "LUSHA_DAILY_BUDGET",
        "LUSHA_CONFIRM_ABOVE",
        "LUSHA_AUTO_APPROVE",
        "LUSHA_ALLOWED_REVEALS",
        "LUSHA_NO_SPEND",
        "LUSHA_TOOLSETS",
    } <= names


def test_readme_mcp_name_marker_matches_server_json() -> None:
    marker = re.search(r"<!--\s*mcp-name:\s*(\S+)\s*-->", (ROOT / "README.md").read_text(encoding="utf-8"))

    assert marker is not None
    assert marker.group(1) == load_json("server.json")["name"]


def test_manifest_user_config_maps_onto_real_settings() -> None:
    manifest = load_json("manifest.json")
    user_config: dict[str, Any] = manifest["user_config"]
    environment: dict[str, str] = manifest["server"]["mcp_config"]["env"]

    referenced: dict[str, str] = {}
    for variable, value in environment.items():
        match = USER_CONFIG_REFERENCE.match(value)
        assert match is not None, f"{variable} must be exactly one ${{user_config.<key>}}"
        assert setting_name(variable) in Settings.model_fields, variable
        referenced[match.group(1)] = variable

    assert set(referenced) == set(user_config)
    assert referenced["api_key"] == "LUSHA_API_KEY"
    assert user_config["api_key"]["sensitive"] is True
    assert user_config["api_key"]["required"] is True
    assert {"session_budget", "daily_budget", "max_credits_per_call", "no_spend"} <= set(user_config)


def test_manifest_defaults_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = load_json("manifest.json")
    user_config: dict[str, Any] = manifest["user_config"]
    environment: dict[str, str] = manifest["server"]["mcp_config"]["env"]
    values = {
        key: "lusha-test-key" if key == "api_key" else option["default"]
        for key, option in user_config.items()
    }
    assert all(value is not None for value in values.values()), "every optional setting needs a default"

    # Claude Desktop substitutes booleans as "true"/"false" and numbers as their decimal text.
    rendered: dict[str, str] = {}
    for variable, reference in environment.items():
        match = USER_CONFIG_REFERENCE.match(reference)
        assert match is not None
        value = values[match.group(1)]
        rendered[variable] = json.dumps(value) if isinstance(value, bool) else str(value)
    settings = settings_from_environment(monkeypatch, rendered)

    assert settings.session_budget == user_config["session_budget"]["default"]
    assert settings.daily_budget == user_config["daily_budget"]["default"]
    assert settings.max_credits_per_call == user_config["max_credits_per_call"]["default"]
    assert settings.no_spend is user_config["no_spend"]["default"]


def test_manifest_launches_the_package_with_uv() -> None:
    server = load_json("manifest.json")["server"]

    assert server["type"] == "uv"
    assert (ROOT / server["entry_point"]).is_file()
    assert server["mcp_config"]["command"] == "uv"
    assert server["mcp_config"]["args"][-2:] == ["lusha-mcp", "serve"]
    assert "lusha-mcp" in pyproject()["project"]["scripts"]


def mcpb_command() -> list[str]:
    """The mcpb CLI of @anthropic-ai/mcpb named by $LUSHA_MCPB_CLI (never fetched: no network in tests)."""
    configured = os.environ.get("LUSHA_MCPB_CLI")
    if not configured:
        pytest.skip(
            reason="LUSHA_MCPB_CLI is not set: install @anthropic-ai/mcpb (.ci/run does, into .ci/.node) and "
            "point LUSHA_MCPB_CLI at its bin/mcpb"
        )
    node = shutil.which("node")
    if node is None:
        pytest.skip(reason="node is not installed (mcpb needs node >= 18)")
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    major = int(node_version.strip().lstrip("v").split(".")[0])
    if major < 18:
        pytest.skip(reason=f"mcpb needs node >= 18; found {node_version.strip()}")
    return shlex.split(configured)


def test_mcpb_validates_the_manifest() -> None:
    command = mcpb_command()

    result = subprocess.run(
        [*command, "validate", str(ROOT / "manifest.json")], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation passes" in result.stdout


def test_mcpb_bundle_holds_the_package_and_leaves_out_dev_files(tmp_path: Path) -> None:
    command = mcpb_command()
    bundle = tmp_path / "lusha-mcp.mcpb"

    result = subprocess.run(
        [*command, "pack", str(ROOT), str(bundle)], capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 0, result.stdout + result.stderr
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {
        "manifest.json",
        "pyproject.toml",
        "README.md",
        "lusha_mcp/__main__.py",
        "lusha_mcp/prompts.py",
    } <= names
    assert {f"prompts/{path.name}" for path in (ROOT / "prompts").glob("*.md")} <= names
    excluded = ("tests/", "bench/", ".venv/", ".git/", ".ci/", "dev.py", "__pycache__")
    assert not [name for name in names if any(part in name for part in excluded)]
