"""One process of the storm's load generator: `python -m bench.storm.generator SPEC.json`.

The parent starts several (so that the client is not what saturates), each loads the plan,
opens its warm connections, prints `ready` and waits for the start time (a `time.time()` on its
standard input), so that all of them share one timetable. Process p of P sends the requests
n = p, p + P, p + 2P, ... of the phase:

- open: request n is due at start + n / rate whatever happened before it, and goes on the
  connection idle the longest (one is opened whenever none is idle); its latency runs from that
  due time; a client gives up `timeout` seconds after its request was due, and closes its
  connection (abandoned);
- closed: `connections` connections each send their next request as soon as the last one is
  answered, until the duration is up.

Request n is `GET /bench/trivial` when the spec's `request` says "trivial", else the scan of
pair `base + n` of the plan (`bench.seed.pair`, spread order), so no
two requests share a (hunter, collectible) pair. The results (statuses, latencies by kind, the
find id of every 201, the abandoned requests, the process's own CPU) go to a JSON file.

A bare client on non-blocking sockets: prebuilt request bytes, only the status line,
Content-Length and Connection read back, a 201's body parsed for its find id. It costs a
fraction of what a stream-based client does, but on two cores it still competes with the
server: its CPU is measured and reported, and each answer is also timed on the wire (from the
send to the kernel's receive timestamp of the answer), which leaves its own lags out.
"""

from __future__ import annotations

import asyncio
import errno
import json
import resource
import socket
import struct
import sys
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any, cast

from bench.report import percentiles
from bench.seed import pair

OPEN_BATCH = 50  # warm connections opened at a time, within the server's listen backlog
KINDS = ("200", "201", "503", "other")  # the answers whose latencies are kept apart


def by_kind() -> dict[str, list[float]]:
    """Empty latency lists, one per answer kind (KINDS)."""
    return {kind: [] for kind in KINDS}


# The kernel's receive timestamp of what a read returns (struct timespec, CLOCK_REALTIME): when
# an answer reached this machine's socket, however late this busy process reads it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)


class Conn:
    """One keep-alive connection: one request at a time, its answer as (status, body, close),
    and `arrived`, the kernel's wall-clock time of the read that completed the answer. A bare
    non-blocking socket read by `recvmsg` for that timestamp (a transport's reads drop it)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.lost = False
        self.sent_at = 0.0  # time.time() as the request was handed to the kernel
        self.arrived = 0.0
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            self._lost(err)
            return
        if not data:
            self._lost(None)
            return
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanos = TIMESPEC.unpack(payload)
                self.arrived = seconds + nanos / 1e9
        self.data_received(data)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            waiter.set_exception(ConnectionError("answer without Content-Length"))
            return
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop > 0 else len(head)])
        if len(self.buf) < end + 4 + length:
            return
        body = bytes(self.buf[end + 4 : end + 4 + length])
        del self.buf[: end + 4 + length]
        waiter.set_result((int(head[9:12]), body, b"\r\nconnection: close" in head))

    def _lost(self, err: Exception | None) -> None:
        self.lost = True
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(err or ConnectionError("connection closed"))

    def ask(self, data: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        self.waiter = self.loop.create_future()
        self.sent_at = time.time()
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as err:
            self._lost(err)
            return self.waiter
        if sent < len(data):  # a full send buffer: rare for a request of a few hundred bytes
            rest = asyncio.ensure_future(self.loop.sock_sendall(self.sock, data[sent:]))
            rest.add_done_callback(self._sent)
        return self.waiter

    def _sent(self, done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            self._lost(cast(Exception, done.exception()))

    def closing(self) -> bool:
        return self.lost or self.sock.fileno() < 0

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.port = int(spec["port"])
        plan = json.loads(Path(spec["plan"]).read_text())
        self.tokens: list[str] = plan["tokens"]
        self.bodies: list[bytes] = [b.encode() for b in plan["bodies"]]
        self.statuses: Counter[int] = Counter()
        self.latencies = by_kind()
        # From the request's handing to the kernel to its answer's arrival (the kernel's receive
        # timestamp): the latency without this process's own lags in sending and reading.
        self.wire = by_kind()
        # The 201s' wire latencies again, by the second of the phase they were due in: whether
        # a high p99 is a standing queue (every second) or a few stalls (some seconds).
        self.wire_201_by_second: dict[int, list[float]] = {}
        self.start = 0.0  # the phase's start (loop time)
        self.find_ids: list[int] = []
        self.abandoned: list[int] = []  # pair indices whose client gave up
        self.errors: list[int] = []  # pair indices whose connection failed
        self.error_kinds: Counter[str] = Counter()  # how they failed: "ConnectionResetError"...
        self.unsent = 0  # of the abandoned: still connecting when their client gave up
        self.lags: list[float] = []  # ms from a request's due time to its sending
        self.sent = 0
        self.opened = 0
        self.idle: deque[Conn] = deque()

    def request(self, n: int) -> bytes:
        if self.spec.get("request") == "trivial":
            return f"GET /bench/trivial HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()
        index = int(self.spec["base"]) + n
        hunter, collectible = pair(index, len(self.tokens), len(self.bodies), "spread")
        body = self.bodies[collectible]
        return (
            f"POST /v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.tokens[hunter]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def idle_connection(self) -> Conn | None:
        """The idle connection that waited longest and is still open (the server closes one
        idle past its header timeout). The one used last would send most requests to the
        process answering fastest; a storm's phones spread over all of them."""
        while self.idle:
            conn = self.idle.popleft()
            if not conn.closing():
                return conn
        return None

    async def connect(self) -> Conn:
        loop = asyncio.get_running_loop()
        self.opened += 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", self.port))
        except BaseException:
            sock.close()
            raise
        return Conn(sock)

    async def warm(self, count: int) -> None:
        while len(self.idle) < count:
            batch = min(OPEN_BATCH, count - len(self.idle))
            self.idle.extend(await asyncio.gather(*(self.connect() for _ in range(batch))))

    def answered(self, n: int, status: int, body: bytes, latency_ms: float, wire_ms: float) -> None:
        self.statuses[status] += 1
        kind = str(status) if str(status) in KINDS else "other"
        self.latencies[kind].append(round(latency_ms, 3))
        self.wire[kind].append(round(wire_ms, 3))
        if status == 201:
            self.find_ids.append(int(json.loads(body)["find"]["id"]))

    async def one(self, n: int, due: float, deadline: float) -> None:
        """Request n, due at `due` (loop time), given up at `deadline`."""
        loop = asyncio.get_running_loop()
        conn = self.idle_connection()
        try:
            async with asyncio.timeout_at(deadline):
                if conn is None:
                    conn = await self.connect()
                self.lags.append((loop.time() - due) * 1000)
                status, body, close = await conn.ask(self.request(n))
        except TimeoutError:
            self.abandoned.append(int(self.spec["base"]) + n)
            if conn is None:
                self.unsent += 1
            else:
                conn.close()  # the client gives up: the server sees it leave
            return
        except (OSError, ConnectionError) as err:
            self.errors.append(int(self.spec["base"]) + n)
            self.error_kinds[error_kind(err)] += 1
            if conn is not None:
                conn.close()
            return
        wire_ms = (conn.arrived - conn.sent_at) * 1000
        self.answered(n, status, body, (loop.time() - due) * 1000, wire_ms)
        if status == 201:
            second = max(0, int(due - self.start))
            self.wire_201_by_second.setdefault(second, []).append(round(wire_ms, 3))
        if close or conn.lost:
            conn.close()
        else:
            self.idle.append(conn)

    async def open_loop(self, start: float) -> float:
        """The timetable from `start` (loop time); the seconds it covered."""
        loop = asyncio.get_running_loop()
        spec = self.spec
        rate, timeout = float(spec["rate"]), float(spec["timeout"])
        procs, proc = int(spec["procs"]), int(spec["proc"])
        total = max(1, int(rate * float(spec["duration"])))
        tasks: set[asyncio.Task[None]] = set()
        n = proc
        while n < total:
            now = loop.time()
            while n < total and start + n / rate <= now:
                due = start + n / rate
                task = asyncio.create_task(self.one(n, due, due + timeout))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                self.sent += 1
                n += procs
            if n < total:
                await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        if tasks:
            await asyncio.gather(*tasks)
        return total / rate

    async def closed_loop(self, start: float) -> float:
        loop = asyncio.get_running_loop()
        spec = self.spec
        procs, proc, timeout = int(spec["procs"]), int(spec["proc"]), float(spec["timeout"])
        deadline = start + float(spec["duration"])
        counter = 0

        async def worker() -> None:
            nonlocal counter
            while loop.time() < deadline:
                n, counter = proc + counter * procs, counter + 1
                sent = loop.time()
                self.sent += 1
                await self.one(n, sent, sent + timeout)

        await asyncio.sleep(max(0.0, start - loop.time()))
        await asyncio.gather(*(worker() for _ in range(int(spec["connections"]))))
        return loop.time() - start

    async def run(self) -> dict[str, Any]:
        spec = self.spec
        await self.warm(int(spec["warm"]))
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        loop = asyncio.get_running_loop()
        start = self.start = loop.time() + (float(line) - time.time())
        cpu0 = _cpu()
        if spec["mode"] == "open":
            covered = await self.open_loop(start)
        else:
            covered = await self.closed_loop(start)
        cpu = _cpu() - cpu0
        for conn in self.idle:
            conn.close()
        return {
            "duration_s": covered,
            "sent": self.sent,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "latencies_ms": self.latencies,
            "wire_ms": self.wire,
            "wire_201_by_second": self.wire_201_by_second,
            "find_ids": self.find_ids,
            "abandoned": self.abandoned,
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds),
            "send_lag_ms": percentiles(self.lags),
            "connections_opened": self.opened,
            "abandoned_unsent": self.unsent,
            "cpu_s": round(cpu, 3),
        }


def error_kind(err: BaseException) -> str:
    """An error's class, with its errno name when it has one: "OSError EADDRNOTAVAIL"."""
    number = getattr(err, "errno", None)
    name = errno.errorcode.get(number, "") if isinstance(number, int) else ""
    return f"{type(err).__name__} {name}".strip()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(Generator(spec).run())
    Path(spec["out"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
