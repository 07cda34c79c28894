"""`geohunt demo`: start the server, seed the LDR volume 3 hunt through its own HTTP API, write
the printable codes, and print what a newcomer needs to try a scan with curl.

Seeding is idempotent: an existing hunt, collectible or clue (matched by label) is reused, and
an existing social drop gets its window moved around the current time. Without GEOHUNT_SECRET
the demo signs with a secret kept in `{state_dir}/dev-secret`, so the tokens and codes it
prints stay valid across restarts.

The seeding functions take any client with aiohttp's `request(method, path, **kwargs)`: a
`ClientSession(base_url=...)` here, the test client in the tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import shlex
import signal
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import click
from aiohttp import ClientResponse, ClientSession, ClientTimeout, web
from eth_account import Account
from geopy.distance import geodesic

from infra.settings import DEV_SECRET_FILE, Settings, SettingsError
from server.demo import data as demo_data
from server.demo.on_chain import DemoChain, demo_chain, siwe_body, wait_minted

log = logging.getLogger(__name__)

ORGANISER_SUB = "demo-organiser"
SCREEN_SUB = "demo-screen"
TOKEN_TTL_S = 7 * 24 * 3600
JSON_TYPES = ("application/json", "application/problem+json")


class DemoError(RuntimeError):
    """The server answered something the demo did not expect."""


# aiohttp's ClientSession (with a base_url) or its test client: both answer
# `.request(method, path, ...)`, but their keyword types differ too much for one Protocol.
Client = Any


# --- talking to the API -----------------------------------------------------------------------


async def call(
    client: Client,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    expect: tuple[int, ...] = (200, 201),
    tolerate: tuple[str, ...] = (),
) -> tuple[int, Any]:
    """One request; the answer's status and JSON (or bytes). Anything unexpected is DemoError.

    `tolerate` names problem codes (e.g. `slug_taken`) that are answers, not failures.
    """
    kwargs: dict[str, Any] = {}
    if token is not None:
        kwargs["headers"] = {"Authorization": f"Bearer {token}"}
    if body is not None:
        kwargs["json"] = body
    response: ClientResponse = await client.request(method, path, **kwargs)
    try:
        answer: Any
        if response.content_type in JSON_TYPES:
            answer = await response.json(content_type=None)
        else:
            answer = await response.read()
    finally:
        response.release()
    if response.status in expect:
        return response.status, answer
    if isinstance(answer, dict) and answer.get("code") in tolerate:
        return response.status, answer
    shown = answer if isinstance(answer, dict) else f"<{len(answer)} bytes>"
    raise DemoError(f"{method} {path} answered {response.status}: {shown}")


@dataclass
class Seeded:
    hunt: dict[str, Any]
    clues: dict[str, dict[str, Any]]  # by label, in demo_data.CLUES order
    created: dict[str, int] = field(default_factory=dict)  # hunt, collectibles, clues
    refreshed: list[str] = field(default_factory=list)  # labels of social windows moved

    def clue(self, label: str) -> dict[str, Any]:
        return self.clues[label]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.clues.values() if c["kind"] == kind]


async def seed(client: Client, organiser: str, now: datetime) -> Seeded:
    """Create what is missing of the demo hunt; reuse what exists."""
    slug = demo_data.SLUG
    created = {"hunt": 0, "collectibles": 0, "clues": 0}
    status, _ = await call(
        client, "POST", "/v1/hunts", token=organiser, body=demo_data.HUNT, tolerate=("slug_taken",)
    )
    created["hunt"] += status == 201
    for collectible in demo_data.COLLECTIBLES:
        status, _ = await call(
            client,
            "POST",
            f"/v1/hunts/{slug}/collectibles",
            token=organiser,
            body=collectible,
            tolerate=("key_taken",),
        )
        created["collectibles"] += status == 201

    _, listed = await call(client, "GET", f"/v1/hunts/{slug}/clues", token=organiser)
    existing = {clue["label"]: clue for clue in listed}
    clues: dict[str, dict[str, Any]] = {}
    refreshed: list[str] = []
    for spec in demo_data.CLUES:
        body = spec.body(now)
        clue = existing.get(spec.label)
        if clue is None:
            _, clue = await call(
                client, "POST", f"/v1/hunts/{slug}/clues", token=organiser, body=body
            )
            created["clues"] += 1
        elif spec.kind == "social" and not _window_covers(clue, now):
            _, clue = await call(
                client,
                "PATCH",
                f"/v1/clues/{clue['id']}",
                token=organiser,
                body={k: body[k] for k in ("active_from", "active_until")},
            )
            refreshed.append(spec.label)
        clues[spec.label] = clue
    _, hunt = await call(client, "GET", f"/v1/hunts/{slug}")
    return Seeded(hunt=hunt, clues=clues, created=created, refreshed=refreshed)


def _window_covers(clue: dict[str, Any], now: datetime) -> bool:
    """Is the drop open now and for at least another day?"""
    start, end = clue.get("active_from"), clue.get("active_until")
    opened = start is None or datetime.fromisoformat(start) <= now
    lasting = end is None or datetime.fromisoformat(end) >= now + timedelta(days=1)
    return opened and lasting


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in plain).split()
    return "-".join(words) or "x"


def code_file_stem(clue: dict[str, Any]) -> str:
    """`{city}-{collectible}` for billboards, `social-{collectible}` for drops."""
    place = "social" if clue["kind"] == "social" else slugify(clue.get("city") or clue["kind"])
    return f"{place}-{clue['collectible']}"


async def fetch_codes(client: Client, organiser: str, seeded: Seeded) -> dict[str, bytes]:
    """File name -> image: printable QR codes (PNG, SVG) of billboards and drops, and the
    screens' current code."""
    images: dict[str, bytes] = {}
    for clue in seeded.clues.values():
        if clue["kind"] in ("billboard", "social"):
            wanted = [(f"qr.{ext}", f"{code_file_stem(clue)}.{ext}") for ext in ("png", "svg")]
        elif clue["kind"] == "digital":
            wanted = [("display.png", f"display-{code_file_stem(clue)}.png")]
        else:
            continue
        for resource, name in wanted:
            path = f"/v1/clues/{clue['id']}/{resource}"
            _, images[name] = await call(client, "GET", path, token=organiser)
    return images


def save_codes(images: dict[str, bytes], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in images.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


async def write_codes(client: Client, organiser: str, seeded: Seeded, out: Path) -> list[Path]:
    images = await fetch_codes(client, organiser, seeded)
    return await asyncio.to_thread(save_codes, images, out)


@dataclass(frozen=True)
class Newcomer:
    screen_token: str
    hunter_id: int
    handle: str
    hunter_token: str


async def newcomer(client: Client, organiser: str) -> Newcomer:
    """A screen token for the hunt, and a fresh walletless hunter."""
    _, screen = await call(
        client,
        "POST",
        "/v1/auth/tokens",
        token=organiser,
        body={"role": "screen", "sub": SCREEN_SUB, "hunt": demo_data.SLUG, "ttl_s": TOKEN_TTL_S},
    )
    for _ in range(5):
        handle = f"demo-{secrets.token_hex(4)}"
        status, hunter = await call(
            client, "POST", "/v1/auth/hunters", body={"handle": handle}, tolerate=("handle_taken",)
        )
        if status == 201:
            return Newcomer(screen["token"], hunter["hunter_id"], handle, hunter["token"])
    raise DemoError("could not find a free demo handle")


# --- what to try ------------------------------------------------------------------------------


def home_of(lat: float, lon: float) -> tuple[float, float]:
    """A point HOME_DISTANCE_M due south of (lat, lon)."""
    point = geodesic(meters=demo_data.HOME_DISTANCE_M).destination((lat, lon), bearing=180)
    return round(point.latitude, 6), round(point.longitude, 6)


def showcase_scans(
    seeded: Seeded, code_of: Callable[[int], str], public_base_url: str
) -> dict[str, dict[str, Any]]:
    """The POST /v1/scans bodies the demo prints: at the billboard, from home, the drop."""
    billboard = seeded.clue(demo_data.SHOWCASE_LABEL)
    lat, lon = billboard["location"]["lat"], billboard["location"]["lon"]
    home_lat, home_lon = home_of(lat, lon)
    code = code_of(billboard["id"])
    accuracy = demo_data.SHOWCASE_ACCURACY_M
    [social] = seeded.of_kind("social")
    return {
        "at_billboard": {"code": code, "lat": lat, "lon": lon, "accuracy_m": accuracy},
        "from_home": {"code": code, "lat": home_lat, "lon": home_lon, "accuracy_m": accuracy},
        # The scanned URL works as well as the bare code.
        "social": {"code": f"{public_base_url}/c/{code_of(social['id'])}"},
    }


def instructions(
    api_url: str,
    settings: Settings,
    organiser: str,
    guest: Newcomer,
    seeded: Seeded,
    code_of: Callable[[int], str],
    out: Path,
    files: list[Path],
    secret_file: Path | None = None,
) -> str:
    """What the demo prints. `secret_file`: where the demo's own secret is, if it used one."""
    scans = showcase_scans(seeded, code_of, settings.public_base_url)
    billboard = seeded.clue(demo_data.SHOWCASE_LABEL)
    [social] = seeded.of_kind("social")
    [screen] = seeded.of_kind("digital")
    slug = demo_data.SLUG
    made = seeded.created
    cities = {c["city"] for c in seeded.clues.values() if c["city"]}
    lines = [
        "",
        f"geohunt demo: hunt {slug!r}, {seeded.hunt['name']}",
        f"  seeded: {made.get('hunt', 0)} hunt, {made.get('collectibles', 0)} collectibles,"
        f" {made.get('clues', 0)} clues created"
        + ("" if any(made.values()) else " (everything was there already)")
        + ("; social drop window moved to now-1h..now+7d" if seeded.refreshed else ""),
        f"  clues: {len(seeded.clues)} in {len(cities)} cities: {', '.join(sorted(cities))}",
    ]
    for clue in seeded.clues.values():
        where = clue.get("city") or "online"
        window = ""
        if clue["kind"] == "social":
            window = f", open {clue['active_from']} .. {clue['active_until']}"
        lines.append(
            f"    #{clue['id']:<4} {clue['kind']:<9} {where:<12} {clue['collectible']}{window}"
        )
    lines += [
        f"  printable codes: {len(files)} files in {out}/",
        f"  the screen's code changes every {seeded.hunt['rules']['rotate_s']:g} s:"
        f" its saved display PNG is only a sample",
        "",
        f"API: {api_url}",
    ]
    if settings.public_base_url != api_url:
        lines.append(f"QR codes name: {settings.public_base_url}")
    lines += [
        f"A printed code's page: {settings.public_base_url}/c/{code_of(billboard['id'])}",
        "",
        "# Paste into a shell:",
        f"export GEOHUNT={shlex.quote(api_url)}",
        f"export ORGANISER={organiser}",
        f"export SCREEN={guest.screen_token}",
        f"export HUNTER={guest.hunter_token}  # hunter {guest.hunter_id}, {guest.handle},"
        " no wallet yet",
        "",
        f"# 1. Scan the {billboard['city']} billboard ({billboard['collectible']}) standing"
        " at it: 201, a find",
        _scan_curl(scans["at_billboard"]),
        f"# 2. The same code from home, {demo_data.HOME_DISTANCE_M / 1000:g} km away:"
        " 422 outside_geofence",
        _scan_curl(scans["from_home"]),
        f"# 3. The social drop ({social['collectible']}): no location needed: 201",
        _scan_curl(scans["social"]),
        "# 4. Your finds (mint status awaiting_wallet until you sign in with Ethereum)",
        'curl -s "$GEOHUNT/v1/me/finds" -H "Authorization: Bearer $HUNTER"',
        "# 5. The hunt and its collectibles (anyone)",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}"',
        f"# 6. What the {screen['city']} screen ({screen['collectible']}) shows now",
        f'curl -s "$GEOHUNT/v1/clues/{screen["id"]}/display" -H "Authorization: Bearer $SCREEN"',
        "# Its code counts with a position at the screen, for this step and the next:",
        f"#   lat {screen['location']['lat']}, lon {screen['location']['lon']}",
        "# The venue screen, in a browser: leaderboard, finds per episode, the latest finds",
        "# (the scans above appear at once) and this screen's rotating code:",
        f"#   {api_url}/screens/{slug}?token={guest.screen_token}&clue={screen['id']}",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/leaderboard"',
        "# The organisers' ratings: per-episode charts, on-site/online, cities, alerts",
        f"#   {api_url}/organisers/{slug}?token={organiser}",
        f'curl -s "$GEOHUNT/v1/hunts/{slug}/stats" -H "Authorization: Bearer $ORGANISER"',
        "",
    ]
    for ar in seeded.of_kind("ar")[:1]:
        spot = ar["location"]
        lines += [
            f"# 7. Hints for the camera view, standing by the {ar['city']} AR clue"
            f" ({ar['collectible']}): its anchor and a 5-minute ticket, sent as `code` to"
            " /v1/scans from there",
            f'curl -s "$GEOHUNT/v1/hunts/{slug}/nearby?lat={spot["lat"]}&lon={spot["lon"]}'
            '&accuracy_m=10" -H "Authorization: Bearer $HUNTER"',
            "",
        ]
    # The command line reads GEOHUNT_SECRET itself: give it the one the demo signs with.
    env = f"GEOHUNT_SECRET=$(cat {shlex.quote(str(secret_file))}) " if secret_file else ""
    lines += [
        "# More clues in ten more cities, and one broken feature to show the error report:",
        f"#   {env}geohunt import-clues examples/ldr-s3-extra-clues.geojson --hunt {slug}",
        "# Another token:",
        f"#   {env}geohunt token --role field --sub crew-1 --hunt {slug}",
        "",
    ]
    return "\n".join(lines)


def _scan_curl(body: dict[str, Any]) -> str:
    return (
        'curl -s -X POST "$GEOHUNT/v1/scans" -H "Authorization: Bearer $HUNTER"'
        " -H 'Content-Type: application/json' \\\n     -d " + shlex.quote(json.dumps(body))
    )


# --- running it -------------------------------------------------------------------------------


def url_host(host: str) -> str:
    """The host to put in a URL for a listening address (any-address means this machine)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - recognising it, not binding it
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def demo_settings(host: str, port: int, env: Mapping[str, str] | None = None) -> Settings:
    """Settings.from_env, with the demo's secret and public URL when the environment has none."""
    values = dict(os.environ if env is None else env)
    if not values.get("GEOHUNT_SECRET"):
        values["GEOHUNT_DEV"] = "1"  # a generated secret, kept in {state_dir}/dev-secret
    if not values.get("PUBLIC_BASE_URL"):
        values["PUBLIC_BASE_URL"] = f"http://{url_host(host)}:{port}"
    return Settings.from_env(values)


def run_demo(host: str, port: int, out: Path, serve: bool) -> None:
    from infra.embedded import resolve_service_urls, stop_embedded_services

    try:
        settings = resolve_service_urls(demo_settings(host, port))
    except SettingsError as err:
        raise click.ClickException(str(err)) from None
    try:
        asyncio.run(_run(settings, host, port, out, serve))
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
    from server.app import create_app
    from server.http.auth import Role, TokenIssuer
    from server.http.server import make_runner

    runner = make_runner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
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
