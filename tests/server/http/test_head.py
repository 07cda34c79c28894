"""Every `GET` route also answers `HEAD`: walked over the whole route table, each `HEAD` gets the
status and headers its `GET` gets, and no body. A WebSocket route, which `HEAD` cannot upgrade,
answers 405; `/openapi.json` describes no `HEAD`."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse

from server.http import openapi
from server.http.auth import Role
from server.http.routing import PATH_PARAM, Route, answers_head
from server.route_table import ROUTES
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt, post_scan

# Where an answer is made, not what it says: may differ between a GET and its HEAD.
FRAMING = {"date", "transfer-encoding", "content-length", "connection", "keep-alive"}


async def world(api: Api) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """A hunt with a billboard, a screen and a find: values for every path parameter, the
    query each route needs to answer 200, and a hunter's token."""
    hunt = await make_hunt(api)
    billboard = await hunt.clue()
    screen = await hunt.clue(kind="digital")
    _, hunter = await api.hunter()
    answer = await post_scan(api, hunter, hunt.code(billboard), 201, **at(TIMES_SQUARE))
    find = str(answer["find"]["id"])
    values = {
        "slug": hunt.slug,
        "clue_id": str(billboard["id"]),
        "screen_clue_id": str(screen["id"]),
        "code": hunt.code(billboard),
        "token_id": find,
        "id": find,
        "app": "fan",
        "name": "index.html",
    }
    queries = {
        "/v1/hunts/{slug}/nearby": {"lat": str(TIMES_SQUARE[0]), "lon": str(TIMES_SQUARE[1])},
        "/screens/{slug}/code": {"clue": str(screen["id"])},
        "/screens/{slug}": {"clue": str(screen["id"])},
    }
    queries["/v1/hunts/{slug}/nearby"]["accuracy_m"] = "10"
    return (
        values,
        {k: "&".join(f"{n}={v}" for n, v in q.items()) for k, q in queries.items()},
        hunter,
    )


def concrete(spec: Route, values: dict[str, str], queries: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "clue_id" and "display" in spec.path:
            return values["screen_clue_id"]
        return values.get(name, "x")

    path = PATH_PARAM.sub(value, spec.path)
    query = queries.get(spec.path)
    return f"{path}?{query}" if query else path


def credentials(spec: Route, api: Api, hunter: dict[str, str]) -> dict[str, str]:
    if not spec.roles:
        return {}
    if Role.ORGANISER in spec.roles:
        return api.organiser
    if Role.HUNTER in spec.roles:
        return hunter
    return api.auth(next(iter(spec.roles)), "head-test")


async def answer(
    api: Api, method: str, path: str, headers: dict[str, str]
) -> tuple[ClientResponse, bytes]:
    response: ClientResponse = await api.client.request(method, path, headers=headers)
    return response, await response.read()


def kept(response: ClientResponse) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in FRAMING}


async def test_every_get_route_answers_head_as_it_answers_get(api: Api) -> None:
    values, queries, hunter = await world(api)
    statuses: dict[str, int] = {}
    for spec in ROUTES:
        if spec.method != "GET" or not answers_head(spec):
            continue
        path = concrete(spec, values, queries)
        headers = credentials(spec, api, hunter)
        # GET, HEAD, GET: a header both GETs agree on is one the HEAD between them must send.
        first, first_body = await answer(api, "GET", path, headers)
        head, body = await answer(api, "HEAD", path, headers)
        then, then_body = await answer(api, "GET", path, headers)
        assert head.status == first.status == then.status, (path, head.status, first.status)
        assert body == b"", path
        stable = {k: v for k, v in kept(first).items() if kept(then).get(k) == v}
        got = kept(head)
        assert set(got) == set(kept(first)) & set(kept(then)), (path, got, kept(first))
        assert {k: got[k] for k in stable} == stable, path
        # The length a HEAD must announce is known when both GETs sent the same bytes (a
        # screen's code says how many seconds it has left, in a varying number of digits).
        length = first.headers.get("Content-Length")
        if length is not None and first_body == then_body:
            assert head.headers.get("Content-Length") == length, path
        statuses[spec.path] = head.status
    # The walk reached the routes it should have: these answer 200 with what it sent.
    for path in ("/healthz", "/metrics", "/openapi.json", "/v1/codes/{code}", "/v1/hunts"):
        assert statuses[path] == 200, (path, statuses[path])
    for path in ("/screens/{slug}", "/v1/hunts/{slug}/events", "/v1/clues/{clue_id}/qr.png"):
        assert statuses[path] == 200, (path, statuses[path])
    assert statuses["/v1/hunts/{slug}/stats"] == 200 and statuses["/v1/me/finds"] == 200


async def test_a_websocket_route_refuses_head(api: Api) -> None:
    hunt = await make_hunt(api)
    sockets = [spec for spec in ROUTES if spec.method == "GET" and spec.ok_status == 101]
    assert sockets, "the live WebSocket is declared with ok_status=101"
    for spec in sockets:
        path = spec.path.replace("{slug}", hunt.slug)
        response = await api.client.request("HEAD", path, headers=api.organiser)
        assert response.status == 405, path
        assert "GET" in response.headers["Allow"] and "HEAD" not in response.headers["Allow"]


def test_head_is_served_for_every_get_but_not_described(api: Api) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in api.client.app.router.routes()
        if route.resource is not None
    }
    heads = {path for method, path in served if method == "HEAD"}
    assert heads == {s.path for s in ROUTES if s.method == "GET" and s.ok_status != 101}
    document: dict[str, Any] = openapi.build(ROUTES)
    assert not [path for path, item in document["paths"].items() if "head" in item]
