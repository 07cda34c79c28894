"""Plain SQL migrations applied in file-name order, each once, recorded in `schema_migrations`."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from infra.locks import AdvisoryLock

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_LOCK = AdvisoryLock.MIGRATIONS


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.sql") if p.name[:4].isdigit())


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


async def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` (through its `postgres` database);
    return its URL. For scratch databases: tests and benchmarks."""
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def ensure_database(dsn: str) -> None:
    """Create the URL's database when it does not exist yet (a fresh machine's first run)."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        name = urlsplit(dsn).path.lstrip("/")
        admin = await asyncpg.connect(with_database(dsn, "postgres"))
        try:
            quoted = await admin.fetchval("SELECT quote_ident($1)", name)
            await admin.execute(f"CREATE DATABASE {quoted}")
            log.info("created database %s", name)
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            pass  # a sibling process made it first (which error depends on the moment)
        finally:
            await admin.close()
    else:
        await conn.close()


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is missing; return the names applied now."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for path in migration_files(directory):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
            log.info("applied migration %s", path.stem)
            applied.append(path.stem)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()


SCHEMA_FILE = MIGRATIONS_DIR / "schema.sql"


def dump_schema(dsn: str) -> str:
    """The database's schema as `pg_dump --schema-only` writes it, without its comments (which
    name versions and dates), so that two dumps of equal schemas are equal text."""
    dumped = subprocess.run(  # noqa: S603 - a fixed program, arguments from our own settings
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--dbname", dsn],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in dumped.splitlines() if line and not line.startswith("--")]
    # pg_dump 15.14+ and 16.10+ fence the dump with a random \restrict key.
    lines = [line for line in lines if not line.startswith(("\\restrict", "\\unrestrict"))]
    return "\n".join(lines) + "\n"


SCHEMA_HEADER = (
    "-- The current schema: what applying every migration in order gives (a test proves it).\n"
    "-- Regenerate with `make schema` after adding a migration; never edit by hand.\n"
)


async def current_schema(server_url: str) -> str:
    """The schema file's text: every migration applied to a scratch database, then dumped."""
    name = f"geohunt_schema_{os.getpid()}"
    url = await create_database(server_url, name)
    try:
        await migrate(url)
        return SCHEMA_HEADER + dump_schema(url)
    finally:
        await drop_database(server_url, name)


if __name__ == "__main__":  # `make schema`
    import asyncio

    from infra.embedded import resolve_service_urls
    from infra.settings import Settings

    # The secret is never used here; settings only refuse to load without one.
    env = {"GEOHUNT_SECRET": "schema-dump-" + "x" * 32, **os.environ}
    resolved = resolve_service_urls(Settings.from_env(env))
    assert resolved.database_url
    SCHEMA_FILE.write_text(asyncio.run(current_schema(resolved.database_url)))
