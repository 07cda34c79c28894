"""The venue screen: a page served by geohunt itself, and the rotating code it shows.

The page (`server/screens/screen.html`) needs nothing from outside the server: styles and
script are inline (allowed by hash in its Content-Security-Policy, which also forbids any other
origin), the QR code arrives as SVG markup from `/screens/{slug}/code`.

The page itself is public, like the leaderboard and the latest finds it shows without a token
(`/screens/{slug}/recent`: names as on the leaderboard, collectible, city, time); its live
stream and a digital clue's code need a `screen` (or organiser) token, which the venue's
operator puts in the URL:
`/screens/{slug}?token=...&clue=ID`. The page keeps it in the tab's sessionStorage and hands it
to EventSource and fetch as `?token=`. The secret of a digital clue never leaves the server: the
page asks for the current code at each step.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
import time
from importlib import resources

from aiohttp import web

from hunt_engine.codes import rotating_code, seconds_left, step_at
from hunt_engine.errors import InvalidRequest, NotFound
from server.common import qr_images
from server.common.hunts import VIEWERS, hunt_of
from server.http.responses import ok, page
from server.http.routing import Call, RouteTable
from server.screens.queries import HUNT_NAME_SQL, RECENT_FINDS_SQL
from server.screens.schemas import RecentOut, ScreenCodeOut, ScreenCodeQuery, ScreenQuery

TABLE = RouteTable()


_TEMPLATE = resources.files("server.screens").joinpath("screen.html").read_text("utf-8")
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def _csp(page: str) -> str:
    hashes = {"script": [], "style": []}  # type: dict[str, list[str]]
    for tag, body in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[tag].append(f"'sha256-{digest}'")
    return (
        "default-src 'none'; connect-src 'self'; img-src 'self' data:; "
        f"script-src {' '.join(hashes['script'])}; style-src {' '.join(hashes['style'])}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )


CSP = _csp(_TEMPLATE)


def render(slug: str, name: str) -> str:
    # JSON inside <script type="application/json">: no "<" may close the element early.
    boot = json.dumps({"slug": slug, "name": name}).replace("<", "\\u003c")
    return _TEMPLATE.replace("__BOOT__", boot).replace("__TITLE__", html.escape(name))


@TABLE.route(
    "GET",
    "/screens/{slug}",
    "The live screen page for a venue (?token= for live updates, ?clue= for a digital clue)",
    query=ScreenQuery,
    ok_media="text/html",
    errors=(400, 404),
)
async def screen_page(call: Call) -> web.Response:
    hunt_id, slug = await hunt_of(call)
    name = await call.services.pool.fetchval(HUNT_NAME_SQL, hunt_id)
    return page(render(slug, name), CSP)


@functools.lru_cache(maxsize=256)
def _qr_svg(url: str) -> str:
    # Every screen showing a clue asks for the same image during a step.
    return qr_images.svg(url, 10).decode()


@TABLE.route(
    "GET",
    "/screens/{slug}/code",
    "A digital clue's current rotating code, with its QR code as SVG, for a venue screen",
    roles=VIEWERS,
    query=ScreenCodeQuery,
    ok_schema=ScreenCodeOut,
    errors=(400, 404),
)
async def screen_code(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    services = call.services
    clue_id = call.query.clue
    if clue_id is None:
        raise InvalidRequest("clue: the digital clue's id is required")
    clue = await services.catalog.clue(services.pool, clue_id)
    hunt = None if clue is None else services.catalog.hunts.get(clue.hunt_id)
    if clue is None or hunt is None or hunt.slug != slug or clue.kind.value != "digital":
        raise NotFound(f"no digital clue {clue_id} in hunt {slug!r}")
    now = time.time()
    rotate_s = hunt.rules.rotate_s
    step = step_at(now, rotate_s)
    code = rotating_code(services.keyring, clue_id, step)
    url = f"{services.settings.public_base_url}/c/{code}"
    body = {
        "clue_id": clue_id,
        "url": url,
        "code": code,
        "step": step,
        "expires_in_s": round(seconds_left(now, rotate_s), 3),
        "rotate_s": rotate_s,
        "svg": _qr_svg(url),
    }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


RECENT = 10


@TABLE.route(
    "GET",
    "/screens/{slug}/recent",
    f"The hunt's {RECENT} latest finds as a venue screen shows them without a token: the"
    " hunter's name as on the public leaderboard, the collectible, the city, the time",
    ok_schema=RecentOut,
    errors=(404,),
)
async def screen_recent(call: Call) -> web.Response:
    hunt_id, _ = await hunt_of(call)
    rows = await call.services.pool.fetch(RECENT_FINDS_SQL, hunt_id, RECENT)
    finds = [
        {
            "name": r["name"],
            "collectible": {
                "key": r["key"],
                "name": r["collectible_name"],
                "episode": r["episode"],
            },
            "city": r["city"],
            "found_at": r["found_at"],
        }
        for r in rows
    ]
    return ok({"finds": finds}, headers={"Cache-Control": "no-store"})
