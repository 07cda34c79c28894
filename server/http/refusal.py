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

    def refusal(self, path: str, should_close: bool) -> bytes | None:
        """The whole answer to a request for `path` (no query) that arrived just now, if it is
        to be refused here; None: let the app handle it."""
        counter = self._counters.get(path)
        if counter is None:
            return None
        now = time.monotonic()
        if not self.admission.refuses_now(now):
            return None
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
