"""Real PostgreSQL and Redis servers on loopback, in temporary directories, for the team-mode tests.

`postgres_server()` and `redis_server()` are context managers that start Debian's `postgres`
(from the `postgresql` package: /usr/lib/postgresql/<version>/bin) and `redis-server` on free
loopback ports, yield an engine with its URL, and stop it afterwards. Each engine can be stopped
and started again on the same port and data (`engine.stop()`, `engine.start()`, or
`with engine.stopped(): ...`), for the "PostgreSQL down" and "Redis down" tests.

`initdb` and `postgres` refuse to run as root, so when the tests run as root (CI in a container)
both run as `nobody:nogroup` in a temporary directory that user owns. The database user has a
password (scram-sha-256 over TCP, no trust), so the URL carries a secret as a real one would.

The pytest fixtures at the bottom (`postgres`, `postgres_url`, `redis`, `redis_url`) are
imported by tests/conftest.py, so every test package can use them; they skip with the reason
(which binary is missing, and which Debian package provides it) when an engine cannot start.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

UNPRIVILEGED_USER = "nobody"
UNPRIVILEGED_GROUP = "nogroup"
START_TIMEOUT = 30.0


class EngineUnavailableError(Exception):
    """An engine's binaries are missing or it could not start; the message says which and why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres (or LUSHA_PG_BIN_DIR)."""
    override = os.environ.get("LUSHA_PG_BIN_DIR")
    candidates = [Path(override)] if override else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version_key(p.parent.name))
    candidates.extend(reversed(versions))
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in name.split("."))


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot run here, or None when it can."""
    if postgres_bin_dir() is None:
        return (
            "PostgreSQL is not installed: no initdb/postgres under /usr/lib/postgresql/*/bin "
            "(install Debian's `postgresql` package, as .ci/run does, or set LUSHA_PG_BIN_DIR)"
        )
    if os.geteuid() == 0 and _unprivileged_ids() is None:
        return f"running as root and there is no `{UNPRIVILEGED_USER}` user to run initdb/postgres as"
    return None


def redis_missing() -> str | None:
    """Why Redis cannot run here, or None when it can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (install Debian's `redis-server` package, as .ci/run does)"
    return None


def _unprivileged_ids() -> tuple[int, int] | None:
    try:
        uid = pwd.getpwnam(UNPRIVILEGED_USER).pw_uid
    except KeyError:
        return None
    try:
        gid = grp.getgrnam(UNPRIVILEGED_GROUP).gr_gid
    except KeyError:
        gid = pwd.getpwnam(UNPRIVILEGED_USER).pw_gid
    return uid, gid


@dataclass
class Engine:
    """One running server process: its URL, and stop/start on the same port and data."""

    name: str
    url: str
    port: int
    directory: Path
    argv: list[str]
    ids: tuple[int, int] | None
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server (again) on the same port and data; return once it answers."""
        if self.running:
            return
        identity = _as_user(self.ids)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_engine_environment(),
                user=identity.user,
                group=identity.group,
                extra_groups=identity.extra_groups,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                raise EngineUnavailableError(
                    f"{self.name} exited at start (code {self.process.returncode}):\n{self.log()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EngineUnavailableError(
                    f"{self.name} did not answer within {START_TIMEOUT:.0f}s:\n{self.log()}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (a fast shutdown) and wait until its port is closed."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT if self.name == "postgres" else signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown at all), for crash tests."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)

    @contextlib.contextmanager
    def stopped(self) -> Generator[None]:
        """Stop the engine for the block and start it again after, even when the block fails."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _answers(self) -> bool:
        raise NotImplementedError


@dataclass
class PostgresServer(Engine):
    """A PostgreSQL cluster; `url` points at its `lusha` database, `create_database()` adds fresh ones."""

    user: str = "lusha"
    password: str = ""
    database: str = "lusha"
    bin_dir: Path = Path()

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name unless given) and return its URL."""
        name = name or f"t_{secrets.token_hex(6)}"
        self.run_client("createdb", name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.run_client("dropdb", "--if-exists", "--force", name)

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL with psql (tab-separated, unaligned, no headers) and return its output."""
        return self.run_client(
            "psql",
            "-X",
            "-A",
            "-t",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database or self.database,
            "-c",
            sql,
        )

    def run_client(self, program: str, *args: str) -> str:
        env = {**_engine_environment(), "PGPASSWORD": self.password}
        completed = subprocess.run(
            [str(self.bin_dir / program), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed: {completed.stderr.strip()}")
        return completed.stdout

    def _answers(self) -> bool:
        completed = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"],
            env=_engine_environment(),
            capture_output=True,
            check=False,
        )
        return completed.returncode == 0


@dataclass
class RedisServer(Engine):
    """A redis-server without persistence; `url` points at its database 0."""

    password: str | None = None

    def command(self, *words: str) -> str:
        """Send one command over RESP and return the first reply line (e.g. "+PONG", ":3")."""
        request = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            if self.password is not None:
                conn.sendall(f"*2\r\n$4\r\nAUTH\r\n${len(self.password)}\r\n{self.password}\r\n".encode())
                _read_line(conn)
            conn.sendall(request.encode())
            return _read_line(conn)

    def flush(self) -> None:
        self.command("FLUSHALL")

    def _answers(self) -> bool:
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").split("\r\n", 1)[0]


def _engine_environment() -> dict[str, str]:
    keep = ("PATH", "LANG", "TZ")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env["LC_ALL"] = "C"
    return env


@dataclass(frozen=True)
class _Identity:
    """Popen's user/group/extra_groups: nobody's ids with no supplementary groups, or unchanged."""

    user: int | None = None
    group: int | None = None
    extra_groups: list[int] | None = None


def _as_user(ids: tuple[int, int] | None) -> _Identity:
    return _Identity() if ids is None else _Identity(user=ids[0], group=ids[1], extra_groups=[])


def _private_directory(prefix: str, ids: tuple[int, int] | None) -> Path:
    """A fresh 0700 directory in the system temp dir, owned by the user the engine runs as.

    Not under pytest's tmp_path: that one is private to root, and `nobody` could not reach it.
    """
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if ids is not None:
        os.chown(directory, *ids)
    return directory


@contextlib.contextmanager
def postgres_server(*, user: str = "lusha", database: str = "lusha") -> Generator[PostgresServer]:
    """Start a throwaway PostgreSQL cluster on a free loopback port; yield it; remove it after.

    Raises EngineUnavailableError (with the reason) when PostgreSQL is not installed or cannot start.
    """
    missing = postgres_missing()
    if missing is not None:
        raise EngineUnavailableError(missing)
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    ids = _unprivileged_ids() if os.geteuid() == 0 else None
    directory = _private_directory("lusha-pg-", ids)
    try:
        password = secrets.token_urlsafe(18)
        pwfile = directory / "pwfile"
        pwfile.write_text(password + "\n")
        if ids is not None:
            os.chown(pwfile, *ids)
        pwfile.chmod(0o600)
        data = directory / "data"
        sockets = directory / "sockets"
        for path in (data, sockets):
            path.mkdir(mode=0o700)
            if ids is not None:
                os.chown(path, *ids)
        identity = _as_user(ids)
        initdb = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=directory,
            env=_engine_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            user=identity.user,
            group=identity.group,
            extra_groups=identity.extra_groups,
        )
        pwfile.unlink()
        if initdb.returncode != 0:
            raise EngineUnavailableError(f"initdb failed: {initdb.stderr.strip() or initdb.stdout.strip()}")
        port = free_port()
        argv = [
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={sockets}",
            # A throwaway cluster: durability off for speed (a crash test kills replicas, not PG).
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=32MB",
        ]
        server = PostgresServer(
            name="postgres",
            url="",
            port=port,
            directory=directory,
            argv=argv,
            ids=ids,
            log_path=directory / "postgres.log",
            user=user,
            password=password,
            database=database,
            bin_dir=bin_dir,
        )
        server.start()
        try:
            server.url = server.create_database(database)
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def redis_server(*, password: str | None = None) -> Generator[RedisServer]:
    """Start a throwaway redis-server (no persistence) on a free loopback port; yield it; stop it after.

    Raises EngineUnavailableError (with the reason) when redis-server is not installed or cannot start.
    """
    missing = redis_missing()
    if missing is not None:
        raise EngineUnavailableError(missing)
    binary = shutil.which("redis-server")
    assert binary is not None
    directory = _private_directory("lusha-redis-", None)
    try:
        port = free_port()
        argv = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--daemonize",
            "no",
            "--databases",
            "16",
        ]
        if password is not None:
            argv += ["--requirepass", password]
        auth = f":{password}@" if password is not None else ""
        server = RedisServer(
            name="redis",
            url=f"redis://{auth}127.0.0.1:{port}/0",
            port=port,
            directory=directory,
            argv=argv,
            ids=None,
            log_path=directory / "redis.log",
            password=password,
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- pytest fixtures (imported by tests/conftest.py) -------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Generator[PostgresServer]:
    """One PostgreSQL cluster for the whole session (skips, saying why, when it cannot run)."""
    try:
        with postgres_server() as server:
            yield server
    except EngineUnavailableError as unavailable:
        pytest.skip(f"PostgreSQL unavailable: {unavailable}")


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's cluster, for one test."""
    if not postgres.running:
        postgres.start()
    return postgres.create_database()


@pytest.fixture(scope="session")
def redis() -> Generator[RedisServer]:
    """One redis-server for the whole session (skips, saying why, when it cannot run)."""
    try:
        with redis_server() as server:
            yield server
    except EngineUnavailableError as unavailable:
        pytest.skip(f"Redis unavailable: {unavailable}")


@pytest.fixture
def redis_url(redis: RedisServer) -> str:
    """The session's Redis, emptied for one test."""
    if not redis.running:
        redis.start()
    redis.flush()
    return redis.url
