"""Migrations on empty databases, made and dropped here: in code, concurrently and by the CLI."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from infra.migrate import (
    SCHEMA_FILE,
    SCHEMA_HEADER,
    create_database,
    drop_database,
    dump_schema,
    migrate,
    migration_files,
    with_database,
)
from tests.support.processes import run_geohunt

TABLES = {
    "schema_migrations",
    "hunts",
    "collectibles",
    "clues",
    "clue_history",
    "hunters",
    "hunt_scores",
    "finds",
    "scan_attempts",
    "alerts",
}
FUNCTIONS = {"claim_find", "record_rejection", "catalog_touch", "catalog_notify"}

EmptyDatabase = Callable[..., Awaitable[str]]


@pytest.fixture
async def empty_database(service_urls: tuple[str, str]) -> AsyncIterator[EmptyDatabase]:
    """Makes fresh, empty databases on demand (or only names them); drops them all afterwards."""
    admin_url = with_database(service_urls[0], "postgres")
    names: list[str] = []

    async def make(create: bool = True) -> str:
        name = f"geohunt_migrate_{uuid.uuid4().hex[:12]}"
        names.append(name)
        if create:
            return await create_database(admin_url, name)
        return with_database(admin_url, name)

    yield make
    for name in names:
        await drop_database(admin_url, name)


async def schema_of(url: str) -> tuple[set[str], set[str], list[str]]:
    conn = await asyncpg.connect(url)
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        functions = {
            r["proname"]
            for r in await conn.fetch(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'public'"
            )
        }
        versions = [
            r["version"]
            for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        ]
    finally:
        await conn.close()
    return tables, functions, versions


ALL = [p.stem for p in migration_files()]


def test_migration_files_are_ordered_and_named() -> None:
    assert ALL and ALL == sorted(ALL) and ALL[0].startswith("0001")
    assert len({name[:4] for name in ALL}) == len(ALL), "two migrations share a number"


async def test_migrate_an_empty_database_then_nothing(empty_database: EmptyDatabase) -> None:
    url = await empty_database()
    assert await migrate(url) == ALL
    tables, functions, versions = await schema_of(url)
    assert TABLES <= tables
    assert FUNCTIONS <= functions
    assert versions == ALL
    assert await migrate(url) == []
    assert (await schema_of(url))[2] == ALL
    # The schema works: a hunt row gets a revision and its insert is announced.
    conn = await asyncpg.connect(url)
    try:
        heard: list[str] = []
        await conn.add_listener("geohunt_catalog", lambda *args: heard.append(args[-1]))
        hunt_id = await conn.fetchval(
            "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by)"
            " VALUES ('m', 'M', now(), now() + interval '1 day', 't') RETURNING id"
        )
        rev = await conn.fetchval("SELECT rev FROM hunts WHERE id = $1", hunt_id)
        await conn.execute("UPDATE hunts SET name = 'N' WHERE id = $1", hunt_id)
        assert await conn.fetchval("SELECT rev FROM hunts WHERE id = $1", hunt_id) > rev
        for _ in range(50):
            if len(heard) >= 2:
                break
            await asyncio.sleep(0.02)
        assert heard == [f"hunts:{hunt_id}", f"hunts:{hunt_id}"]
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_file_once(empty_database: EmptyDatabase) -> None:
    url = await empty_database()
    results = await asyncio.gather(*(migrate(url) for _ in range(3)))
    assert sorted(results, key=len) == [[], [], ALL]
    assert (await schema_of(url))[2] == ALL


async def test_migrate_creates_a_missing_database(empty_database: EmptyDatabase) -> None:
    url = await empty_database(create=False)
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await asyncpg.connect(url)
    assert await migrate(url) == ALL
    assert (await schema_of(url))[2] == ALL


async def test_first_runs_at_once_create_the_database_once(empty_database: EmptyDatabase) -> None:
    # Several first runs at once (a fresh machine starting its processes) agree.
    url = await empty_database(create=False)
    results = await asyncio.gather(*(migrate(url) for _ in range(3)))
    assert sorted(results, key=len) == [[], [], ALL]


async def test_a_failing_migration_applies_nothing_of_itself(
    empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    url = await empty_database()
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_thing;")
    (tmp_path / "notes.sql").write_text("this is not a migration")
    with pytest.raises(asyncpg.PostgresError):
        await migrate(url, tmp_path)
    tables, _, versions = await schema_of(url)
    assert "good" in tables and "half" not in tables
    assert versions == ["0001_good"]
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int);")
    assert await migrate(url, tmp_path) == ["0002_bad"]


async def run_cli(database_url: str, redis_url: str, *args: str) -> tuple[int, str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GEOHUNT_SECRET": "migrate-test-secret-" + "y" * 32,
    }
    return await run_geohunt(env, *args)


async def test_cli_migrate(empty_database: EmptyDatabase, service_urls: tuple[str, str]) -> None:
    url = await empty_database()
    _, redis_url = service_urls
    code, out, err = await run_cli(url, redis_url, "migrate")
    assert code == 0, err
    assert out.strip() == f"applied: {', '.join(ALL)}"
    tables, _, versions = await schema_of(url)
    assert TABLES <= tables and versions == ALL
    code, out, err = await run_cli(url, redis_url, "migrate")
    assert code == 0, err
    assert out.strip() == "applied: nothing (up to date)"


async def test_schema_file_equals_every_migration_applied_in_order(
    empty_database: EmptyDatabase,
) -> None:
    """`migrations/schema.sql` is where a reader finds the current schema (a function's body
    as the last migration left it): the database the migrations build dumps to exactly that
    file, and the file loaded on its own builds the same database."""
    migrated = await empty_database()
    await migrate(migrated)
    from_migrations = dump_schema(migrated)
    assert SCHEMA_FILE.read_text() == SCHEMA_HEADER + from_migrations, (
        "migrations/schema.sql is out of date: run `make schema`"
    )
    loaded = await empty_database()
    conn = await asyncpg.connect(loaded)
    try:
        await conn.execute(SCHEMA_FILE.read_text())
    finally:
        await conn.close()
    assert dump_schema(loaded) == from_migrations
