"""The HTTP connection around the app: how requests are framed, timed and refused.

Every entry point that listens (`geohunt serve`, the demo, the benchmark server, the tests' live
servers) builds its runner here, so they all get the same options:

- a request aiohttp cannot parse (a NUL in a header, a header over `max_field_size`, a broken
  request line, a bad `Content-Length`, `Content-Length` with `Transfer-Encoding`) is answered
  400 `application/problem+json` with a fixed description, never the input, and logged as one
  line without a traceback;
- the request line and headers must all arrive within `header_timeout_s` of their first byte
  (of the connection, for its first request), or the connection is closed;
- a body must arrive within `body_timeout_s` of its headers, or reading it fails with a 408
  problem (`RequestTimeout`) and the connection is closed;
- a body the app did not read to its end is never drained (`lingering_time=0`): the answer is
  sent with `Connection: close` and the connection closed, whatever the declared length;
- a request that admission control would refuse at once is answered `503 overloaded` by the
  connection, before the app sees it (server/http/refusal.py).
- `run_app` (`geohunt serve`) accepts every waiting connection each time its socket is ready,
  on uvloop too (server/http/site.py).

Known gap: with HTTP/1.1 pipelining, the start of a next request that arrives in the same
segment as the end of the previous one is not seen as "headers begun" (the C parser does not
say where a message ended); such a connection is closed by `keepalive_timeout_s` instead.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
)
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_request import BaseRequest

from infra.heap import freeze_startup_heap
from infra.settings import SettingsError
from server.http.admission import ADMISSION
from server.http.metrics import HEAP_FROZEN
from server.http.problems import status_problem
from server.http.refusal import EarlyRefusal, fixed_paths
from server.http.site import GreedySite
from server.http.validation import RequestTimeout


@dataclass(frozen=True)
class HttpOptions:
    """Limits and deadlines of one HTTP connection; `from_env` reads `HTTP_*` variables."""

    # From the first byte of a request (or the opening of the connection) to its last header.
    header_timeout_s: float = 10.0
    # From the end of the headers to the last byte of the body.
    body_timeout_s: float = 60.0
    # An idle connection between two requests; above the usual proxy's 60 s.
    keepalive_timeout_s: float = 75.0
    # The request line, and each header line.
    max_line_size: int = 8190
    max_field_size: int = 8190

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HttpOptions:
        env = os.environ if env is None else env
        return cls(
            header_timeout_s=_seconds(env, "HTTP_HEADER_TIMEOUT_S", cls.header_timeout_s),
            body_timeout_s=_seconds(env, "HTTP_BODY_TIMEOUT_S", cls.body_timeout_s),
            keepalive_timeout_s=_seconds(env, "HTTP_KEEPALIVE_S", cls.keepalive_timeout_s),
        )

    def handler_kwargs(self) -> dict[str, Any]:
        """What aiohttp's own RequestHandler takes from these options."""
        return {
            "keepalive_timeout": self.keepalive_timeout_s,
            # Never read and discard a body the app did not want: close the connection.
            "lingering_time": 0,
            "max_line_size": self.max_line_size,
            "max_field_size": self.max_field_size,
        }


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0.1 <= value <= 3600:
        raise SettingsError(f"{name} must be between 0.1 and 3600 seconds")
    return value


def framing_detail(exc: HttpProcessingError, max_field_size: int) -> str:
    """What was wrong with a request aiohttp could not parse, in words of our own: the
    parser's message quotes the offending bytes, which must never be sent back."""
    if isinstance(exc, LineTooLong):
        return f"the request line or a header is longer than {max_field_size} bytes"
    if isinstance(exc, BadHttpMethod | BadStatusLine | InvalidURLError):
        return "the request line is malformed"
    if isinstance(exc, InvalidHeader):
        return "a request header is malformed"
    # The C parser's message is "<llhttp's reason>:\n\n  <the input>": look at the reason only.
    reason = (exc.message or "").split(":\n", 1)[0].lower()
    if "transfer-encoding" in reason:
        return "Transfer-Encoding is invalid, or sent together with Content-Length"
    if "content-length" in reason:
        return "the Content-Length header is invalid"
    if "header" in reason:
        return "a request header is malformed"
    return "the request is malformed"


def _peer(protocol: web.RequestHandler) -> str:
    peer = protocol.peername
    if isinstance(peer, tuple):
        return str(peer[0])
    return str(peer or "unknown")


class HardenedRequestHandler(web.RequestHandler):
    """aiohttp's connection protocol with problem+json framing errors and read deadlines."""

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        options: HttpOptions,
        refusals: EarlyRefusal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, loop=loop, **kwargs)
        self.options = options
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        # The body of the latest request while it is still arriving.
        self._body: StreamReader | None = None
        # When the latest request's headers were parsed: its queue delay starts there (admission).
        self.parsed_at: float | None = None
        self.refusals = refusals
        # The latest request was let in at the door with a place reserved in admission.
        self._reserved = False

    # -- deadlines -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # The first request's headers are due from the moment the connection opens.
        self._arm_head()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.unreserve()  # a request let in that will never reach the queue
        self._cancel_head()
        self._cancel_body()
        self._body = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        between_requests = self._body is None or self._body.is_eof()
        count = self._request_count
        # While `start()` waits for this connection's next request, parse without waking it:
        # a request refused here (`_refused_early`) never reaches it.
        waiter = self._waiter if self.refusals is not None and not self._messages else None
        if waiter is not None:
            self._waiter = None
        try:
            super().data_received(data)
        finally:
            if waiter is not None:
                self._waiter = waiter
        if waiter is not None and not waiter.done():
            if self._close or self._force_close:
                waiter.cancel()  # as aiohttp's close() would have
            elif self._messages:
                if self._refused_early():
                    # Answered: the connection is idle again (or closed), no deadline runs.
                    self._cancel_head()
                    return
                waiter.set_result(None)
        if self.transport is None or self._force_close or self._close:
            return
        if self._request_count != count and self._messages:
            # A request's headers are complete.
            self.parsed_at = time.monotonic()
            self._cancel_head()
            self._cancel_body()
            message, payload = self._messages[-1]
            self._body = None
            if not payload.is_eof() and not getattr(message, "upgrade", False):
                self._body = payload
                self._body_timer = self._loop.call_later(
                    self.options.body_timeout_s, self._body_deadline
                )
            return
        if self._body is not None and self._body.is_eof():
            self._body = None
            self._cancel_body()
        if data and between_requests and not self._upgraded:
            # Bytes of a request whose headers are not complete yet.
            self._arm_head()

    def _refused_early(self) -> bool:
        """Answer the one request just parsed with `503 overloaded` here, if admission would
        refuse it at once (server/http/refusal.py)."""
        assert self.refusals is not None and self.transport is not None
        if len(self._messages) != 1:
            return False  # pipelined: the app answers them in order
        message, payload = self._messages[0]
        if not isinstance(message, RawRequestMessage) or message.upgrade:
            return False
        if message.method == "HEAD":
            return False  # its answer has no body: the app's way
        body_left = not payload.is_eof()
        close = body_left or message.should_close
        self.unreserve()  # (the previous request's, had it never reached the queue)
        answer = self.refusals.at_door(message.path.partition("?")[0], close)
        if not isinstance(answer, bytes):
            self._reserved = answer
            return False
        self._messages.popleft()
        if self._parser is not None:
            self._parser.message_consumed()
        self.transport.write(answer)
        if close:
            # The body is never read (or the client asked): no other request on this connection.
            self.force_close()
        elif self._keepalive_timeout:
            # Idle again: closed after the keep-alive timeout, as after any answer.
            self._keepalive = True
            self._next_keepalive_close_time = self._loop.time() + self._keepalive_timeout
            if self._keepalive_handle is None:
                self._keepalive_handle = self._loop.call_at(
                    self._next_keepalive_close_time, self._process_keepalive
                )
        return True

    def unreserve(self) -> None:
        """Give back the place the latest request was reserved at the door, if it holds one:
        it has reached admission's queue (server/http/admission.py `arrival`), or never will."""
        if self._reserved:
            self._reserved = False
            assert self.refusals is not None
            self.refusals.admission.unreserve()

    def _arm_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self._loop.call_later(
                self.options.header_timeout_s, self._head_deadline
            )

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_deadline(self) -> None:
        self._head_timer = None
        if self.transport is None or self._force_close:
            return
        if self._request_in_progress or self._messages:
            # The server is busy with this connection's earlier requests: the client may wait.
            self._arm_head()
            return
        self.logger.info(
            "closing connection from %s: no complete request headers within %g s",
            _peer(self),
            self.options.header_timeout_s,
        )
        self.force_close()

    def _body_deadline(self) -> None:
        self._body_timer = None
        payload, self._body = self._body, None
        if payload is None or payload.is_eof() or self.transport is None:
            return
        self.logger.info(
            "request body from %s not received within %g s",
            _peer(self),
            self.options.body_timeout_s,
        )
        # Whoever reads the body now gets a 408 problem; the connection closes after the
        # answer since the body never ended.
        payload.set_exception(
            RequestTimeout(
                f"the request body was not received within {self.options.body_timeout_s:g} s"
            )
        )

    # -- requests aiohttp could not parse ---------------------------------------------------

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        detail = None
        if isinstance(exc, HttpProcessingError) and 400 <= status < 500:
            detail = framing_detail(exc, self.max_field_size)
            self.logger.info(
                "bad request from %s: %s (%s)", request.remote, detail, type(exc).__name__
            )
        else:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
        if request.writer.output_size > 0:
            # Part of an answer is out already: the connection can only be dropped.
            raise ConnectionError("response already started, cannot send the error")
        response = status_problem(status, detail)
        response.force_close()
        return response


class HardenedServer(web.Server):
    """aiohttp's `Server` building `HardenedRequestHandler`s."""

    def __init__(
        self,
        handler: Callable[..., Any],
        *,
        options: HttpOptions,
        refusals: EarlyRefusal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.options = options
        self.refusals = refusals

    def __call__(self) -> web.RequestHandler:
        return HardenedRequestHandler(
            self, loop=self._loop, options=self.options, refusals=self.refusals, **self._kwargs
        )


class HardenedAppRunner(web.AppRunner):
    """`web.AppRunner` whose server uses `HardenedRequestHandler` with `options`."""

    def __init__(
        self, app: web.Application, *, options: HttpOptions | None = None, **kwargs: Any
    ) -> None:
        self.options = options or HttpOptions.from_env()
        super().__init__(app, **{**self.options.handler_kwargs(), **kwargs})

    async def _make_server(self) -> web.Server:
        # The app starts up and freezes in AppRunner's own `_make_server`; only the class of
        # the server it returns is replaced, with the same handler, factory and arguments.
        base = await super()._make_server()
        admission = self.app.get(ADMISSION)
        refusals = None
        if admission is not None:
            refusals = EarlyRefusal(admission, fixed_paths(self.app, admission.streams))
        return HardenedServer(
            base.request_handler,
            options=self.options,
            refusals=refusals,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **base._kwargs,
        )


def make_runner(
    app: web.Application, options: HttpOptions | None = None, **kwargs: Any
) -> web.AppRunner:
    """The runner every entry point uses; `options` default to `HttpOptions.from_env()`."""
    return HardenedAppRunner(app, options=options, **kwargs)


def run_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    options: HttpOptions | None = None,
    print: Callable[..., None] | None = print,  # noqa: A002 - as in web.run_app
    reuse_port: bool = False,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    **kwargs: Any,
) -> None:
    """`web.run_app(app, host=..., port=...)` with this module's runner: serves until SIGINT or
    SIGTERM, then shuts the app down. With `reuse_port`, processes share the port (SO_REUSEPORT);
    `loop_factory` makes the event loop (infra/event_loop.py)."""

    async def serve() -> None:
        runner = make_runner(app, options, handle_signals=True, **kwargs)
        await runner.setup()
        try:
            site = GreedySite(runner, host, port, reuse_port=reuse_port)
            await site.start()
            HEAP_FROZEN.set(freeze_startup_heap())
            if print is not None:
                print(f"======== Running on {site.name} ========\n(Press CTRL+C to quit)")
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    loop = loop_factory()
    asyncio.set_event_loop(loop)
    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
            rest = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in rest:
                task.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
