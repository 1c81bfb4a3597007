"""Team mode end to end: a real PostgreSQL and Redis (tests/engines.py), a test identity provider
(tests/http/issuer.py), the sandbox on its own port as the Lusha API, and three replicas of
`lusha-mcp serve --transport http` sharing the database and Redis, each with its own data dir.

Clients sign in with a JWT and pick replicas round-robin; every Lusha request of every replica goes
to the one sandbox process, whose charge log (`/_sandbox/charges`) and rate-limit counters
(`/_sandbox/requests`) are the truth the tests compare the ledger against.
"""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import AsyncGenerator, Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult, TextContent

from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.engines import PostgresServer, RedisServer
from tests.http.conftest import RunningServer, cli_environment, free_port, start_listening, stop
from tests.http.issuer import Issuer

SCOPE = "lusha"
REPLICAS = 3
_redis_dbs = itertools.count(1)


def next_redis_db() -> int:
    """A Redis database index no other team of this session used (0 stays the fixtures' own)."""
    return 1 + (next(_redis_dbs) - 1) % 15


@dataclass(frozen=True)
class User:
    """A signed-in user: the token's subject, and the teams its `groups` claim lists."""

    subject: str
    teams: tuple[str, ...] = ()


@dataclass
class Replica:
    name: str
    port: int
    env: dict[str, str]
    server: RunningServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        self.server = start_listening(self.env, "serve", "--transport", "http", port=self.port)

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)
            self.server = None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crashed container."""
        if self.server is not None:
            self.server.process.kill()
            self.server.process.wait(timeout=10)
            self.server = None

    def log(self) -> str:
        return "".join(self.server.log) if self.server is not None else ""

    def warnings(self) -> list[str]:
        """The WARNING/ERROR lines of this replica's log (for failure messages)."""
        return [line.strip() for line in self.log().splitlines() if line.startswith(("WARNING", "ERROR"))]


@dataclass(repr=False)
class Team:
    """The running deployment: sandbox, replicas, engines, issuer; and clients for its users."""

    issuer: Issuer
    audience: str
    sandbox: RunningServer
    dataset: Settings
    replicas: list[Replica]
    postgres: PostgresServer
    database_url: str
    redis: RedisServer
    redis_url: str
    cli_env: dict[str, str]
    migrate: subprocess.CompletedProcess[str]
    _turn: Iterator[int] = field(default_factory=itertools.count)

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox.port}"

    def next_replica(self) -> Replica:
        """Round-robin over the replicas that are running."""
        running = [replica for replica in self.replicas if replica.server is not None]
        return running[next(self._turn) % len(running)]

    def token(self, user: User, **claims: Any) -> str:
        return self.issuer.token(
            subject=user.subject, audience=self.audience, scope=SCOPE, groups=list(user.teams), **claims
        )

    @asynccontextmanager
    async def client(self, user: User, replica: Replica | None = None) -> AsyncGenerator[Client]:
        target = replica or self.next_replica()
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {self.token(user)}"})
        async with http, Client(streamable_http_client(target.url, http_client=http)) as client:
            yield client

    async def call(
        self, user: User, tool: str, replica: Replica | None = None, **arguments: Any
    ) -> CallToolResult:
        """One tool call on `replica` (or the next one round-robin), over a fresh connection."""
        async with self.client(user, replica) as client:
            return await client.call_tool(tool, arguments)

    async def sandbox_get(self, path: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.sandbox_url, headers={"api_key": SANDBOX_API_KEY}) as http:
            response = await http.get(path)
            response.raise_for_status()
            return cast(dict[str, Any], response.json())

    async def sandbox_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.sandbox_url, headers={"api_key": SANDBOX_API_KEY}) as http:
            response = await http.post(path, json=body)
            response.raise_for_status()
            return cast(dict[str, Any], response.json())

    def warnings(self) -> dict[str, list[str]]:
        """Each replica's WARNING/ERROR log lines, to explain a failure."""
        return {replica.name: replica.warnings() for replica in self.replicas}

    async def charged_total(self) -> int:
        return int((await self.sandbox_get("/_sandbox/charges"))["totalCreditsCharged"])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`lusha-mcp ARGS` with the replicas' settings (database, Redis, keys), as an admin runs it."""
        return run_cli(self.cli_env, *args)

    def ledger(self, by: str) -> dict[str, int]:
        """`lusha-mcp ledger --by BY --json` over the shared database: credits charged per key."""
        done = self.cli("ledger", "--by", by, "--json")
        assert done.returncode == 0, done.stderr
        rows = cast(list[dict[str, Any]], json.loads(done.stdout)[by])
        return {str(row["key"]): int(row["charged"]) for row in rows}

    def contact_ids_with_emails(self, count: int, *, skip: int = 0) -> list[str]:
        """Ids of sandbox contacts with an email (so a reveal of emails costs exactly its quote)."""
        with sqlite3.connect(self.dataset.sandbox_db_path()) as db:
            rows = db.execute(
                "SELECT id FROM contacts WHERE gdpr_blocked = 0 AND emails NOT IN ('[]', '') "
                "ORDER BY id LIMIT ? OFFSET ?",
                (count, skip),
            ).fetchall()
        assert len(rows) == count, "the sandbox dataset has too few contacts with emails"
        return [str(row[0]) for row in rows]


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lusha_mcp", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, text_of(result)
    return result.structured_content


@contextmanager
def running_team(
    *,
    postgres: PostgresServer,
    redis: RedisServer,
    redis_db: int,
    issuer: Issuer,
    dataset: Settings,
    base_dir: Path,
    replicas: int = REPLICAS,
    settings: Mapping[str, str] | None = None,
) -> Generator[Team]:
    """Start the sandbox and `replicas` replicas on a fresh database and Redis db; stop them after.

    `dataset` names the sandbox dataset (already generated); `settings` are extra LUSHA_* variables for every replica and the CLI (e.g. LUSHA_USER_DAILY_BUDGET).
    """
    sandbox_dir = base_dir / "sandbox"
    sandbox_dir.mkdir()
    assert dataset.sandbox_dataset_dir is not None
    dataset_dir = dataset.sandbox_dataset_dir
    # The sandbox reads the session's generated dataset and keeps its account state here.
    # LUSHA_TIMEOUT sets how long a "lost" answer hangs (1.5x): short, so the sandbox stops quickly.
    sandbox_env = cli_environment(sandbox_dir, dataset_dir, LUSHA_TIMEOUT="4")
    sandbox = start_listening(sandbox_env, "sandbox")
    database_url = postgres.create_database()
    redis_url = redis.url.rsplit("/", 1)[0] + f"/{redis_db}"
    redis.command("SELECT", str(redis_db))  # a fresh connection: only proves the db index exists
    # The public URL all replicas answer for (a load balancer's, in production): the tokens' audience.
    audience = f"http://127.0.0.1:{free_port()}/mcp"
    shared = {
        "LUSHA_BASE_URL": f"http://127.0.0.1:{sandbox.port}",
        "LUSHA_API_KEY": SANDBOX_API_KEY,
        "LUSHA_DATABASE_URL": database_url,
        "LUSHA_REDIS_URL": redis_url,
        "LUSHA_REPLICAS": str(replicas),
        "LUSHA_CONFIRMATION_KEYS": secrets.token_urlsafe(32),
        "LUSHA_OAUTH_ISSUER": issuer.url,
        "LUSHA_OAUTH_RESOURCE_URL": audience,
        "LUSHA_OAUTH_REQUIRED_SCOPES": SCOPE,
        **(settings or {}),
    }
    cli_dir = base_dir / "admin"
    cli_dir.mkdir()
    cli_env = {**cli_environment(cli_dir, dataset_dir), **shared}
    migrated = run_cli(cli_env, "migrate")
    started: list[Replica] = []
    for index in range(replicas):
        data_dir = base_dir / f"replica-{index}"
        data_dir.mkdir()
        env = {**cli_environment(data_dir, dataset_dir), **shared}
        started.append(Replica(name="ABC"[index] if index < 3 else str(index), port=free_port(), env=env))
    try:
        with ThreadPoolExecutor(max_workers=replicas) as pool:
            list(pool.map(Replica.start, started))
        yield Team(
            issuer=issuer,
            audience=audience,
            sandbox=sandbox,
            dataset=dataset,
            replicas=started,
            postgres=postgres,
            database_url=database_url,
            redis=redis,
            redis_url=redis_url,
            cli_env=cli_env,
            migrate=migrated,
        )
    finally:
        for replica in started:
            replica.stop()
        stop(sandbox)
