"""Fans' moments: a scene of an episode a fan found, made by the fan, reviewed by the
organisers, loved and reported by fans, and minted to its author once approved."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from hunt_engine.errors import Forbidden, NotFound, Unauthorized
from hunt_engine.moments import MAX_MOMENT_ID
from server.common.hunts import hunt_of
from server.http.auth import Role
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.moments import loves, service
from server.moments.queries import (
    DECISIONS_SQL,
    MOMENT_OWNER_SQL,
    MOMENT_SQL,
    MY_MOMENTS_SQL,
    SKETCH_SQL,
)
from server.moments.schemas import (
    DECISION_LIST,
    MOMENT_LIST,
    MomentIn,
    MomentLovesOut,
    MomentOut,
    MomentReportIn,
    MomentReportOut,
    MomentReviewIn,
    MomentsQuery,
)
from server.moments.views import caller_hunter, check_visible, is_organiser_of, moment_json

TABLE = RouteTable()

ID_PARAM = {
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_MOMENT_ID},
}


def _base(call: Call) -> str:
    return call.services.settings.public_base_url


def _id(call: Call) -> int:
    return int(call.request.match_info["id"])  # checked by the route table


async def _moment(call: Call, moment_id: int) -> dict[str, Any]:
    """The moment as this caller may see it; 404 when it may not."""
    row = await call.services.pool.fetchrow(MOMENT_SQL, moment_id, caller_hunter(call.principal))
    if row is None:
        raise NotFound(f"no moment {moment_id}")
    check_visible(call.principal, row)
    return moment_json(row, _base(call))


@TABLE.route(
    "POST",
    "/v1/hunts/{slug}/moments",
    "Make a moment of an episode you found (and hold): a scene time, a title, a note and/or a"
    " sketch; pending until the organisers review it",
    roles={Role.HUNTER},
    body=MomentIn,
    ok_status=201,
    ok_schema=MomentOut,
    errors=(400, 401, 403, 404, 409, 413),
)
async def create(call: Call) -> web.Response:
    draft = await service.draft_of(call.body)
    hunter_id = call.who.hunter_id
    slug = call.request.match_info["slug"]
    moment_id = await service.create_moment(call.services.pool, slug, hunter_id, draft)
    return ok(await _moment(call, moment_id), status=201)


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/moments",
    "A hunt's moments, newest or most loved first (?sort=recent|loved, ?collectible=);"
    " organisers may list another ?status= (pending for their review queue)",
    optional_auth=True,
    query=MomentsQuery,
    ok_schema=MOMENT_LIST,
    errors=(400, 401, 403, 404),
)
async def list_moments(call: Call) -> web.Response:
    query: MomentsQuery = call.query
    hunt_id, slug = await hunt_of(call)
    status = query.status or "approved"
    if status != "approved":
        if call.principal is None:
            raise Unauthorized("listing moments by status needs an organiser's token")
        if not is_organiser_of(call.principal, slug):
            raise Forbidden("only the hunt's organisers list moments by status")
    hunter_id, primary = caller_hunter(call.principal), call.services.pool
    work = partial(loves.listed, primary, hunt_id=hunt_id, slug=slug, status=status,
                   query=query, hunter_id=hunter_id)  # fmt: skip
    if status == "approved" and hunter_id is None and not is_organiser_of(call.principal, slug):
        # The public list may be a moment behind; a fan (their loves) or an organiser (their
        # decisions) reads what they just wrote. A collectible made a moment ago is asked of
        # the primary.
        rows = await call.services.reads.read(work, again_on=(NotFound,))
    else:
        rows = await work(primary)
    base = _base(call)
    return ok([moment_json(r, base) for r in rows], headers={"Cache-Control": "no-store"})


@TABLE.route(
    "GET",
    "/v1/moments/{id}",
    "One moment: approved ones for anyone, any status for its author and the organisers",
    optional_auth=True,
    ok_schema=MomentOut,
    errors=(401, 404),
    params={"id": ID_PARAM},
)
async def get_moment(call: Call) -> web.Response:
    return ok(await _moment(call, _id(call)), headers={"Cache-Control": "no-store"})


SKETCH_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


@TABLE.route(
    "GET",
    "/v1/moments/{id}/sketch",
    "A moment's sketch (PNG or SVG), as the server re-encoded it: an approved moment's for"
    " anyone, any other's for its author and the organisers",
    optional_auth=True,
    ok_media="image/png",
    alt_media=("image/svg+xml",),
    errors=(401, 404),
    params={"id": ID_PARAM},
)
async def sketch(call: Call) -> web.Response:
    moment_id = _id(call)
    row = await call.services.pool.fetchrow(SKETCH_SQL, moment_id)
    if row is None:
        raise NotFound(f"no moment {moment_id}")
    check_visible(call.principal, {**dict(row), "id": moment_id})
    if row["sketch"] is None:
        raise NotFound(f"moment {moment_id} has no sketch")
    # A takedown must reach caches soon: an approved sketch is cached a minute, others never.
    public = row["status"] == "approved"
    cache = "public, max-age=60" if public else "private, no-store"
    return web.Response(
        body=bytes(row["sketch"]),
        content_type=row["sketch_type"],
        headers={**SKETCH_HEADERS, "Cache-Control": cache},
    )


@TABLE.route(
    "POST",
    "/v1/moments/{id}/review",
    "Approve or reject a moment (a rejection says why); approving gives it its token and"
    " queues its mint to the author's wallet",
    roles={Role.ORGANISER},
    body=MomentReviewIn,
    ok_schema=MomentOut,
    errors=(400, 401, 403, 404),
    params={"id": ID_PARAM},
)
async def review(call: Call) -> web.Response:
    body: MomentReviewIn = call.body
    moment_id = _id(call)
    await service.decide(call.services.pool, moment_id, call.who, body.decision, body.reason)
    return ok(await _moment(call, moment_id))


@TABLE.route(
    "GET",
    "/v1/moments/{id}/decisions",
    "Every decision on a moment, who and when: organisers' approvals and rejections, and"
    " hidings by reports",
    roles={Role.ORGANISER},
    ok_schema=DECISION_LIST,
    errors=(401, 403, 404),
    params={"id": ID_PARAM},
)
async def decisions(call: Call) -> web.Response:
    moment_id = _id(call)
    owner = await call.services.pool.fetchrow(MOMENT_OWNER_SQL, moment_id)
    if owner is None:
        raise NotFound(f"no moment {moment_id}")
    call.who.check_hunt(owner["hunt"])
    rows = await call.services.pool.fetch(DECISIONS_SQL, moment_id)
    return ok([dict(r) for r in rows], headers={"Cache-Control": "no-store"})


@TABLE.route(
    "PUT",
    "/v1/moments/{id}/love",
    "Love an approved moment (once per hunter: again changes nothing)",
    roles={Role.HUNTER},
    ok_schema=MomentLovesOut,
    errors=(401, 403, 404),
    params={"id": ID_PARAM},
)
async def love(call: Call) -> web.Response:
    answer = await loves.love(call.services.pool, _id(call), call.who.hunter_id)
    return ok(answer)


@TABLE.route(
    "DELETE",
    "/v1/moments/{id}/love",
    "Take your love of a moment back",
    roles={Role.HUNTER},
    ok_schema=MomentLovesOut,
    errors=(401, 403, 404),
    params={"id": ID_PARAM},
)
async def unlove(call: Call) -> web.Response:
    answer = await loves.unlove(call.services.pool, _id(call), call.who.hunter_id)
    return ok(answer)


@TABLE.route(
    "POST",
    "/v1/moments/{id}/report",
    "Report a moment; at the hunt's moment_report_threshold distinct reporters an approved"
    " moment is hidden until the organisers review it again",
    roles={Role.HUNTER},
    body=MomentReportIn,
    ok_status=202,
    ok_schema=MomentReportOut,
    errors=(400, 401, 403, 404),
    params={"id": ID_PARAM},
)
async def report(call: Call) -> web.Response:
    body: MomentReportIn = call.body
    moment_id = _id(call)
    await service.report(call.services.pool, moment_id, call.who.hunter_id, body.reason)
    return ok({"moment_id": moment_id, "reported": True}, status=202)


@TABLE.route(
    "GET",
    "/v1/me/moments",
    "The moments you made, every status, newest first",
    roles={Role.HUNTER},
    ok_schema=MOMENT_LIST,
    errors=(401, 403),
)
async def my_moments(call: Call) -> web.Response:
    rows = await call.services.pool.fetch(MY_MOMENTS_SQL, call.who.hunter_id)
    base = _base(call)
    return ok([moment_json(r, base) for r in rows], headers={"Cache-Control": "no-store"})
