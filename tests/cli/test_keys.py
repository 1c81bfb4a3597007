"""Shared confirmation keys at the command line: refused at start when weak, repeated, doubly set or in
a file others can read; `doctor` names them by fingerprint only (the key ids tokens carry), says
which one signs, and checks the issuer's JWKS when sign-in is on."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import pytest
from mcp import Client

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.cli.conftest import CLIRunner
from tests.http.issuer import running_issuer
from tests.server.harness import contact_ids_with_emails, structured

NEW_KEY = secrets.token_urlsafe(32)
OLD_KEY = secrets.token_hex(32)


def with_keys(settings: Settings, keys: str) -> Settings:
    return Settings.model_validate({**settings.model_dump(), "confirmation_keys": keys})


async def token_key_id(settings: Settings) -> str:
    """The key id of a confirmation token the server (built with `settings`) issues."""
    ids = contact_ids_with_emails(settings, 1)
    async with Client(build_server(settings)) as client:
        quoted = structured(await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]}))
    return str(quoted["confirmation_token"]).split(".")[1]


@pytest.mark.anyio
async def test_doctor_names_the_keys_by_the_ids_tokens_carry_and_says_which_signs(
    run_cli: CLIRunner, sandbox_settings: Settings
) -> None:
    signing = await token_key_id(with_keys(sandbox_settings, NEW_KEY))
    verifying = await token_key_id(with_keys(sandbox_settings, OLD_KEY))

    result = run_cli("doctor", "--sandbox", LUSHA_CONFIRMATION_KEYS=f"{NEW_KEY}, {OLD_KEY}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"[ok]   confirmation keys: LUSHA_CONFIRMATION_KEYS: {signing} signs, {verifying} verifies"
        in result.stdout
    )
    assert "drop a key that only verifies once its last tokens expired (600 s" in result.stdout
    for key in (NEW_KEY, OLD_KEY):
        assert key not in result.stdout + result.stderr
        assert key[:12] not in result.stdout + result.stderr


def test_without_shared_keys_doctor_names_the_per_install_secret(run_cli: CLIRunner, data_dir: Path) -> None:
    first = run_cli("doctor", "--sandbox")
    assert "confirmation keys: a per-install secret, created in the data dir on first use" in first.stdout
    (data_dir / "confirm.key").write_bytes(secrets.token_bytes(32))
    (data_dir / "confirm.key").chmod(0o600)
    second = run_cli("doctor", "--sandbox")
    assert "confirmation keys: the data dir's confirm.key: " in second.stdout
    assert " signs" in second.stdout.split("confirmation keys:", 1)[1].splitlines()[0]


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (f"{NEW_KEY},{'x' * 64}", "key 2 of 2 is too weak (about 0 bits of entropy; at least 256"),
        (NEW_KEY[:30], "key 1 of 1 is too weak (about 180 bits"),
        (secrets.token_hex(20), "key 1 of 1 is too weak (about 160 bits"),
        (f"{NEW_KEY},{OLD_KEY},{NEW_KEY}", "key 3 of 3 repeats key 1; list each key once"),
        (" , ", "LUSHA_CONFIRMATION_KEYS lists no key"),
    ],
)
def test_weak_repeated_or_missing_keys_are_refused_at_start(
    run_cli: CLIRunner, keys: str, problem: str
) -> None:
    result = run_cli("serve", "--sandbox", LUSHA_CONFIRMATION_KEYS=keys)

    assert result.returncode == 3
    assert problem in result.stderr
    assert "secrets.token_urlsafe(32)" in result.stderr or "repeats" in problem
    assert "Traceback" not in result.stderr
    for key in keys.split(","):
        if key.strip():
            assert key.strip() not in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_must_be_private_and_may_rotate(run_cli: CLIRunner, tmp_path: Path) -> None:
    key_file = tmp_path / "confirmation.keys"
    key_file.write_text(f"# newest first\n{NEW_KEY}\n\n{OLD_KEY}\n")
    key_file.chmod(0o644)

    readable = run_cli("serve", "--sandbox", LUSHA_CONFIRMATION_KEY_FILE=str(key_file))
    assert readable.returncode == 3
    assert (
        f"is readable by others (mode 0644); make it private to the server's user: chmod 600 {key_file}"
        in (readable.stderr)
    )

    key_file.chmod(0o600)
    private = run_cli("doctor", "--sandbox", LUSHA_CONFIRMATION_KEY_FILE=str(key_file))
    assert private.returncode == 0, private.stdout + private.stderr
    line = next(line for line in private.stdout.splitlines() if "confirmation keys:" in line)
    assert f"LUSHA_CONFIRMATION_KEY_FILE ({key_file}):" in line
    assert line.count(" signs") == 1
    assert line.count(" verifies") == 1
    assert NEW_KEY not in private.stdout
    assert OLD_KEY not in private.stdout

    missing = run_cli("serve", "--sandbox", LUSHA_CONFIRMATION_KEY_FILE=str(tmp_path / "absent.keys"))
    assert missing.returncode == 3
    assert "cannot read it (No such file or directory)" in missing.stderr

    both = run_cli(
        "serve", "--sandbox", LUSHA_CONFIRMATION_KEY_FILE=str(key_file), LUSHA_CONFIRMATION_KEYS=NEW_KEY
    )
    assert both.returncode == 3
    assert "set either LUSHA_CONFIRMATION_KEYS or LUSHA_CONFIRMATION_KEY_FILE" in both.stderr


def test_doctor_checks_the_issuers_jwks_when_sign_in_is_on(run_cli: CLIRunner) -> None:
    with running_issuer() as issuer:
        sign_in = {
            "LUSHA_OAUTH_ISSUER": issuer.url,
            "LUSHA_OAUTH_RESOURCE_URL": "http://127.0.0.1:8000/mcp",
        }
        reachable = run_cli("doctor", "--sandbox", **sign_in)
        shared = run_cli("doctor", "--sandbox", LUSHA_CONFIRMATION_KEYS=NEW_KEY, **sign_in)
    assert reachable.returncode == 0, reachable.stdout + reachable.stderr
    assert f"[ok]   issuer JWKS: {issuer.url}/jwks.json: 1 signing key(s) ({issuer.kid})" in reachable.stdout
    assert "[warn] confirmation keys: this server's key is its own" in reachable.stdout
    assert "[warn]" not in shared.stdout

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
    unreachable = run_cli(
        "doctor", "--sandbox", LUSHA_OAUTH_ISSUER=gone, LUSHA_OAUTH_RESOURCE_URL="http://127.0.0.1:8000/mcp"
    )
    assert unreachable.returncode == 1
    assert f"[FAIL] issuer JWKS: cannot use the JWKS of {gone} (could not find the issuer's JWKS" in (
        unreachable.stdout
    )
    assert "fix: check that LUSHA_OAUTH_ISSUER is reachable from here, or set LUSHA_OAUTH_JWKS_URL" in (
        unreachable.stdout
    )
