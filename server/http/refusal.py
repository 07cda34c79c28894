"""`503 overloaded` answered by the connection itself, for a request that cannot wait.

In a storm most requests are refused, so a refusal must cost far less than an answer. Through
the app, one costs more than `GET /bench/trivial`'s 200 (about 110 us of CPU against 90 on the
benchmark machine): a task, a request object, routing, three middlewares, the problem built and
serialised, a response prepared. Here the connection answers from bytes prepared once, as soon
as the request's headers are parsed, when admission would refuse it at once anyway (no slot
free and the queue ahead too long: `Admission.refuses_now`); the app never sees it.

Only requests that the middleware would treat the same way are refused here: an idle
connection's single request (pipelined ones are answered in order by the app), for a route of a
fixed path that is not exempt from shedding and not a stream. Everything else takes the usual
way, where the middleware decides. The answer is the middleware's, byte for byte in its body
and headers; it is counted in `geohunt_shed_total` under its route, and is not in
`geohunt_request_seconds` (it never reached the app).

A request let in holds a place in admission until it reaches the queue (`Admission.reserved`):
the requests of one turn of the event loop are all parsed before the first reaches the queue,
and the door must not let in more than the slots and a short queue can take. Without it, a turn
that followed a group commit let in every request it read against the slots that group freed,
and the middleware refused most of them a turn later, at the app's cost ("Scan storms",
BENCHMARKS.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.utils import formatdate

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from server.http.admission import EXEMPT, Admission
from server.http.metrics import SHED

_SERVER = SERVER_SOFTWARE.encode()


class EarlyRefusal:
    """The decision and the bytes of a refusal made by the connection."""

    def __init__(self, admission: Admission, paths: Iterable[str]) -> None:
        self.admission = admission
        # Fixed paths of the routes refused here: one count each, under the route's own name.
        self._counters = {p: SHED.labels(p, "overloaded") for p in paths if p not in EXEMPT}
        self._date_at = -1
        self._date = b""

    def at_door(self, path: str, should_close: bool) -> bytes | bool:
        """For a request for `path` (no query) that arrived just now: the whole answer, if it
        is refused here; True, let in, with a place reserved for it in admission (the caller
        gives it back with `Admission.unreserve` when the request reaches the queue, or when
        its connection is lost before); False, not one this door decides on."""
        counter = self._counters.get(path)
        if counter is None:
            return False
        now = time.monotonic()
        if not self.admission.refuses_now(now):
            self.admission.reserve()
            return True
        counter.inc()
        return self._answer(self.admission.retry_after_s(now), should_close)

    def _answer(self, retry_after_s: int, close: bool) -> bytes:
        body = self.admission.refusal_body(retry_after_s)
        second = int(time.time())
        if second != self._date_at:
            self._date_at, self._date = second, formatdate(second, usegmt=True).encode()
        return b"".join(
            (
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: %d\r\n" % retry_after_s,
                b"Content-Type: application/problem+json; charset=utf-8\r\n",
                b"Content-Length: %d\r\nDate: %s\r\nServer: %s\r\n"
                % (len(body), self._date, _SERVER),
                b"Connection: close\r\n\r\n" if close else b"\r\n",
                body,
            )
        )


def fixed_paths(app: web.Application, streams: Iterable[str]) -> list[str]:
    """The app's routes of a fixed path, streams left out (they hold no slot: the middleware
    sheds them by their wait alone)."""
    skip = set(streams)
    return [
        r.canonical
        for r in app.router.resources()
        if isinstance(r, web.PlainResource) and r.canonical not in skip
    ]
