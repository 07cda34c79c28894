"""The HTTP connection itself under attack, over raw sockets against the app served on a real
port the way the entry points serve it (`server.http.server.make_runner`).

Malformed framing gets a 400 problem+json that never quotes the input and one log line without
a traceback; a request that never finishes its headers, or trickles its body, loses its
connection at the deadline; a refused body is never drained.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from infra.settings import Settings, SettingsError
from server.app import create_app
from server.http.auth import Role, TokenIssuer
from server.http.server import HttpOptions, make_runner

PROBLEM = "application/problem+json"
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
OPTIONS = HttpOptions(header_timeout_s=HEADER_TIMEOUT_S, body_timeout_s=BODY_TIMEOUT_S)
# How late past a deadline the server may act, on 2 busy cores.
SLACK_S = 2.5
SERVER_LOGGER = "aiohttp.server"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def parse(raw: bytes) -> Answer | None:
    """The first HTTP response in `raw`, or None when nothing came back."""
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return Answer(status, headers, body, raw)


async def read_until_closed(reader: asyncio.StreamReader, within_s: float) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (True), or until `within_s`
    passes with the connection still open (False)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + within_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return b"".join(chunks), False
            try:
                chunk = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                return b"".join(chunks), False
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    except (ConnectionResetError, BrokenPipeError):
        return b"".join(chunks), True


@pytest.fixture
async def port(settings: Settings) -> AsyncIterator[int]:
    runner = make_runner(create_app(settings), OPTIONS, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@pytest.fixture
def organiser(settings: Settings) -> str:
    token, _ = TokenIssuer(settings.jwt_key).issue(Role.ORGANISER, "framing-test", 3600)
    return token


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionResetError, BrokenPipeError):
        pass


# Each: the raw request, and a piece of it that must not come back.
MALFORMED = {
    "nul_in_header": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Probe: before\x00NULMARK\r\n\r\n",
        b"NULMARK",
    ),
    "header_over_8k": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Probe: " + b"BIGMARK" * 1300 + b"\r\n\r\n",
        b"BIGMARK",
    ),
    "broken_request_line": (
        b"GET /healthz\x01LINEMARK HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"LINEMARK",
    ),
    "not_a_request_line": (b"LINEMARK THERE\r\n\r\n", b"LINEMARK"),
    "bad_content_length": (
        b"POST /v1/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 12CLMARK\r\n\r\n",
        b"CLMARK",
    ),
    "content_length_and_transfer_encoding": (
        b"POST /v1/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: TECHUNKED\r\n\r\n0\r\n\r\n",
        b"TECHUNKED",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_framing_is_a_problem_without_echo_or_traceback(
    port: int, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw, marker = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    reader, writer = await connect(port)
    try:
        writer.write(raw)
        await writer.drain()
        data, closed = await read_until_closed(reader, 5)
    finally:
        await close(writer)
    answer = parse(data)
    assert answer is not None, case
    assert answer.status == 400, answer.raw[:300]
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    body = answer.json()
    assert set(body) >= {"type", "title", "status", "detail", "code"}, body
    assert body["status"] == 400 and body["code"] == "invalid_request", body
    assert marker.lower() not in answer.raw.lower(), answer.raw[:300]
    assert b"\x00" not in answer.raw
    assert closed, "a request that could not be framed must end its connection"

    server_lines = [r for r in caplog.records if r.name == SERVER_LOGGER]
    assert len(server_lines) == 1, [r.getMessage() for r in server_lines]
    line = server_lines[0]
    assert line.exc_info is None and line.levelno < logging.ERROR, line
    assert "\n" not in line.getMessage()
    assert marker.decode() not in line.getMessage()
    assert "Traceback" not in caplog.text


async def test_half_sent_headers_lose_the_connection_at_the_deadline(port: int) -> None:
    reader, writer = await connect(port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        await writer.drain()
        started = time.monotonic()
        data, closed = await read_until_closed(reader, HEADER_TIMEOUT_S + SLACK_S)
        waited = time.monotonic() - started
    finally:
        await close(writer)
    assert closed, f"still open after {waited:.1f} s"
    assert waited >= HEADER_TIMEOUT_S * 0.8, waited
    assert data == b""


async def test_a_silent_connection_is_closed_at_the_header_deadline(port: int) -> None:
    reader, writer = await connect(port)
    try:
        started = time.monotonic()
        _, closed = await read_until_closed(reader, HEADER_TIMEOUT_S + SLACK_S)
        waited = time.monotonic() - started
    finally:
        await close(writer)
    assert closed, f"still open after {waited:.1f} s"


async def test_an_idle_keep_alive_connection_outlives_the_header_deadline(port: int) -> None:
    """The header deadline runs only while a request's headers are arriving."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    reader, writer = await connect(port)
    try:
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            answer = parse(head)
            assert answer is not None and answer.status == 200, head
            await asyncio.wait_for(reader.readexactly(int(answer.headers["content-length"])), 5)
            await asyncio.sleep(HEADER_TIMEOUT_S * 1.5)
    finally:
        await close(writer)


async def test_a_trickling_body_is_cut_off_at_the_body_deadline(
    port: int, organiser: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reader, writer = await connect(port)
    length = 200
    stop = asyncio.Event()

    async def trickle() -> None:
        try:
            for _ in range(length):
                if stop.is_set():
                    return
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.2)
        except (ConnectionResetError, BrokenPipeError):
            return

    try:
        writer.write(
            b"POST /v1/auth/tokens HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {organiser}\r\n".encode()
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
        )
        await writer.drain()
        started = time.monotonic()
        sender = asyncio.create_task(trickle())
        data, closed = await read_until_closed(reader, BODY_TIMEOUT_S + SLACK_S)
        waited = time.monotonic() - started
        stop.set()
        await sender
    finally:
        await close(writer)
    assert closed, f"a body trickling for {waited:.1f} s still holds its connection"
    assert waited >= BODY_TIMEOUT_S * 0.8, waited
    answer = parse(data)
    if answer is not None:  # the connection may also just be closed
        assert answer.status == 408, answer.raw[:300]
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert answer.json()["code"] == "request_timeout"
    assert "Traceback" not in caplog.text


HUGE = 200 * 1024 * 1024
HUGE_HEAD = (
    b"POST /v1/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {HUGE}\r\n\r\n".encode()
)


def assert_unauthorized_and_closing(data: bytes) -> None:
    answer = parse(data)
    assert answer is not None, "no answer before the connection closed"
    assert answer.status == 401, answer.raw[:300]
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["code"] == "unauthorized"
    assert answer.headers.get("connection", "").lower() == "close", answer.headers


async def test_a_refused_huge_body_is_not_drained(port: int) -> None:
    """401 at once, then the server closes: the client sent only the start of 200 MB."""
    reader, writer = await connect(port)
    try:
        writer.write(HUGE_HEAD + b"{" + b" " * 65535)
        await writer.drain()
        started = time.monotonic()
        data, closed = await read_until_closed(reader, 3)
        waited = time.monotonic() - started
    finally:
        await close(writer)
    assert closed, f"the server still waits for the body after {waited:.1f} s"
    assert_unauthorized_and_closing(data)


async def test_a_refused_huge_body_sent_flat_out_is_cut_off(port: int) -> None:
    """Even a client sending as fast as it can gets the connection closed long before 200 MB."""
    reader, writer = await connect(port)
    sent = 0
    chunk = b" " * 65536

    async def blast() -> None:
        nonlocal sent
        try:
            writer.write(HUGE_HEAD + b"{")
            while sent < HUGE:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
        except (ConnectionResetError, BrokenPipeError):
            return

    sender = asyncio.create_task(blast())
    try:
        data, closed = await read_until_closed(reader, 10)
        await asyncio.wait_for(sender, 10)
    finally:
        sender.cancel()
        await close(writer)
    assert closed
    assert sent < HUGE // 4, f"the server read {sent} bytes of a body it refused"
    if data:  # a reset can overtake the answer on a flooded connection
        assert_unauthorized_and_closing(data)


async def test_a_client_leaving_mid_body_is_not_a_server_error(
    port: int, organiser: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reader, writer = await connect(port)
    writer.write(
        b"POST /v1/auth/tokens HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {organiser}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    await asyncio.sleep(0.3)  # the handler is waiting for the rest of the body
    await close(writer)
    await asyncio.sleep(0.3)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


def test_http_options_come_from_the_environment() -> None:
    assert HttpOptions.from_env({}) == HttpOptions()
    options = HttpOptions.from_env({"HTTP_HEADER_TIMEOUT_S": "2.5", "HTTP_BODY_TIMEOUT_S": "30"})
    assert (options.header_timeout_s, options.body_timeout_s) == (2.5, 30.0)
    assert options.handler_kwargs()["lingering_time"] == 0
    for bad in ("soon", "0", "-1", "1e9"):
        with pytest.raises(SettingsError):
            HttpOptions.from_env({"HTTP_HEADER_TIMEOUT_S": bad})
