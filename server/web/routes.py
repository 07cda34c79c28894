"""The web apps, served by geohunt itself. The fan app: one shell page for `/`, `/c/{code}` and
the app's tabs (the app routes among them without reloads), its hashed files under `/app/`, its
service worker at the root (so that it may control every page) and its manifest. The console
(organisers and field teams): one shell page at `/console`, its files under `/app/console/`.

The pages' Content-Security-Policy admits scripts, styles and connections of this origin only:
no inline script, no eval. Two sources go beyond 'self', both for the camera's decoder: its
worker is created from a blob: URL, and the camera's frames are blob:/mediastream: media. The
console's images may also come from the map's tile server, when GEOHUNT_TILE_URL names one."""

from __future__ import annotations

import functools
from pathlib import Path

from aiohttp import web

from hunt_engine.codes import parse_code
from hunt_engine.errors import InvalidCode, NotFound
from server.http.routing import Call, RouteTable
from server.web.bundle import Asset, WebApp, load

TABLE = RouteTable()

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
FAN = "fan"
CONSOLE = "console"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self' blob:; media-src 'self' blob: mediastream:; "
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
}
# The console: no camera, no worker; its printable codes are fetched with the bearer token and
# shown from blob: URLs; its map's tiles, where configured, are the one other origin.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tiles}; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CONSOLE_HEADERS = {
    "Referrer-Policy": "strict-origin",  # a tile server sees our origin only (never a path)
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), geolocation=(self), microphone=()",
}
KEEP_A_YEAR = "public, max-age=31536000, immutable"
NAME = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$"}
APP = {"type": "string", "pattern": r"^[a-z]{1,20}$"}
CODE = {"type": "string", "minLength": 1}  # anything else gets the HTML 404 page
NOT_A_CODE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geohunt: not a code</title></head>
<body><main><h1>This is not a geohunt code</h1>
<p>It may be mistyped or from an earlier season. Scan a code on a geohunt billboard, screen or
post, or <a href="/">open the hunt</a>.</p></main></body></html>
"""


@functools.cache
def _apps(dist: Path) -> dict[str, WebApp]:
    return load(dist)


def _app(name: str) -> WebApp:
    app = _apps(DIST).get(name)
    if app is None:
        raise NotFound(f"no such app: {name!r}")
    return app


def _send(
    request: web.Request, asset: Asset, headers: dict[str, str], status: int = 200
) -> web.Response:
    gzip = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    response = web.Response(
        body=asset.gzipped if gzip else asset.body,
        status=status,
        content_type=asset.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable"
            if asset.immutable
            else "no-cache",
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            **headers,
        },
    )
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    return response


def _shell(call: Call) -> web.Response:
    return _send(call.request, _app(FAN).shell, {**PAGE_HEADERS, "Cache-Control": "no-cache"})


def _page(path: str, name: str, summary: str) -> None:
    async def page(call: Call) -> web.Response:
        return _shell(call)

    page.__name__ = page.__qualname__ = name  # the operation's id in /openapi.json
    TABLE.route("GET", path, summary, ok_media="text/html")(page)


_page("/", "fan_app", "The fan app (installable): scan, claim, collection, nearby, leaderboard")
for _tab in ("collection", "nearby", "leaderboard", "moments", "swaps"):
    _page(f"/{_tab}", f"fan_app_{_tab}", f"The fan app, opened on its {_tab} tab")


def console_csp(tile_origin: str | None) -> str:
    """The console's Content-Security-Policy: the fan app's, plus the tile server's origin."""
    return CONSOLE_CSP.format(tiles=f" {tile_origin}" if tile_origin else "")


@TABLE.route(
    "GET",
    "/console",
    "The console for organisers and field teams (a token in the URL's fragment, #token=, or"
    " pasted on the page): hunts, collectibles, clues, imports, tokens, alerts",
    ok_media="text/html",
)
async def console(call: Call) -> web.Response:
    csp = console_csp(call.services.settings.tile_origin)
    headers = {**CONSOLE_HEADERS, "Content-Security-Policy": csp, "Cache-Control": "no-cache"}
    return _send(call.request, _app(CONSOLE).shell, headers)


@TABLE.route(
    "GET",
    "/c/{code}",
    "The fan app opened on a code, ready to claim it where the fan stands (an HTML 404 for "
    "anything that is not a code of this server)",
    ok_media="text/html",
    params={"code": {"in": "path", "required": True, "schema": CODE}},
    errors=(404,),
)
async def code_page(call: Call) -> web.Response:
    try:
        parse_code(call.services.keyring, call.request.match_info["code"])
    except InvalidCode:
        return web.Response(
            text=NOT_A_CODE,
            status=404,
            content_type="text/html",
            headers={**PAGE_HEADERS, "Cache-Control": "no-store"},
        )
    return _shell(call)


@TABLE.route(
    "GET",
    "/app/{app}/{name}",
    "A file of a web app (scripts, styles and icons; hashed names are kept for a year)",
    ok_media="application/octet-stream",
    params={
        "app": {"in": "path", "required": True, "schema": APP},
        "name": {"in": "path", "required": True, "schema": NAME},
    },
    errors=(404,),
)
async def app_file(call: Call) -> web.Response:
    app = _app(call.request.match_info["app"])
    return _send(call.request, app.asset(call.request.match_info["name"]), {})


@TABLE.route("GET", "/sw.js", "The fan app's service worker", ok_media="text/javascript")
async def service_worker(call: Call) -> web.Response:
    # At the root, so that its scope covers every page of the app.
    return _send(call.request, _app(FAN).asset("sw.js"), {"Service-Worker-Allowed": "/"})


@TABLE.route(
    "GET",
    "/manifest.webmanifest",
    "The fan app's web app manifest",
    ok_media="application/manifest+json",
    ok_schema={"type": "object"},
)
async def web_manifest(call: Call) -> web.Response:
    return _send(call.request, _app(FAN).asset("manifest.webmanifest"), {})
