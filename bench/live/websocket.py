"""A WebSocket client that only notes when each find reaches it: a frame parser on an asyncio
Protocol, finds recognised by their first bytes, their ids read without parsing the JSON."""

from __future__ import annotations

import asyncio
import base64
import secrets
import struct
import time
from collections import defaultdict
from typing import cast


class Receipts:
    """When each find reached each client: find id -> receipt times (perf_counter)."""

    def __init__(self) -> None:
        self.times: dict[int, list[float]] = defaultdict(list)


class WsClient(asyncio.Protocol):
    """A WebSocket client that only notes the finds it is sent."""

    FIND = b'{"type":"find"'
    FIND_ID = b'"find":{"id":'
    SNAPSHOT = b'{"type":"snapshot"'

    def __init__(self, request: bytes, receipts: Receipts) -> None:
        self.request = request
        self.receipts = receipts
        self.buffer = bytearray()
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.finds = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's derive from no asyncio class
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before its snapshot"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(ConnectionError(bytes(buffer[:200]).decode()))
                return
            del buffer[: end + 4]
            self.upgraded = True
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            opcode, length = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F
            head = 2
            if length == 126:
                if size - offset < 4:
                    break
                length, head = struct.unpack_from("!H", buffer, offset + 2)[0], 4
            elif length == 127:
                if size - offset < 10:
                    break
                length, head = struct.unpack_from("!Q", buffer, offset + 2)[0], 10
            if size - offset < head + length:
                break
            start = offset + head
            offset = start + length
            if opcode == 1:
                self._text(buffer, start, offset, now)
            elif opcode == 9:  # ping: answer with a pong (masked, as clients must)
                payload = bytes(buffer[start:offset])
                self._send(0x8A, payload)
        del buffer[:offset]

    def _text(self, buffer: bytearray, start: int, end: int, now: float) -> None:
        if buffer.startswith(self.FIND, start):
            at = buffer.find(self.FIND_ID, start, end) + len(self.FIND_ID)
            stop = at
            while 48 <= buffer[stop] <= 57:
                stop += 1
            self.receipts.times[int(buffer[at:stop])].append(now)
            self.finds += 1
        elif buffer.startswith(self.SNAPSHOT, start) and not self.ready.done():
            self.ready.set_result(None)

    def _send(self, first: int, payload: bytes) -> None:
        # A zero mask leaves the payload as it is: valid, and nothing to compute.
        if self.transport is not None and len(payload) < 126:
            self.transport.write(bytes([first, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def upgrade_request(port: int, path: str) -> bytes:
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
