"""Admission control: a process takes on the work it can answer in time, and answers the rest
at once with `503 overloaded` and `Retry-After`, before reading their bodies.

A request's queue delay runs from the moment its headers were parsed (stamped by the connection,
server/http/server.py; where the app is served otherwise, from when it reaches this middleware)
to the moment it may start: the time it waited for the event loop, then for one of the
process's `max_inflight` slots in the admission queue (first come, first served). As in CoDel,
the process is *overloaded* while the smallest delay seen over a whole interval stays above the
target: a burst that drains within an interval is absorbed, a standing queue is not. A request
may wait the target while the process is overloaded, an interval otherwise.

The queue is kept short at its door. A request that finds no slot free is queued only if the
wait ahead of it (the requests queued before it, times the average time a slot is held, over the
slots) is within what it may wait, a quarter of that while overloaded; otherwise it is shed at
once. At the connection's door (server/http/refusal.py) the requests it let in that have not
reached the queue yet count as taking slots, and then as queued ahead.

A request that was queued is served when its turn comes: refusing it then would throw away the
wait it has spent and answer it late, while the door already keeps the queue short (offered
five times the capacity, two processes accepted 0.88-0.98 of the scans a second they accepted
at one times, against 0.75-0.79 when a queued request was shed at its deadline: "Scan storms",
BENCHMARKS.md). Only one queued past the scan budget, when the wait ahead was misjudged (the
database stalled), is shed from the queue. A request that finds a slot free after waiting for
the event loop longer than it may is shed: that wait is the loop's own queue. Delays count as
they end (a request shed at once counts with the wait it was spared), and are exported as
`geohunt_queue_delay_seconds`.

`/healthz`, `/readyz` and `/metrics` are never shed nor queued. Streams (WebSocket, SSE) are shed
at the door like any request but hold no slot while they last. A scan checks `before_claim` just
before its database work: a scan whose client has left, or that waited past its budget, is not
claimed (work for nobody).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from hunt_engine.errors import HuntError
from server.http.metrics import INFLIGHT, OVERLOADED, QUEUE_DELAY, SHED
from server.http.problems import PROBLEM_TYPE, from_error

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
# Retry-After grows with the length of an overload (one second per second of it), up to this.
RETRY_AFTER_MAX_S = 10
# While overloaded, a request is queued only if the wait ahead of it is at most this share of
# the target: that wait is an average, and one queued that then waits past the target costs more
# than one refused at once (its wait, a timer, the app's refusal instead of the connection's)
# and answers later.
OVERLOADED_QUEUE_SHARE = 0.25
# Weight of each request's slot time in the moving average of them.
SERVICE_EWMA = 0.05

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# (its future: granted or not, when its headers were parsed, its deadline's timer)
_Waiter = tuple["asyncio.Future[bool]", float, asyncio.TimerHandle]


class Overloaded(HuntError):
    """The server is too busy to answer in time."""

    status, code = 503, "overloaded"


class ClientGone(HuntError):
    """The client closed the connection."""

    # nginx's "client closed request": nobody reads it, the metrics tell it apart.
    status, code = 499, "client_gone"


def route_of(request: web.Request) -> str:
    """The route's template (a bounded label), as the timing middleware names it."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


class Admission:
    """One process's admission queue and its CoDel state."""

    def __init__(
        self,
        target_s: float,
        interval_s: float,
        max_inflight: int,
        scan_budget_s: float = 1.0,
        streams: Iterable[str] = (),
    ) -> None:
        self.target_s = target_s
        self.interval_s = max(interval_s, target_s)
        self.max_inflight = max_inflight
        self.scan_budget_s = scan_budget_s
        # Route templates of streams: admitted without a slot.
        self.streams = frozenset(streams)
        self.inflight = 0
        self.waiting = 0
        # Requests the connection let in at the door (server/http/refusal.py) that have not
        # reached the queue yet: they count as ahead of the next one at the door.
        self.reserved = 0
        # How long a request holds a slot (a moving average): the wait ahead of one queued.
        self.service_s = 0.005
        self.overloaded_since: float | None = None
        self._queue: deque[_Waiter] = deque()
        self._window_end = -math.inf
        self._window_min = math.inf
        self._refusal_bodies: dict[int, bytes] = {}

    # -- CoDel ------------------------------------------------------------------------------

    def observe(self, now: float, delay: float) -> None:
        """A request left the queue after `delay` seconds: at the end of each interval, the
        process is overloaded if no request of that interval waited less than the target."""
        QUEUE_DELAY.observe(delay)
        if now < self._window_end:
            self._window_min = min(self._window_min, delay)
            return
        # A whole interval with no request at all had an empty queue.
        quiet = now - self._window_end >= self.interval_s
        if quiet or self._window_min <= self.target_s:
            self.overloaded_since = None
        elif self.overloaded_since is None:
            self.overloaded_since = self._window_end
        self._window_end = now + self.interval_s
        self._window_min = delay

    @property
    def overloaded(self) -> bool:
        return self.overloaded_since is not None

    def allowed_s(self) -> float:
        """How long a request may wait now."""
        return self.target_s if self.overloaded_since is not None else self.interval_s

    def retry_after_s(self, now: float) -> int:
        since = self.overloaded_since
        lasted = 0.0 if since is None else now - since
        return max(1, min(RETRY_AFTER_MAX_S, math.ceil(lasted)))

    # -- the queue --------------------------------------------------------------------------

    async def enter(self, arrived: float) -> bool:
        """Take a slot (True), or be refused one (False: shed) when the request waited for the
        loop, or would wait in the queue, longer than allowed; the caller gives a slot back with
        `leave`."""
        now = time.monotonic()
        waited = now - arrived
        if self.inflight < self.max_inflight:
            self.observe(now, waited)
            if waited > self.allowed_s():
                return False
            self.inflight += 1
            return True
        if self._hopeless(now, waited):
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(self.scan_budget_s - waited, self._expire, waiter, arrived)
        self._queue.append((waiter, arrived, timer))
        self.waiting += 1
        try:
            return await waiter
        except asyncio.CancelledError:
            timer.cancel()
            if waiter.cancelled():
                self.waiting -= 1  # cancelled while it waited
            elif waiter.result():
                self.leave()  # granted, then cancelled before it could start
            raise

    def refuses_now(self, now: float) -> bool:
        """Whether a request arriving now would be refused at once (counted as refused).

        The requests let in at the door but not at the queue yet (`reserved`) are ahead of it:
        a turn of the event loop reads many requests before any of them reaches the queue, and
        without them every one would see the slots the first few take."""
        busy = self.inflight + self.reserved
        if busy < self.max_inflight:
            return False
        return self._hopeless(now, 0.0, self.waiting + busy - self.max_inflight)

    def reserve(self) -> None:
        """A request was let in at the door; `unreserve` once it reaches the queue (or never
        will: its connection is gone)."""
        self.reserved += 1

    def unreserve(self) -> None:
        self.reserved -= 1

    def _hopeless(self, now: float, waited: float, ahead: int | None = None) -> bool:
        """No slot is free: the wait ahead, from the requests queued before it (`ahead`, by
        default those waiting) and how long a slot is held. One that would wait too long is
        refused now rather than later."""
        ahead = self.waiting if ahead is None else ahead
        expected = waited + (ahead + 1) * self.service_s / self.max_inflight
        limit = self.allowed_s()
        if self.overloaded_since is not None:
            limit *= OVERLOADED_QUEUE_SHARE
        if expected > limit:
            self.observe(now, expected)
            return True
        return False

    @property
    def queued(self) -> int:
        """Requests waiting for a slot."""
        return self.waiting

    def leave(self, held_s: float | None = None) -> None:
        """Give a slot back (held for `held_s`), to the first request still waiting."""
        if held_s is not None:
            self.service_s += SERVICE_EWMA * (held_s - self.service_s)
        self.inflight -= 1
        queue = self._queue
        while queue and self.inflight < self.max_inflight:
            waiter, arrived, timer = queue.popleft()
            if waiter.done():
                continue
            self.waiting -= 1
            timer.cancel()
            now = time.monotonic()
            self.observe(now, now - arrived)
            self.inflight += 1
            waiter.set_result(True)

    def _expire(self, waiter: asyncio.Future[bool], arrived: float) -> None:
        if not waiter.done():
            self.waiting -= 1
            now = time.monotonic()
            self.observe(now, now - arrived)
            waiter.set_result(False)
        queue = self._queue
        while queue and queue[0][0].done():
            queue.popleft()

    # -- answers ----------------------------------------------------------------------------

    def refusal_body(self, retry_after_s: int) -> bytes:
        """The problem+json of a refusal, serialised once per Retry-After (a storm is mostly
        refusals: each must cost little)."""
        body = self._refusal_bodies.get(retry_after_s)
        if body is None:
            detail = (
                "the server has more requests than it can answer in time; try again in"
                f" {retry_after_s} s"
            )
            response = from_error(Overloaded(detail, retry_after_s=retry_after_s))
            assert isinstance(response.body, bytes)
            body = self._refusal_bodies[retry_after_s] = response.body
        return body

    def shed(self, request: web.Request, reason: str = "overloaded") -> web.Response:
        retry = self.retry_after_s(time.monotonic())
        SHED.labels(route_of(request), reason).inc()
        response = web.Response(
            status=503,
            body=self.refusal_body(retry),
            content_type=PROBLEM_TYPE,
            charset="utf-8",
            headers={"Retry-After": str(retry)},
        )
        if not request.content.is_eof():
            # The body is never read: this connection carries no other request.
            response.force_close()
        return response


ADMISSION: web.AppKey[Admission] = web.AppKey("admission", Admission)
# When the request's headers were parsed (time.monotonic()).
ARRIVED: web.RequestKey[float] = web.RequestKey("arrived", float)


def arrival(request: web.Request) -> float:
    """When the request's headers were parsed. A place its connection reserved for it at the
    door is given back here: from now on it counts in the queue itself."""
    protocol = request.protocol
    unreserve = getattr(protocol, "unreserve", None)
    if unreserve is not None:
        unreserve()
    stamped = getattr(protocol, "parsed_at", None)
    return stamped if isinstance(stamped, float) else time.monotonic()


@web.middleware
async def admission_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in EXEMPT:
        return await handler(request)
    admission = request.app[ADMISSION]
    request[ARRIVED] = arrived = arrival(request)
    if route_of(request) in admission.streams:
        now = time.monotonic()
        admission.observe(now, now - arrived)
        if now - arrived > admission.allowed_s():
            return admission.shed(request)
        return await handler(request)
    if not await admission.enter(arrived):
        return admission.shed(request)
    started = time.monotonic()
    try:
        if request.transport is None:  # the client left while it waited: no work for nobody
            SHED.labels(route_of(request), "client_gone").inc()
            return from_error(ClientGone("the client left before its request was handled"))
        return await handler(request)
    finally:
        admission.leave(time.monotonic() - started)


def install_admission(app: web.Application, admission: Admission) -> None:
    """Keep `admission` on `app` and export its state as gauges (read when /metrics is)."""
    app[ADMISSION] = admission
    INFLIGHT.set_function(lambda: admission.inflight)
    OVERLOADED.set_function(lambda: 1 if admission.overloaded else 0)


def before_claim(request: web.Request) -> None:
    """Just before a scan's database work: refuse it if its client has left (`ClientGone`) or if
    it waited past the scan budget since it arrived (`Overloaded`), so that nothing is claimed
    for a client that will never read the answer."""
    transport = request.transport
    if transport is None or transport.is_closing():
        SHED.labels(route_of(request), "client_gone").inc()
        raise ClientGone("the client left before the scan was claimed")
    admission = request.app.get(ADMISSION)
    if admission is None:
        return
    now = time.monotonic()
    waited = now - request.get(ARRIVED, now)
    if waited > admission.scan_budget_s:
        retry = admission.retry_after_s(now)
        SHED.labels(route_of(request), "budget").inc()
        raise Overloaded(
            f"the scan waited {waited:.1f} s for the server, longer than it may; try again in"
            f" {retry} s",
            retry_after_s=retry,
        )
