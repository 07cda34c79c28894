"""The live side of a hunt: its leaderboard, and its messages over WebSocket and SSE.

A live client joins the process's hub, is computed its catch-up (a snapshot, or for an SSE
client that resumes, what it missed) before the response starts, so that Redis being down is
a plain 503, then is sent it and follows the hub.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import WSCloseCode, web
from aiohttp.http import HttpVersion11
from redis.exceptions import RedisClusterException, RedisError

from hunt_engine.errors import InvalidRequest
from server.common.hunts import VIEWERS, hunt_of
from server.http.responses import ok
from server.http.routing import Call, RouteTable
from server.live.frames import Message, Sink, http_chunk, parse_event_id
from server.live.hub import Client
from server.live.schemas import EventsQuery, LeaderboardOut, LeaderboardQuery, LiveQuery
from server.live.session import LiveUnavailable, catch_up

TABLE = RouteTable()


# What one client's socket may hold unsent before the client counts as too slow and is dropped.
MAX_BUFFER = 256 * 1024
KEEPALIVE_S = 15.0
CATCH_UP_TIMEOUT_S = 30.0
SSE_RETRY_MS = 2000
EVENT_ID_SCHEMA = {"type": "string", "pattern": r"^[0-9]{1,19}-[0-9]{1,19}$"}
# One event of the stream, as an SSE parser reads it; `data` is one JSON message.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": EVENT_ID_SCHEMA,
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer"},
    },
}

CatchUp = tuple[list[Message], tuple[int, int]]


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/leaderboard",
    "The hunt's leaderboard: higher score first, equal scores by who reached them first",
    query=LeaderboardQuery,
    ok_schema=LeaderboardOut,
    errors=(400, 404),
)
async def leaderboard(call: Call) -> web.Response:
    hunt_id, _ = await hunt_of(call)
    entries = await call.services.live.leaderboard.top(hunt_id, call.query.limit)
    return ok({"entries": [e.as_json() for e in entries]})


async def _viewed_hunt(call: Call) -> tuple[int, str]:
    call.who.check_hunt(call.request.match_info["slug"])
    return await hunt_of(call)


async def _join(
    call: Call, hunt: tuple[int, str], sink: Sink, resume: tuple[int, int] | None
) -> tuple[Client, CatchUp]:
    """Join the hub and compute the catch-up; LiveUnavailable if Redis cannot be read."""
    hunt_id, slug = hunt
    live, pool = call.services.live, call.services.pool
    client = None
    try:
        client = await live.hub.join(hunt_id, slug, sink)
        first = await catch_up(
            live.hub, pool, live.redis, live.prefix, live.leaderboard, hunt_id, resume
        )
    except (RedisError, RedisClusterException, OSError) as err:
        if client is not None:
            client.close()
        raise LiveUnavailable(f"Redis cannot be read ({type(err).__name__})") from None
    return client, first


async def _send_catch_up(client: Client, first: CatchUp) -> bool:
    """Send the catch-up, then let the client follow the hub; False if it is gone."""
    messages, position = first
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CATCH_UP_TIMEOUT_S
    for message in messages:
        # A replay can be large: wait for the socket to drain rather than drop the client.
        while not client.sink.send(message):
            if client.sink.gone or loop.time() > deadline:
                client.drop("did not take its catch-up")
                return False
            await asyncio.sleep(0.01)
    client.go_live(position)
    return not client.closed.is_set()


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/live",
    "Live messages over a WebSocket: a snapshot, then find, leaderboard, mint and alert",
    roles=VIEWERS,
    query_token=True,
    query=LiveQuery,
    ok_status=101,
    errors=(400, 404, 503),
)
async def live_socket(call: Call) -> web.StreamResponse:
    request = call.request
    hunt = await _viewed_hunt(call)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
    if not ws.can_prepare(request).ok:
        raise InvalidRequest("expected a WebSocket upgrade")
    sink = Sink(request.transport, "ws", False, MAX_BUFFER)
    client, first = await _join(call, hunt, sink, None)
    try:
        await ws.prepare(request)
        client.on_close = lambda: ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutdown")
        if await _send_catch_up(client, first):
            # Nothing is expected from the client; reading answers pings and sees it leave.
            async for _ in ws:
                pass
    finally:
        client.close()
    return ws


def _resume_from(call: Call) -> tuple[int, int] | None:
    header = call.request.headers.get("Last-Event-ID")
    text = header if header is not None else call.query.last_event_id
    if not text:
        return None
    position = parse_event_id(text)
    if position is None:
        raise InvalidRequest("Last-Event-ID must be an event id such as '123-0'")
    return position


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/events",
    "Live messages as Server-Sent Events; Last-Event-ID (or ?last_event_id=) resumes without"
    " loss. A client that does not accept text/event-stream gets the catch-up only.",
    roles=VIEWERS,
    query_token=True,
    query=EventsQuery,
    ok_media="text/event-stream",
    ok_schema=SSE_EVENT_SCHEMA,
    errors=(400, 404, 503),
)
async def live_events(call: Call) -> web.StreamResponse:
    request = call.request
    hunt = await _viewed_hunt(call)
    resume = _resume_from(call)
    # EventSource always asks for text/event-stream; anything else (curl, a fuzzer) gets what
    # it would be sent first, and the response ends.
    follow = "text/event-stream" in request.headers.get("Accept", "")
    chunked = request.version >= HttpVersion11
    sink = Sink(request.transport, "sse", chunked, MAX_BUFFER)
    client, first = await _join(call, hunt, sink, resume)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    try:
        if chunked:
            response.enable_chunked_encoding()
        await response.prepare(request)
        if request.method == "HEAD":
            # The same status and headers as a GET, and no body: the sink writes to the
            # socket itself, past aiohttp's HEAD handling, so nothing may be sent.
            return response
        retry = f"retry: {SSE_RETRY_MS}\n\n".encode()
        sink.write(http_chunk(retry) if chunked else retry)
        if await _send_catch_up(client, first):
            while follow and not client.closed.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(KEEPALIVE_S):
                        await client.closed.wait()
                if not client.closed.is_set() and not sink.comment("keep-alive"):
                    client.drop("gone")
    finally:
        client.close()
    return response
