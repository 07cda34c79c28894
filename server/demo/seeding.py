"""Seeding the demo hunt through the server's own HTTP API, idempotently: an existing hunt,
collectible or clue (matched by label) is reused, and an existing social drop gets its window
moved around the current time. Then its printable codes, and fresh walletless hunters.

The seeding functions take any client with aiohttp's `request(method, path, **kwargs)`: a
`ClientSession(base_url=...)` in `geohunt demo`, the test client in the tests.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse

from server.demo import data as demo_data
from server.demo.art import episode_art

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
    raw: tuple[bytes, str] | None = None,
    expect: tuple[int, ...] = (200, 201),
    tolerate: tuple[str, ...] = (),
) -> tuple[int, Any]:
    """One request; the answer's status and JSON (or bytes). Anything unexpected is DemoError.

    `tolerate` names problem codes (e.g. `slug_taken`) that are answers, not failures. `raw`
    is a body that is not JSON, with its media type (an image upload).
    """
    kwargs: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        kwargs["json"] = body
    if raw is not None:
        kwargs["data"], headers["Content-Type"] = raw
    if headers:
        kwargs["headers"] = headers
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
    await seed_art(client, organiser)

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


async def seed_art(client: Client, organiser: str) -> None:
    """Each episode's art, drawn by the demo itself (server/demo/art.py) and uploaded: geohunt
    keeps its own copy and the collectible's `image_url` names it, on geohunt's origin. The
    drawing is deterministic, so a re-run uploads the same bytes to the same address."""
    for collectible in demo_data.COLLECTIBLES:
        png = await asyncio.to_thread(
            episode_art, collectible["key"], collectible["name"], collectible["episode"]
        )
        path = f"/v1/hunts/{demo_data.SLUG}/collectibles/{collectible['key']}/image"
        await call(client, "PUT", path, token=organiser, raw=(png, "image/png"), expect=(200,))


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
class Hunter:
    hunter_id: int
    handle: str
    token: str


@dataclass(frozen=True)
class Newcomer:
    """Who the printed guide's steps act as: the screen, and two fresh walletless hunters, one
    at the showcase billboard and one at the screen (a few kilometres apart: one hunter at
    both within seconds is refused `impossible_travel`)."""

    screen_token: str
    at_billboard: Hunter
    at_screen: Hunter


async def newcomer(client: Client, organiser: str) -> Newcomer:
    """A screen token for the hunt, and two fresh walletless hunters."""
    _, screen = await call(
        client,
        "POST",
        "/v1/auth/tokens",
        token=organiser,
        body={"role": "screen", "sub": SCREEN_SUB, "hunt": demo_data.SLUG, "ttl_s": TOKEN_TTL_S},
    )
    first = await fresh_hunter(client)
    second = await fresh_hunter(client)
    return Newcomer(screen["token"], first, second)


async def fresh_hunter(client: Client) -> Hunter:
    """A walletless hunter with a free `demo-...` handle."""
    for _ in range(5):
        handle = f"demo-{secrets.token_hex(4)}"
        status, hunter = await call(
            client, "POST", "/v1/auth/hunters", body={"handle": handle}, tolerate=("handle_taken",)
        )
        if status == 201:
            return Hunter(hunter["hunter_id"], handle, hunter["token"])
    raise DemoError("could not find a free demo handle")
