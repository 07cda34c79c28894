"""What the tests of fans' moments share (tests/server/moments/, tests/chain/): a hunt whose
fans found an episode, a moment made and reviewed through the API, and small sketches."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, Hunt, at, make_hunt


def base64_of(data: bytes) -> str:
    return base64.b64encode(data).decode()


def tiny_png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 255)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Fan:
    hunter_id: int
    headers: dict[str, str]


@dataclass
class Episode:
    """A hunt with one collectible (an episode) and a billboard clue of it."""

    hunt: Hunt
    key: str
    clue: dict[str, Any]

    @classmethod
    async def make(cls, api: Api, rules: dict[str, Any] | None = None) -> Episode:
        hunt = await make_hunt(api, rules)
        key = await hunt.collectible()
        clue = await hunt.clue(collectible=key)
        return cls(hunt, key, clue)

    @property
    def slug(self) -> str:
        return self.hunt.slug

    async def another(self) -> Episode:
        """A second episode of the same hunt."""
        key = await self.hunt.collectible()
        return Episode(self.hunt, key, await self.hunt.clue(collectible=key))

    async def finder(self, fan: Fan | None = None) -> Fan:
        """A fan (a new walletless one unless given) who found this episode on the spot."""
        api = self.hunt.api
        if fan is None:
            hunter_id, headers = await api.hunter()
            fan = Fan(hunter_id, headers)
        body = {"code": self.hunt.code(self.clue), **at(TIMES_SQUARE)}
        await api.call("POST", "/v1/scans", 201, headers=fan.headers, json=body)
        return fan

    async def moment(
        self, fan: Fan, expect: int | None = 201, **body: Any
    ) -> tuple[int, dict[str, Any]]:
        payload = {"collectible": self.key, "scene_s": 754, "title": "The pond", **body}
        return await self.hunt.api.call(
            "POST", f"/v1/hunts/{self.slug}/moments", expect, headers=fan.headers, json=payload
        )


async def decide(
    api: Api,
    moment_id: int,
    decision: str,
    reason: str | None = None,
    expect: int | None = 200,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    body: dict[str, Any] = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    return await api.call(
        "POST",
        f"/v1/moments/{moment_id}/review",
        expect,
        headers=headers or api.organiser,
        json=body,
    )


async def approved_moment(api: Api, episode: Episode, fan: Fan, **body: Any) -> dict[str, Any]:
    """A moment by `fan` (who found the episode), approved by an organiser."""
    _, made = await episode.moment(fan, **body)
    _, moment = await decide(api, made["id"], "approve")
    return moment  # type: ignore[no-any-return]
