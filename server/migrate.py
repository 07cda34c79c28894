"""Plain SQL migrations applied in file-name order, each once, recorded in `schema_migrations`."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works: it only has to keep two `geohunt migrate` runs from interleaving.
_MIGRATION_LOCK = 7300


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
