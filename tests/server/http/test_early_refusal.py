"""A request that admission would refuse at once is answered `503 overloaded` by the connection
itself (server/http/refusal.py), before the app sees it: the same answer the app gives, counted
as shed, the connection kept for the next request; what the app must answer in order (pipelined
requests) still reaches it, and an idle connection's keep-alive deadline still holds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.support.admission_app import BOUND_S, Served, metric_value, until_true
from tests.support.builders import TIMES_SQUARE, Hunt, at

OVERLOADED = {"route": "/v1/scans", "reason": "overloaded"}
# Answers to /v1/scans that went through the app (its timing middleware counts them).
THROUGH_APP = {"route": "/v1/scans", "status": "503"}


@asynccontextmanager
async def hopeless(
    serve_with: Callable[..., Any], **changes: Any
) -> AsyncIterator[tuple[Served, asyncio.Task[Any]]]:
    """The app with one slot, held; a slot is held 10 s on average, so the queue ahead of any
    new request is too long and admission refuses it at once."""
    async with serve_with(max_inflight=1, queue_target_s=0.001, queue_interval_s=0.05) as s:
        held = await s.hold_the_only_slot()
        s.admission.service_s = 10.0
        try:
            yield s, held
        finally:
            s.release.set()
            await held


async def counts(s: Served) -> tuple[float, float]:
    """(scans shed as overloaded, 503s to scans answered by the app)."""
    status, text = await s.api.call("GET", "/metrics")
    assert status == 200
    page = text.decode()
    return (
        metric_value(page, "geohunt_shed_total", OVERLOADED),
        metric_value(page, "geohunt_request_seconds_count", THROUGH_APP),
    )


def scan_request(body: bytes, token: str = "Bearer x", extra: bytes = b"") -> bytes:
    return (
        b"POST /v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: {token}\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
        + body
    )


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND_S)
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    body = await asyncio.wait_for(reader.readexactly(int(headers["Content-Length"])), BOUND_S)
    return int(lines[0].split()[1]), headers, body


async def test_a_hopeless_request_is_answered_by_the_connection_as_the_app_would(
    serve_with: Callable[..., Any], billboard: tuple[Hunt, dict[str, Any]], api: Any
) -> None:
    hunt, clue = billboard
    _, me = await api.hunter()  # through an app of usual limits
    body = json.dumps({"code": hunt.code(clue), **at(TIMES_SQUARE)}).encode()
    async with hopeless(serve_with) as (s, _):
        shed, through_app = await counts(s)
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(scan_request(body, me["Authorization"]))
        status, headers, problem = await read_answer(reader)
        assert status == 503
        assert await counts(s) == (shed + 1, through_app)  # refused before the app

        # The app's own refusal of a request for a route of no fixed path: the same headers
        # (but the Date) and the same problem.
        app_answer = await s.api.client.post("/v1/hunts/nowhere/clues", json={})
        assert app_answer.status == 503
        assert await counts(s) == (shed + 1, through_app)
        assert dict(app_answer.headers, Date="") == dict(headers, Date="")
        assert json.loads(problem) == await app_answer.json(content_type=None)
        assert json.loads(problem)["retry_after_s"] == int(headers["Retry-After"]) >= 1

        # The connection stays open for the next request, which the app answers once a slot
        # can be had.
        s.admission.service_s = 0.001
        s.release.set()
        await asyncio.sleep(0)
        writer.write(scan_request(body, me["Authorization"]))
        status, _, answer = await read_answer(reader)
        assert status == 201, answer
        writer.close()


async def test_what_the_app_must_answer_still_reaches_it(
    serve_with: Callable[..., Any],
) -> None:
    async with hopeless(serve_with) as (s, _):
        shed, through_app = await counts(s)
        # Two requests in one segment: answered in order by the app, never one of them here.
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(scan_request(b"{}") * 2)
        for _ in range(2):
            assert (await read_answer(reader))[0] == 503
        assert await counts(s) == (shed + 2, through_app + 2)
        writer.close()

        # A body still arriving is never read: refused here, then the connection is closed.
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(
            b'POST /v1/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"code": '
        )
        raw = await asyncio.wait_for(reader.read(), BOUND_S)  # answered, then closed
        head = raw.split(b"\r\n\r\n", 1)[0].decode().lower()
        assert head.startswith("http/1.1 503") and "connection: close" in head
        assert await counts(s) == (shed + 3, through_app + 2)
        writer.close()

        # Health is never refused.
        assert (await s.api.client.get("/healthz")).status == 200


async def test_a_connection_refused_here_is_closed_when_idle_past_the_keepalive(
    serve_with: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_KEEPALIVE_S", "0.5")
    async with hopeless(serve_with) as (s, _):
        shed, through_app = await counts(s)
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(scan_request(b"{}"))  # the connection's first request
        assert (await read_answer(reader))[0] == 503
        assert await counts(s) == (shed + 1, through_app)
        assert await asyncio.wait_for(reader.read(), BOUND_S) == b""  # closed when idle
        writer.close()


async def test_a_burst_read_in_one_turn_is_let_in_no_further_than_the_free_slots(
    serve_with: Callable[..., Any],
) -> None:
    """Requests read in one turn of the event loop are all parsed before the first reaches the
    queue: each one let in holds a place, so the door refuses what the free slots (and a queue
    short enough) cannot take. Without the places, all three were let in against the one free
    slot, to be refused by the app a turn later or (here, where each is answered at once and
    frees the slot for the next) answered by it."""
    async with serve_with(max_inflight=1, queue_target_s=0.001, queue_interval_s=0.05) as s:
        s.admission.service_s = 10.0  # any wait in the queue is too long: one slot, one request
        shed, through_app = await counts(s)
        assert s.runner.server is not None
        before = len(s.runner.server.connections)
        pairs = [await asyncio.open_connection("127.0.0.1", s.port) for _ in range(3)]
        await until_true(lambda: len(s.runner.server.connections) == before + 3, "accepted")  # type: ignore[union-attr]
        for _, writer in pairs:
            # Written at once, with no await between: the three arrive before the server's
            # next turn, which reads them all.
            writer.write(scan_request(b"{}"))
        statuses = sorted([(await read_answer(reader))[0] for reader, _ in pairs])
        assert statuses[0] != 503 and statuses[1:] == [503, 503]  # one let in, two refused
        assert await counts(s) == (shed + 2, through_app)  # both by the connection
        assert s.admission.reserved == 0  # the place of the one let in was given back

        # A request let in whose client leaves in the same turn: its place is given back (by
        # the app, or by the connection's end had it never reached the app).
        s.admission.service_s = 0.001
        reader, writer = pairs[0]
        writer.write(scan_request(b"{}"))
        writer.close()  # in the same turn as its request
        await until_true(lambda: s.admission.reserved == 0, "place given back")
        for _, writer in pairs[1:]:
            writer.close()
