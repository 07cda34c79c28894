"""Admission control: CoDel's overload state from queue delays, the admission queue, and the app
served the way `geohunt serve` serves it with artificially tiny limits: what cannot wait is
answered `503 overloaded` with `Retry-After` as problem+json, never `/healthz`, `/readyz` or
`/metrics`; /metrics counts what was shed; a scan past its budget, or whose client left while it
waited, is not claimed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from infra.settings import Settings, SettingsError
from server.app import create_app
from server.http.admission import RETRY_AFTER_MAX_S, Admission
from tests.support.admission_app import BOUND_S, PROBLEM, finds_and_attempts, until_true
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, Hunt, at

# -- CoDel's state, from delays given with their times ----------------------------------------


def test_a_standing_queue_over_a_whole_interval_means_overloaded() -> None:
    admission = Admission(target_s=0.02, interval_s=0.1, max_inflight=8)
    assert not admission.overloaded and admission.allowed_s() == 0.1
    admission.observe(100.0, 0.05)
    admission.observe(100.05, 0.03)
    assert not admission.overloaded  # judged at the end of the interval only
    admission.observe(100.1, 0.04)
    assert admission.overloaded and admission.allowed_s() == 0.02
    # Retry-After: a second per second of overload, at least 1, at most RETRY_AFTER_MAX_S.
    assert admission.retry_after_s(100.1) == 1
    assert admission.retry_after_s(103.2) == 4
    assert admission.retry_after_s(1000.0) == RETRY_AFTER_MAX_S


def test_a_burst_that_drains_within_the_interval_is_absorbed() -> None:
    admission = Admission(target_s=0.02, interval_s=0.1, max_inflight=8)
    admission.observe(100.0, 0.09)
    admission.observe(100.04, 0.06)
    admission.observe(100.08, 0.01)  # the queue drained: one request waited less than target
    admission.observe(100.11, 0.05)
    assert not admission.overloaded


def test_overload_ends_with_a_short_wait_or_a_quiet_interval() -> None:
    admission = Admission(target_s=0.02, interval_s=0.1, max_inflight=8)
    admission.observe(100.0, 0.05)
    admission.observe(100.1, 0.05)
    assert admission.overloaded
    admission.observe(100.15, 0.001)
    admission.observe(100.2, 0.05)
    assert not admission.overloaded
    admission.observe(100.3, 0.05)
    assert admission.overloaded
    admission.observe(100.7, 0.05)  # nothing at all came for a whole interval: an empty queue
    assert not admission.overloaded


# -- the admission queue ---------------------------------------------------------------------


async def test_the_queue_is_first_come_first_served_and_bounded_by_time() -> None:
    admission = Admission(target_s=0.001, interval_s=30, max_inflight=1)
    assert await admission.enter(time.monotonic())
    first = asyncio.create_task(admission.enter(time.monotonic()))
    second = asyncio.create_task(admission.enter(time.monotonic()))
    await until_true(lambda: admission.queued == 2, "two waiting")
    admission.leave()
    assert await first and admission.inflight == 1 and not second.done()
    admission.leave()
    assert await second
    admission.leave()
    assert admission.inflight == 0 and admission.queued == 0

    # No slot comes within the budget (the wait ahead was misjudged): refused (shed), and the
    # slot count holds.
    impatient = Admission(target_s=0.001, interval_s=0.01, max_inflight=1, scan_budget_s=0.05)
    assert await impatient.enter(time.monotonic())
    started = time.monotonic()
    assert not await impatient.enter(time.monotonic())
    assert time.monotonic() - started >= 0.05
    impatient.leave()
    assert impatient.inflight == 0 and impatient.queued == 0


async def test_a_queued_request_is_served_even_after_its_allowed_wait() -> None:
    # Queued because the wait ahead looked short (5 ms of an allowed 10), then the slot is held
    # far longer: the request is served when the slot comes back, not refused at 10 ms.
    admission = Admission(target_s=0.001, interval_s=0.01, max_inflight=1, scan_budget_s=5)
    assert await admission.enter(time.monotonic())
    waiting = asyncio.create_task(admission.enter(time.monotonic()))
    await until_true(lambda: admission.queued == 1, "one waiting")
    await asyncio.sleep(0.1)
    assert not waiting.done()
    admission.leave()
    assert await waiting and admission.inflight == 1
    admission.leave()
    assert admission.inflight == 0 and admission.queued == 0


async def test_a_request_that_would_wait_too_long_is_refused_at_once() -> None:
    admission = Admission(target_s=2, interval_s=10, max_inflight=1)
    assert await admission.enter(time.monotonic())
    admission.service_s = 6  # a slot is held this long, on average
    first = asyncio.create_task(admission.enter(time.monotonic()))  # would wait ~6 s: queued
    await until_true(lambda: admission.queued == 1, "one waiting")
    # A second would wait ~12 s, past the interval: refused without waiting for anything.
    assert not await admission.enter(time.monotonic())
    assert admission.queued == 1 and not first.done()
    admission.leave()
    assert await first
    admission.leave()
    assert admission.inflight == 0 and admission.queued == 0


def test_requests_let_in_at_the_door_count_as_ahead_of_the_next() -> None:
    admission = Admission(target_s=2, interval_s=10, max_inflight=2)
    admission.service_s = 30  # one queued would wait 15 s, past the interval
    assert not admission.refuses_now(time.monotonic())
    admission.reserve()  # parsed and let in, not at the queue yet
    assert not admission.refuses_now(time.monotonic())  # a slot is still free for the next
    admission.reserve()
    assert admission.refuses_now(time.monotonic())  # both slots are spoken for
    admission.unreserve()
    assert not admission.refuses_now(time.monotonic())
    admission.service_s = 0.01  # a short queue: one more may wait for a slot
    admission.reserve()
    assert not admission.refuses_now(time.monotonic())


async def test_while_overloaded_only_a_short_wait_is_queued() -> None:
    admission = Admission(target_s=0.4, interval_s=1, max_inflight=1)
    assert await admission.enter(time.monotonic())
    later = time.monotonic() + 10  # a window of its own, after a quiet interval
    admission.observe(later, 1.0)
    admission.observe(later + admission.interval_s, 1.0)
    assert admission.overloaded and admission.allowed_s() == 0.4
    # Ahead: 0.2 s, within the target but past a quarter of it: refused without waiting.
    admission.service_s = 0.2
    assert not await admission.enter(time.monotonic())
    assert admission.queued == 0
    # Ahead: 0.05 s, within a quarter of the target: it waits for the slot.
    admission.service_s = 0.05
    waiting = asyncio.create_task(admission.enter(time.monotonic()))
    await until_true(lambda: admission.queued == 1, "one waiting")
    admission.leave()
    assert await waiting
    admission.leave()
    assert admission.inflight == 0 and admission.queued == 0


async def test_a_request_cancelled_while_waiting_leaves_no_slot_taken() -> None:
    admission = Admission(target_s=0.001, interval_s=30, max_inflight=1)
    assert await admission.enter(time.monotonic())
    waiting = asyncio.create_task(admission.enter(time.monotonic()))
    await until_true(lambda: admission.queued == 1, "one waiting")
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    admission.leave()
    assert admission.inflight == 0 and admission.queued == 0


def test_admission_settings_are_read_in_milliseconds_and_checked() -> None:
    env = {"GEOHUNT_SECRET": "s" * 40}
    default = Settings.from_env(env)
    assert (default.queue_target_s, default.queue_interval_s) == (0.02, 0.1)
    assert (default.max_inflight, default.scan_budget_s, default.db_reserve) == (64, 1.0, 10)
    settings = Settings.from_env(
        {
            **env,
            "GEOHUNT_QUEUE_TARGET_MS": "5",
            "GEOHUNT_QUEUE_INTERVAL_MS": "50",
            "GEOHUNT_MAX_INFLIGHT": "8",
            "GEOHUNT_SCAN_BUDGET_MS": "250",
        }
    )
    assert (settings.queue_target_s, settings.queue_interval_s) == (0.005, 0.05)
    assert (settings.max_inflight, settings.scan_budget_s) == (8, 0.25)
    for name, value in [("GEOHUNT_MAX_INFLIGHT", "0"), ("GEOHUNT_QUEUE_TARGET_MS", "nan")]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**env, name: value})


# -- the app, served as `geohunt serve` serves it (tests/support/served.py) --------------------


async def test_what_cannot_wait_is_shed_with_retry_after_and_health_never_is(
    api: Api,
    serve_with: Callable[..., Any],
    billboard: tuple[Hunt, dict[str, Any]],
    db: asyncpg.Connection,
) -> None:
    hunt, clue = billboard
    async with serve_with(max_inflight=1, queue_target_s=0.001, queue_interval_s=0.05) as s:
        hunter_id, me = await api.hunter()  # through an app of usual limits
        shed_before = await s.metric("geohunt_shed_total", route="/v1/scans", reason="overloaded")
        delays_before = await s.metric("geohunt_queue_delay_seconds_count")
        held = await s.hold_the_only_slot()

        body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
        answer = await s.api.client.post("/v1/scans", headers=me, json=body)
        problem = await answer.json(content_type=None)
        assert answer.status == 503 and answer.content_type == PROBLEM
        assert problem["code"] == "overloaded" and problem["status"] == 503
        assert int(answer.headers["Retry-After"]) == problem["retry_after_s"] >= 1
        assert await finds_and_attempts(db, hunter_id) == (0, 0)

        # Overloaded as well (a whole interval of long waits): health and metrics still answer.
        later = time.monotonic() + 10  # a window of its own, after a quiet interval
        s.admission.observe(later, 1.0)
        s.admission.observe(later + s.admission.interval_s, 1.0)
        assert s.admission.overloaded
        for path in ("/healthz", "/readyz", "/metrics"):
            for method in ("GET", "HEAD"):
                assert (await s.api.client.request(method, path)).status == 200, (method, path)
        answers = await asyncio.gather(*(s.api.client.get("/healthz") for _ in range(20)))
        assert {a.status for a in answers} == {200}

        assert (
            await s.metric("geohunt_shed_total", route="/v1/scans", reason="overloaded")
            == shed_before + 1
        )
        assert await s.metric("geohunt_queue_delay_seconds_count") > delays_before
        assert await s.metric("geohunt_inflight_requests") == 1
        assert await s.metric("geohunt_overloaded") == 1

        s.release.set()
        assert (await held)[0] == 200
        await until_true(lambda: s.admission.inflight == 0, "the slot given back")


async def test_a_body_still_arriving_is_not_read_when_shed(
    serve_with: Callable[..., Any],
) -> None:
    async with serve_with(max_inflight=1, queue_target_s=0.001, queue_interval_s=0.05) as s:
        held = await s.hold_the_only_slot()
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(
            b"POST /v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100000\r\n\r\n{"code": '
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), BOUND_S)  # answered, then closed
        writer.close()
        head = raw.split(b"\r\n\r\n", 1)[0].decode().lower()
        assert head.startswith("http/1.1 503")
        assert "retry-after:" in head and "connection: close" in head
        assert PROBLEM in head
        s.release.set()
        await held


async def test_a_scan_past_its_budget_is_not_claimed(
    aiohttp_client: Any,
    settings_factory: Any,
    billboard: tuple[Hunt, dict[str, Any]],
    db: asyncpg.Connection,
) -> None:
    hunt, clue = billboard
    settings = settings_factory(scan_budget_s=0.0)
    api = Api(await aiohttp_client(create_app(settings)), settings)
    hunter_id, me = await api.hunter()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    response = await api.client.post("/v1/scans", headers=me, json=body)
    problem = await response.json(content_type=None)
    assert (response.status, problem["code"]) == (503, "overloaded")
    assert int(response.headers["Retry-After"]) >= 1
    assert await finds_and_attempts(db, hunter_id) == (0, 0)


async def test_a_scan_whose_client_left_while_it_waited_is_not_claimed(
    api: Api,
    serve_with: Callable[..., Any],
    billboard: tuple[Hunt, dict[str, Any]],
    db: asyncpg.Connection,
) -> None:
    hunt, clue = billboard
    async with serve_with(max_inflight=1, queue_target_s=0.001, queue_interval_s=60) as s:
        hunter_id, me = await api.hunter()  # through an app of usual limits
        gone = await s.metric("geohunt_shed_total", route="/v1/scans", reason="client_gone")
        held = await s.hold_the_only_slot()

        body = json.dumps({"code": hunt.code(clue), **at(TIMES_SQUARE)}).encode()
        _, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(
            b"POST /v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {me['Authorization']}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        await until_true(lambda: s.admission.queued == 1, "the scan waiting for a slot")
        writer.close()  # the fan gave up
        await until_true(lambda: s.lost_connections() == 1, "the server saw it close")

        s.release.set()
        assert (await held)[0] == 200
        await until_true(lambda: s.admission.inflight == 0, "every slot given back")
        assert (
            await s.metric("geohunt_shed_total", route="/v1/scans", reason="client_gone")
            == gone + 1
        )
        assert await finds_and_attempts(db, hunter_id) == (0, 0)

        # The same scan from a client that stays is claimed.
        json_type = {"Content-Type": "application/json"}
        answer = await s.api.client.post("/v1/scans", headers={**me, **json_type}, data=body)
        assert answer.status == 201, await answer.text()
        assert await finds_and_attempts(db, hunter_id) == (1, 1)
