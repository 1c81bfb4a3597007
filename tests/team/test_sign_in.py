"""Sign-in on every replica: a token the identity provider did not issue for this server, for its
scope, or any more, is refused with 401/403 and the pointer to the Protected Resource Metadata."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest

from tests.http.test_sign_in import HEADERS, INITIALIZE
from tests.team.harness import SCOPE, Team, User, structured

pytestmark = pytest.mark.anyio

ALICE = User("alice-signin", ("red",))


def metadata_pointer(team: Team) -> str:
    public = urlsplit(team.audience)
    return f"{public.scheme}://{public.netloc}/.well-known/oauth-protected-resource{public.path}"


async def test_bad_tokens_are_refused_by_every_replica_with_the_metadata_pointer(team: Team) -> None:
    cases: dict[str, tuple[str | None, int]] = {
        "no token": (None, 401),
        "expired": (team.token(ALICE, expires_in=-120), 401),
        "wrong audience": (
            team.issuer.token(subject=ALICE.subject, audience="https://other.example/mcp"),
            401,
        ),
        "missing scope": (
            team.issuer.token(subject=ALICE.subject, audience=team.audience, scope="profile"),
            403,
        ),
    }
    async with httpx.AsyncClient() as http:
        for replica in team.replicas:
            for case, (token, status) in cases.items():
                headers = dict(HEADERS) if token is None else {**HEADERS, "Authorization": f"Bearer {token}"}
                answer = await http.post(replica.url, headers=headers, content=json.dumps(INITIALIZE))
                assert answer.status_code == status, (replica.name, case, answer.text)
                challenge = answer.headers.get("www-authenticate", "")
                assert f'resource_metadata="{metadata_pointer(team)}"' in challenge, (replica.name, case)
                if status == 403:
                    assert "insufficient_scope" in challenge, (replica.name, case)
            document = (
                await http.get(f"http://127.0.0.1:{replica.port}/.well-known/oauth-protected-resource/mcp")
            ).json()
            assert document["resource"] == team.audience
            assert document["scopes_supported"] == [SCOPE]
    logs = "".join(replica.log() for replica in team.replicas)
    for token, _ in cases.values():
        if token is not None:
            assert token not in logs, "a token must never be logged"


async def test_a_signed_in_user_is_served_by_every_replica(team: Team) -> None:
    for replica in team.replicas:
        result = await team.call(ALICE, "list_filter_values", replica=replica, scope="contacts")
        assert not result.is_error, (replica.name, result.content)
        assert structured(result)
