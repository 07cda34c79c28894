"""`GET /organisers/{slug}?token=`: the ratings page an organiser reads at a glance.

Drawn by the server from the same figures as `/v1/hunts/{slug}/stats`: SVG charts inline, one
inline stylesheet allowed by its hash, no script, nothing from another origin. The page reloads
itself every minute. The organiser's token arrives in the URL (a browser opening a link sends
no header), so the page never sends a referrer.
"""

from __future__ import annotations

import base64
import hashlib
from functools import partial
from html import escape
from typing import Any

import asyncpg
from aiohttp import web

from hunt_engine.errors import NotFound
from server.http.auth import Role
from server.http.fields import BrowserToken, Lax
from server.http.responses import page
from server.http.routing import Call, RouteTable
from server.ratings.charts import grouped_bars, hourly_line, scene_strips, split_bars
from server.ratings.queries import ALERTS_SQL
from server.ratings.routes import stats_from

TABLE = RouteTable()

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1600px;color:#111827;
background:#f9fafb}
h1{margin:0 0 4px}h2{margin:0 0 12px;font-size:18px}
.sub{color:#6b7280;margin-bottom:20px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:20px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:12px 18px;min-width:120px}
.card b{display:block;font-size:26px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(780px,1fr));gap:16px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:16px;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;
border-bottom:1px solid #f3f4f6}td.n,th.n{text-align:right}
.alert{border-left:4px solid #dc2626;padding:6px 10px;margin-bottom:8px;background:#fef2f2}
.none{color:#6b7280}
"""
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class RatingsQuery(Lax):
    token: BrowserToken | None = None


def _label(c: dict[str, Any]) -> str:
    name = str(c["name"])
    return name if len(name) <= 28 else name[:27] + "…"


def _cards(totals: dict[str, Any]) -> str:
    share = totals["on_site_share"]
    items = [
        ("scans", totals["scans"]),
        ("verified finds", totals["finds"]),
        ("mints", totals["mints"]),
        ("transfers", totals["transfers"]),
        ("rejections", totals["rejections"]),
        ("on site", "–" if share is None else f"{round(share * 100)}%"),
    ]
    return "".join(
        f'<div class="card" data-total="{escape(k)}"><b>{escape(str(v))}</b>{escape(k)}</div>'
        for k, v in items
    )


def _cities(cities: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(c['city'] or 'online (no city)')}</td><td class=n>{c['clues']}</td>"
        f"<td class=n>{c['scans']}</td><td class=n>{c['finds']}</td>"
        f"<td class=n>{c['rejections']}</td></tr>"
        for c in cities
    )
    return (
        '<table id="cities"><tr><th>city</th><th class=n>clues</th><th class=n>scans</th>'
        f"<th class=n>finds</th><th class=n>rejections</th></tr>{rows}</table>"
    )


def _alerts(alerts: list[Any]) -> str:
    if not alerts:
        return '<p class="none">No alerts.</p>'
    return "".join(
        f'<div class="alert" data-alert="{a["id"]}"><b>{escape(a["kind"])}</b>'
        f" at clue {a['clue_id']} ({escape(a['label'] or '')}),"
        f" {a['raised_at'].strftime('%Y-%m-%d %H:%M UTC')}:"
        f" {escape(str((a['detail'] or {}).get('message', '')))}{_reissue(a)}</div>"
        for a in alerts
    )


def _reissue(alert: Any) -> str:
    """A leaked code's answer, as its alert names it: the clue's reissue (a POST with an
    organiser's token, so named here for the console, not a link this page could follow)."""
    path = (alert["detail"] or {}).get("reissue")
    if not isinstance(path, str):
        return ""
    return (
        f' Reissue its code: <code data-reissue="{escape(path)}">POST {escape(path)}</code>'
        " (every earlier code is then refused <code>code_revoked</code>)."
    )


def _rejections(rejections: dict[str, int]) -> str:
    if not rejections:
        return '<p class="none">No rejected scans.</p>'
    rows = "".join(
        f"<tr><td>{escape(code)}</td><td class=n>{n}</td></tr>" for code, n in rejections.items()
    )
    return f'<table id="rejections"><tr><th>code</th><th class=n>scans</th></tr>{rows}</table>'


async def page_figures(pool: asyncpg.Pool, slug: str) -> tuple[dict[str, Any], list[Any]]:
    """The page's figures and alerts from `pool`, the primary or a replica a moment behind."""
    stats = await stats_from(pool, slug)
    return stats, list(await pool.fetch(ALERTS_SQL, slug))


def render(stats: dict[str, Any], alerts: list[Any]) -> str:
    collectibles = stats["collectibles"]
    labels = [_label(c) for c in collectibles]
    episodes = grouped_bars(
        labels,
        {
            "finds": [c["finds"] for c in collectibles],
            "unique hunters": [c["unique_hunters"] for c in collectibles],
            "transfers": [c["transfers"] for c in collectibles],
        },
        "Finds, unique hunters and transfers per episode",
    )
    split = split_bars(
        labels,
        [c["on_site_finds"] for c in collectibles],
        [c["online_finds"] for c in collectibles],
    )
    hours = stats["scans_per_hour"]
    line = hourly_line(
        [h["hour"] for h in hours], [h["scans"] for h in hours], [h["finds"] for h in hours]
    )
    scenes = scene_strips(labels, [c["scenes"] for c in collectibles])
    swaps = grouped_bars(
        labels,
        {
            "traded to get": [c["swaps_in"] for c in collectibles],
            "traded away": [c["swaps_out"] for c in collectibles],
        },
        "Completed swaps per episode: traded to get it, and traded away",
    )
    hunt = stats["hunt"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="60">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Ratings: {escape(hunt["name"])}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(hunt["name"])}</h1>
<div class="sub">Episode ratings · {hunt["starts_at"]:%d %b %Y} – {hunt["ends_at"]:%d %b %Y}</div>
<div class="cards">{_cards(stats["totals"])}</div>
<div class="grid">
<section id="episodes"><h2>Per episode</h2>{episodes}</section>
<section id="split"><h2>On site and online</h2>{split}</section>
<section id="hours"><h2>Scans per hour</h2>{line}</section>
<section id="scenes"><h2>Loved scenes</h2>{scenes}</section>
<section id="swaps"><h2>Swaps between fans</h2>{swaps}</section>
<section id="city-table"><h2>Cities</h2>{_cities(stats["cities"])}</section>
<section id="rejection-table"><h2>Rejections</h2>{_rejections(stats["rejections"])}</section>
<section id="alerts"><h2>Alerts</h2>{_alerts(alerts)}</section>
</div></body></html>"""


@TABLE.route(
    "GET",
    "/organisers/{slug}",
    "The organisers' ratings page (?token= an organiser token)",
    roles={Role.ORGANISER},
    query=RatingsQuery,
    query_token=True,
    ok_media="text/html",
    errors=(400, 401, 403, 404),
)
async def ratings_page(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    stats, alerts = await call.services.reads.read(
        partial(page_figures, slug=slug), again_on=(NotFound,)
    )
    return page(render(stats, alerts), CSP)
