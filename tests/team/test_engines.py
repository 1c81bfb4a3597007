"""The test engines themselves: a real PostgreSQL with a password and a real Redis, stopped and started."""

from __future__ import annotations

import subprocess

import pytest

from tests.engines import PostgresServer, RedisServer


def test_postgres_needs_its_password_and_survives_a_restart(
    postgres: PostgresServer, postgres_url: str
) -> None:
    assert postgres_url.startswith(f"postgresql://lusha:{postgres.password}@127.0.0.1:{postgres.port}/t_")
    database = postgres_url.rsplit("/", 1)[1]
    postgres.psql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (41), (1)", database)
    wrong = subprocess.run(
        [
            str(postgres.bin_dir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres.port),
            "-U",
            "lusha",
            "-c",
            "SELECT 1",
        ],
        env={"PATH": "/usr/bin:/bin", "PGPASSWORD": "not-the-password", "PGCONNECT_TIMEOUT": "5"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode != 0
    assert "password authentication failed" in wrong.stderr
    with postgres.stopped():
        assert not postgres.running
        with pytest.raises(RuntimeError, match="createdb"):
            postgres.create_database()
    assert postgres.psql("SELECT sum(n) FROM kept", database).strip() == "42"


def test_redis_answers_and_comes_back_empty_after_a_restart(redis: RedisServer, redis_url: str) -> None:
    assert redis_url == f"redis://127.0.0.1:{redis.port}/0"
    assert redis.command("SET", "k", "v") == "+OK"
    assert redis.command("DBSIZE") == ":1"
    with redis.stopped():
        assert not redis.running
        with pytest.raises(ConnectionRefusedError):
            redis.command("PING")
    assert redis.command("DBSIZE") == ":0"  # --save '' --appendonly no: nothing persists
