"""The run's names and an HTTP client of the running app with the tokens a test needs."""

from __future__ import annotations

import uuid
from typing import Any

from infra.settings import Settings
from server.http.auth import Role, TokenIssuer

RUN = uuid.uuid4().hex[:10]
TEST_SECRET = "test-secret-" + "x" * 40


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """An HTTP client of the running app with the tokens a test needs."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.issuer = TokenIssuer(settings.jwt_key)
        self.organiser = self.auth(Role.ORGANISER, "org-" + RUN)

    def auth(self, role: Role, sub: str, hunt: str | None = None) -> dict[str, str]:
        token, _ = self.issuer.issue(role, sub, 3600, hunt)
        return bearer(token)

    async def call(
        self, method: str, path: str, expect: int | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        response = await self.client.request(method, path, **kwargs)
        body: Any
        if response.content_type in ("application/json", "application/problem+json"):
            body = await response.json(content_type=None)
        else:
            body = await response.read()
        if expect is not None:
            assert response.status == expect, (response.status, body)
        return response.status, body

    async def hunter(self, handle: str | None = None) -> tuple[int, dict[str, str]]:
        _, body = await self.call(
            "POST", "/v1/auth/hunters", 201, json={"handle": handle or unique("h")[:32]}
        )
        return body["hunter_id"], bearer(body["token"])
