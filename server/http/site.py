"""The listening socket of `geohunt serve`: every waiting connection accepted at once.

libuv, under uvloop, accepts one connection each time its loop comes round (since libuv 1.45,
"don't accept() connections in a loop"). A server process whose loop is busy goes round a few
hundred times a second, so under a storm, where every shed scan closes its connection (its body
is never read) and thousands of new ones arrive a second, the kernel's listen queue filled and
dropped connections: their clients tried again only after 1 s, then 3 s. In the storm benchmark
that gave `/healthz` a p99 of 1.3 to 3.5 s at 5x the capacity on uvloop, against 0.2 to 0.3 s on
asyncio's own loop, which accepts up to the backlog each time the socket is ready.

`GreedySite` does what asyncio's loop does on any loop: it watches the socket itself
(`add_reader`) and accepts every connection waiting, up to the backlog, then hands each to the
app's protocol (`connect_accepted_socket`), on which both loops run the connection as they would
their own. It listens on one address: an IPv6 literal, or IPv4 (a name binds its first IPv4
address, where aiohttp's site binds every address the name resolves to).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

from aiohttp import web
from yarl import URL

log = logging.getLogger(__name__)

# Connections the kernel holds for a process that has not accepted them yet: aiohttp's default,
# kept short on purpose. A connection waiting there is a wait admission control cannot see, and
# its client may give up after sending its scan, which the server would then claim for nobody.
# Past it the kernel drops new connections, which their clients try again a second later.
# (With 1024, 2 of 7 storm benchmark runs collapsed at 5x: accepted scans fell to 6 and 15 a
# second while the clients opened a new connection for almost every request.)
LISTEN_BACKLOG = 128
# Out of file descriptors or memory: accepting again at once would spin; asyncio's loop waits
# this long too.
PAUSE_AFTER_RESOURCE_ERROR_S = 1.0
RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class GreedySite(web.BaseSite):
    """A TCP site (as `web.TCPSite`) that accepts every waiting connection each time its
    socket is ready."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        backlog: int = LISTEN_BACKLOG,
        reuse_port: bool = False,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host = host
        self._port = port
        self._reuse_port = reuse_port
        self._sock: socket.socket | None = None
        self._connecting: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The bound port (the one asked for until started: 0 asks for a free one)."""
        return self._sock.getsockname()[1] if self._sock is not None else self._port

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host, port=self.port))

    async def start(self) -> None:
        await super().start()
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.create_server(
            (self._host, self._port),
            family=family,
            backlog=self._backlog,
            reuse_port=self._reuse_port,
        )
        sock.setblocking(False)
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._accept_waiting)

    def _accept_waiting(self) -> None:
        sock = self._sock
        if sock is None:
            return
        loop = asyncio.get_running_loop()
        for _ in range(self._backlog):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # none left, or one that gave up while it waited
            except OSError as err:
                if err.errno not in RESOURCE_ERRORS:
                    raise
                log.error("not accepting connections for a second: %s", err)
                loop.remove_reader(sock.fileno())
                loop.call_later(PAUSE_AFTER_RESOURCE_ERROR_S, self._resume)
                return
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio's loop does
            task = loop.create_task(self._connect(conn))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    def _resume(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().add_reader(self._sock.fileno(), self._accept_waiting)

    async def _connect(self, conn: socket.socket) -> None:
        server = self._runner.server
        try:
            if server is None:  # the runner was cleaned up meanwhile
                raise ConnectionError("the server is shutting down")
            await asyncio.get_running_loop().connect_accepted_socket(server, conn)
        except OSError:  # the client left before its transport was made
            conn.close()

    async def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
        await super().stop()
