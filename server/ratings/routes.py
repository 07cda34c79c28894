"""`GET /v1/hunts/{slug}/stats`: what the hunt tells the studio, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from functools import partial
from typing import Any, Literal

import asyncpg
from aiohttp import web

from hunt_engine.errors import NotFound
from server.common.hunts import hunt_row
from server.http.auth import Role
from server.http.fields import BrowserToken, Lax
from server.http.responses import iso, ok
from server.http.routing import Call, RouteTable
from server.ratings.figures import hunt_stats

TABLE = RouteTable()


# The tables a spreadsheet gets, one per `?table=`, with their columns in order.
CSV_TABLES: dict[str, tuple[str, ...]] = {
    "collectibles": (
        "key",
        "name",
        "episode",
        "supply",
        "scans",
        "finds",
        "unique_hunters",
        "mints",
        "first_find_at",
        "first_find_after_s",
        "on_site_finds",
        "online_finds",
        "on_site_share",
        "transfers",
        "tokens_transferred",
        "swaps_in",
        "swaps_out",
    ),
    "clues": (
        "id",
        "kind",
        "collectible",
        "label",
        "city",
        "active",
        "scans",
        "finds",
        "rejections",
    ),
    "cities": ("city", "clues", "scans", "finds", "rejections"),
    "rejections": ("code", "scans"),
    "scans_per_hour": ("hour", "scans", "finds"),
    # Loves of fans' approved moments per minute of each episode (minutes with moments only).
    "scenes": ("collectible", "episode", "minute", "loves", "moments"),
}


class StatsQuery(Lax):
    format: Literal["json", "csv"] = "json"
    table: Literal["collectibles", "clues", "cities", "rejections", "scans_per_hour", "scenes"] = (
        "collectibles"
    )
    token: BrowserToken | None = None


async def stats_from(pool: asyncpg.Pool, slug: str) -> dict[str, Any]:
    """The hunt's figures from `pool`, the primary or a replica a moment behind."""
    async with pool.acquire() as conn:
        # One snapshot for every figure, so that totals and their parts agree.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await hunt_stats(conn, await hunt_row(conn, slug))


async def stats_of(call: Call) -> dict[str, Any]:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    # A replica may not hold a hunt made a moment ago: NotFound there asks the primary.
    return await call.services.reads.read(partial(stats_from, slug=slug), again_on=(NotFound,))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "astimezone"):
        return iso(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A label typed by a field team must not become a formula in the organiser's sheet.
        return "'" + value
    return value


def to_csv(stats: dict[str, Any], table: str) -> str:
    columns = CSV_TABLES[table]
    rows: list[dict[str, Any]]
    if table == "rejections":
        rows = [{"code": code, "scans": n} for code, n in stats["rejections"].items()]
    elif table == "scenes":
        rows = [
            {"collectible": c["key"], "episode": c["episode"], **cell}
            for c in stats["collectibles"]
            for cell in c["scenes"]
        ]
    else:
        rows = stats[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return out.getvalue()


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/stats",
    "Per-episode ratings: scans, finds, unique hunters, mints, on-site share, transfers, swaps"
    " in and out; per clue and city; rejections by code; scans per hour; loves of fans' moments"
    " per minute of each episode (?format=csv&table= for spreadsheets)",
    roles={Role.ORGANISER},
    query=StatsQuery,
    ok_schema={"type": "object"},
    alt_media=("text/csv",),
    errors=(400, 401, 403, 404),
)
async def stats(call: Call) -> web.Response:
    figures = await stats_of(call)
    query: StatsQuery = call.query
    if query.format == "csv":
        return web.Response(
            text=to_csv(figures, query.table),
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{figures["hunt"]["slug"]}-{query.table}.csv"'
                ),
                "Cache-Control": "no-store",
            },
        )
    return ok(figures, headers={"Cache-Control": "no-store"})
