"""`geohunt demo`: start the server, seed the LDR volume 3 hunt through its own HTTP API, write
the printable codes, and print what a newcomer needs to try a scan with curl.

Seeding is idempotent: an existing hunt, collectible or clue (matched by label) is reused, and
an existing social drop gets its window moved around the current time. Without GEOHUNT_SECRET
the demo signs with a secret kept in `{state_dir}/dev-secret`, so the tokens and codes it
prints stay valid across restarts.

Seeding is in `seeding.py`, what is printed in `guide.py`, the chain's part in `on_chain.py`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import click
from aiohttp import ClientSession, ClientTimeout
from eth_account import Account

from infra.event_loop import run
from infra.settings import DEV_SECRET_FILE, Settings, SettingsError
from server.demo.guide import instructions, showcase_scans
from server.demo.on_chain import DemoChain, demo_chain, siwe_body, wait_minted
from server.demo.seeding import (
    ORGANISER_SUB,
    TOKEN_TTL_S,
    Client,
    DemoError,
    Seeded,
    call,
    newcomer,
    seed,
    write_codes,
)

log = logging.getLogger(__name__)

# --- running it -------------------------------------------------------------------------------


def url_host(host: str) -> str:
    """The host to put in a URL for a listening address (any-address means this machine)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising it, not binding it
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


# Addresses that mean "this machine" to whoever opens the page on it.
LOCAL_HOSTS = frozenset({"", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost"})  # noqa: S104


def public_host(host: str) -> str:
    """The host the demo's pages and codes name: `localhost` for this machine, never its IP
    (a passkey's relying party is a domain name, and browsers treat localhost as secure)."""
    return "localhost" if host in LOCAL_HOSTS else url_host(host)


def demo_settings(host: str, port: int, env: Mapping[str, str] | None = None) -> Settings:
    """Settings.from_env, with the demo's secret and public URL when the environment has none."""
    values = dict(os.environ if env is None else env)
    if not values.get("GEOHUNT_SECRET"):
        values["GEOHUNT_DEV"] = "1"  # a generated secret, kept in {state_dir}/dev-secret
    if not values.get("PUBLIC_BASE_URL"):
        values["PUBLIC_BASE_URL"] = f"http://{public_host(host)}:{port}"
    return Settings.from_env(values)


def run_demo(host: str, port: int, out: Path, serve: bool) -> None:
    from infra.embedded import resolve_service_urls, stop_embedded_services

    try:
        settings = resolve_service_urls(demo_settings(host, port))
    except SettingsError as err:
        raise click.ClickException(str(err)) from None
    try:
        run(_run(settings, host, port, out, serve), settings.event_loop)
    except DemoError as err:
        raise click.ClickException(str(err)) from None
    except KeyboardInterrupt:
        pass
    finally:
        stop_embedded_services()
    if serve:
        click.echo("geohunt demo: stopped")


async def _run(settings: Settings, host: str, port: int, out: Path, serve: bool) -> None:
    from infra.migrate import migrate

    assert settings.database_url
    try:
        applied = await migrate(settings.database_url)
    except (OSError, asyncpg.PostgresError) as err:
        raise DemoError(f"cannot migrate the database: {err}") from None
    if applied:
        log.info("migrations applied: %s", ", ".join(applied))
    async with demo_chain(settings) as chain:
        if chain is not None:
            settings = chain.settings
        await _serve_demo(settings, chain, host, port, out, serve)


async def _serve_demo(
    settings: Settings, chain: DemoChain | None, host: str, port: int, out: Path, serve: bool
) -> None:
    from hunt_engine.codes import static_code
    from infra.heap import freeze_startup_heap
    from server.app import create_app
    from server.http.auth import Role, TokenIssuer
    from server.http.metrics import HEAP_FROZEN
    from server.http.server import make_runner
    from server.http.site import GreedySite

    runner = make_runner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        try:
            await GreedySite(runner, host, port).start()
        except OSError as err:
            raise DemoError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
        api_url = f"http://{url_host(host)}:{port}"
        organiser, _ = TokenIssuer(settings.jwt_key).issue(
            Role.ORGANISER, ORGANISER_SUB, TOKEN_TTL_S
        )

        def code_of(clue_id: int) -> str:
            return static_code(settings.qr_keyring, clue_id)

        async with ClientSession(base_url=api_url, timeout=ClientTimeout(total=60)) as session:
            seeded = await seed(session, organiser, datetime.now(UTC).replace(microsecond=0))
            files = await write_codes(session, organiser, seeded, out)
            guest = await newcomer(session, organiser)
            minted = await showcase_mint(session, seeded, code_of, settings, chain)

        secret_file = (
            None if os.environ.get("GEOHUNT_SECRET") else Path(settings.state_dir, DEV_SECRET_FILE)
        )
        click.echo(
            instructions(
                api_url, settings, organiser, guest, seeded, code_of, out, files, secret_file
            )
        )
        click.echo(minted)
        if serve:
            # As `geohunt serve` does once it listens: the start-up heap (and the seeding's
            # leftovers, collected first) out of every later collection.
            HEAP_FROZEN.set(freeze_startup_heap())
            click.echo(f"Serving on {api_url}; Ctrl-C stops.")
            await _until_stopped()
    finally:
        await runner.cleanup()


async def showcase_mint(
    client: Client,
    seeded: Seeded,
    code_of: Callable[[int], str],
    settings: Settings,
    chain: DemoChain | None,
) -> str:
    """A hunter signs in with a fresh wallet and scans two clues; their finds are minted by
    the worker running beside the server. Returns what to print."""
    if chain is None:
        return "# No chain: finds stay queued (run `npm ci`, or set CHAIN_RPC_URL)."
    _, nonce = await call(client, "GET", "/v1/auth/siwe/nonce")
    wallet_key = Account.create().key.hex()
    _, signed_in = await call(
        client,
        "POST",
        "/v1/auth/siwe",
        body=siwe_body(settings.public_base_url, nonce["nonce"], wallet_key),
    )
    token = signed_in["token"]
    scans = showcase_scans(seeded, code_of, settings.public_base_url)
    for body in (scans["at_billboard"], scans["social"]):
        await call(client, "POST", "/v1/scans", token=token, body=body)

    async def finds() -> list[dict[str, Any]]:
        _, listed = await call(client, "GET", "/v1/me/finds", token=token)
        return list(listed)

    listed = await wait_minted(finds)
    where = f"chain {chain.chain_id}" + (f" at {chain.anvil.url}" if chain.anvil else "")
    lines = [
        f"# On chain ({where}), contract {chain.contract}:",
        f"# a hunter signed in with wallet {signed_in['wallet']} and scanned two clues:",
    ]
    for find in listed:
        mint = find["mint"]
        detail = mint.get("tx_hash") or mint.get("error") or "not yet"
        lines.append(
            f"#   token {find['id']} ({find['collectible']['name']}): {mint['status']}, {detail}"
        )
        lines.append(f'curl -s "$GEOHUNT/v1/tokens/{find["id"]}"')
    return "\n".join(lines) + "\n"


async def _until_stopped() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
