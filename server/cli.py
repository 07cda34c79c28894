"""The `geohunt` command: serve, worker, follow, migrate, token, import-clues, demo, chain, mint."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from infra.settings import Settings, SettingsError

if TYPE_CHECKING:
    from server.http.server import HttpOptions

log = logging.getLogger("geohunt")


def load_settings() -> Settings:
    from infra.embedded import resolve_service_urls

    try:
        return resolve_service_urls(Settings.from_env())
    except SettingsError as err:
        raise click.ClickException(str(err)) from None


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """geohunt: geolocated QR scavenger hunts whose finds become NFTs."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # web3 logs every provider disconnect at INFO.
    logging.getLogger("web3").setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command()
def migrate() -> None:
    """Bring the database to the current schema."""
    from infra.migrate import migrate as run

    settings = load_settings()
    assert settings.database_url
    applied = asyncio.run(run(settings.database_url))
    click.echo(f"applied: {', '.join(applied) or 'nothing (up to date)'}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    default=None,
    help="Server processes on the port [one per core]; 1 serves in this process.",
)
@click.option("--reuse-port", is_flag=True, help="Share the port with other processes.")
def serve(host: str, port: int, workers: int | None, reuse_port: bool) -> None:
    """Run the HTTP server: N processes on one port (SO_REUSEPORT), stopped together."""
    import dataclasses
    import os

    import asyncpg

    from infra.db import server_pool_max
    from server.http.server import HttpOptions
    from server.http.supervisor import child_command, supervise

    settings = load_settings()
    count = workers or os.cpu_count() or 1
    try:
        options = HttpOptions.from_env()
        pool_max = asyncio.run(server_pool_max(settings, count))
    except SettingsError as err:
        raise click.ClickException(str(err)) from None
    except (OSError, asyncpg.PostgresError) as err:
        raise click.ClickException(f"the database cannot be reached: {err}") from None
    pool_min = min(settings.db_pool_min, pool_max)
    if count == 1:
        settings = dataclasses.replace(settings, db_pool_max=pool_max, db_pool_min=pool_min)
        serve_here(settings, host, port, options, reuse_port)
        return
    assert settings.database_url and (settings.redis_url or settings.redis_cluster_nodes)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        # With REDIS_CLUSTER_NODES (inherited) the cluster; REDIS_URL is then not needed.
        "REDIS_URL": settings.redis_url or "",
        "GEOHUNT_DB_POOL_MAX": str(pool_max),
        "GEOHUNT_DB_POOL_MIN": str(pool_min),
    }
    verbose = logging.getLogger().isEnabledFor(logging.DEBUG)
    sys.exit(supervise(child_command(host, port, verbose), count, env))


def serve_here(
    settings: Settings, host: str, port: int, options: HttpOptions, reuse_port: bool
) -> None:
    from infra.event_loop import loop_factory
    from server.app import create_app
    from server.http.server import run_app

    app = create_app(settings)
    run_app(
        app,
        host=host,
        port=port,
        options=options,
        access_log=None,
        reuse_port=reuse_port,
        loop_factory=loop_factory(settings.event_loop),
    )


@main.command()
@click.option(
    "--role", required=True, type=click.Choice(["organiser", "field", "hunter", "screen"])
)
@click.option("--sub", required=True, help="Who the token is for (a hunter's id for hunters).")
@click.option("--ttl", "ttl_s", default=24 * 3600, show_default=True, type=click.IntRange(60))
@click.option("--hunt", default=None, help="Limit the token to one hunt.")
def token(role: str, sub: str, ttl_s: int, hunt: str | None) -> None:
    """Print a token signed with this environment's secret."""
    from server.http.auth import MAX_TTL_S, Role, TokenIssuer

    if role == Role.HUNTER and hunt is not None:
        raise click.ClickException("hunter tokens cannot be limited to a hunt")
    try:
        settings = Settings.from_env()
    except SettingsError as err:
        raise click.ClickException(str(err)) from None
    issued, _ = TokenIssuer(settings.jwt_key).issue(Role(role), sub, min(ttl_s, MAX_TTL_S), hunt)
    click.echo(issued)


@main.command("import-clues")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hunt", "slug", required=True, help="The hunt's slug.")
@click.option("--as", "sub", default="cli", show_default=True, help="Recorded as the author.")
def import_clues(path: Path, slug: str, sub: str) -> None:
    """Register clues from a GeoJSON FeatureCollection, with a per-feature error report.

    A feature's `id` (or `properties.ref`) names its site: importing the file again updates
    the clues whose feature changed and leaves the others alone."""
    from hunt_engine.errors import InvalidRequest
    from server.bootstrap.tools import import_clues, import_report
    from server.http.validation import parse_json

    settings = load_settings()
    try:
        collection = parse_json(path.read_bytes())
    except InvalidRequest as err:
        raise click.ClickException(f"{path}: {err.detail}") from None
    result = asyncio.run(import_clues(settings, slug, sub, collection))
    for line in import_report(result):
        click.echo(line)
    if result["failed"]:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--out", default="demo-qr", show_default=True, type=click.Path(path_type=Path))
@click.option("--no-serve", is_flag=True, help="Seed and print, then exit.")
def demo(host: str, port: int, out: Path, no_serve: bool) -> None:
    """Seed the Love, Death + Robots season 3 hunt, write its QR codes and serve."""
    from server.demo.run import run_demo

    run_demo(host, port, out, serve=not no_serve)


@main.command()
def follow() -> None:
    """Read the contract's Transfer events into the ratings (CHAIN_RPC_URL); stops on SIGTERM."""
    from infra.event_loop import run
    from server.bootstrap.chain_jobs import run_follower

    settings = load_settings()
    try:
        run(run_follower(settings), settings.event_loop)
    except SettingsError as err:
        raise click.ClickException(str(err)) from None


@main.command()
def worker() -> None:
    """Mint verified finds on chain (CHAIN_RPC_URL, MINTER_PRIVATE_KEY[S]); stops on SIGTERM."""
    from infra.event_loop import run
    from server.bootstrap.chain_jobs import run_worker

    settings = load_settings()
    try:
        run(run_worker(settings), settings.event_loop)
    except SettingsError as err:
        raise click.ClickException(str(err)) from None


@main.group()
def chain() -> None:
    """The collectible contract."""


@chain.command("deploy")
@click.option("--admin", default=None, help="Address that administers the contract [the key's].")
def chain_deploy(admin: str | None) -> None:
    """Deploy the collectible contract (the first minting key deploys, every key mints) and
    record its address."""
    from server.bootstrap.chain_jobs import deploy

    settings = load_settings()
    try:
        chain_id, address = asyncio.run(deploy(settings, admin))
    except SettingsError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"deployed on chain {chain_id}: {address}")


@main.group()
def mint() -> None:
    """The mint queue."""


@mint.command("retry")
@click.argument("find_ids", nargs=-1, type=click.IntRange(1))
def mint_retry(find_ids: tuple[int, ...]) -> None:
    """Requeue failed mints: all of them, or the finds named."""
    from chain.mint_store import retry_failed
    from infra.db import create_pool

    settings = load_settings()

    async def run() -> int:
        pool = await create_pool(settings)
        try:
            return await retry_failed(pool, find_ids or None)
        finally:
            await pool.close()

    click.echo(f"requeued {asyncio.run(run())} failed mints")


@main.group()
def leaderboard() -> None:
    """The hunts' leaderboards in Redis."""


@leaderboard.command("rebuild")
@click.option("--hunt", "slug", default=None, help="Only this hunt [all].")
def leaderboard_rebuild(slug: str | None) -> None:
    """Rebuild leaderboards from PostgreSQL (safe while the servers run)."""
    from server.bootstrap.tools import rebuild_leaderboards

    settings = load_settings()
    try:
        counts = asyncio.run(rebuild_leaderboards(settings, slug))
    except LookupError as err:
        raise click.ClickException(str(err)) from None
    for name, entries in sorted(counts.items()):
        click.echo(f"{name}: {entries} hunters")
    click.echo(f"rebuilt {len(counts)} leaderboards")


if __name__ == "__main__":  # `python -m server.cli`: the children of `serve --workers N`
    main()
