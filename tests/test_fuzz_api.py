"""Schemathesis fuzzes the whole API, from the served /openapi.json, against the app listening
on a real TCP port with the real PostgreSQL and Redis.

Every answer must be below 500; every 4xx must be `application/problem+json` with a string
`code`; status codes, content types and bodies must match what the description declares.
Cases run with an organiser token, and a share with a hunter token so hunter routes are reached.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from hunt_engine.codes import static_code
from server.app import create_app
from server.auth import Role, TokenIssuer
from server.http_server import make_runner
from server.settings import Settings
from tests.conftest import RUN, unique

# Bounded so the file runs in well under 90 s on 2 cores; raise them for a longer hunt, and
# set GEOHUNT_FUZZ_SEED=random to explore beyond the fixed, reproducible seed.
MAX_EXAMPLES = int(os.environ.get("GEOHUNT_FUZZ_EXAMPLES", "12"))
HUNTER_EXAMPLES = max(1, MAX_EXAMPLES // 2)
SEED = os.environ.get("GEOHUNT_FUZZ_SEED", "20261123")


class LiveServer:
    """`create_app(settings)` on 127.0.0.1, port 0, served by its own event loop in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _start(self) -> int:
        self.runner = make_runner(create_app(self.settings), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    def start(self) -> None:
        self.thread.start()
        port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class World:
    """The running server and what exists in it before the fuzzer starts."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        issuer = TokenIssuer(server.settings.jwt_key)
        organiser, _ = issuer.issue(Role.ORGANISER, "fuzz-" + RUN, 3600)
        self.headers = {"organiser": {"Authorization": f"Bearer {organiser}"}}
        self.slug = unique("fuzz")
        self.clue_ids: list[int] = []
        self.codes: list[str] = []

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        kwargs.setdefault("headers", self.headers["organiser"])
        answer = requests.request(method, self.server.url + path, timeout=30, **kwargs)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        return answer.json()

    def seed(self) -> None:
        now = datetime.now(UTC)
        self.call(
            "POST",
            "/v1/hunts",
            201,
            json={
                "slug": self.slug,
                "name": "Fuzz hunt",
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
            },
        )
        self.call(
            "POST",
            f"/v1/hunts/{self.slug}/collectibles",
            201,
            json={"key": "robot", "name": "Robot", "image_url": "https://img.example/r.png"},
        )
        for kind in ("billboard", "digital", "social", "ar"):
            body: dict[str, Any] = {"kind": kind, "collectible": "robot", "label": kind}
            if kind != "social":
                body["location"] = {"lat": 40.758, "lon": -73.9855}
            if kind == "ar":
                body["ar"] = {"asset_url": "https://img.example/robot.glb"}
            self.clue_ids.append(
                self.call("POST", f"/v1/hunts/{self.slug}/clues", 201, json=body)["id"]
            )
        ring = self.server.settings.qr_keyring
        clue_ids = self.clue_ids
        self.codes = [static_code(ring, clue_ids[0]), static_code(ring, clue_ids[2])]
        base = self.server.settings.public_base_url
        self.codes.append(f"{base}/c/{self.codes[0]}")
        hunter = self.call("POST", "/v1/auth/hunters", 201, json={"handle": unique("fz")[:32]})
        self.headers["hunter"] = {"Authorization": f"Bearer {hunter['token']}"}
        # A find, so that lists of finds have items and clue changes meet a clue with finds.
        self.call(
            "POST",
            "/v1/scans",
            201,
            headers=self.headers["hunter"],
            json={"code": self.codes[0], "lat": 40.758, "lon": -73.9855, "accuracy_m": 10},
        )


@pytest.fixture(scope="module")
def world(settings: Settings) -> Iterator[World]:
    server = LiveServer(settings)
    server.start()
    try:
        world = World(server)
        world.seed()
        yield world
    finally:
        server.stop()


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def load_schema(world: World, role: str, max_examples: int) -> Any:
    schema = schemathesis.openapi.from_url(world.server.url + "/openapi.json")
    # The token is an override, so negative cases never count a "broken" header that was
    # replaced by ours as data the server should have refused.
    schema.config.update(base_url=world.server.url, headers=world.headers[role])
    # Unknown query parameters are ignored by design (`?token=` rides along on any route).
    schema.config.generation.update(
        max_examples=max_examples, modes=list(GenerationMode), allow_extra_parameters=False
    )
    if SEED != "random":
        schema.config.seed = int(SEED)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: Any) -> Any:
        # Often aim at resources that exist: half the slugs, three clue ids in four (decided by
        # the generated value itself, so that Hypothesis can replay and shrink a failure).
        if not isinstance(path_parameters, dict):
            return path_parameters
        # Only valid values are swapped, so negative cases stay negative.
        params = dict(path_parameters)
        slug = params.get("slug")
        if isinstance(slug, str) and SLUG.match(slug) and len(slug) % 2 == 0:
            params["slug"] = world.slug
        clue_id = params.get("clue_id")
        if type(clue_id) is int and 1 <= clue_id < 2**63 and clue_id % 4 != 3:
            params["clue_id"] = world.clue_ids[clue_id % 4]
        return params

    @schema.hook
    def map_body(context: Any, body: Any) -> Any:
        # A third of the scans carry a genuine code, so the rules past the signature run too.
        operation = context.operation
        if operation is None or operation.path != "/v1/scans" or not isinstance(body, dict):
            return body
        code = body.get("code")
        if isinstance(code, str) and 0 < len(code) <= 512 and len(code) % 3 == 0:
            return {**body, "code": world.codes[len(code) % len(world.codes)]}
        return body

    return schema


@pytest.fixture(scope="module")
def organiser_schema(world: World) -> Any:
    return load_schema(world, "organiser", MAX_EXAMPLES)


@pytest.fixture(scope="module")
def hunter_schema(world: World) -> Any:
    return load_schema(world, "hunter", HUNTER_EXAMPLES)


as_organiser = schemathesis.pytest.from_fixture("organiser_schema")
as_hunter = schemathesis.pytest.from_fixture("hunter_schema")


@schemathesis.check
def problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is RFC 9457 problem+json with a string `code` and the response's status."""
    if not 400 <= response.status_code < 500:
        return None
    media = response.headers.get("content-type", [""])
    media = media[0] if isinstance(media, list) else media
    assert media.split(";")[0].strip() == "application/problem+json", f"4xx as {media!r}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("code"), str), body
    assert body.get("status") == response.status_code, body
    return True


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.ignored_auth,
    problem_json,
]
# Not `positive_data_acceptance`: a schema-valid body can still break a rule the schema cannot
# say (ends_at after starts_at, a collectible that exists), and then a 4xx is the right answer.

FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@as_organiser.parametrize()
@FUZZ_SETTINGS
def test_api_as_organiser(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


@as_hunter.parametrize()
@FUZZ_SETTINGS
def test_api_as_hunter(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
