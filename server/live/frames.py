"""Live messages, encoded once and written as they are to every client's socket.

A message is JSON with a `type`; those read from a hunt's stream also carry `event_id` (the
stream id, which is also the SSE `id:` a client resumes from). Each message is encoded once per
process, as a WebSocket text frame and as an SSE event in an HTTP chunk, and the same bytes go
to every client: fanning out costs one `transport.write` per client, with no task switch.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any, cast

EVENT_ID = re.compile(r"^(\d{1,19})-(\d{1,19})$")


def parse_event_id(text: str) -> tuple[int, int] | None:
    match = EVENT_ID.match(text)
    return None if match is None else (int(match[1]), int(match[2]))


def ws_text_frame(payload: bytes) -> bytes:
    """A final, unmasked (server to client) text frame, RFC 6455 section 5.2."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def sse_event(text: str, event_id: str | None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    # JSON from json.dumps holds no raw newline, so one `data:` line carries it.
    return f"{head}data: {text}\n\n".encode()


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@dataclass(slots=True)
class Message:
    text: str
    kind: str = ""
    event_id: str | None = None
    # (seq, sub) of the stream id: clients that caught up through a replay skip up to theirs
    position: tuple[int, int] = (0, 0)
    _ws: bytes | None = field(default=None, repr=False)
    _sse: bytes | None = field(default=None, repr=False)
    _sse_chunk: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, body: dict[str, Any], event_id: str | None = None) -> Message:
        if event_id is not None:
            body = {"type": body.get("type"), "event_id": event_id, **body}
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
        position = parse_event_id(event_id) if event_id else None
        return cls(text, str(body.get("type", "")), event_id, position or (0, 0))

    @classmethod
    def from_stream(cls, event_id: str, data: bytes) -> Message:
        return cls.of(json.loads(data), event_id)

    @property
    def numbered(self) -> bool:
        return self.event_id is not None

    def ws(self) -> bytes:
        if self._ws is None:
            self._ws = ws_text_frame(self.text.encode())
        return self._ws

    def sse(self, chunked: bool) -> bytes:
        if self._sse is None:
            self._sse = sse_event(self.text, self.event_id)
        if not chunked:
            return self._sse
        if self._sse_chunk is None:
            self._sse_chunk = http_chunk(self._sse)
        return self._sse_chunk


class Batch:
    """Messages sent together: their frames are joined once per kind of socket, and each
    client gets them in one write (one system call instead of one per message)."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        numbered = [m.position for m in messages if m.numbered]
        self.first: tuple[int, int] | None = min(numbered) if numbered else None
        self._frames: dict[tuple[str, bool], bytes] = {}

    def frames(self, sink: Sink) -> bytes:
        key = (sink.kind, sink.chunked)
        joined = self._frames.get(key)
        if joined is None:
            joined = self._frames[key] = b"".join(
                m.ws() if sink.kind == "ws" else m.sse(sink.chunked) for m in self.messages
            )
        return joined


class Sink:
    """One client's socket, written without waiting: a client that cannot take what it is sent
    (its socket's buffer is over `max_buffer`) or has gone is reported, and dropped."""

    def __init__(
        self, transport: asyncio.BaseTransport | None, kind: str, chunked: bool, max_buffer: int
    ) -> None:
        assert kind in ("ws", "sse")
        self.transport = transport
        self.kind = kind
        self.chunked = chunked
        self.max_buffer = max_buffer

    @property
    def gone(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def send(self, message: Message) -> bool:
        frame = message.ws() if self.kind == "ws" else message.sse(self.chunked)
        return self.write(frame)

    def write(self, frame: bytes) -> bool:
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        # A cast, not an isinstance check: uvloop's transports do not derive from asyncio's.
        transport = cast(asyncio.WriteTransport, transport)
        if transport.get_write_buffer_size() > self.max_buffer:
            return False
        transport.write(frame)
        return True

    def comment(self, text: str) -> bool:
        """An SSE comment line (a keep-alive); browsers ignore it."""
        data = f": {text}\n\n".encode()
        return self.write(http_chunk(data) if self.chunked else data)

    def abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()  # type: ignore[attr-defined]  # a socket transport
