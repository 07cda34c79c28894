"""What the HTTP security tests share: the problem media type and a check of a problem answer,
a raw call that keeps the status, media type and headers, and a hunt with a clue of each kind to
fill any route's path with something that exists."""

from __future__ import annotations

import json
import re
from typing import Any

from server.http.routing import Route
from tests.support.api import Api
from tests.support.builders import Hunt, make_hunt

PROBLEM = "application/problem+json"


def assert_problem(status: int, body: Any, expect: int, code: str) -> None:
    assert status == expect, (status, body)
    assert isinstance(body, dict) and body.get("code") == code, body
    assert body["status"] == expect and body["title"] and body["type"], body


async def call_raw(
    api: Api, method: str, path: str, **kwargs: Any
) -> tuple[int, str, dict[str, str], Any]:
    response = await api.client.request(method, path, **kwargs)
    raw = await response.read()
    body: Any = raw
    if response.content_type in ("application/json", PROBLEM):
        body = json.loads(raw)
    return response.status, response.content_type, dict(response.headers), body


def problem_code(answer: Any) -> Any:
    return answer.get("code") if isinstance(answer, dict) else None


class Fixtures:
    """One hunt with a clue of each kind, to fill any route's path with something that exists."""

    def __init__(self, hunt: Hunt, clues: dict[str, dict[str, Any]]) -> None:
        self.hunt = hunt
        self.clues = clues

    def path(self, spec: Route) -> str:
        clue = self.clues["digital" if "display" in spec.path else "billboard"]
        values = {"slug": self.hunt.slug, "clue_id": str(clue["id"]), "token_id": "1"}

        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), "x")

        return re.sub(r"{(\w+)}", fill, spec.path)


async def make_fixtures(api: Api) -> Fixtures:
    hunt = await make_hunt(api)
    clues = {kind: await hunt.clue(kind) for kind in ("billboard", "digital")}
    return Fixtures(hunt, clues)
