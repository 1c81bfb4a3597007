"""The PostgreSQL schema: plain SQL files in `migrations/`, applied by yoyo-migrations.

Why yoyo rather than alembic: there is no ORM here (the stores speak SQL through psycopg), so
alembic's SQLAlchemy models and autogeneration would be dead weight; yoyo applies plain `.sql`
files (with their `.rollback.sql`) in order under a lock, records them in `_yoyo_migration`, and is
small. `lusha-mcp migrate` applies what is missing; a server refuses to start while any is.

Public API: `migration_ids()`, `pending_migrations(url)`, `apply_migrations(url)`,
`schema_problem(url)` (None, or why a server must not start), `database_status(url)` (for
doctor: usable or not, and one line). The URL's password is masked in every line with
`lusha_mcp.redaction.safe_url` / `hide_password`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from lusha_mcp.redaction import hide_password, safe_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_TABLE: Final = "_yoyo_migration"
"""yoyo's record of applied migrations (`yoyo.default_migration_table`)."""


def migration_ids() -> list[str]:
    """The ids of the schema's migrations, in order (file names without `.sql`)."""
    return sorted(
        path.name.removesuffix(".sql")
        for path in MIGRATIONS_DIR.glob("*.sql")
        if not path.name.endswith(".rollback.sql")
    )


def _yoyo_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    del scheme
    return f"postgresql+psycopg://{rest}"


APPLIED_SQL: Final = "SELECT migration_id FROM _yoyo_migration"


def pending_migrations(url: str) -> list[str]:
    """The migrations `url`'s database lacks (all of them for an empty one). Raises
    psycopg.OperationalError when the database cannot be reached."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (MIGRATION_TABLE,)).fetchone()
        applied = {str(row[0]) for row in conn.execute(APPLIED_SQL)} if exists and exists[0] else set[str]()
    return [migration for migration in migration_ids() if migration not in applied]


def apply_migrations(url: str) -> list[str]:
    """Apply the missing migrations (under yoyo's lock); returns the ids applied, in order."""
    import yoyo

    # yoyo ships no type information: its API is used through these four calls only
    yoyo_api: Any = yoyo
    backend = yoyo_api.get_backend(_yoyo_url(url))
    migrations = yoyo_api.read_migrations(str(MIGRATIONS_DIR))
    with backend.lock():
        todo = backend.to_apply(migrations)
        backend.apply_migrations(todo)
    return [str(migration.id) for migration in todo]


def behind_message(pending: list[str]) -> str:
    return (
        f"the database schema is behind: {len(pending)} migration(s) not applied ({', '.join(pending)}). "
        "Run `lusha-mcp migrate` (with the same LUSHA_DATABASE_URL) before starting the server."
    )


def schema_problem(url: str) -> str | None:
    """Why a server on `url` must not start (schema behind), or None. An unreachable database is
    not a reason: the server starts, refuses metered calls and serves the free ones."""
    import psycopg

    try:
        pending = pending_migrations(url)
    except psycopg.OperationalError:
        return None
    return behind_message(pending) if pending else None


def database_status(url: str) -> tuple[bool, str]:
    """For doctor: whether the database is usable, and one line saying so (password masked)."""
    import psycopg

    try:
        pending = pending_migrations(url)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, f"{safe_url(url)} is unreachable: {hide_password(reason, url)}"
    if pending:
        return False, f"{safe_url(url)}: {behind_message(pending)}"
    return True, f"{safe_url(url)} reachable, schema current ({len(migration_ids())} migration(s))"
